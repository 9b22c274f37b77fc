#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# raumd and raumctl's VM verbs on the host (docs/raumd.md): no emulator, no
# /dev/raum. raumd runs with its socket, state and definitions in a temp
# folder; its VM command is tests/raumd/fakevm.sh (RAUMD_RUN_CMD). Prints
# one "ok    raumd/NAME" or "FAIL  raumd/NAME: why" per check and, last,
# "raumd: N passed, N failed". Exit status 1 when a check failed.
#
#   tests/run.sh runs it with the unit tests; alone:
#   tests/raumd/run.sh BUILD_DIR      (needs BUILD_DIR/root/raumd and raumctl)
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
RAUMD=$PWD/$BUILD/root/raumd
RAUMCTL=$PWD/$BUILD/root/raumctl
T=$(mktemp -d /tmp/raumd-test.XXXXXX)
export RAUMD_SOCKET=$T/raumd.sock RAUMD_RUN_CMD=$PWD/tests/raumd/fakevm.sh
# Debian's python3 (a pyenv shim in front of it costs half a second a call)
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
export PY
passed=0 failed=0
ok() { passed=$((passed + 1)); printf 'ok    raumd/%s\n' "$1"; }
bad() { failed=$((failed + 1)); printf 'FAIL  raumd/%s: %s\n' "$1" "$2"; }
# check NAME 'CONDITION': the condition (shell code) is evaluated here; why= says what was seen
check() { if eval "$2"; then ok "$1"; else bad "$1" "${why:-check failed}"; fi; why=; }
why=

raumd_pid=
start_raumd() {
  "$RAUMD" --socket "$T/raumd.sock" --state-dir "$T/state" --conf-dir "$T/conf" 2>>"$T/raumd.log" &
  raumd_pid=$!
  for _ in $(seq 50); do [ -S "$T/raumd.sock" ] && rc list >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
# Every worker of this test (their pids from the state records) and raumd; no process is left behind.
cleanup() {
  [ -n "$raumd_pid" ] && kill -9 "$raumd_pid" 2>/dev/null
  for f in "$T"/state/vm/*.json; do
    [ -f "$f" ] || continue
    for k in worker_pid vm_pid; do
      p=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$f" "$k" 2>/dev/null)
      [ -n "$p" ] && kill -9 "$p" 2>/dev/null
    done
  done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
rc() { timeout 20 "$RAUMCTL" "$@"; }
# json FIELD-EXPRESSION < reply: a Python expression over the reply d
jq_() { $PY -c 'import json,sys; d=json.loads(sys.stdin.read()); print(eval(sys.argv[1]))' "$1"; }
# pyok EXPR < reply: whether the Python expression over the reply d holds
pyok() { $PY -c 'import json,sys; d=json.loads(sys.stdin.read()); sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"; }
state_of() { rc info "$1" --json | jq_ 'd["state"]'; }
# A raw request line to raumd and its reply lines (socat-free: python3)
raw() {
  $PY - "$T/raumd.sock" "$@" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
data = b''.join(a.encode('latin-1') if not a.startswith('@') else open(a[1:], 'rb').read() for a in sys.argv[2:])
out = b''
try:
    s.sendall(data)
    while True:  # until as many reply lines as request arguments, or the end (a reply may come in pieces)
        b = s.recv(65536)
        if not b: break
        out += b
        if out.count(b'\n') >= len(sys.argv) - 2: break
except (socket.timeout, BrokenPipeError, ConnectionResetError):
    pass
sys.stdout.write(out.decode('latin-1'))
PY
}

if [ ! -x "$RAUMD" ] || [ ! -x "$RAUMCTL" ]; then
  bad build "no $RAUMD or $RAUMCTL (make $BUILD/root/raumd $BUILD/root/raumctl)"
  echo "raumd: $passed passed, $failed failed"; exit 1
fi
mkdir -p "$T/img" "$T/cfg"
mkconf() { # NAME CMDLINE [STOP_TIMEOUT]
  echo "fake image $1" > "$T/img/$1.elf"
  printf 'name = %s\nmemory = 32M\nimage = %s\ncmdline = "%s"\nconsole_log = %s\nstop_timeout = %s\n' \
    "$1" "$T/img/$1.elf" "$2" "$T/log/$1.console" "${3:-1}" > "$T/cfg/$1.conf"
}

check daemon/start 'start_raumd'
# A raumctl without raumd: a clear message, status 1
out=$(RAUMD_SOCKET=$T/none.sock rc list 2>&1); st=$?
why="status $st, '$out'"; check client/no-raumd '[ $st -eq 1 ] && [[ "$out" == *"cannot reach raumd at $T/none.sock"*"raumd &"* ]]'

# ---- 8 VMs: create, start, list, console, info ----
names=(vm0 vm1 vm2 vm3 vm4 vm5 vm6 vm7)
for n in "${names[@]}"; do mkconf "$n" "exit=21 greet-$n"; done
all=1; for n in "${names[@]}"; do rc create "$T/cfg/$n.conf" >/dev/null || all=0; done
check create/8 '[ $all = 1 ]'
n_def=$(rc list --json | jq_ 'sum(v["state"]=="defined" for v in d["vms"])')
why="$n_def defined"; check list/defined '[ "$n_def" = 8 ]'
all=1; for n in "${names[@]}"; do rc start "$n" >/dev/null || all=0; done
check start/8 '[ $all = 1 ]'
n_run=$(rc list --json | jq_ 'sum(v["state"]=="running" and v["pid"]>0 for v in d["vms"])')
why="$n_run running"; check list/8-running '[ "$n_run" = 8 ]'
out=$(rc list); why="$out"; check list/table '[[ "$out" == NAME*STATE*MEMORY*VPS*UPTIME* ]] && [ "$(grep -c running <<<"$out")" = 8 ]'
out=$(echo "ping-vm3" | rc console vm3 --timeout 1 2>/dev/null)
why="console printed '$out'"
check console/output '[[ "$out" == *"fakevm: hello from $T/img/vm3.elf mem 32 cmdline '"'"'exit=21 greet-vm3'"'"'"* ]] && [[ "$out" == *"echo: ping-vm3"* ]]'
check console/log 'grep -q "echo: ping-vm3" "$T/log/vm3.console"'
info=$(rc info vm2 --json)
why="$info"; check info/fields 'pyok "d['"'"'ok'"'"'] and d['"'"'state'"'"']=='"'"'running'"'"' and d['"'"'memory_mb'"'"']==32 and d['"'"'vps'"'"']==1 and d['"'"'uptime_s'"'"']>=0 and d['"'"'pid'"'"']>0 and d['"'"'vm_pid'"'"']>0 and d['"'"'image'"'"'].endswith('"'"'vm2.elf'"'"') and d['"'"'console_log'"'"'].endswith('"'"'vm2.console'"'"') and d['"'"'stats'"'"']['"'"'console_bytes'"'"']>0 and d['"'"'config'"'"']['"'"'name'"'"']=='"'"'vm2'"'"'" <<<"$info"'

# ---- invalid transitions ----
out=$(rc start vm0 2>&1); st=$?
why="status $st, '$out'"; check refuse/start-running '[ $st -eq 1 ] && [[ "$out" == "raumctl: VM vm0 is running: it runs already"* ]]'
out=$(rc remove vm0 2>&1); st=$?
why="status $st, '$out'"; check refuse/remove-running '[ $st -eq 1 ] && [[ "$out" == "raumctl: VM vm0 is running: stop or destroy it first"* ]]'
out=$(rc create "$T/cfg/vm0.conf" 2>&1); st=$?
why="status $st, '$out'"; check refuse/create-duplicate '[ $st -eq 1 ] && [[ "$out" == *"a VM named vm0 exists: remove it first"* ]]'
out=$(rc start nosuch 2>&1); st=$?
why="status $st, '$out'"; check refuse/no-such-vm '[ $st -eq 1 ] && [[ "$out" == *"no VM named nosuch"* ]]'

# ---- stop (forced after stop_timeout = 1 s: the fake VM ignores SIGTERM), destroy, guest exit ----
t0=$SECONDS; out=$(rc stop vm0 2>&1); st=$?; dt=$((SECONDS - t0))
why="status $st in ${dt}s, '$out'"; check stop/timeout '[ $st -eq 0 ] && [ $dt -le 4 ] && [ "$(state_of vm0)" = stopped ]'
out=$(rc stop vm0 2>&1); st=$?
why="status $st, '$out'"; check refuse/stop-stopped '[ $st -eq 1 ] && [[ "$out" == *"VM vm0 is stopped: it does not run"* ]]'
t0=$SECONDS; rc destroy vm1 >/dev/null; st=$?; dt=$((SECONDS - t0))
why="status $st in ${dt}s, state $(state_of vm1)"; check destroy '[ $st -eq 0 ] && [ $dt -le 2 ] && [ "$(state_of vm1)" = stopped ]'
printf 'q\n' | rc console vm2 --timeout 2 >/dev/null 2>&1
sleep 0.5
r=$(rc info vm2 --json)
why="$r"; check stop/guest-exit '[ "$(jq_ "d[\"state\"], d[\"exit_status\"]" <<<"$r")" = "('"'"'stopped'"'"', 43)" ]'
why="$r"; check stop/final-stats 'pyok "d[\"stats\"][\"console_bytes\"] > 0" <<<"$r"'
out=$(rc remove vm1 2>&1); st=$?
why="status $st, '$out'"; check remove '[ $st -eq 0 ] && [ ! -e "$T/conf/vm1.conf" ] && ! rc info vm1 >/dev/null 2>&1'
rc start vm0 >/dev/null; why="state $(state_of vm0)"; check restart-stopped '[ "$(state_of vm0)" = running ]'

# ---- a worker killed with -9: only its VM fails ----
# gone: no process, or a zombie its new parent has not reaped yet (PDEATHSIG killed it)
gone() { [ ! -e "/proc/$1" ] || [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]; }
wp=$(rc info vm4 --json | jq_ 'd["pid"]'); vp=$(rc info vm4 --json | jq_ 'd["vm_pid"]')
kill -9 "$wp"; sleep 1
r=$(rc info vm4 --json)
why="$r"; check worker-kill/failed 'pyok "d[\"state\"]==\"failed\" and \"killed by signal 9\" in d[\"reason\"]" <<<"$r"'
why="VM process $vp still alive"; check worker-kill/vm-process-gone 'gone "$vp"'
n_run=$(rc list --json | jq_ 'sum(v["state"]=="running" for v in d["vms"])')
why="$n_run running, expected 5 (vm0 vm3 vm5 vm6 vm7)"; check worker-kill/others-run '[ "$n_run" = 5 ]'

# ---- the VM process crashing (status 4): failed ----
mkconf crashy "crash"; rc create "$T/cfg/crashy.conf" >/dev/null; rc start crashy >/dev/null; sleep 0.5
r=$(rc info crashy --json)
why="$r"; check vm-crash/failed 'pyok "d[\"state\"]==\"failed\" and \"crashed\" in d[\"reason\"]" <<<"$r"'

# ---- kill -9 raumd: VMs keep running, a new raumd finds them ----
before=$(rc list --json | jq_ 'sorted((v["name"],v["state"]) for v in d["vms"])')
kill -9 "$raumd_pid"; wait "$raumd_pid" 2>/dev/null; raumd_pid=
alive=1; for f in "$T"/state/vm/*.json; do kill -0 "$(jq_ 'd["worker_pid"]' < "$f")" 2>/dev/null || alive=0; done
check raumd-kill/workers-live '[ $alive = 1 ]'
echo "after raumd died" | true
check raumd-kill/restart 'start_raumd'
after=$(rc list --json | jq_ 'sorted((v["name"],v["state"]) for v in d["vms"])')
why="before $before, after $after"; check raumd-kill/same-states '[ "$before" = "$after" ]'
out=$(echo "again" | rc console vm5 --timeout 1 2>/dev/null)
why="'$out'"; check raumd-kill/console '[[ "$out" == *"echo: again"* ]]'
up=$(rc info vm5 --json | jq_ 'd["uptime_s"] >= 1')
why="uptime not kept"; check raumd-kill/uptime '[ "$up" = True ]'
all=1; for n in vm0 vm3 vm5 vm6 vm7; do rc destroy "$n" >/dev/null || all=0; done
n_run=$(rc list --json | jq_ 'sum(v["state"] in ("running","stopping") for v in d["vms"])')
why="destroy failed or $n_run still run"; check raumd-kill/destroy-adopted '[ $all = 1 ] && [ "$n_run" = 0 ]'

# ---- bad configs: file, line, field; nothing created ----
before=$(rc list --json | jq_ 'len(d["vms"])')
badcfg() { # NAME EXPECTED-TEXT LINES...
  local name=$1 want=$2; shift 2
  printf '%s\n' "$@" > "$T/cfg/$name.conf"
  out=$(rc create "$T/cfg/$name.conf" 2>&1); st=$?
  why="status $st, '$out'"; check "bad-config/$name" '[ $st -eq 1 ] && [[ "$out" == "raumctl: $T/cfg/$name.conf$want"* ]]'
}
badcfg unknown-key ':3: "memroy" is not a key' 'name = b1' "image = $T/img/vm0.elf" 'memroy = 64'
badcfg bad-value ':2: memory: "lots" is not a size' 'name = b2' 'memory = lots' "image = $T/img/vm0.elf"
badcfg missing-image ":2: image: \"$T/img/nope.elf\" cannot stat" 'name = b3' "image = $T/img/nope.elf"
badcfg too-much-memory ':3: memory: "4096M" is out of range' 'name = b4' "image = $T/img/vm0.elf" 'memory = 4096M'
after=$(rc list --json | jq_ 'len(d["vms"])')
why="$before VMs before, $after after"; check bad-config/nothing-created '[ "$before" = "$after" ] && [ ! -e "$T/conf/b1.conf" ]'

# ---- hostile requests on the socket: error replies, raumd keeps serving ----
r=$(raw $'{"cmd":\n'); why="$r"; check proto/invalid-json '[[ "$r" == *'\''"ok":false'\''*"not valid JSON"* ]]'
r=$(raw $'{"cmd":"start","name":7}\n'); why="$r"; check proto/wrong-type '[[ "$r" == *'\''"ok":false'\''*'\''field \"name\" must be a string'\''* ]]'
r=$(raw $'{"cmd":"list","x":1}\n'); why="$r"; check proto/extra-field '[[ "$r" == *'\''"ok":false'\''*'\''unexpected field'\''* ]]'
r=$(raw $'{"cmd":"reboot"}\n'); why="$r"; check proto/unknown-cmd '[[ "$r" == *'\''"ok":false'\''*'\''unknown cmd'\''* ]]'
r=$(raw $'[1,2]\n'); why="$r"; check proto/not-object '[[ "$r" == *'\''"ok":false'\''*'\''must be a JSON object'\''* ]]'
$PY -c 'import sys; sys.stdout.write("{\"cmd\":\"" + "A"*70000 + "\"}\n")' > "$T/big"
r=$(raw "@$T/big"); why="${r:0:200}"; check proto/oversized '[[ "$r" == *'\''request too long (limit 65536 bytes)'\''* ]]'
head -c 3000 /dev/urandom > "$T/rand"; printf '\n' >> "$T/rand"
r=$(raw "@$T/rand"); why="${r:0:200}"; check proto/random-bytes '[[ "$r" == *'\''"ok":false'\''* ]]'
r=$(raw $'x\n' $'y\n' $'z\n' $'x\n' $'y\n' $'z\n' $'x\n' $'y\n' $'{"cmd":"ping"}\n')
why="$(grep -c . <<<"$r") replies"; check proto/malformed-limit '[[ "$r" == *"malformed requests in a row: closing"* ]] && [[ "$r" != *pong* ]]'
r=$(raw $'{"cmd":"ping"}\n'); why="$r"; check proto/still-serving '[[ "$r" == *'\''"pong":true'\''* ]]'

# ---- two clients at once: one holds a half-written line, the other is served ----
$PY - "$T/raumd.sock" > "$T/half.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
s.sendall(b'{"cmd":"li'); time.sleep(1.5); s.sendall(b'st"}\n')
print(s.recv(65536).decode())
PY
half=$!
sleep 0.3
t0=$SECONDS; r=$(raw $'{"cmd":"ping"}\n'); dt=$((SECONDS - t0))
why="$r in ${dt}s"; check clients/half-line-not-blocking '[[ "$r" == *pong* ]] && [ $dt -le 1 ]'
wait $half
why="$(cat "$T/half.out")"; check clients/half-line-served 'grep -q '\''"vms"'\'' "$T/half.out"'
loops=()
for i in 1 2; do ( for _ in $(seq 20); do rc list --json | jq_ 'd["ok"]'; done > "$T/loop$i" ) & loops+=($!); done
wait "${loops[@]}"
n=$(cat "$T/loop1" "$T/loop2" | grep -c True)
why="$n of 40 lists answered"; check clients/parallel-lists '[ "$n" = 40 ]'

kill "$raumd_pid" 2>/dev/null; wait "$raumd_pid" 2>/dev/null; raumd_pid=
echo "raumd: $passed passed, $failed failed"
[ $failed -eq 0 ]
