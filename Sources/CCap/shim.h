/*
 * shim.h — the libcap API (<sys/capability.h>) for Swift.
 */
#ifndef BERTH_CCAP_SHIM_H
#define BERTH_CCAP_SHIM_H

#include <sys/capability.h>

#endif /* BERTH_CCAP_SHIM_H */
