/*
 * berth_syscalls.h — thin wrappers for system calls that Swift's Glibc module hides or cannot
 * call (they are declared only under _GNU_SOURCE, have no glibc wrapper, or are variadic).
 *
 * Every function returns -1 and leaves errno set on failure, exactly like the call it wraps, so
 * the Swift side can build a SystemCallFailure from (call, path, errno).
 */
#ifndef BERTH_SYSCALLS_H
#define BERTH_SYSCALLS_H

#include <sys/types.h>

#include "berth_constants.h"

/** fsetxattr(2): set an extended attribute on an open file (sys/xattr.h is not in Swift's Glibc). */
int berth_fsetxattr(int fd, const char *name, const void *value, size_t size);

/** lsetxattr(2): set an extended attribute on a path, not following a final symlink. */
int berth_lsetxattr(const char *path, const char *name, const void *value, size_t size);

/** lgetxattr(2): read an extended attribute of a path, not following a final symlink. */
long berth_lgetxattr(const char *path, const char *name, void *value, size_t size);

/** unshare(2): move the calling thread/process into new namespaces (CLONE_NEW* flags). */
int berth_unshare(int flags);

/** setns(2): join the namespace referred to by `fd` (a /proc/PID/ns/KIND fd or a pidfd). */
int berth_setns(int fd, int nstype);

/** pivot_root(2): make `new_root` the root mount and move the old root to `put_old`. */
int berth_pivot_root(const char *new_root, const char *put_old);

/** pidfd_open(2): a file descriptor that refers to process `pid` (Linux >= 5.3). */
int berth_pidfd_open(pid_t pid, unsigned int flags);

/** pidfd_send_signal(2) with no siginfo: signal the process behind `pidfd` (Linux >= 5.1). */
int berth_pidfd_send_signal(int pidfd, int sig, unsigned int flags);

/** close_range(2): close or (with CLOSE_RANGE_CLOEXEC) mark close-on-exec fds first..last. */
int berth_close_range(unsigned int first, unsigned int last, unsigned int flags);

/** prctl(2) without varargs: Swift cannot call the variadic glibc prototype. */
int berth_prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4,
                unsigned long arg5);

/** memfd_create(2): an anonymous memory-backed file (pass MFD_CLOEXEC). */
int berth_memfd_create(const char *name, unsigned int flags);

/* keyctl(KEYCTL_JOIN_SESSION_KEYRING, name): join a new session keyring (a container must not
 * share the caller's keys). Returns the keyring serial; glibc has no wrapper. */
long berth_join_session_keyring(const char *name);

/** gettid(2): the calling thread's kernel id. Never fails. */
pid_t berth_gettid(void);

/** dup3(2): like dup2, but with O_CLOEXEC in `flags`, and EINVAL when oldfd == newfd. */
int berth_dup3(int oldfd, int newfd, int flags);

/** pipe2(2): a pipe whose ends get `flags` (O_CLOEXEC, O_NONBLOCK) atomically. */
int berth_pipe2(int fds[2], int flags);

/**
 * execvpe(3): exec `file`, searching PATH when it has no '/'. Note that glibc searches the PATH
 * of the *calling* process's environment, not the one in `envp`. Returns only on failure.
 */
int berth_execvpe(const char *file, char *const argv[], char *const envp[]);

/** getsockopt(SO_PEERCRED): the pid, uid and gid of the process at the other end of a unix socket. */
int berth_getpeercred(int sock, pid_t *pid, uid_t *uid, gid_t *gid);

/** eventfd(2) with EFD_CLOEXEC | EFD_NONBLOCK: a counter to poll (cgroup v1 OOM notifications). */
int berth_eventfd_nonblocking(unsigned int initval);

/*
 * The new mount API (Linux >= 5.2), used to open the runtime's own binary through a private,
 * detached, read-only overlay mount (CVE-2019-5736). glibc 2.36 declares these only in a header
 * that clashes with <linux/mount.h>, so they are plain syscall() wrappers here.
 */
/** fsopen(2): a filesystem context for `fsname` (pass FSOPEN_CLOEXEC = 1). */
int berth_fsopen(const char *fsname, unsigned int flags);
/** fsconfig(2) with FSCONFIG_SET_STRING: set option `key` to `value`. */
int berth_fsconfig_set_string(int fsfd, const char *key, const char *value);
/** fsconfig(2) with FSCONFIG_CMD_CREATE: create the superblock from the options set so far. */
int berth_fsconfig_create(int fsfd);
/** fsmount(2): a detached mount of the context's superblock (FSMOUNT_CLOEXEC, MOUNT_ATTR_*). */
int berth_fsmount(int fsfd, unsigned int flags, unsigned int attr_flags);

/**
 * signalfd(2) for the `nsignals` signal numbers in `signals` (the set is built here, so no
 * sigset_t crosses into Swift). `flags` takes O_CLOEXEC and O_NONBLOCK (equal to SFD_CLOEXEC and
 * SFD_NONBLOCK). The caller blocks those signals first, or they are delivered the usual way.
 * Each read returns 128-byte signalfd_siginfo records whose first u32 is the signal number.
 */
int berth_signalfd(const int *signals, int nsignals, int flags);

#endif /* BERTH_SYSCALLS_H */
