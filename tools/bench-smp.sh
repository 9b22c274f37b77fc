#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Part of make bench (issue 10): the stock Debian Linux root with 4 CPUs (QEMU TCG -cpu EPYC
# -smp 4, as tests/boot/cases.sh case_qemu_linux_smp4), booted with and without Raum in the
# same QEMU, interleaved: native, raum, native, raum, ... (BENCH_SMP_BOOTS pairs, default 2).
# The kernel command line of every boot, both sides alike, adds raum_bench=LOOPS and a
# function trace of two functions (tools/linux/init-test.sh says what /init does with it):
#
#   ftrace=function ftrace_filter=native_apic_icr_write,rcu_cpu_starting trace_clock=x86-tsc
#
# Prints, judging nothing (timings are not tests):
#   1. per CPU, ns per CPUID of a loop pinned with taskset -c N (cpuidcheck time), native and
#      under Raum: the exit round trip on each CPU (median of the boots);
#   2. the boot to /init, host wall clock (as tools/bench-linux.sh) and the guest's own uptime
#      at /init: ratio raum/native per pair, the median (target <= 1.10);
#   3. per AP, start-up IPI to the AP running the root's code: Raum's own figure, the TSC ticks
#      of its 'vpN: started by SIPI at V:0000 (real mode), T TSC ticks after it was sent' lines
#      (raumctl log), and Linux's view on both sides, its function trace from the first SIPI to
#      the AP's first traced call; ticks to microseconds with the MHz of dmesg 'tsc: Detected';
#   4. the last Raum boot sleeps BENCH_SMP_IDLE seconds (default 10) after the loops: every
#      VP's exits per second by reason (raumctl stats --json before and after; target < 100/s).
set -uo pipefail
cd "$(dirname "$0")/.."
B=build/bench/smp
[ "${BENCH_SMP_REPRINT:-0}" = 1 ] || { rm -rf "$B"; mkdir -p "$B"; }
[ -d build/esp-linux-test ] || { echo "bench-smp: build/esp-linux-test missing (make esp-linux-test)"; exit 1; }
. tools/bench-lib.sh

BOOTS=${BENCH_SMP_BOOTS:-2} LOOPS=${BENCH_SMP_LOOPS:-20000} IDLE=${BENCH_SMP_IDLE:-10} CPUS=4
for v in BOOTS LOOPS IDLE; do
  [[ "${!v}" =~ ^[1-9][0-9]{0,6}$ ]] || { echo "bench-smp: BENCH_SMP_$v must be a positive number"; exit 1; }
done
OPTS="raum_bench=$LOOPS trace_clock=x86-tsc ftrace=function ftrace_filter=native_apic_icr_write,rcu_cpu_starting"
# BENCH_SMP_REPRINT=1: no boots, the figures of the logs already in $B again
if [ "${BENCH_SMP_REPRINT:-0}" != 1 ]; then
cp -r build/esp-linux-test "$B/esp-raum"
sed -i "s/^root_options = .*/& $OPTS/" "$B/esp-raum/EFI/raum/raum.cfg"
cp -r "$B/esp-raum" "$B/esp-native"; rm "$B/esp-native/EFI/raum/raum.bin"
cp -r "$B/esp-raum" "$B/esp-raum-idle"
sed -i "s/^root_options = .*/& raum_bench_idle=$IDLE/" "$B/esp-raum-idle/EFI/raum/raum.cfg"
for i in $(seq 1 "$BOOTS"); do
  bench_boot "native$i" "$B/esp-native" -smp $CPUS
  if [ "$i" = "$BOOTS" ]; then esp=$B/esp-raum-idle; else esp=$B/esp-raum; fi
  bench_boot "raum$i" "$esp" -smp $CPUS
done
fi

python3 - "$B" "$BOOTS" "$CPUS" "$LOOPS" "$IDLE" <<'PY'
import json, re, statistics, sys

B, BOOTS, CPUS, LOOPS, IDLE = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]

def lines(name):
    """[(host seconds, text)] of one boot's timestamped serial log"""
    out = []
    try:
        with open("%s/%s.log" % (B, name), errors="replace") as f:
            for l in f:
                t, _, text = l.rstrip("\n").partition(" ")
                try:
                    out.append((float(t), text))
                except ValueError:
                    pass
    except OSError:
        pass
    return out

def first(log, text):
    return next((t for t, l in log if text in l), None)

def num(rx, log, cast=float):
    for _, l in log:
        m = re.search(rx, l)
        if m:
            return cast(m.group(1))
    return None

def med(v):
    v = [x for x in v if x is not None]
    return (statistics.median(v), min(v), max(v), len(v)) if v else None

def f(x, fmt="%.3f"):
    return "?" if x is None else fmt % x

def cpuid_ns(log):
    """{cpu: ns per CPUID} from cpuidcheck time"""
    r = {}
    for _, l in log:
        m = re.search(r"cpuidcheck: cpu (\d+): \d+ CPUIDs in \d+ ns: ([0-9.]+) ns per CPUID", l)
        if m:
            r[int(m.group(1))] = float(m.group(2))
    return r

def sipi_us(log):
    """[{ap: us}, ...]: per bring-up round (the boot, then online again), microseconds from an AP's
    first SIPI to its first traced call; the TSC MHz; why there are none"""
    mhz = num(r"tsc: Detected ([0-9.]+) MHz", log)
    icr, arrive = [], []
    for _, l in log:
        m = re.search(r"RAUM-ROOT: bench trace .*\[(\d+)\]\s+\S+\s+(\d+): (\S+) <-(\S+)", l)
        if not m:
            continue
        cpu, ts, fn, parent = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        if fn == "native_apic_icr_write":
            icr.append(ts)
        elif fn == "rcu_cpu_starting" and parent == "start_secondary":
            arrive.append((ts, cpu))
    if not mhz or not icr or not arrive:
        return [], mhz, "no %s in the trace" % ("'tsc: Detected' line" if not mhz else
                                              "ICR write" if not icr else "rcu_cpu_starting of an AP")
    rounds, seen, prev = [], {}, 0
    for ts, ap in sorted(arrive):
        # the ICR writes since the last arrival end INIT, INIT deassert, SIPI, SIPI: the AP
        # waits in cpu_init until the sender is past its SIPI loop
        w = sorted(t for t in icr if prev < t < ts)
        n = seen[ap] = seen.get(ap, 0) + 1
        if len(rounds) < n:
            rounds.append({})
        rounds[n - 1][ap] = (ts - w[-2]) / mhz if len(w) >= 4 else None
        prev = ts
    return rounds, mhz, ""

def raum_sipi(log):
    """{vp: [(vector, microseconds or None), ...]} in log order, from Raum's start-up lines as
    raumctl log prints them (after its marker: the serial port is the root's by then)"""
    mhz = num(r"tsc: Detected ([0-9.]+) MHz", log)
    res, on = {}, False
    for _, l in log:
        if "RAUM-ROOT: raumctl log" in l:
            on = True
        m = on and re.search(r"\] I vp(\d+): started by SIPI at (0x[0-9a-f]+):0000 \(real mode\)"
                             r"(?:, (\d+) TSC ticks after it was sent)?", l)
        if m:
            t = m.group(3)
            res.setdefault(int(m.group(1)), []).append((m.group(2), int(t) / mhz if t and mhz else None))
    return res

def stats_after(log, marker):
    """the raumctl stats --json document after MARKER, and the uptime on the marker's line"""
    for i, (_, l) in enumerate(log):
        if marker in l:
            up = float(l.rsplit(" ", 1)[1])
            doc = next((x for _, x in log[i + 1:i + 40] if x.startswith("[{")), None)
            try:
                return up, json.loads(doc)
            except (TypeError, ValueError):
                return up, None
    return None, None

nat = [lines("native%d" % i) for i in range(1, BOOTS + 1)]
rau = [lines("raum%d" % i) for i in range(1, BOOTS + 1)]
print("== stock Debian Linux root with %d CPUs (QEMU TCG, -cpu EPYC -smp %d, 1 GiB), %d boots each, interleaved"
      % (CPUS, CPUS, BOOTS))
print("   every boot, both sides: ftrace=function (2 functions) trace_clock=x86-tsc raum_bench=%s" % LOOPS)

# --- boot to /init ------------------------------------------------------------------------------------
print("-- boot to /init (host wall clock from power-on, as the one-CPU figure; guest: /proc/uptime at /init)")
print("%-7s %24s %24s %8s %8s %18s %8s" % ("", "native: Linux, /init (s)", "raum: Linux, /init (s)",
                                          "ratio", "kernel", "guest nat, raum (s)", "guest"))
ratios, kratios, gratios = [], [], []
for i in range(BOOTS):
    n, r = nat[i], rau[i]
    nl, ni, rl, ri = first(n, "Linux version"), first(n, "RAUM-ROOT: /init reached"), \
        first(r, "Linux version"), first(r, "RAUM-ROOT: /init reached")
    nu, ru = num(r"RAUM-ROOT: bench uptime at /init ([0-9.]+)", n), num(r"RAUM-ROOT: bench uptime at /init ([0-9.]+)", r)
    ratio = kratio = gratio = None
    if None not in (nl, ni, rl, ri) and ni > 0 and ni > nl:
        ratio, kratio = ri / ni, (ri - rl) / (ni - nl)
        ratios.append(ratio); kratios.append(kratio)
    if nu and ru:
        gratio = ru / nu
        gratios.append(gratio)
    print("%-7s %24s %24s %8s %8s %18s %8s" % ("pair %d" % (i + 1), "%s, %s" % (f(nl, "%.2f"), f(ni, "%.2f")),
          "%s, %s" % (f(rl, "%.2f"), f(ri, "%.2f")), f(ratio), f(kratio), "%s, %s" % (f(nu, "%.2f"), f(ru, "%.2f")),
          f(gratio)))
for what, v in (("power-on to /init", ratios), ("kernel to /init, host clock", kratios),
                ("kernel to /init, guest clock", gratios)):
    m = med(v)
    print("boot time ratio raum/native, %-29s %s" % (what + ":", "median %.3f (min %.3f, max %.3f), %d pairs"
          % m if m else "?"), end="")
    print(" (target <= 1.10)" if what.startswith("power") else "")

# --- exit round trip per CPU -----------------------------------------------------------------------
print("-- exit round trip per CPU: %s CPUIDs pinned with taskset -c N (cpuidcheck time), ns per CPUID, "
      "median of %d boots" % (LOOPS, BOOTS))
print("%-6s %12s %12s %12s %10s" % ("", "native", "raum", "raum-native", "ratio"))
nc, rc = [cpuid_ns(l) for l in nat], [cpuid_ns(l) for l in rau]
for c in range(CPUS):
    a, b = med([x.get(c) for x in nc]), med([x.get(c) for x in rc])
    a, b = a and a[0], b and b[0]
    print("%-6s %12s %12s %12s %10s" % ("cpu%d" % c, f(a, "%.1f"), f(b, "%.1f"),
          f(b - a if a and b else None, "%.1f"), f(b / a if a and b else None, "%.0f")))

# --- start-up IPIs ----------------------------------------------------------------------------------
print("-- start-up IPI to the AP running the root's code, per AP, microseconds (TSC ticks / MHz of dmesg")
print("   'tsc: Detected'), median of %d boots" % BOOTS)
print("   Raum's figure, its log line 'vpN: started by SIPI at V:0000 (real mode), T TSC ticks after it was")
print("   sent' (raumctl log): from the sender's ICR write, emulated, to the AP's start-up state loaded, about")
print("   to enter the root at the vector. Each SIPI the AP took, in order: the firmware's at ExitBootServices,")
print("   Linux's bring-up, the online again")
rsi = [raum_sipi(l) for l in rau]
for vp in range(1, CPUS):
    seq = rsi[-1].get(vp, [])
    cols = []
    for k, (vec, _) in enumerate(seq):
        m = med([x[vp][k][1] if len(x.get(vp, [])) > k else None for x in rsi])
        cols.append("%s:0000 %s" % (vec, f(m and m[0], "%.1f")))
    print("%-6s %s" % ("vp%d" % vp, "   ".join(cols) or "? (no 'started by SIPI' line)"))
if any(t is None for x in rsi for v in x.values() for _, t in v):
    print("   ?: a line without 'TSC ticks after it was sent' (an older raum.bin) or no 'tsc: Detected' line")
print("   Linux's view, both sides: its function trace from the 3rd ICR write of a bring-up (INIT, INIT")
print("   deassert, SIPI, SIPI) to the AP's rcu_cpu_starting, its first traced call: after the real-mode")
print("   trampoline and cpu_init, which waits for the sender to see the AP alive. boot: the kernel's")
print("   bring-up; online: the AP offline and online again (code the emulator has run before)")
ns, rs = [sipi_us(l) for l in nat], [sipi_us(l) for l in rau]
def sipi_med(s, rnd, c):
    m = med([x[0][rnd].get(c) if len(x[0]) > rnd else None for x in s])
    return m and m[0]
print("%-6s %12s %12s %12s %12s" % ("", "boot native", "boot raum", "online nat.", "online raum"))
for c in range(1, CPUS):
    print("%-6s %12s %12s %12s %12s" % ("cpu%d" % c, f(sipi_med(ns, 0, c), "%.1f"), f(sipi_med(rs, 0, c), "%.1f"),
          f(sipi_med(ns, 1, c), "%.1f"), f(sipi_med(rs, 1, c), "%.1f")))
for side, s in (("native", ns), ("raum", rs)):
    for i, (_, mhz, why) in enumerate(s):
        if why:
            print("   %s boot %d: %s" % (side, i + 1, why))
print("   TSC MHz: native %s, raum %s" % (" ".join(f(x[1], "%.3f") for x in ns), " ".join(f(x[1], "%.3f") for x in rs)))

# --- idle root ----------------------------------------------------------------------------------------
last = rau[-1]
u0, s0 = stats_after(last, "RAUM-ROOT: bench idle start, uptime ")
u1, s1 = stats_after(last, "RAUM-ROOT: bench idle end, uptime ")
if None in (u0, u1, s0, s1) or u1 <= u0 or len(s0) != len(s1):
    print("-- idle root: ? (no 'RAUM-ROOT: bench idle' lines with raumctl stats --json in %s/raum%d.log)" % (B, BOOTS))
else:
    dt = u1 - u0
    print("-- idle root: exits per second per VP over %s s of sleep (uptime %.2f -> %.2f: %.2f s), raumctl stats --json"
          % (IDLE, u0, u1, dt))
    print("%-4s %9s  %s" % ("vp", "total/s", "by reason, per second"))
    for a, b in zip(s0, s1):
        d = {k: b["exits"][k] - a["exits"].get(k, 0) for k in b["exits"]}
        by = ", ".join("%s %.1f" % (k, v / dt) for k, v in sorted(d.items(), key=lambda x: -x[1]) if v)
        print("%-4s %9.1f  %s" % (b["vp"], (b["total"] - a["total"]) / dt, by or "none"))
    print("target: under 100 exits per second per VP (printed, not judged)")
    print("npf here: Raum maps the root's xAPIC page read-only in its SLAT to catch INIT / SIPI (with any")
    print("number of CPUs), so every root write to it (EOI, timer, ICR) is an npf exit; reads do not exit")
PY
