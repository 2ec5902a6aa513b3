/*
 * shim.h — the libseccomp API for Swift, plus inline helpers for what Swift cannot import:
 * SCMP_ACT_ERRNO/SCMP_ACT_TRACE are function-like macros, and memfd_create is declared by glibc
 * only under _GNU_SOURCE.
 */
#ifndef BERTH_CSECCOMP_SHIM_H
#define BERTH_CSECCOMP_SHIM_H

#include <stdint.h>
#include <seccomp.h>

/** SCMP_ACT_ERRNO(err): fail the system call with errno `err`. */
static inline uint32_t berth_scmp_act_errno(uint16_t err) { return SCMP_ACT_ERRNO(err); }

/** SCMP_ACT_TRACE(msg): notify a ptrace tracer with `msg`. */
static inline uint32_t berth_scmp_act_trace(uint16_t msg) { return SCMP_ACT_TRACE(msg); }

/* glibc's exact prototype (<sys/mman.h> under _GNU_SOURCE), redeclared because Swift's Glibc
 * module is built without it. Used only through berth_seccomp_memfd below. */
extern int memfd_create(const char *name, unsigned int flags);

/** A close-on-exec memfd to receive seccomp_export_bpf output (MFD_CLOEXEC is 1). */
static inline int berth_seccomp_memfd(void) { return memfd_create("berth-seccomp-bpf", 1U); }

/* The seccomp(2) system call, which glibc does not wrap (and `syscall` is variadic, so Swift
 * cannot call it). <sys/syscall.h> and <unistd.h> belong to glibc; <linux/filter.h> is left out
 * on purpose so that no other module's copy of `struct sock_fprog` can clash with this one. */
#include <sys/syscall.h>
#include <unistd.h>

/** `struct sock_fprog` of <linux/filter.h>: an instruction count and the 8-byte instructions. */
struct berth_sock_fprog {
    unsigned short len;
    const void *filter;
};

/**
 * seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog) for `count` classic BPF instructions (8 bytes
 * each) at `instructions`. Returns 0, or -1 with errno (EACCES: neither no_new_privs nor
 * CAP_SYS_ADMIN; EINVAL: a bad program or flag).
 */
static inline int berth_seccomp_set_mode_filter(unsigned int flags, const void *instructions, unsigned short count) {
    struct berth_sock_fprog prog = { count, instructions };
    return (int)syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, flags, &prog);
}

#endif /* BERTH_CSECCOMP_SHIM_H */
