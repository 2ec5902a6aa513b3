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

#endif /* BERTH_CSECCOMP_SHIM_H */
