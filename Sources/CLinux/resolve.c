/*
 * resolve.c — openat2(2) and fstatfs(2) for Swift (see berth_resolve.h). openat2 has no glibc wrapper before
 * 2.39 and syscall(2) is variadic, so it is called here with its struct open_how.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "berth_resolve.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct berth_open_how {
    uint64_t flags;
    uint64_t mode;
    uint64_t resolve;
};

int berth_openat2(int dirfd, const char *path, int flags, unsigned int mode, unsigned long long resolve) {
    struct berth_open_how how = {(uint64_t)(unsigned int)flags, mode, resolve};
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

long berth_fstatfs_type(int fd) {
    struct statfs info;
    if (fstatfs(fd, &info) != 0) return -1;
    return (long)info.f_type;
}
