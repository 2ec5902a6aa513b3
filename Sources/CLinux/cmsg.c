/*
 * cmsg.c — SCM_RIGHTS send and receive (see berth_cmsg.h).
 *
 * The control buffer is a union with struct cmsghdr so it is aligned as CMSG_* expects, and is
 * sized for the kernel's maximum of 253 descriptors so no allocation is needed.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "berth_cmsg.h"

/* A compile-time copy of BERTH_CMSG_MAX_FDS (a static const is not a constant expression in C). */
#define MAX_FDS 253

union control_buffer {
    struct cmsghdr header;
    char bytes[CMSG_SPACE(sizeof(int) * MAX_FDS)];
};

ssize_t berth_send_fds(int sock, const int *fds, int nfds, const void *data, size_t len) {
    if (fds == NULL || nfds <= 0 || nfds > MAX_FDS || (data == NULL && len > 0)) {
        errno = EINVAL;
        return -1;
    }
    /* Stream sockets drop ancillary data sent without payload, so always send at least a byte. */
    char filler = 0;
    struct iovec iov = {
        .iov_base = len > 0 ? (void *)data : &filler,
        .iov_len = len > 0 ? len : 1,
    };
    union control_buffer control;
    memset(&control, 0, sizeof(control));

    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.bytes;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);

    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)nfds);

    ssize_t sent;
    do {
        /* MSG_NOSIGNAL: a closed peer is an EPIPE error, not a process-killing SIGPIPE. */
        sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (sent == -1 && errno == EINTR);
    return sent;
}

/* Closes every descriptor carried by `msg`: used when the message cannot be accepted whole. */
static void close_all_rights(struct msghdr *msg) {
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL; cmsg = CMSG_NXTHDR(msg, cmsg)) {
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
            close(fd);
        }
    }
}

ssize_t berth_recv_fds(int sock, int *fds, int maxfds, int *nfds, void *buf, size_t len) {
    if (fds == NULL || nfds == NULL || maxfds < 0 || (buf == NULL && len > 0)) {
        errno = EINVAL;
        return -1;
    }
    *nfds = 0;
    if (maxfds > MAX_FDS) maxfds = MAX_FDS;

    struct iovec iov = {.iov_base = buf, .iov_len = len};
    union control_buffer control;
    memset(&control, 0, sizeof(control));

    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    /* Room for exactly maxfds: more descriptors than that set MSG_CTRUNC below. */
    if (maxfds > 0) {
        msg.msg_control = control.bytes;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)maxfds);
    }

    ssize_t received;
    do {
        /* MSG_CMSG_CLOEXEC: received fds must not leak into children spawned meanwhile. */
        received = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (received == -1 && errno == EINTR);
    if (received == -1) return -1;

    /* Count first: CMSG_SPACE rounds up, so the kernel may deliver a few more than maxfds. */
    size_t carried = 0;
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
        carried += (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    }
    if ((msg.msg_flags & MSG_CTRUNC) || carried > (size_t)maxfds) {
        /* The kernel already closed what did not fit; close the rest so nothing leaks. */
        close_all_rights(&msg);
        errno = EMSGSIZE;
        return -1;
    }

    int count = 0;
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
        size_t n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        memcpy(fds + count, CMSG_DATA(cmsg), n * sizeof(int));
        count += (int)n;
    }
    *nfds = count;
    return received;
}
