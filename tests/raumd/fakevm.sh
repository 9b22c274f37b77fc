#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A fake VM command for tests/raumd/run.sh (RAUMD_RUN_CMD): it takes
# `raumctl run`'s arguments (run IMAGE --mem N [--cmdline T] ...), prints a
# greeting naming them, echoes its stdin to stdout, and exits with
# (N << 1) | 1 when its cmdline holds exit=N: on the input line "q", or after
# wait=S seconds (default: never), or at the end of its input. It ignores SIGTERM (no shutdown channel,
# as raumctl run), and uses shell builtins only (read -t), so that a kill
# leaves no process behind. crash in the cmdline: exit 4 at once.
trap '' TERM
[ "${1:-}" = run ] && shift
image=${1:-}; shift || true
mem=? cmdline=
while [ $# -gt 0 ]; do
  case "$1" in
    --mem) mem=$2; shift 2 ;;
    --cmdline) cmdline=$2; shift 2 ;;
    *) shift ;;
  esac
done
[ -f "$image" ] || { echo "fakevm: no image $image"; exit 1; }
code= wait=
for w in $cmdline; do
  case "$w" in
    exit=*) code=${w#exit=} ;;
    wait=*) wait=${w#wait=} ;;
    crash) echo "fakevm: crashing"; exit 4 ;;
  esac
done
echo "fakevm: hello from $image mem $mem cmdline '$cmdline'"
leave() { [ -n "$code" ] && exit $(( (code << 1) | 1 )); exit 0; }
start=$SECONDS
while :; do
  t=3600
  if [ -n "$wait" ]; then
    t=$(( wait - (SECONDS - start) ))
    [ "$t" -le 0 ] && leave
  fi
  if IFS= read -r -t "$t" line; then
    echo "echo: $line"
    [ "$line" = q ] && leave
  elif [ $? -le 128 ]; then
    leave   # end of input (the worker never closes it: only when run by hand)
  fi
done
