/*
 * shim.h — libsystemd's sd-daemon API (sd_notify, sd_listen_fds) for Swift. Both degrade
 * gracefully without systemd: they read NOTIFY_SOCKET / LISTEN_FDS from the environment.
 */
#ifndef BERTH_CSYSTEMD_SHIM_H
#define BERTH_CSYSTEMD_SHIM_H

#include <systemd/sd-daemon.h>

#endif /* BERTH_CSYSTEMD_SHIM_H */
