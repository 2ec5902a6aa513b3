/*
 * berth_constants.h — kernel constants that Swift's Glibc module hides.
 *
 * Glibc declares these only under _GNU_SOURCE (or in linux uapi headers that are not part of
 * Swift's Glibc module), so Swift cannot see them. Each one is declared here as a `static const`
 * behind an `#ifndef` guard:
 *   - in Swift (module context) the glibc macro is absent, so the constant below is what Swift
 *     imports, as a typed `let`;
 *   - in CLinux's own .c files, which define _GNU_SOURCE and include the system headers first,
 *     the macro exists and the guard skips the declaration, so nothing clashes.
 * Only constants that Glibc does NOT already give Swift belong here (MS_*, MNT_DETACH, SCM_RIGHTS,
 * MSG_CMSG_CLOEXEC, TIOCSCTTY and F_DUPFD_CLOEXEC are visible already; redeclaring them would make
 * Swift report them as ambiguous). Values are the kernel's uapi values, identical on every arch.
 */
#ifndef BERTH_CONSTANTS_H
#define BERTH_CONSTANTS_H

/* --- Namespaces: unshare(2), setns(2), clone(2) flags (<linux/sched.h>). --- */
#ifndef CLONE_NEWNS
static const int CLONE_NEWNS = 0x00020000;
#endif
#ifndef CLONE_NEWCGROUP
static const int CLONE_NEWCGROUP = 0x02000000;
#endif
#ifndef CLONE_NEWUTS
static const int CLONE_NEWUTS = 0x04000000;
#endif
#ifndef CLONE_NEWIPC
static const int CLONE_NEWIPC = 0x08000000;
#endif
#ifndef CLONE_NEWUSER
static const int CLONE_NEWUSER = 0x10000000;
#endif
#ifndef CLONE_NEWPID
static const int CLONE_NEWPID = 0x20000000;
#endif
#ifndef CLONE_NEWNET
static const int CLONE_NEWNET = 0x40000000;
#endif
#ifndef CLONE_NEWTIME
static const int CLONE_NEWTIME = 0x00000080;
#endif
#ifndef CLONE_FILES
static const int CLONE_FILES = 0x00000400;
#endif
#ifndef CLONE_FS
static const int CLONE_FS = 0x00000200;
#endif

/* --- close_range(2) flags (<linux/close_range.h>). --- */
#ifndef CLOSE_RANGE_UNSHARE
static const unsigned int CLOSE_RANGE_UNSHARE = 1U << 1;
#endif
#ifndef CLOSE_RANGE_CLOEXEC
static const unsigned int CLOSE_RANGE_CLOEXEC = 1U << 2;
#endif

/* --- prctl(2) options (<linux/prctl.h>). --- */
#ifndef PR_SET_PDEATHSIG
static const int PR_SET_PDEATHSIG = 1;
#endif
#ifndef PR_GET_PDEATHSIG
static const int PR_GET_PDEATHSIG = 2;
#endif
#ifndef PR_GET_DUMPABLE
static const int PR_GET_DUMPABLE = 3;
#endif
#ifndef PR_SET_DUMPABLE
static const int PR_SET_DUMPABLE = 4;
#endif
#ifndef PR_GET_KEEPCAPS
static const int PR_GET_KEEPCAPS = 7;
#endif
#ifndef PR_SET_KEEPCAPS
static const int PR_SET_KEEPCAPS = 8;
#endif
#ifndef PR_SET_NAME
static const int PR_SET_NAME = 15;
#endif
#ifndef PR_GET_NAME
static const int PR_GET_NAME = 16;
#endif
#ifndef PR_CAPBSET_READ
static const int PR_CAPBSET_READ = 23;
#endif
#ifndef PR_CAPBSET_DROP
static const int PR_CAPBSET_DROP = 24;
#endif
#ifndef PR_SET_CHILD_SUBREAPER
static const int PR_SET_CHILD_SUBREAPER = 36;
#endif
#ifndef PR_GET_CHILD_SUBREAPER
static const int PR_GET_CHILD_SUBREAPER = 37;
#endif
#ifndef PR_SET_NO_NEW_PRIVS
static const int PR_SET_NO_NEW_PRIVS = 38;
#endif
#ifndef PR_GET_NO_NEW_PRIVS
static const int PR_GET_NO_NEW_PRIVS = 39;
#endif
#ifndef PR_CAP_AMBIENT
static const int PR_CAP_AMBIENT = 47;
#endif
#ifndef PR_CAP_AMBIENT_IS_SET
static const int PR_CAP_AMBIENT_IS_SET = 1;
#endif
#ifndef PR_CAP_AMBIENT_RAISE
static const int PR_CAP_AMBIENT_RAISE = 2;
#endif
#ifndef PR_CAP_AMBIENT_LOWER
static const int PR_CAP_AMBIENT_LOWER = 3;
#endif
#ifndef PR_CAP_AMBIENT_CLEAR_ALL
static const int PR_CAP_AMBIENT_CLEAR_ALL = 4;
#endif

/* --- memfd_create(2) flags (<linux/memfd.h>). --- */
#ifndef MFD_CLOEXEC
static const unsigned int MFD_CLOEXEC = 0x0001U;
#endif
#ifndef MFD_ALLOW_SEALING
static const unsigned int MFD_ALLOW_SEALING = 0x0002U;
#endif

/* --- pidfd_open(2) flags: PIDFD_NONBLOCK is O_NONBLOCK (<linux/pidfd.h>). --- */
#ifndef PIDFD_NONBLOCK
static const unsigned int PIDFD_NONBLOCK = 04000U;
#endif

/* --- open(2) flags glibc declares only under _GNU_SOURCE (x86_64/aarch64 values). --- */
#ifndef O_PATH
static const int O_PATH = 010000000;
#endif

#endif /* BERTH_CONSTANTS_H */
