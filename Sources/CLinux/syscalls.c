/*
 * syscalls.c — wrappers for system calls Swift cannot reach (see berth_syscalls.h).
 *
 * Raw syscall(2) is used where a glibc wrapper is missing or recent (pivot_root, pidfd_*,
 * close_range, gettid), so the same code also builds against older libcs and musl; the rest call
 * the libc wrapper, which must be visible with _GNU_SOURCE.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "berth_syscalls.h"

/* Syscall numbers are the same on every architecture for calls added after the 2019 unification. */
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#define SYS_fsconfig 431
#define SYS_fsmount 432
#endif

int berth_unshare(int flags) { return unshare(flags); }

int berth_setns(int fd, int nstype) { return setns(fd, nstype); }

int berth_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int berth_pidfd_open(pid_t pid, unsigned int flags) {
    return (int)syscall(SYS_pidfd_open, pid, flags);
}

int berth_pidfd_send_signal(int pidfd, int sig, unsigned int flags) {
    /* A NULL siginfo makes the kernel fill it in as kill(2) would (SI_USER, our pid and uid). */
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, flags);
}

int berth_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
}

int berth_prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4,
                unsigned long arg5) {
    return prctl(option, arg2, arg3, arg4, arg5);
}

int berth_memfd_create(const char *name, unsigned int flags) { return memfd_create(name, flags); }

long berth_join_session_keyring(const char *name) {
    return syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, name);
}

pid_t berth_gettid(void) { return (pid_t)syscall(SYS_gettid); }

int berth_dup3(int oldfd, int newfd, int flags) { return dup3(oldfd, newfd, flags); }

int berth_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }

int berth_execvpe(const char *file, char *const argv[], char *const envp[]) {
    return execvpe(file, argv, envp);
}

int berth_getpeercred(int sock, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct ucred cred = {0};
    socklen_t size = sizeof(cred);
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &size) == -1) {
        return -1;
    }
    if (size != sizeof(cred)) {
        /* A short answer would leave fields at zero, which reads as root: refuse instead. */
        errno = EPROTO;
        return -1;
    }
    if (pid != NULL) *pid = cred.pid;
    if (uid != NULL) *uid = cred.uid;
    if (gid != NULL) *gid = cred.gid;
    return 0;
}

int berth_fsopen(const char *fsname, unsigned int flags) {
    return (int)syscall(SYS_fsopen, fsname, flags);
}

int berth_fsconfig_set_string(int fsfd, const char *key, const char *value) {
    return (int)syscall(SYS_fsconfig, fsfd, 1 /* FSCONFIG_SET_STRING */, key, value, 0);
}

int berth_fsconfig_create(int fsfd) {
    return (int)syscall(SYS_fsconfig, fsfd, 6 /* FSCONFIG_CMD_CREATE */, NULL, NULL, 0);
}

int berth_fsmount(int fsfd, unsigned int flags, unsigned int attr_flags) {
    return (int)syscall(SYS_fsmount, fsfd, flags, attr_flags);
}

int berth_eventfd_nonblocking(unsigned int initval) { return eventfd(initval, EFD_CLOEXEC | EFD_NONBLOCK); }

int berth_signalfd(const int *signals, int nsignals, int flags) {
    sigset_t mask;
    sigemptyset(&mask);
    for (int i = 0; i < nsignals; i++) {
        if (sigaddset(&mask, signals[i]) == -1) return -1;
    }
    int sfd_flags = 0;
    if (flags & O_CLOEXEC) sfd_flags |= SFD_CLOEXEC;
    if (flags & O_NONBLOCK) sfd_flags |= SFD_NONBLOCK;
    return signalfd(-1, &mask, sfd_flags);
}

int berth_fsetxattr(int fd, const char *name, const void *value, size_t size) {
    return fsetxattr(fd, name, value, size, 0);
}

int berth_lsetxattr(const char *path, const char *name, const void *value, size_t size) {
    return lsetxattr(path, name, value, size, 0);
}

long berth_lgetxattr(const char *path, const char *name, void *value, size_t size) {
    return lgetxattr(path, name, value, size);
}
