/*
 * berth_spawn.h — fork/exec for multi-threaded processes (the daemons and the shim).
 *
 * Between fork and exec a multi-threaded process may only run async-signal-safe code, so the
 * whole child side is C: Swift prepares every string and array before the call, the child only
 * makes system calls, and failures come back to the parent as a (stage, errno) pair over a
 * close-on-exec pipe. Modelled on apple/containerization's exec_command.c, with its flaws fixed
 * (_exit instead of exit, no opendir fallback, a stage with every errno, no printf, no dup2 onto
 * descriptors that may be in use). See spawn.c for the step-by-step reasoning.
 */
#ifndef BERTH_SPAWN_H
#define BERTH_SPAWN_H

#include <sys/types.h>

/** Flags for berth_spawn_attrs.flags. */
enum {
    /** setsid(): the child leads a new session and process group (and has no controlling tty). */
    BERTH_SPAWN_SETSID = 1 << 0,
    /** setpgid(0, 0): the child leads a new process group in the caller's session. */
    BERTH_SPAWN_SETPGID = 1 << 1,
    /** ioctl(0, TIOCSCTTY): make child fd 0 (a pty slave) its controlling terminal. Needs SETSID. */
    BERTH_SPAWN_SETCTTY = 1 << 2,
};

/** The most descriptors berth_spawn places into a child (child fds 0..nfds-1). */
static const int BERTH_SPAWN_MAX_FDS = 1024;

/** Where berth_spawn failed; berth_spawn_stage_name turns it into the failing call's name. */
enum {
    BERTH_SPAWN_STAGE_NONE = 0,
    BERTH_SPAWN_STAGE_VALIDATE = 1,   /* parent: bad attributes (EINVAL) or a closed source fd (EBADF) */
    BERTH_SPAWN_STAGE_PIPE = 2,       /* parent: pipe2 for the error pipe */
    BERTH_SPAWN_STAGE_SIGMASK = 3,    /* parent: pthread_sigmask */
    BERTH_SPAWN_STAGE_FORK = 4,       /* parent: fork */
    BERTH_SPAWN_STAGE_SYNC = 5,       /* parent: reading the child's report */
    BERTH_SPAWN_STAGE_SIGNALS = 6,    /* child: resetting the signal mask */
    BERTH_SPAWN_STAGE_FDS = 7,        /* child: placing descriptors onto 0..nfds-1 */
    BERTH_SPAWN_STAGE_SETSID = 8,     /* child: setsid */
    BERTH_SPAWN_STAGE_SETPGID = 9,    /* child: setpgid */
    BERTH_SPAWN_STAGE_SETCTTY = 10,   /* child: ioctl(TIOCSCTTY) */
    BERTH_SPAWN_STAGE_PDEATHSIG = 11, /* child: prctl(PR_SET_PDEATHSIG) */
    BERTH_SPAWN_STAGE_CLOEXEC = 12,   /* child: marking inherited descriptors close-on-exec */
    BERTH_SPAWN_STAGE_CHDIR = 13,     /* child: chdir */
    BERTH_SPAWN_STAGE_EXEC = 14,      /* child: execve */
};

/** What to run and how. Every pointer must stay valid for the duration of berth_spawn. */
struct berth_spawn_attrs {
    /** The executable to pass to execve. No PATH search: resolve it before calling. */
    const char *path;
    /** NULL-terminated argument vector (argv[0] included). */
    char *const *argv;
    /** NULL-terminated environment, "KEY=value" strings. */
    char *const *envp;
    /** Working directory for the child, or NULL to inherit the caller's. */
    const char *cwd;
    /** fds[i] (an open descriptor of the caller) becomes child fd i; every other fd is closed. */
    const int *fds;
    /** Number of entries in fds, 0...BERTH_SPAWN_MAX_FDS. */
    int nfds;
    /** BERTH_SPAWN_* flags. SETSID and SETPGID exclude each other; SETCTTY needs SETSID. */
    int flags;
    /** Signal the child gets when the parent *thread* that forked it dies; 0 for none. */
    int pdeathsig;
};

/**
 * Forks and execs `attrs->path`. Returns 0 once the exec has succeeded, with the child's pid in
 * `*pid_out`. On failure returns -1 and stores the failing stage (BERTH_SPAWN_STAGE_*) in
 * `*stage_out` and its errno in `*errno_out` (errno is set too); a child that failed has already
 * been reaped. Async-signal-safe in the child; safe to call from any thread.
 */
int berth_spawn(const struct berth_spawn_attrs *attrs, pid_t *pid_out, int *stage_out,
                int *errno_out);

/** The name of the call that failed at `stage` ("execve", "chdir", …), for error messages. */
const char *berth_spawn_stage_name(int stage);

#endif /* BERTH_SPAWN_H */
