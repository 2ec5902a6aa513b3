/* malloc.c — see berth_malloc.h. */
#include <malloc.h>

#include "berth_malloc.h"

int berth_malloc_arena_max(int count) {
    return mallopt(M_ARENA_MAX, count);
}

int berth_malloc_trim(void) {
    return malloc_trim(0);
}
