/*
 * CLinux.h — umbrella header of the CLinux module: the little C that berth needs because Swift
 * cannot do it safely (hidden syscalls and constants, variadic prctl, CMSG, fork/exec).
 * Imported by the Sys module only; everything else goes through Sys.
 */
#ifndef CLINUX_H
#define CLINUX_H

#include "berth_constants.h"
#include "berth_syscalls.h"
#include "berth_cmsg.h"
#include "berth_spawn.h"
#include "berth_bpf.h"
#include "berth_resolve.h"
#include "berth_malloc.h"

#endif /* CLINUX_H */
