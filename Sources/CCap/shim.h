/*
 * shim.h — the libcap API (<sys/capability.h>) for Swift.
 */
#ifndef BERTH_CCAP_SHIM_H
#define BERTH_CCAP_SHIM_H

#include <sys/capability.h>
#include <sys/types.h>

/* glibc's exact prototypes (<unistd.h> under _GNU_SOURCE), redeclared because Swift's Glibc
 * module is built without it. A container init sets all three ids at once, so that no saved id
 * can take root back after it becomes the container's user. */
extern int setresuid(uid_t ruid, uid_t euid, uid_t suid);
extern int setresgid(gid_t rgid, gid_t egid, gid_t sgid);

#endif /* BERTH_CCAP_SHIM_H */
