/*
 * berth_malloc.h — glibc malloc tuning, which <malloc.h> declares and Swift's Glibc module does
 * not import.
 */
#ifndef BERTH_MALLOC_H
#define BERTH_MALLOC_H

/** mallopt(M_ARENA_MAX, count): at most `count` malloc arenas. Returns 1 on success, 0 if not. */
int berth_malloc_arena_max(int count);

/** malloc_trim(0): returns the free pages of every arena to the kernel. 1 if any were, else 0. */
int berth_malloc_trim(void);

#endif /* BERTH_MALLOC_H */
