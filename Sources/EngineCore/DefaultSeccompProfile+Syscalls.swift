// DefaultSeccompProfile+Syscalls: the names behind berth's default seccomp profile, grouped by
// what they do. `everyday` is allowed in every container; the other tables are granted by the
// container's capabilities or its CPU architecture. Names for other ABIs (the "32" and "64"
// variants, socketcall, ipc, ...) sit next to their native twins: the filter also covers the
// compat ABIs, and the runtime skips a name libseccomp does not know. The coverage is the one
// Docker's default profile gives, so images behave as they do under dockerd.

extension DefaultSeccompProfile {
    /// Syscalls every container may make, whatever its capabilities (the kernel still checks
    /// those: chown without CAP_CHOWN fails as it would anywhere).
    static let everyday: [String] = filesAndDirectories + metadata + io + waiting + memory + processes
        + identity + scheduling + signals + time + sockets + ipc

    static let filesAndDirectories = [
        "open", "openat", "openat2", "creat", "close", "close_range", "dup", "dup2", "dup3", "fcntl", "fcntl64", "flock",
        "access", "faccessat", "faccessat2", "chdir", "fchdir", "getcwd", "umask",
        "mkdir", "mkdirat", "mknod", "mknodat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2",
        "link", "linkat", "symlink", "symlinkat", "readlink", "readlinkat", "getdents", "getdents64",
        "truncate", "truncate64", "ftruncate", "ftruncate64", "fallocate", "fadvise64", "fadvise64_64", "readahead",
        "name_to_handle_at", "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "fanotify_mark",
    ]

    /// Ownership, modes, times, stat and extended attributes.
    static let metadata = [
        "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32",
        "utime", "utimes", "utimensat", "utimensat_time64", "futimesat",
        "stat", "stat64", "lstat", "lstat64", "fstat", "fstat64", "fstatat64", "newfstatat", "statx",
        "statfs", "statfs64", "fstatfs", "fstatfs64", "statmount", "listmount",
        "getxattr", "lgetxattr", "fgetxattr", "getxattrat", "setxattr", "lsetxattr", "fsetxattr", "setxattrat",
        "listxattr", "llistxattr", "flistxattr", "listxattrat", "removexattr", "lremovexattr", "fremovexattr", "removexattrat",
    ]

    /// Reading, writing, syncing and moving bytes between descriptors.
    static let io = [
        "read", "readv", "pread64", "preadv", "preadv2", "write", "writev", "pwrite64", "pwritev", "pwritev2",
        "lseek", "_llseek", "sendfile", "sendfile64", "splice", "tee", "vmsplice", "copy_file_range", "ioctl",
        "sync", "syncfs", "fsync", "fdatasync", "sync_file_range", "cachestat",
        "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
    ]

    /// Waiting for descriptors and the descriptors made for waiting (pipes, eventfd, timerfd, signalfd).
    static let waiting = [
        "select", "_newselect", "pselect6", "pselect6_time64", "poll", "ppoll", "ppoll_time64",
        "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_wait", "epoll_wait_old", "epoll_pwait", "epoll_pwait2",
        "pipe", "pipe2", "eventfd", "eventfd2", "signalfd", "signalfd4",
        "timerfd_create", "timerfd_settime", "timerfd_settime64", "timerfd_gettime", "timerfd_gettime64",
    ]

    static let memory = [
        "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync", "remap_file_pages",
        "mlock", "mlock2", "mlockall", "munlock", "munlockall", "membarrier", "memfd_create", "memfd_secret",
        "pkey_alloc", "pkey_free", "pkey_mprotect", "map_shadow_stack", "mseal",
    ]

    /// Making, running, waiting for and describing processes and threads. clone and clone3
    /// are not here: see `namespaceFlags`.
    static let processes = [
        "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "waitpid", "restart_syscall",
        "getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid",
        "set_tid_address", "set_robust_list", "get_robust_list", "rseq", "set_thread_area", "get_thread_area",
        "futex", "futex_time64", "futex_waitv", "futex_wait", "futex_wake", "futex_requeue",
        "prctl", "capget", "capset", "seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
        "pidfd_open", "pidfd_send_signal", "process_mrelease", "uretprobe",
        "uname", "sysinfo", "getcpu", "getrandom", "riscv_hwprobe",
    ]

    /// Reading and changing the process's own uids, gids and groups.
    static let identity = [
        "getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid", "getegid32",
        "getresuid", "getresuid32", "getresgid", "getresgid32", "getgroups", "getgroups32",
        "setuid", "setuid32", "setgid", "setgid32", "setreuid", "setreuid32", "setregid", "setregid32",
        "setresuid", "setresuid32", "setresgid", "setresgid32", "setfsuid", "setfsuid32", "setfsgid", "setfsgid32",
        "setgroups", "setgroups32",
    ]

    /// Resource limits, priorities and CPU placement.
    static let scheduling = [
        "getrlimit", "ugetrlimit", "setrlimit", "prlimit64", "getrusage", "getpriority", "setpriority",
        "ioprio_get", "ioprio_set", "sched_yield", "sched_getaffinity", "sched_setaffinity",
        "sched_getattr", "sched_setattr", "sched_getparam", "sched_setparam", "sched_getscheduler", "sched_setscheduler",
        "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval", "sched_rr_get_interval_time64",
    ]

    static let signals = [
        "kill", "tkill", "tgkill", "rt_sigaction", "rt_sigprocmask", "rt_sigpending", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
        "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "sigaltstack", "sigprocmask",
        "sigreturn", "pause", "alarm",
    ]

    /// Reading clocks, sleeping and timers. adjtimex and clock_adjtime only read without CAP_SYS_TIME.
    static let time = [
        "time", "times", "gettimeofday", "clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64",
        "clock_nanosleep", "clock_nanosleep_time64", "nanosleep", "adjtimex", "clock_adjtime", "clock_adjtime64",
        "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun",
        "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
    ]

    /// Everything on sockets except making one (socket(2) is checked by address family).
    static let sockets = [
        "socketpair", "socketcall", "bind", "connect", "listen", "accept", "accept4", "getsockname", "getpeername",
        "getsockopt", "setsockopt", "send", "sendto", "sendmsg", "sendmmsg",
        "recv", "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64", "shutdown",
    ]

    /// System V IPC and POSIX message queues (namespaced per container).
    static let ipc = [
        "ipc", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop", "semtimedop_time64", "semctl",
        "shmget", "shmat", "shmdt", "shmctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedsend_time64",
        "mq_timedreceive", "mq_timedreceive_time64", "mq_notify", "mq_getsetattr",
    ]

    /// Another process's memory: allowed to all from kernel 4.8 on, where seccomp is checked
    /// again after a tracer changed the syscall (before, ptrace could walk around the filter).
    static let tracing = ["ptrace", "process_vm_readv", "process_vm_writev"]
    static let tracingSafeFrom = KernelVersion(4, 8)

    /// What each capability unlocks beyond `everyday`. A name may appear under several.
    static let capabilityGrants: [(capability: String, syscalls: [String])] = [
        ("CAP_SYS_ADMIN", [
            "mount", "umount", "umount2", "mount_setattr", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
            "unshare", "setns", "clone", "clone3", "sethostname", "setdomainname", "quotactl", "quotactl_fd",
            "fanotify_init", "lookup_dcookie", "bpf", "perf_event_open", "syslog",
            "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules",
        ]),
        ("CAP_DAC_READ_SEARCH", ["open_by_handle_at"]),
        ("CAP_SYS_BOOT", ["reboot"]),
        ("CAP_SYS_CHROOT", ["chroot"]),
        ("CAP_SYS_MODULE", ["init_module", "finit_module", "delete_module"]),
        ("CAP_SYS_PACCT", ["acct"]),
        ("CAP_SYS_PTRACE", ["ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd", "kcmp"]),
        ("CAP_SYS_RAWIO", ["iopl", "ioperm"]),
        ("CAP_SYS_TIME", ["settimeofday", "stime", "clock_settime", "clock_settime64"]),
        ("CAP_SYS_TTY_CONFIG", ["vhangup"]),
        ("CAP_SYS_NICE", ["mbind", "get_mempolicy", "set_mempolicy", "set_mempolicy_home_node"]),
        ("CAP_SYSLOG", ["syslog"]),
        ("CAP_BPF", ["bpf"]),
        ("CAP_PERFMON", ["perf_event_open"]),
    ]

    /// Syscalls only some architectures have (keyed by docker's architecture name).
    static let architectureSyscalls: [String: [String]] = [
        "amd64": ["arch_prctl", "modify_ldt"],
        "x86": ["modify_ldt"],
        "arm64": armSyscalls,
        "arm": armSyscalls,
        "ppc64le": ["sync_file_range2", "swapcontext"],
        "s390x": ["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"],
        "riscv64": ["riscv_flush_icache"],
    ]
    static let armSyscalls = ["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"]
}
