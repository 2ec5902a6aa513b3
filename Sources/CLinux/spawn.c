/*
 * spawn.c — async-signal-safe fork/exec for multi-threaded callers (see berth_spawn.h).
 *
 * Why C: after fork() in a multi-threaded process only the forking thread survives, and any lock
 * another thread held (malloc's, the Swift runtime's, stdio's) stays locked forever in the child.
 * So between fork and execve the child may only make async-signal-safe calls: no malloc, no
 * printf, no opendir, no Swift. Everything the child needs (argv, envp, the fd map) is built by
 * the caller before the fork; the child only makes system calls.
 *
 * Protocol: the parent creates a close-on-exec pipe. The child keeps the write end open while it
 * prepares; a successful execve closes it (O_CLOEXEC), so the parent's read() returns 0 (EOF).
 * If any step fails, the child writes one `struct report` (stage, errno) — 8 bytes, below
 * PIPE_BUF so the write is atomic — and leaves with _exit(127). A concurrent fork() in another
 * thread of the caller can inherit the write end until that child execs too; this only delays the
 * EOF, which is why every fork in berth's daemons goes through here and execs promptly.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth_constants.h"
#include "berth_spawn.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* A compile-time copy of BERTH_SPAWN_MAX_FDS, to size the child's stack table. */
#define MAX_FDS 1024

/* Upper bound for the fcntl sweep used when close_range is unavailable (Linux < 5.11). */
#define SWEEP_LIMIT 65536

/* What a failing child tells its parent. */
struct report {
    int stage;
    int err;
};

/* Child only: reports (stage, errno) to the parent and exits. _exit, never exit: exit() would run
 * atexit handlers and flush stdio buffers copied from the parent, i.e. take locks and write the
 * parent's pending output twice. */
__attribute__((noreturn)) static void child_fail(int syncfd, int stage) {
    struct report report = {.stage = stage, .err = errno};
    ssize_t written;
    do {
        written = write(syncfd, &report, sizeof(report));
    } while (written == -1 && errno == EINTR);
    _exit(127);
}

/* Child only: marks every descriptor >= first close-on-exec, so execve closes whatever the
 * caller did not pass explicitly (CVE-2024-21626 is what a leaked fd can do in a container).
 * CLOEXEC rather than close: the error pipe must stay usable until execve itself succeeds. */
static int mark_cloexec_from(int first, int limit) {
    if (syscall(SYS_close_range, (unsigned int)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) {
        return 0;
    }
    /* ENOSYS (< 5.9) or EINVAL (flag unknown, < 5.11): walk the table with fcntl. Not opendir on
     * /proc/self/fd as apple's fallback does: opendir mallocs, which may deadlock here. */
    for (int fd = first; fd < limit; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags == -1) continue; /* EBADF: not open */
        if (!(flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1) return -1;
    }
    return 0;
}

/* Child only: everything between fork and execve. Never returns. */
__attribute__((noreturn)) static void run_child(const struct berth_spawn_attrs *attrs, int readfd,
                                                int syncfd, pid_t parent, int sweep_limit) {
    const int nfds = attrs->nfds;

    /* The read end belongs to the parent; holding it would keep the pipe alive for no reason. */
    close(readfd);

    /* 1. Signals. All signals are still blocked (the parent blocked them before fork), so no
     * handler inherited from the parent can run in this copy of its memory. Reset every
     * disposition to SIG_DFL (including SIG_IGN: a daemon ignoring SIGPIPE must not pass that
     * on), then clear the mask, which execve would otherwise hand to the new program.
     * sigaction fails for SIGKILL, SIGSTOP and glibc's internal signals: that is fine. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; sig++) {
        (void)sigaction(sig, &dfl, NULL);
    }
    sigset_t empty;
    sigemptyset(&empty);
    if (sigprocmask(SIG_SETMASK, &empty, NULL) == -1) child_fail(syncfd, BERTH_SPAWN_STAGE_SIGNALS);

    /* 2. Descriptors: fds[i] must end up as fd i, and sources may overlap targets (fds = {4, 3}
     * swaps 3 and 4; dup2 in order would destroy 3 before copying it). So:
     *   a. move the error pipe to >= nfds, out of the way of every target;
     *   b. copy every source to a fresh fd >= nfds with F_DUPFD_CLOEXEC, which picks a free
     *      number and so cannot clobber anything (apple dup2s onto "highest + 1, + 2, …", which
     *      silently closes whatever was open there);
     *   c. dup2 each copy onto its target i < nfds; the copies and the pipe are all >= nfds, so
     *      no copy is overwritten, and dup2 clears FD_CLOEXEC on the target so it survives exec;
     *   d. close the copies.
     * Example, fds = {12, 7, 9, 0} (nfds 4), error pipe at 3: the pipe moves to the lowest free
     * fd >= 4, say 13; the copies land on 14, 15, 16, 17; then dup2 14→0, 15→1, 16→2, 17→3.
     * Source 0 (target 3) was copied before dup2 onto 0 replaced it. */
    if (syncfd < nfds) {
        int moved = fcntl(syncfd, F_DUPFD_CLOEXEC, nfds);
        if (moved == -1) child_fail(syncfd, BERTH_SPAWN_STAGE_FDS);
        close(syncfd);
        syncfd = moved;
    }
    int copies[MAX_FDS];
    for (int i = 0; i < nfds; i++) {
        copies[i] = fcntl(attrs->fds[i], F_DUPFD_CLOEXEC, nfds);
        if (copies[i] == -1) child_fail(syncfd, BERTH_SPAWN_STAGE_FDS);
    }
    for (int i = 0; i < nfds; i++) {
        if (dup2(copies[i], i) == -1) child_fail(syncfd, BERTH_SPAWN_STAGE_FDS);
    }
    for (int i = 0; i < nfds; i++) {
        close(copies[i]);
    }

    /* 3. Session and process group. setsid makes the child leader of a new session and group,
     * so a terminal's job control signals aimed at the caller's group do not reach it. */
    if ((attrs->flags & BERTH_SPAWN_SETSID) && setsid() == -1) {
        child_fail(syncfd, BERTH_SPAWN_STAGE_SETSID);
    }
    if ((attrs->flags & BERTH_SPAWN_SETPGID) && setpgid(0, 0) == -1) {
        child_fail(syncfd, BERTH_SPAWN_STAGE_SETPGID);
    }
    /* A session leader without a controlling tty acquires fd 0 (a pty slave) as its own; after
     * step 2, fd 0 is whatever the caller mapped there. */
    if ((attrs->flags & BERTH_SPAWN_SETCTTY) && ioctl(0, TIOCSCTTY, 0) == -1) {
        child_fail(syncfd, BERTH_SPAWN_STAGE_SETCTTY);
    }

    /* 4. Parent-death signal. The kernel sends it when the *thread* that forked us exits, so the
     * caller must fork from a long-lived thread. If the parent died before prctl took effect we
     * were already re-parented and the signal will never come: deliver it ourselves. getppid()
     * is 0 when the parent lives outside our pid namespace; that is not a death. */
    if (attrs->pdeathsig != 0) {
        if (prctl(PR_SET_PDEATHSIG, (unsigned long)attrs->pdeathsig, 0UL, 0UL, 0UL) == -1) {
            child_fail(syncfd, BERTH_SPAWN_STAGE_PDEATHSIG);
        }
        pid_t now = getppid();
        if (now != 0 && now != parent) {
            kill(getpid(), attrs->pdeathsig);
        }
    }

    /* 5. Nothing but fds 0..nfds-1 may reach the new program. */
    if (mark_cloexec_from(nfds, sweep_limit) == -1) child_fail(syncfd, BERTH_SPAWN_STAGE_CLOEXEC);

    /* 6. Working directory, then exec. execve returns only on failure. */
    if (attrs->cwd != NULL && chdir(attrs->cwd) == -1) child_fail(syncfd, BERTH_SPAWN_STAGE_CHDIR);
    execve(attrs->path, attrs->argv, attrs->envp);
    child_fail(syncfd, BERTH_SPAWN_STAGE_EXEC);
}

/* Parent only: records a failure for the caller and returns -1 with errno set. */
static int spawn_fail(int stage, int err, int *stage_out, int *errno_out) {
    if (stage_out != NULL) *stage_out = stage;
    if (errno_out != NULL) *errno_out = err;
    errno = err;
    return -1;
}

/* Parent only: checks the attributes before forking, so misuse is an error, not a child crash. */
static int validate(const struct berth_spawn_attrs *attrs) {
    if (attrs == NULL || attrs->path == NULL || attrs->argv == NULL || attrs->envp == NULL) {
        return EINVAL;
    }
    if (attrs->nfds < 0 || attrs->nfds > MAX_FDS || (attrs->nfds > 0 && attrs->fds == NULL)) {
        return EINVAL;
    }
    int flags = attrs->flags;
    if (flags & ~(BERTH_SPAWN_SETSID | BERTH_SPAWN_SETPGID | BERTH_SPAWN_SETCTTY)) return EINVAL;
    /* A session leader is already a group leader and may not change group: setpgid would fail. */
    if ((flags & BERTH_SPAWN_SETSID) && (flags & BERTH_SPAWN_SETPGID)) return EINVAL;
    /* TIOCSCTTY only works for a session leader. */
    if ((flags & BERTH_SPAWN_SETCTTY) && !(flags & BERTH_SPAWN_SETSID)) return EINVAL;
    if (attrs->pdeathsig < 0 || attrs->pdeathsig >= NSIG) return EINVAL;
    for (int i = 0; i < attrs->nfds; i++) {
        if (fcntl(attrs->fds[i], F_GETFD) == -1) return EBADF;
    }
    return 0;
}

int berth_spawn(const struct berth_spawn_attrs *attrs, pid_t *pid_out, int *stage_out,
                int *errno_out) {
    if (stage_out != NULL) *stage_out = BERTH_SPAWN_STAGE_NONE;
    if (errno_out != NULL) *errno_out = 0;
    int invalid = validate(attrs);
    if (invalid != 0) return spawn_fail(BERTH_SPAWN_STAGE_VALIDATE, invalid, stage_out, errno_out);

    /* getrlimit is not async-signal-safe by the letter of POSIX: read the sweep bound now. */
    int sweep_limit = SWEEP_LIMIT;
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY &&
        nofile.rlim_cur < (rlim_t)SWEEP_LIMIT) {
        sweep_limit = (int)nofile.rlim_cur;
    }

    /* The error pipe, close-on-exec from birth so no other child of ours inherits it past exec. */
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) == -1) {
        return spawn_fail(BERTH_SPAWN_STAGE_PIPE, errno, stage_out, errno_out);
    }

    /* Block every signal across fork, so no handler of ours runs in the child before step 1
     * resets them. glibc quietly keeps its two internal signals unblocked, which is harmless. */
    sigset_t all, old;
    sigfillset(&all);
    int rc = pthread_sigmask(SIG_SETMASK, &all, &old);
    if (rc != 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return spawn_fail(BERTH_SPAWN_STAGE_SIGMASK, rc, stage_out, errno_out);
    }

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        run_child(attrs, pipefd[0], pipefd[1], parent, sweep_limit);
    }
    int fork_errno = errno;

    /* The child has its own copy of the mask; ours goes back to what the caller had. */
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    /* Our write end must go, or read() below would never see EOF. */
    close(pipefd[1]);
    if (pid == -1) {
        close(pipefd[0]);
        return spawn_fail(BERTH_SPAWN_STAGE_FORK, fork_errno, stage_out, errno_out);
    }

    struct report report = {0};
    ssize_t got;
    do {
        got = read(pipefd[0], &report, sizeof(report));
    } while (got == -1 && errno == EINTR);
    int read_errno = errno;
    close(pipefd[0]);

    if (got == 0) {
        /* EOF: execve closed the child's write end, so the new program is running. */
        if (pid_out != NULL) *pid_out = pid;
        return 0;
    }

    int stage = report.stage;
    int err = report.err;
    if (got != (ssize_t)sizeof(report)) {
        /* A read error or a torn report (impossible below PIPE_BUF): the child's state is
         * unknown, so make sure it is gone before reaping it. */
        stage = BERTH_SPAWN_STAGE_SYNC;
        err = got == -1 ? read_errno : EPROTO;
        kill(pid, SIGKILL);
    }
    /* Reap the failed child so it does not linger as a zombie. ECHILD means a global reaper
     * (waitpid(-1)) got there first, which is fine. */
    while (waitpid(pid, NULL, 0) == -1 && errno == EINTR) {
    }
    return spawn_fail(stage, err, stage_out, errno_out);
}

const char *berth_spawn_stage_name(int stage) {
    switch (stage) {
    case BERTH_SPAWN_STAGE_NONE: return "spawn";
    case BERTH_SPAWN_STAGE_VALIDATE: return "spawn attributes";
    case BERTH_SPAWN_STAGE_PIPE: return "pipe2";
    case BERTH_SPAWN_STAGE_SIGMASK: return "pthread_sigmask";
    case BERTH_SPAWN_STAGE_FORK: return "fork";
    case BERTH_SPAWN_STAGE_SYNC: return "read";
    case BERTH_SPAWN_STAGE_SIGNALS: return "sigprocmask";
    case BERTH_SPAWN_STAGE_FDS: return "dup2";
    case BERTH_SPAWN_STAGE_SETSID: return "setsid";
    case BERTH_SPAWN_STAGE_SETPGID: return "setpgid";
    case BERTH_SPAWN_STAGE_SETCTTY: return "ioctl(TIOCSCTTY)";
    case BERTH_SPAWN_STAGE_PDEATHSIG: return "prctl(PR_SET_PDEATHSIG)";
    case BERTH_SPAWN_STAGE_CLOEXEC: return "close_range";
    case BERTH_SPAWN_STAGE_CHDIR: return "chdir";
    case BERTH_SPAWN_STAGE_EXEC: return "execve";
    default: return "spawn";
    }
}
