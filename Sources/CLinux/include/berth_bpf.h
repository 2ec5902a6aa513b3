/*
 * berth_bpf.h — the bpf(2) system call, which glibc does not wrap, plus the handful of commands
 * the cgroup v2 device controller needs (load a BPF_PROG_TYPE_CGROUP_DEVICE program, attach it to
 * a cgroup directory, list and detach what is attached there).
 *
 * `union bpf_attr` is built in bpf.c from <linux/bpf.h>, so its layout is checked by the compiler
 * rather than re-typed as offsets in Swift. Every function returns -1 and leaves errno set on
 * failure, like the call it wraps.
 */
#ifndef BERTH_BPF_H
#define BERTH_BPF_H

/* uapi values from <linux/bpf.h>, which is not part of Swift's Glibc module. */
static const unsigned int BERTH_BPF_PROG_TYPE_CGROUP_DEVICE = 15;
static const unsigned int BERTH_BPF_CGROUP_DEVICE = 6;
static const unsigned int BERTH_BPF_F_ALLOW_OVERRIDE = 1U << 0;
static const unsigned int BERTH_BPF_F_ALLOW_MULTI = 1U << 1;
static const unsigned int BERTH_BPF_F_REPLACE = 1U << 2;

/** bpf(2) as is: `attr` points to a `union bpf_attr` of `size` bytes. */
int berth_bpf(int cmd, void *attr, unsigned int size);

/**
 * BPF_PROG_LOAD: loads `insn_cnt` 8-byte instructions of program type `type` under `license`.
 * When `log_buf` is non-NULL the verifier writes its log there (log level 1). Returns the new
 * program fd (close-on-exec).
 */
int berth_bpf_prog_load(unsigned int type, const void *insns, unsigned int insn_cnt,
                        const char *license, char *log_buf, unsigned int log_size);

/** BPF_PROG_ATTACH: attaches `prog_fd` to `target_fd` (a cgroup directory) with `flags`. */
int berth_bpf_prog_attach(int target_fd, int prog_fd, unsigned int attach_type, unsigned int flags);

/** BPF_PROG_DETACH: detaches `prog_fd` from `target_fd`. */
int berth_bpf_prog_detach(int target_fd, int prog_fd, unsigned int attach_type);

/**
 * BPF_PROG_QUERY: stores up to `*count` attached program ids in `ids` and the number attached in
 * `*count` (ENOSPC when `ids` was too small; `*count` then says how many there are).
 */
int berth_bpf_prog_query(int target_fd, unsigned int attach_type, unsigned int *ids,
                         unsigned int *count);

/** BPF_PROG_GET_FD_BY_ID: a new fd (close-on-exec) for the loaded program with id `id`. */
int berth_bpf_prog_get_fd_by_id(unsigned int id);

#endif /* BERTH_BPF_H */
