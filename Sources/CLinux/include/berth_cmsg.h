/*
 * berth_cmsg.h — passing file descriptors over unix sockets with SCM_RIGHTS.
 *
 * The CMSG_* macros cannot be imported into Swift, and building a msghdr in Swift invites
 * pointers that outlive their closures, so the whole sendmsg/recvmsg lives in C.
 */
#ifndef BERTH_CMSG_H
#define BERTH_CMSG_H

#include <stddef.h>
#include <sys/types.h>

/** The kernel's limit on descriptors in one SCM_RIGHTS message (SCM_MAX_FD). */
static const int BERTH_CMSG_MAX_FDS = 253;

/**
 * Sends `len` bytes of `data` with `nfds` descriptors attached (0 < nfds <= BERTH_CMSG_MAX_FDS).
 * When `len` is 0 a single zero byte is sent instead, because a stream socket drops ancillary data
 * that travels without payload. Retries EINTR. Returns the bytes sent, or -1 with errno.
 */
ssize_t berth_send_fds(int sock, const int *fds, int nfds, const void *data, size_t len);

/**
 * Receives up to `len` bytes into `buf` and up to `maxfds` descriptors into `fds`, storing the
 * count in `*nfds`. Received descriptors are close-on-exec (MSG_CMSG_CLOEXEC). Retries EINTR.
 * Returns the bytes received (0 at end of stream), or -1 with errno. If the sender attached more
 * descriptors than fit (MSG_CTRUNC), every received descriptor is closed and errno is EMSGSIZE.
 */
ssize_t berth_recv_fds(int sock, int *fds, int maxfds, int *nfds, void *buf, size_t len);

#endif /* BERTH_CMSG_H */
