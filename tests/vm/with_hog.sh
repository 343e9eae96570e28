#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs COMMAND pinned to one host CPU that a busy loop, pinned there too, keeps busy: COMMAND's
# threads (natively, or a VM's vCPU threads) get about half of that CPU, and a vCPU thread spends
# the other half runnable but not running, which KVM reports to the guest as steal time.
# Exits with COMMAND's status.
#
#   with_hog.sh COMMAND [ARGS...]
#
# Why a busy loop and not SIGSTOP of the VM: KVM's steal time is the vCPU thread's run delay
# (time runnable, waiting for a CPU); a stopped thread is not runnable, so a stop shows up as
# no steal at all (measured: a 1 s SIGSTOP added 0 ms, a pinned busy loop ~500 ms per second).
set -uo pipefail
# The first CPU this script may run on ("0-1" or "0,1" or "1").
cpu="$(taskset -pc $$ | sed 's/.*: //; s/[-,].*//')"
# The loop ends by itself after 5 minutes, should this script be killed before it can end it.
taskset -c "$cpu" timeout 300 sh -c 'while :; do :; done' &
hog=$!
trap 'kill "$hog" 2>/dev/null' EXIT INT TERM
taskset -c "$cpu" "$@"
