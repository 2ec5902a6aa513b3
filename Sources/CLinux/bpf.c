/*
 * bpf.c — the bpf(2) commands berth uses (see berth_bpf.h). Raw syscall(2) because glibc has no
 * bpf wrapper; attributes are zeroed first, as the kernel rejects non-zero unused fields.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "berth_bpf.h"

int berth_bpf(int cmd, void *attr, unsigned int size) {
    return (int)syscall(SYS_bpf, cmd, attr, size);
}

int berth_bpf_prog_load(unsigned int type, const void *insns, unsigned int insn_cnt,
                        const char *license, char *log_buf, unsigned int log_size) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = type;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = insn_cnt;
    attr.license = (uint64_t)(uintptr_t)license;
    if (log_buf != NULL && log_size > 0) {
        log_buf[0] = '\0';
        attr.log_buf = (uint64_t)(uintptr_t)log_buf;
        attr.log_size = log_size;
        attr.log_level = 1;
    }
    return berth_bpf(BPF_PROG_LOAD, &attr, sizeof(attr));
}

int berth_bpf_prog_attach(int target_fd, int prog_fd, unsigned int attach_type, unsigned int flags) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)target_fd;
    attr.attach_bpf_fd = (uint32_t)prog_fd;
    attr.attach_type = attach_type;
    attr.attach_flags = flags;
    return berth_bpf(BPF_PROG_ATTACH, &attr, sizeof(attr));
}

int berth_bpf_prog_detach(int target_fd, int prog_fd, unsigned int attach_type) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)target_fd;
    attr.attach_bpf_fd = (uint32_t)prog_fd;
    attr.attach_type = attach_type;
    return berth_bpf(BPF_PROG_DETACH, &attr, sizeof(attr));
}

int berth_bpf_prog_query(int target_fd, unsigned int attach_type, unsigned int *ids,
                         unsigned int *count) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = (uint32_t)target_fd;
    attr.query.attach_type = attach_type;
    attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
    attr.query.prog_cnt = *count;
    int rc = berth_bpf(BPF_PROG_QUERY, &attr, sizeof(attr));
    if (rc == 0 || errno == ENOSPC) {
        *count = attr.query.prog_cnt;
    }
    return rc;
}

int berth_bpf_prog_get_fd_by_id(unsigned int id) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_id = id;
    return berth_bpf(BPF_PROG_GET_FD_BY_ID, &attr, sizeof(attr));
}
