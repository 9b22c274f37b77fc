#!/bin/sh
# SPDX-License-Identifier: MIT
# /init of the test initramfs: loads raum.ko, runs raumctl, with more than one CPU
# the SMP checks (cpuidcheck, tools/linux/cpuidcheck.c), powers off. With raum_bench=N on the
# kernel command line it prints make bench's figures instead of the SMP checks (tools/bench-smp.sh).
# The boot tests look for the RAUM-ROOT: lines.
mount -t proc proc /proc
UPTIME_AT_INIT=$(cut -d' ' -f1 /proc/uptime)
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
echo "RAUM-ROOT: /init reached"
echo "RAUM-ROOT: kernel $(uname -r), cmdline: $(cat /proc/cmdline)"

# --- make bench (tools/bench-smp.sh): figures, no checks --------------------------------------
# raum_bench=N on the command line: the guest's uptime at /init; instead of the SMP checks, on
# each online CPU (taskset -c) N CPUIDs timed by cpuidcheck (ns per CPUID), then each AP offline
# and online again; at the end the function trace of the CPUs' bring-up (the kernel command line starts it: ftrace=function
# ftrace_filter=... trace_clock=x86-tsc; the bench pairs each AP's first traced function with the
# start-up IPI before it). raum_bench_idle=S, with raum.ko loaded: every VP's exit counters
# (raumctl stats --json) and the uptime before and after S seconds of sleep, from CPU 0.
BENCH_LOOPS=$(sed -n 's/.*raum_bench=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
BENCH_IDLE=$(sed -n 's/.*raum_bench_idle=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
[ -n "$BENCH_LOOPS" ] && echo "RAUM-ROOT: bench uptime at /init $UPTIME_AT_INIT"
bench_cpuid() {
  local c
  for c in $(cpulist "$(cat /sys/devices/system/cpu/online)"); do
    taskset -c "$c" cpuidcheck time "$c" "$BENCH_LOOPS" || echo "RAUM-ROOT: bench cpu$c: cpuidcheck time failed"
  done
}
# every AP but cpu0 offline and online again, from CPU 0: a second INIT / SIPI per AP, into code
# the emulator has run before (the trace's second pairing)
bench_online() {
  local c d=/sys/devices/system/cpu
  taskset -pc 0 $$ >/dev/null
  for c in $(cpulist "$(cat $d/online)"); do
    [ "$c" = 0 ] || [ ! -w $d/cpu$c/online ] && continue
    { echo 0 > $d/cpu$c/online && echo 1 > $d/cpu$c/online; } || echo "RAUM-ROOT: bench cpu$c: offline/online failed"
  done
  echo "RAUM-ROOT: bench offline/online done, online $(cat $d/online)"
}
bench_idle() {
  # this shell and all it starts on CPU 0: the exits of raumctl's and sleep's own start (CPUIDs of
  # the C library's start-up, the hypercalls) land on VP 0, the other VPs only idle
  taskset -pc 0 $$ >/dev/null
  echo "RAUM-ROOT: bench idle start, uptime $(cut -d' ' -f1 /proc/uptime)"
  raumctl stats --json
  sleep "$BENCH_IDLE"
  echo "RAUM-ROOT: bench idle end, uptime $(cut -d' ' -f1 /proc/uptime)"
  raumctl stats --json
  echo "RAUM-ROOT: bench idle done"
}
bench_trace() {
  local t=/sys/kernel/tracing
  mount -t tracefs tracefs $t 2>/dev/null
  echo 0 > $t/tracing_on
  echo "RAUM-ROOT: bench trace clock $(cat $t/trace_clock), tracer $(cat $t/current_tracer)"
  grep -E ': [a-z_0-9.]+ <-' $t/trace | sed 's/^ */RAUM-ROOT: bench trace /'
  echo "RAUM-ROOT: bench trace end"
}

# --- SMP checks (issue 10: every CPU runs under Raum, root VP n = CPU n) ---------------------
# Run when Linux has more than one CPU, with or without raum.ko (the CPUID checks need no module):
#   - every possible CPU is online;
#   - on each online CPU N (taskset -c N): Raum's CPUID leaf, and no VMX / SVM (cpuidcheck);
#   - VP N's cpuid exit counter (raumctl stats N --json, itself run on CPU N: a hypercall from
#     there) rises by at least SMP_LOOPS over a loop of SMP_LOOPS CPUIDs pinned to CPU N;
#   - the highest CPU offline and online twice (the root starts it again with INIT / SIPI), then
#     its CPUID and counter checks again.
# One 'RAUM-ROOT: smp ...' line per check; each failure is 'RAUM-ROOT: smp check FAILED: <what>',
# and the block ends with 'RAUM-ROOT: smp checks passed' or 'RAUM-ROOT: smp checks FAILED (<n>)'.
# raum_smp_loops=N on the command line changes the loop (default 20000).
SYS_CPU=/sys/devices/system/cpu
SMP_LOOPS=$(sed -n 's/.*raum_smp_loops=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
SMP_LOOPS=${SMP_LOOPS:-20000}
smp_failed=0
smp_fail() { echo "RAUM-ROOT: smp check FAILED: $*"; smp_failed=$((smp_failed + 1)); }
# a kernel CPU list ("0-3,5") one number a line
cpulist() { echo "$1" | tr ',' '\n' | while IFS=- read -r a b; do [ -n "$a" ] && seq "$a" "${b:-$a}"; done; }
# smp_leaf CPU [SUFFIX]: Raum's CPUID leaf and no VMX / SVM, on CPU
smp_leaf() {
  taskset -c "$1" cpuidcheck leaf "$1"
  case $? in
    0) echo "RAUM-ROOT: smp cpu$1 cpuid leaf ok$2" ;;
    1) smp_fail "cpu$1 has no Raum CPUID leaf$2" ;;
    3) smp_fail "cpu$1 sees VMX or SVM under Raum$2" ;;
    4) smp_fail "cpu$1: cpuidcheck did not run on CPU $1$2" ;;
    *) smp_fail "cpu$1: taskset -c $1 cpuidcheck leaf failed$2" ;;
  esac
}
# VP CPU's cpuid exit counter, read by a hypercall made on CPU
smp_vp_cpuid() { taskset -c "$1" raumctl stats "$1" --json | sed -n 's/.*"cpuid":\([0-9][0-9]*\).*/\1/p'; }
# smp_counter CPU [SUFFIX]: SMP_LOOPS CPUIDs on CPU raise VP CPU's cpuid counter by at least as many
smp_counter() {
  local a b
  if [ "$module" != loaded ]; then
    smp_fail "cpu$1 vp counter: raum.ko is not loaded$2"; return
  fi
  a=$(smp_vp_cpuid "$1")
  taskset -c "$1" cpuidcheck loop "$1" "$SMP_LOOPS" || { smp_fail "cpu$1: the CPUID loop did not run on CPU $1$2"; return; }
  b=$(smp_vp_cpuid "$1")
  if [ -z "$a" ] || [ -z "$b" ]; then
    smp_fail "cpu$1: taskset -c $1 raumctl stats $1 --json gave no cpuid counter ('$a' '$b')$2"
  elif [ $((b - a)) -ge "$SMP_LOOPS" ]; then
    echo "RAUM-ROOT: smp cpu$1 vp counter +$((b - a)) ok$2 (VP $1 cpuid $a -> $b over $SMP_LOOPS CPUIDs)"
  else
    smp_fail "cpu$1 vp counter +$((b - a)), not at least $SMP_LOOPS (VP $1 cpuid $a -> $b)$2"
  fi
}
# smp_cycle CPU ROUND: CPU offline, then online again
smp_cycle() {
  local st
  if ! echo 0 > "$SYS_CPU/cpu$1/online"; then
    smp_fail "cpu$1 did not go offline in round $2 (write refused)"; return 1
  fi
  st=$(cat "$SYS_CPU/cpu$1/online")
  if [ "$st" != 0 ] || cpulist "$(cat $SYS_CPU/online)" | grep -qx "$1"; then
    smp_fail "cpu$1 still online after offline in round $2 (online $(cat $SYS_CPU/online))"; return 1
  fi
  echo "RAUM-ROOT: smp cpu$1 offline (online $(cat $SYS_CPU/online))"
  if ! echo 1 > "$SYS_CPU/cpu$1/online"; then
    smp_fail "cpu$1 did not come back online in round $2 (write refused: see the kernel and raum: lines above)"; return 1
  fi
  st=$(cat "$SYS_CPU/cpu$1/online")
  if [ "$st" != 1 ] || ! cpulist "$(cat $SYS_CPU/online)" | grep -qx "$1"; then
    smp_fail "cpu$1 not online after online in round $2 (online $(cat $SYS_CPU/online))"; return 1
  fi
  echo "RAUM-ROOT: smp offline/online cpu$1 round $2 ok (online $(cat $SYS_CPU/online))"
}
smp_checks() {
  local online possible cpus last n
  online=$(cat $SYS_CPU/online) possible=$(cat $SYS_CPU/possible)
  cpus=$(cpulist "$online")
  n=$(echo "$cpus" | wc -l)
  if [ "$n" -le 1 ] && [ "$(cpulist "$possible" | wc -l)" -le 1 ]; then
    echo "RAUM-ROOT: smp checks skipped (one CPU)"; return
  fi
  echo "RAUM-ROOT: smp cpus online $online, possible $possible, present $(cat $SYS_CPU/present)"
  if [ "$(cpulist "$possible")" = "$cpus" ]; then
    echo "RAUM-ROOT: smp all $n possible CPUs online ok"
  else
    smp_fail "CPUs online $online, but possible $possible"
  fi
  for c in $cpus; do smp_leaf "$c"; done
  for c in $cpus; do smp_counter "$c"; done
  last=$(echo "$cpus" | tail -n 1)
  if [ "$last" = 0 ]; then
    smp_fail "no CPU but cpu0 online: no offline/online check"
  elif [ ! -w "$SYS_CPU/cpu$last/online" ]; then
    smp_fail "cpu$last cannot go offline (no $SYS_CPU/cpu$last/online)"
  elif smp_cycle "$last" 1 && smp_cycle "$last" 2; then
    smp_leaf "$last" " after offline/online"
    smp_counter "$last" " after offline/online"
  fi
  if [ "$smp_failed" = 0 ]; then
    echo "RAUM-ROOT: smp checks passed"
  else
    echo "RAUM-ROOT: smp checks FAILED ($smp_failed)"
  fi
}

# --- IOMMU checks (issue 11), when QEMU's edu device is there -------------------------------
# dmatest (tools/linux/dmatest.c) writes by DMA into Raum's canary page and Raum's last page, reads the
# canary back, and writes and reads the root page right after Raum's region; raumctl health before and
# after: the canary intact, the blocked DMAs counted. One 'RAUM-ROOT: dma ...' line per check; the block
# ends with 'RAUM-ROOT: dma checks done, canary <state>, faults <before> -> <after>'.
dma_checks() {
  local h canary nb f0 f1 st
  grep -qx 0x11e8 /sys/bus/pci/devices/*/device 2>/dev/null || return 0
  h=$(raumctl health)
  canary=$(echo "$h" | sed -n 's/^canary .*(page \(0x[0-9a-f]*\)).*/\1/p')
  nb=$(echo "$h" | sed -n 's/^neighbour_page *\(0x[0-9a-f]*\).*/\1/p')
  f0=$(echo "$h" | sed -n 's/^dma_faults *\([0-9]*\).*/\1/p')
  echo "RAUM-ROOT: dma before: $(echo "$h" | grep -E '^(iommu|dma_faults) ' | tr -s ' ' | tr '\n' ';')"
  # without remapping (the control run, iommu = off) only the canary is attacked: the rest of Raum stays whole
  if echo "$h" | grep -q '^iommu *none'; then
    dmatest "$canary" "$nb" --canary-only; echo "RAUM-ROOT: dma dmatest exit $?"
  else
    dmatest "$canary" "$nb"; echo "RAUM-ROOT: dma dmatest exit $?"
  fi
  h=$(raumctl health); st=$?
  f1=$(echo "$h" | sed -n 's/^dma_faults *\([0-9]*\).*/\1/p')
  echo "RAUM-ROOT: dma checks done, canary $(echo "$h" | sed -n 's/^canary *\([A-Za-z]*\).*/\1/p') (raumctl health exit $st), faults $f0 -> $f1"
}

# --- child partitions (issue 12), when the command line has raum_parts=N ---------------------
# parttest (tools/linux/parttest.c): malformed requests refused with nothing created; N partitions of
# 16 MiB one after another, 8 at once (a process each), one whose holder is killed with SIGKILL; after
# each, the module's deposited / pinned / partition counts and Raum's balance of the root's pool are back
# at their baseline and free memory (the zones and the per-CPU lists) within 1 %. One 'parttest: <check> ok|FAILED' line per check.
part_checks() {
  local n b
  b=$(sed -n 's/.*raum_partbench=\([0-9]*\).*/\1/p' /proc/cmdline)
  if [ -n "$b" ]; then
    parttest bench "$b" 5; echo "RAUM-ROOT: parttest bench exit $?"
    # the port-I/O round trip through raumctl and a child's CPUID, against the root's CPUID (same run)
    parttest cpuid 2000
    raumctl run /guests/bench.elf --cmdline "n=2000"; echo "RAUM-ROOT: vm bench exit $?"
  fi
  n=$(sed -n 's/.*raum_parts=\([0-9]*\).*/\1/p' /proc/cmdline)
  [ -n "$n" ] || return 0
  parttest bad; echo "RAUM-ROOT: parttest bad exit $?"
  parttest seq "$n" 16; echo "RAUM-ROOT: parttest seq exit $?"
  parttest parallel 8 16; echo "RAUM-ROOT: parttest parallel exit $?"
  parttest kill 16; echo "RAUM-ROOT: parttest kill exit $?"
  # with QEMU's edu device: the pages deposited for a partition are out of the device's reach too
  if grep -qx 0x11e8 /sys/bus/pci/devices/*/device 2>/dev/null; then
    local hp pages i
    parttest hold 16 > /tmp/hold.out & hp=$!
    for i in $(seq 1 100); do grep -q '^parttest: pages' /tmp/hold.out && break; sleep 0.1; done
    pages=$(sed -n 's/^parttest: pages //p' /tmp/hold.out)
    echo "RAUM-ROOT: dma deposited pages: $(echo $pages | wc -w)"
    dmatest --deposited $pages; echo "RAUM-ROOT: dma deposited exit $?"
    kill -9 $hp; wait $hp 2>/dev/null
  fi
  vm_checks
  echo "RAUM-ROOT: raumctl health after the partitions"
  raumctl health; echo "RAUM-ROOT: raumctl health exit $?"
}

# --- guests in child partitions: raumctl run (issue 12), when the command line has raum_vms=1 ---
# Each run prints its output, then 'RAUM-ROOT: vm <name> exit <status>'; tests/boot/cases.sh
# (expect_vm_checks) judges them. The guests are tests/guests/*.
vm_run() {
  local name=$1; shift
  echo "RAUM-ROOT: vm $name: raumctl run $*"
  RAUMCTL_STATS=1 raumctl run "$@" > /tmp/vm.out 2>&1; local st=$?
  sed 's/^/  | /' /tmp/vm.out
  echo "RAUM-ROOT: vm $name exit $st"
}
# A guest that spins with interrupts off for $1 seconds: the root stays responsive (its interrupts end
# each dispatch); kill -9 ends it. The root's interrupts taken meanwhile are printed for the record.
vm_spin() {
  local sp st t0 t1 i0 i1
  i0=$(awk '/^ *[0-9]+:|^LOC:/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n }' /proc/interrupts)
  raumctl run /guests/spin.elf > /tmp/spin.out 2>&1 & sp=$!
  sleep "$1"
  # /proc/uptime in hundredths of a second (busybox date has no %N)
  t0=$(sed 's/ .*//;s/\.//' /proc/uptime); raumctl version > /dev/null; st=$?; t1=$(sed 's/ .*//;s/\.//' /proc/uptime)
  echo "RAUM-ROOT: vm spin root responsive: raumctl version exit $st in $(( (t1 - t0) * 10 )) ms"
  kill -9 $sp; wait $sp; echo "RAUM-ROOT: vm spin killed by SIGKILL (status $?)"; cat /tmp/spin.out
  i1=$(awk '/^ *[0-9]+:|^LOC:/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n }' /proc/interrupts)
  echo "RAUM-ROOT: vm spin: the root took $((i1 - i0)) device and timer interrupts meanwhile"
}
vm_checks() {
  local i st fails sp t0 t1 a op stopped=0 tried=0 cp rp targets pids
  # raum_vms=1: every check (QEMU); raum_vms=2: the short set, within the Bochs run's time budget
  local full=1
  grep -q 'raum_vms=1' /proc/cmdline || full=0
  [ $full = 1 ] || grep -q 'raum_vms=2' /proc/cmdline || return 0
  parttest snap /tmp/vm.base
  vm_run hello /guests/hello.elf --cmdline "exit=21 greeting"
  vm_run exit0 /guests/hello.elf --mem 2
  vm_run triple /guests/triple.elf
  vm_run mmio /guests/hostile.elf --cmdline "op=1 addr=0xfebff000"
  printf 'ab\nq\n' > /tmp/irq.in; vm_run irq /guests/irq.elf < /tmp/irq.in
  vm_run hyper64 /guests/hyper64.bin --flat --load 0x100000 --entry 0x100000 --mode 64
  # SSE / AVX: the guest keeps its registers across many exits while this root's process keeps its own
  parttest sse $((full ? 6 : 3)) > /tmp/sse.out & sp=$!
  vm_run sse /guests/sse.elf --cmdline "rounds=$((full ? 20000 : 2000))"
  wait $sp; cat /tmp/sse.out
  # the same with XCR0 left at x87: SSE state must still be switched (it once went with XCR0)
  parttest sse $((full ? 4 : 2)) > /tmp/sse.out & sp=$!
  vm_run sse_x87 /guests/sse.elf --cmdline "rounds=$((full ? 10000 : 1000)) noavx=1"
  wait $sp; cat /tmp/sse.out
  if [ $full = 0 ]; then
    # the spinning guest briefly: under Bochs this root takes its timer on the 8259 (no MADT: virtual
    # wire) at a high rate, and each interrupt ends a dispatch, so a spin costs a round trip per tick
    vm_spin 0.01
    parttest since /tmp/vm.base vm_short_returned
    return 0
  fi
  # refused with a message, nothing created
  vm_run badmem /guests/hello.elf --mem 4096
  vm_run badopt /guests/hello.elf --frobnicate
  vm_run noimage /guests/none.elf
  head -c 3000 /dev/urandom > /tmp/junk.elf; vm_run badimage /tmp/junk.elf
  parttest since /tmp/vm.base vm_bad_returned
  vm_spin 1
  parttest since /tmp/vm.base vm_kill9_returned
  # 16 guests of 16 MiB one after another, then 8 at once; each exits with its own status
  fails=0
  for i in $(seq 1 16); do
    raumctl run /guests/hello.elf --mem 16 --cmdline "exit=$i" > /dev/null 2>&1; st=$?
    [ $st -eq $((i * 2 + 1)) ] || { fails=$((fails + 1)); echo "RAUM-ROOT: vm seq guest $i exit $st"; }
  done
  echo "RAUM-ROOT: vm seq 16 guests, $fails failed"
  parttest since /tmp/vm.base vm_seq_returned
  pids=""
  for i in $(seq 1 8); do
    raumctl run /guests/sse.elf --mem 16 --cmdline "rounds=2000" > /tmp/par$i.out 2>&1 & pids="$pids $!"
  done
  fails=0
  for p in $pids; do wait $p; st=$?; [ $st -eq 1 ] || { fails=$((fails + 1)); echo "RAUM-ROOT: vm parallel pid $p exit $st"; }; done
  grep -l 'every register held' /tmp/par*.out | wc -l | sed 's/^/RAUM-ROOT: vm parallel guests that held their registers: /'
  echo "RAUM-ROOT: vm parallel 8 guests, $fails failed"
  parttest since /tmp/vm.base vm_parallel_returned
  # a hostile guest aims at a sibling child's RAM, the root's pages and Raum's, each guarded by a canary
  mkfifo /tmp/canary.in /tmp/rootcanary.in
  exec 3<>/tmp/canary.in 4<>/tmp/rootcanary.in
  raumctl run /guests/canary.elf --mem 8 <&3 > /tmp/canary.out 2>&1 & cp=$!
  parttest canary 4 <&4 > /tmp/rootcanary.out & rp=$!
  for i in $(seq 1 100); do grep -q 'canary: ready' /tmp/canary.out && grep -q 'canary pages' /tmp/rootcanary.out && break; sleep 0.2; done
  targets="$(parttest pfns $cp 8388608 4 | sed -n 's/^parttest: pfns //p') $(sed -n 's/^parttest: canary pages //p' /tmp/rootcanary.out)"
  targets="$targets $(raumctl health | sed -n 's/^canary .*(page \(0x[0-9a-f]*\)).*/\1/p;s/^neighbour_page *//p') 0x200000 0xfee00000 0xfffff000"
  echo "RAUM-ROOT: vm hostile targets: $targets"
  for a in $targets; do
    # a 32-bit guest reaches below 4 GiB; below 2 MiB is its own RAM
    [ $((a)) -ge $((0x200000)) ] && [ $((a)) -lt $((0x100000000)) ] || continue
    # a read gets all-ones (guest status 0x10: 33), a write is dropped (0x12: 37), a jump stops it (4)
    for op in 1 2 3; do
      tried=$((tried + 1))
      raumctl run /guests/hostile.elf --mem 2 --cmdline "op=$op addr=$a" > /tmp/hostile.out 2>&1; st=$?
      case "$op:$st" in
        1:33) grep -q 'hostile: read ffffffff' /tmp/hostile.out && stopped=$((stopped + 1));;
        2:37) stopped=$((stopped + 1));;
        3:4) grep -q 'executed at GPA' /tmp/hostile.out && stopped=$((stopped + 1));;
        *) echo "RAUM-ROOT: vm hostile op $op at $a: exit $st"; cat /tmp/hostile.out;;
      esac
    done
  done
  echo "RAUM-ROOT: vm hostile $stopped of $tried accesses contained"
  echo q >&3; wait $cp; echo "RAUM-ROOT: vm canary sibling exit $?"; cat /tmp/canary.out
  echo >&4; wait $rp; cat /tmp/rootcanary.out
  exec 4>&-
  exec 3>&-
  parttest since /tmp/vm.base vm_hostile_returned
}

# --- raumd (issue 13): VMs that outlive raumctl, from this root under QEMU (raum_vms=1) ---
# The host-side test (tests/raumd/run.sh) checks the service with a fake VM; here its workers run real
# guests through /dev/raum: 8 at once, a worker killed, raumd killed and restarted, the counts back.
# 'RAUM-ROOT: raumd ...' lines are judged by tests/boot/cases.sh (expect_raumd_checks).
raumd_field() { # NAME FIELD: a number from 'raumctl info NAME --json' (busybox has no JSON tool)
  raumctl info "$1" --json | sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p"
}
raumd_start() {
  setsid raumd >> /tmp/raumd.log 2>&1 < /dev/null & rd=$!
  for i in $(seq 1 50); do raumctl list > /dev/null 2>&1 && break; sleep 0.1; done
}
raumd_checks() {
  local i rd wp vp n st out
  grep -q 'raum_vms=1' /proc/cmdline || return 0
  mkdir -p /var/log/raum /var/lib/raum/vms /run/raum /tmp/vms
  parttest snap /tmp/raumd.base
  raumd_start
  for i in 1 2 3 4 5 6 7 8; do
    printf 'name = e%s\nmemory = 4M\nimage = /guests/irq.elf\nstop_timeout = 2\n' $i > /tmp/vms/e$i.conf
    raumctl create /tmp/vms/e$i.conf > /dev/null || echo "RAUM-ROOT: raumd create e$i failed"
    raumctl start e$i > /dev/null || echo "RAUM-ROOT: raumd start e$i failed"
  done
  raumctl create /etc/raum/hello.conf > /dev/null; echo "RAUM-ROOT: raumd create hello exit $?"
  echo "RAUM-ROOT: raumd list"; raumctl list
  echo "RAUM-ROOT: raumd list --json"; raumctl list --json; echo "RAUM-ROOT: raumd list --json exit $?"
  out=$(echo x | raumctl console e3 --timeout 2 2>&1)
  echo "RAUM-ROOT: raumd console e3: $(echo "$out" | grep -c "irq: got 'x'") echo(es)"
  echo "RAUM-ROOT: raumd info e3: $(raumctl info e3 | grep '^exits')"
  raumctl start hello > /dev/null; sleep 1
  echo "RAUM-ROOT: raumd hello: $(raumctl info hello | grep -E '^(state|exit status|reason)' | tr -s ' ' | tr '\n' ';')"
  echo "RAUM-ROOT: raumd hello stats: $(raumctl info hello | grep '^exits')"
  echo "RAUM-ROOT: raumd hello console log: $(grep -c 'hello from a Raum child partition' /var/log/raum/hello.console) line(s)"
  out=$(raumctl start e1 2>&1); echo "RAUM-ROOT: raumd start running: exit $? $out"
  out=$(raumctl remove e1 2>&1); echo "RAUM-ROOT: raumd remove running: exit $? $out"
  printf 'name = bad\nmemory = 4096M\nimage = /guests/irq.elf\n' > /tmp/vms/bad.conf
  out=$(raumctl create /tmp/vms/bad.conf 2>&1); echo "RAUM-ROOT: raumd bad config: exit $? $out"
  # a worker killed mid-run: its VM failed, the others run on
  wp=$(raumd_field e4 pid); vp=$(raumd_field e4 vm_pid)
  kill -9 "$wp"; sleep 1
  echo "RAUM-ROOT: raumd worker killed: e4 $(raumctl info e4 | grep -E '^(state|reason)' | tr -s ' ' | tr '\n' ';')"
  [ -e /proc/$vp ] && echo "RAUM-ROOT: raumd worker killed: VM process $vp lives on"
  n=$(raumctl list | grep -c ' running ')
  echo "RAUM-ROOT: raumd worker killed: $n running"
  # raumd killed: the VMs run on; a new raumd finds them
  kill -9 $rd; wait $rd 2>/dev/null
  out=$(raumctl list 2>&1); echo "RAUM-ROOT: raumd killed: list exit $?"
  raumd_start
  n=$(raumctl list | grep -c ' running ')
  echo "RAUM-ROOT: raumd restarted: $n running"
  out=$(echo y | raumctl console e5 --timeout 2 2>&1)
  echo "RAUM-ROOT: raumd restarted: console e5: $(echo "$out" | grep -c "irq: got 'y'") echo(es)"
  # stop (the guest has no shutdown channel: forced after stop_timeout), destroy, remove
  raumctl stop e2 > /dev/null; st=$?
  echo "RAUM-ROOT: raumd stop e2: exit $st, $(raumctl info e2 | grep -E '^state' | tr -s ' ')"
  for i in 1 3 5 6 7 8; do raumctl destroy e$i > /dev/null || echo "RAUM-ROOT: raumd destroy e$i failed"; done
  n=0
  for i in 1 2 3 4 5 6 7 8; do raumctl remove e$i > /dev/null && n=$((n + 1)); done
  raumctl remove hello > /dev/null && n=$((n + 1))
  echo "RAUM-ROOT: raumd removed $n, $(raumctl list --json)"
  parttest since /tmp/raumd.base raumd_returned
  kill $rd; wait $rd 2>/dev/null
  sed 's/^/  raumd.log | /' /tmp/raumd.log
}

module=refused
if insmod /lib/raum.ko; then
  module=loaded
  echo "RAUM-ROOT: module loaded"
  echo "RAUM-ROOT: raumctl version"
  raumctl version; echo "RAUM-ROOT: raumctl version exit $?"
  # one VP's counters by reason (tools/bench-linux.sh reads this block)
  echo "RAUM-ROOT: raumctl stats 0"
  raumctl stats 0; echo "RAUM-ROOT: raumctl stats exit $?"
  # every root VP, one line each; then the same as JSON, on the line after its marker
  # (tests/boot/cases.sh parses it on the host with python3: busybox has no JSON tool)
  echo "RAUM-ROOT: raumctl stats (every VP)"
  raumctl stats; echo "RAUM-ROOT: raumctl stats all exit $?"
  echo "RAUM-ROOT: raumctl stats --json"
  raumctl stats --json; echo "RAUM-ROOT: raumctl stats --json exit $?"
  # a VP that does not exist: a message and status 1
  echo "RAUM-ROOT: raumctl stats 999"
  raumctl stats 999; echo "RAUM-ROOT: raumctl stats 999 exit $?"
  echo "RAUM-ROOT: raumctl health"
  raumctl health; echo "RAUM-ROOT: raumctl health exit $?"
  dma_checks
  part_checks
  raumd_checks
  # with more than one CPU: each under Raum, hypercalls made on the calling CPU
  if [ -n "$BENCH_LOOPS" ]; then bench_cpuid; bench_online; else smp_checks; fi
  [ -n "$BENCH_IDLE" ] && bench_idle
  # make bench: exits an idle root takes (raum_idle=SECONDS on the command line)
  idle=$(sed -n 's/.*raum_idle=\([0-9]*\).*/\1/p' /proc/cmdline)
  if [ -n "$idle" ]; then
    a=$(raumctl stats 0 | awk '$1 == "total" { print $2 }')
    sleep "$idle"
    b=$(raumctl stats 0 | awk '$1 == "total" { print $2 }')
    echo "RAUM-ROOT: idle exits $a $b in $idle s"
  fi
  echo "RAUM-ROOT: raumctl log"
  raumctl log; echo "RAUM-ROOT: raumctl log exit $?"
else
  echo "RAUM-ROOT: module refused"
  if [ -n "$BENCH_LOOPS" ]; then bench_cpuid; bench_online; else smp_checks; fi
fi
[ -n "$BENCH_LOOPS" ] && bench_trace
echo "RAUM-ROOT: powering off"
sync
poweroff -f
