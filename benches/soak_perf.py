#!/usr/bin/env python3
"""Where the CPU went in a soak's slowest seconds (`PERF=1 bench.sh soak`): system-wide samples
of `perf record -k CLOCK_REALTIME`, aligned with the load generator's per-second timeline by its
`started_at`.

For the seconds with the highest p99 (an interaction is counted in the second it ends, so each
window starts half a second earlier) prints the samples per thread name (digits dropped) against
the run's mean second, and the top symbols of the window: a compaction, a flush, another
process or an idle machine (a stall that is not CPU) tell themselves apart.

Then what a completed interaction cost in the last five minutes against the first five, per
thread name and per symbol (samples per 1,000 interactions): where a decline in WIPS comes
from, the shop's threads told apart from the load generator's (`tokio-rt-worker`) and the
provider's (`python`)."""
import collections
import datetime
import json
import re
import statistics
import subprocess
import sys

report_path, perf_path = sys.argv[1:3]
worst_n = int(sys.argv[3]) if len(sys.argv) > 3 else 3
report = json.load(open(report_path))
t0 = datetime.datetime.fromisoformat(report["started_at"].replace("Z", "+00:00")).timestamp()
points = [p for p in report["timeline"] if p["second"] >= 5 and p["completed"] > 0]
if not points:
    sys.exit("soak_perf: no timeline")
median = statistics.median(p["p99_ms"] for p in points)
LINE = re.compile(r"^\s*(.+?)\s+(\d+\.\d+):\s*(?:[0-9a-f]+\s+)?(.*?)\s*$")


def samples(start=None, end=None):
    cmd = ["perf", "script", "-i", perf_path, "-F", "comm,time,ip,sym"]
    if start is not None:
        cmd += ["--time", f"{start:.6f},{end:.6f}"]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            yield re.sub(r"[\d]+$", "", m[1]).rstrip("-:/#") or m[1], float(m[2]), m[3] or "?"


everything = list(samples())
if not everything:
    sys.exit("soak_perf: no samples")
span = max(1.0, everything[-1][1] - everything[0][1])
per_sec = collections.Counter(c for c, _, _ in everything)
print(f"perf: {len(everything)} samples over {span:.0f} s ({len(everything) / span:.0f}/s); p99 median {median:.1f} ms")
for p in sorted(points, key=lambda p: -p["p99_ms"])[:worst_n]:
    start = t0 + p["second"] - 0.5
    window = list(samples(start, start + 1.5))
    threads = collections.Counter(c for c, _, _ in window)
    print(f"second {p['second']}: p99 {p['p99_ms']:.1f} ms ({p['p99_ms'] / median:.2f}x), "
          f"{len(window) / 1.5:.0f} samples/s (run mean {len(everything) / span:.0f})")
    rows = sorted(set(threads) | {c for c, _ in per_sec.most_common(6)}, key=lambda c: -threads[c])[:8]
    print("  threads (samples/s here vs run mean): " + ", ".join(
        f"{c} {threads[c] / 1.5:.0f} vs {per_sec[c] / span:.0f}" for c in rows))
    syms = collections.Counter(f"{c}:{s[:60]}" for c, _, s in window)
    print("  top symbols: " + "; ".join(f"{s} {n}" for s, n in syms.most_common(8)))


def per_interaction(start, end):
    """Samples per 1,000 interactions completed in [start, end) seconds of the run."""
    done = sum(p["completed"] for p in report["timeline"] if start <= p["second"] < end)
    window = list(samples(t0 + start, t0 + end))
    scale = 1000 / max(1, done)
    threads = collections.Counter(c for c, _, _ in window)
    syms = collections.Counter(f"{c}:{s[:60]}" for c, _, s in window)
    return ({k: v * scale for k, v in threads.items()}, {k: v * scale for k, v in syms.items()},
            len(window) * scale)


end = report["timeline"][-1]["second"]
if end >= 900:
    (ft, fs, ftotal), (lt, ls, ltotal) = per_interaction(5, 305), per_interaction(end - 300, end)
    print(f"per 1,000 interactions, first 5 min -> last 5 min: {ftotal:.2f} -> {ltotal:.2f} samples "
          f"({ltotal / ftotal - 1:+.1%})")
    # Every busy thread both ways: a machine slower in one window slows them all alike (the
    # provider, doing the same work per order, shows it), a cost of the shop's own only its own.
    busiest = sorted(set(ft) | set(lt), key=lambda k: -(ft.get(k, 0) + lt.get(k, 0)))[:8]
    print("  threads: " + "; ".join(f"{k} {ft.get(k, 0):.2f} -> {lt.get(k, 0):.2f}" for k in busiest))
    grew = sorted(set(fs) | set(ls), key=lambda k: -(ls.get(k, 0) - fs.get(k, 0)))[:10]
    print("  symbols that grew most: " + "; ".join(f"{k} {fs.get(k, 0):.2f} -> {ls.get(k, 0):.2f}" for k in grew))
