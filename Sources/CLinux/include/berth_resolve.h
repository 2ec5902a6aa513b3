/*
 * berth_resolve.h — confined path resolution for the engine's `cp`/`export`, which read and
 * write inside a container's root from the host: openat2(2) with RESOLVE_IN_ROOT resolves a path
 * as if the directory were "/" (symlinks and ".." cannot leave it; magic links are refused), so
 * nothing the container planted can point berth at a host file; fstatfs(2) tells a kernel view
 * (proc, sysfs) from files to copy. Return -1 with errno set on failure, like the calls they wrap.
 */
#ifndef BERTH_RESOLVE_H
#define BERTH_RESOLVE_H

#include <sys/types.h>

/* RESOLVE_* flags of struct open_how (<linux/openat2.h>). */
static const unsigned long long BERTH_RESOLVE_NO_XDEV = 0x01;
static const unsigned long long BERTH_RESOLVE_NO_MAGICLINKS = 0x02;
static const unsigned long long BERTH_RESOLVE_NO_SYMLINKS = 0x04;
static const unsigned long long BERTH_RESOLVE_BENEATH = 0x08;
static const unsigned long long BERTH_RESOLVE_IN_ROOT = 0x10;

/** openat2(2) (Linux >= 5.6): open `path` relative to `dirfd` with `flags`, `mode`, `resolve`. */
int berth_openat2(int dirfd, const char *path, int flags, unsigned int mode, unsigned long long resolve);

/** fstatfs(2)'s f_type: the magic number of the filesystem `fd` is on (sys/vfs.h is not in Swift's Glibc). */
long berth_fstatfs_type(int fd);

#endif /* BERTH_RESOLVE_H */
