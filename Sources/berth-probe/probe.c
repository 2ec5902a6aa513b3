// berth-probe: escape probes run inside a container by Tests/EngineTests/EscapeProbeTests.swift.
// Each probe tries one thing a container must not be able to do, harmlessly (nothing is ever
// written to a kernel knob, nothing reboots, modules are loaded from an empty image), and prints
// one line: "NAME allowed DETAIL", "NAME blocked ERRNO DETAIL" or "NAME absent DETAIL" (the
// thing probed does not exist on this machine). Each probe runs in a child of its own, so one
// probe's namespaces or mounts never change the next. Built fully static (no C library in the
// busybox image): see Package.swift. Usage: berth-probe NAME[=ARG] ...
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *current;

static int allowed(const char *detail) { printf("%s allowed %s\n", current, detail); return 0; }
static int absent(const char *detail) { printf("%s absent %s\n", current, detail); return 0; }
static int blocked(int code, const char *detail) {
    const char *name = code == 0 ? "-" : strerrorname_np(code);
    printf("%s blocked %s %s\n", current, name ? name : "E?", detail);
    return 0;
}
/// A call's outcome: negative results are refusals with errno.
static int outcome(long result, const char *detail) { return result < 0 ? blocked(errno, detail) : allowed(detail); }

/// Opens PATH for writing and closes it again without writing a byte.
static int open_for_writing(const char *path) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? absent(path) : blocked(errno, path);
    close(fd);
    return allowed(path);
}

/// The first of PATHS that exists, or NULL.
static const char *first_existing(const char *const *paths) {
    for (; *paths; paths++) if (access(*paths, F_OK) == 0) return *paths;
    return NULL;
}

static int probe_mount(void) {
    mkdir("/tmp/probe-mnt", 0700);
    if (mount("none", "/tmp/probe-mnt", "tmpfs", 0, "size=1m") < 0) return blocked(errno, "mount tmpfs");
    umount2("/tmp/probe-mnt", MNT_DETACH);
    return allowed("mount tmpfs");
}

static int probe_unshare(int flags, const char *what) { return outcome(unshare(flags), what); }

static int probe_module(void) {
    // An invalid descriptor and an empty image: with the capability the kernel answers EBADF,
    // ENOEXEC, EINVAL (or ENOSYS: a kernel without modules) — never loads anything.
    long r = syscall(SYS_finit_module, -1, "", 0);
    if (r < 0 && errno == EPERM) return blocked(EPERM, "finit_module");
    int code = errno;
    r = syscall(SYS_init_module, NULL, 0UL, "");
    if (r < 0 && errno == EPERM) return blocked(EPERM, "init_module");
    char detail[96];
    snprintf(detail, sizeof detail, "finit_module %s, init_module %s", strerrorname_np(code), strerrorname_np(errno));
    return allowed(detail);
}

/// A masked /proc file: blocked when it reads as nothing (docker binds /dev/null over it).
static int probe_masked(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? absent(path) : blocked(errno, path);
    char buffer[256];
    ssize_t count = read(fd, buffer, sizeof buffer);
    int code = errno;
    close(fd);
    if (count < 0) return blocked(code, path);
    return count == 0 ? blocked(0, "reads empty (masked)") : allowed(path);
}

static int probe_open_by_handle(void) {
    struct { struct file_handle head; unsigned char bytes[8]; } handle = {0};
    handle.head.handle_bytes = 8;
    handle.head.handle_type = 1;  // FILEID_INO32_GEN: inode 2, generation 0, the root of most filesystems
    handle.bytes[0] = 2;
    int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    long fd = syscall(SYS_open_by_handle_at, root, &handle.head, O_RDONLY | O_CLOEXEC);
    int code = errno;
    close(root);
    if (fd >= 0) { close((int)fd); return allowed("opened inode 2"); }
    if (code == EPERM) return blocked(code, "open_by_handle_at");
    char detail[64];
    snprintf(detail, sizeof detail, "past the permission check (%s)", strerrorname_np(code));
    return allowed(detail);
}

/// mknod a node for a real disk (ARG "MAJOR:MINOR", else the first block device with a size in
/// /sys/dev/block), then open it for reading: the device cgroup refuses the open even though
/// CAP_MKNOD allows the node.
static int probe_mknod_disk(const char *arg) {
    unsigned major_number = 0, minor_number = 0;
    int found = sscanf(arg, "%u:%u", &major_number, &minor_number) == 2;
    DIR *dir = found ? NULL : opendir("/sys/dev/block");
    if (!found && !dir) return absent("/sys/dev/block");
    for (struct dirent *entry; !found && (entry = readdir(dir));) {
        char path[300], size[32] = "";
        snprintf(path, sizeof path, "/sys/dev/block/%s/size", entry->d_name);
        FILE *file = fopen(path, "r");
        if (!file) continue;
        if (fgets(size, sizeof size, file) && atol(size) > 0 && sscanf(entry->d_name, "%u:%u", &major_number, &minor_number) == 2) found = 1;
        fclose(file);
    }
    if (dir) closedir(dir);
    if (!found) return absent("no block device with a size");
    char detail[64];
    snprintf(detail, sizeof detail, "block %u:%u", major_number, minor_number);
    unlink("/tmp/probe-disk");
    if (mknod("/tmp/probe-disk", S_IFBLK | 0600, makedev(major_number, minor_number)) < 0) {
        strcat(detail, " (mknod)");
        return blocked(errno, detail);
    }
    strcat(detail, " (open)");
    int fd = open("/tmp/probe-disk", O_RDONLY | O_CLOEXEC);
    int code = errno;
    unlink("/tmp/probe-disk");
    if (fd < 0) return blocked(code, detail);
    close(fd);
    return allowed(detail);
}

/// ARG is "PID:COMM", a host process. It must not be visible: no such pid here, or another process.
static int probe_host_process(const char *arg, int attach) {
    int pid = atoi(arg);
    const char *comm = strchr(arg, ':') ? strchr(arg, ':') + 1 : "";
    char path[64], name[64] = "";
    snprintf(path, sizeof path, "/proc/%d/comm", pid);
    FILE *file = fopen(path, "r");
    if (!file) return blocked(errno, "no such process here");
    if (fgets(name, sizeof name, file)) name[strcspn(name, "\n")] = 0;
    fclose(file);
    if (strcmp(name, comm) != 0) return blocked(0, "another process has that pid here");
    if (!attach) return allowed("host process visible");
    if (ptrace(PTRACE_ATTACH, pid, 0, 0) < 0) return blocked(errno, "ptrace attach");
    waitpid(pid, NULL, __WALL);
    ptrace(PTRACE_DETACH, pid, 0, 0);
    return allowed("ptrace attached and detached");
}

static int probe_bpf(void) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4;
    attr.value_size = 4;
    attr.max_entries = 1;
    long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
    if (fd >= 0) close((int)fd);
    return outcome(fd, "BPF_MAP_CREATE");
}

static int probe_perf(void) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.disabled = 1;
    long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
    if (fd >= 0) close((int)fd);
    return outcome(fd, "software cpu-clock event");
}

static int probe_reboot(void) {
    // A wrong magic number: with CAP_SYS_BOOT the kernel answers EINVAL, never reboots.
    long r = syscall(SYS_reboot, 0, 0, LINUX_REBOOT_CMD_CAD_OFF, NULL);
    if (r < 0 && errno == EPERM) return blocked(EPERM, "reboot");
    return allowed(r < 0 ? "past the permission check (wrong magic refused)" : "returned");
}

static int probe_clock(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return outcome(clock_settime(CLOCK_REALTIME, &now), "set to the current time");
}

/// The cgroup release_agent of a cgroup v1 hierarchy mounted afresh (the way out through
/// notify_on_release): opened for writing, never written.
static int probe_release_agent(void) {
    const char *paths[] = {"/sys/fs/cgroup/release_agent", "/sys/fs/cgroup/memory/release_agent", NULL};
    const char *existing = first_existing(paths);
    if (existing) return open_for_writing(existing);
    mkdir("/tmp/probe-cgroup", 0700);
    if (mount("cgroup", "/tmp/probe-cgroup", "cgroup", 0, "memory") < 0) return blocked(errno, "mount cgroup v1 memory");
    int result = access("/tmp/probe-cgroup/release_agent", F_OK) == 0 ? open_for_writing("/tmp/probe-cgroup/release_agent")
                                                                        : absent("mounted, no release_agent (cgroup namespace)");
    umount2("/tmp/probe-cgroup", MNT_DETACH);
    return result;
}

/// A limit file of the container's own cgroup (found through /proc/self/cgroup, so it does not
/// matter whether the hierarchy is mounted from its root or from the container's cgroup), opened
/// for writing and never written.
static int probe_cgroup_file(const char *controller, const char *file) {
    FILE *self = fopen("/proc/self/cgroup", "r");
    if (!self) return absent("/proc/self/cgroup");
    char line[512], own[400] = "", unified[400] = "";
    while (fgets(line, sizeof line, self)) {
        line[strcspn(line, "\n")] = 0;
        char *first = strchr(line, ':'), *second = first ? strchr(first + 1, ':') : NULL;
        if (!second) continue;
        *second = 0;
        char *controllers = first + 1;
        if (!*controllers) snprintf(unified, sizeof unified, "%s", second + 1);
        for (char *name = strtok(controllers, ","); name; name = strtok(NULL, ","))
            if (!strcmp(name, controller)) snprintf(own, sizeof own, "%s", second + 1);
    }
    fclose(self);
    char candidates[4][600];
    snprintf(candidates[0], sizeof candidates[0], "/sys/fs/cgroup/%s%s/%s", controller, own, file);
    snprintf(candidates[1], sizeof candidates[1], "/sys/fs/cgroup/%s/%s", controller, file);
    snprintf(candidates[2], sizeof candidates[2], "/sys/fs/cgroup%s/%s.max", unified, controller);
    snprintf(candidates[3], sizeof candidates[3], "/sys/fs/cgroup/%s.max", controller);
    for (int i = 0; i < 4; i++) if (access(candidates[i], F_OK) == 0) return open_for_writing(candidates[i]);
    return absent(candidates[0]);
}

static int probe_connect(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path);
    int r = connect(fd, (struct sockaddr *)&address, sizeof address);
    int code = errno;
    close(fd);
    if (r < 0) return blocked(code, path);
    return allowed(path);
}

static int probe_hostname(void) {
    return outcome(sethostname("berth-probe", 11), "sethostname");
}

/// Watches for up to ARG seconds for another process in the container (a `berth exec` on its
/// way in: the runtime's init before it execs the program) and tries to open its executable for
/// writing (CVE-2019-5736). Busybox (an exec already done) is passed over; so is a process whose
/// exe cannot even be read (reported at the end if nothing else was seen).
static int probe_runtime_exe(const char *arg) {
    time_t deadline = time(NULL) + (atoi(arg) > 0 ? atoi(arg) : 10);
    int unreadable = 0, unreadable_code = 0;
    while (time(NULL) < deadline) {
        DIR *dir = opendir("/proc");
        if (!dir) return absent("/proc");
        for (struct dirent *entry; (entry = readdir(dir));) {
            int pid = atoi(entry->d_name);
            if (pid <= 1 || pid == getpid() || pid == getppid()) continue;
            char path[64], target[256];
            snprintf(path, sizeof path, "/proc/%d/exe", pid);
            ssize_t length = readlink(path, target, sizeof target - 1);
            if (length < 0) {
                if (errno != ENOENT && errno != ESRCH) { unreadable++; unreadable_code = errno; }
                continue;
            }
            target[length] = 0;
            if (!strcmp(target, "/bin/busybox")) continue;
            int fd = open(path, O_WRONLY | O_CLOEXEC);
            int code = errno;
            if (fd >= 0) { close(fd); closedir(dir); return allowed(target); }
            if (code == ENOENT || code == ESRCH) continue;  // gone meanwhile
            char detail[320];
            snprintf(detail, sizeof detail, "exe %s", target);
            closedir(dir);
            return blocked(code, detail);
        }
        closedir(dir);
    }
    if (unreadable) return blocked(unreadable_code, "exe of an exec'd process never readable");
    return absent("no exec seen");
}

static int run(const char *name, const char *arg) {
    if (!strcmp(name, "mount")) return probe_mount();
    if (!strcmp(name, "unshare-user")) return probe_unshare(CLONE_NEWUSER, "unshare(CLONE_NEWUSER)");
    if (!strcmp(name, "unshare-mount")) return probe_unshare(CLONE_NEWNS, "unshare(CLONE_NEWNS)");
    if (!strcmp(name, "kernel-module")) return probe_module();
    if (!strcmp(name, "sysrq-trigger")) return open_for_writing("/proc/sysrq-trigger");
    if (!strcmp(name, "sys-write")) {
        const char *paths[] = {"/sys/kernel/mm/transparent_hugepage/enabled", "/sys/kernel/mm/ksm/run", "/sys/kernel/profiling", NULL};
        const char *path = first_existing(paths);
        return path ? open_for_writing(path) : absent("no known /sys file");
    }
    if (!strcmp(name, "open-by-handle")) return probe_open_by_handle();
    if (!strcmp(name, "mknod-disk")) return probe_mknod_disk(arg);
    if (!strcmp(name, "kcore")) return probe_masked("/proc/kcore");
    if (!strcmp(name, "timer-list")) return probe_masked("/proc/timer_list");
    if (!strcmp(name, "proc-keys")) return probe_masked("/proc/keys");
    if (!strcmp(name, "host-process")) return probe_host_process(arg, 0);
    if (!strcmp(name, "ptrace-host")) return probe_host_process(arg, 1);
    if (!strcmp(name, "keyctl")) return outcome(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0), "keyctl");
    if (!strcmp(name, "bpf")) return probe_bpf();
    if (!strcmp(name, "perf-event")) return probe_perf();
    if (!strcmp(name, "reboot")) return probe_reboot();
    if (!strcmp(name, "clock-settime")) return probe_clock();
    if (!strcmp(name, "release-agent")) return probe_release_agent();
    if (!strcmp(name, "memory-limit")) return probe_cgroup_file("memory", "memory.limit_in_bytes");
    if (!strcmp(name, "pids-limit")) return probe_cgroup_file("pids", "pids.max");
    if (!strcmp(name, "connect")) return probe_connect(arg);
    if (!strcmp(name, "runtime-exe")) return probe_runtime_exe(arg);
    if (!strcmp(name, "hostname")) return probe_hostname();
    if (!strcmp(name, "nice")) return outcome(setpriority(PRIO_PROCESS, 0, -5), "raise its priority (nice -5)");
    if (!strcmp(name, "swapon")) {
        long r = swapon("/berth-probe-no-such-swap", 0);
        if (r < 0 && errno == EPERM) return blocked(EPERM, "swapon");
        return allowed("past the permission check");
    }
    if (!strcmp(name, "syslog")) return outcome(klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0), "syslog size");
    printf("%s unknown\n", name);
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: berth-probe NAME[=ARG] ...\n"); return 2; }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        char name[128];
        snprintf(name, sizeof name, "%s", argv[i]);
        char *arg = strchr(name, '=');
        if (arg) *arg++ = 0;
        current = argv[i];
        fflush(stdout);
        pid_t child = fork();
        if (child == 0) { int r = run(name, arg ? arg : ""); fflush(stdout); _exit(r); }
        int wstatus = 0;
        if (child < 0 || waitpid(child, &wstatus, 0) < 0 || !WIFEXITED(wstatus)) { printf("%s crashed\n", argv[i]); status = 1; }
        else if (WEXITSTATUS(wstatus) != 0) status = WEXITSTATUS(wstatus);
    }
    return status;
}
