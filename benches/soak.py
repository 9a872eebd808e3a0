#!/usr/bin/env python3
"""Sums up a soak run (`bench.sh soak`): the load generator's JSON report (per-second
timeline) and the sampler's CSV (second, server RSS in KiB, data directory bytes).

Prints: WIPS in the first and last five minutes and their ratio; the p99 of each second against
the run's median p99 (the issue's bound: never above 3x); memory after warm-up and at the end;
bytes on disk per order. Draws memory and data size over time as an SVG (no dependencies)."""
import csv
import json
import statistics
import sys

report_path, samples_path, svg_path = sys.argv[1:4]
report = json.load(open(report_path))
timeline = report["timeline"]
warmup = 5  # bench.sh runs the load generator with --warmup-secs 5
measured = [p for p in timeline if p["second"] >= warmup]
window = min(300, max(1, len(measured) // 3))


def wips(points):
    return sum(p["completed"] for p in points) / max(1, len(points))


first, last = wips(measured[:window]), wips(measured[-window:])
p99s = [p["p99_ms"] for p in measured if p["completed"] > 0]
median_p99 = statistics.median(p99s) if p99s else 0.0
over = [p for p in measured if p["completed"] > 0 and p["p99_ms"] > 3 * median_p99]
worst = max(measured, key=lambda p: p["p99_ms"]) if measured else None
print(f"soak: {len(measured)} s measured, WIPS {report['wips']:.0f} over the run")
print(f"  WIPS first {window} s {first:.0f}, last {window} s {last:.0f}: last/first = {last / first:.3f}")
print(
    f"  p99 per second: median {median_p99:.1f} ms, worst {worst['p99_ms']:.1f} ms at {worst['second']} s "
    f"({worst['p99_ms'] / median_p99:.2f}x); seconds over 3x the median: {len(over)}"
)

rows = [(int(r["second"]), int(r["rss_kib"]), int(r["data_bytes"])) for r in csv.DictReader(open(samples_path)) if r["rss_kib"]]
orders = (report.get("consistency") or {}).get("orders_in_shop") or round(
    report["interactions"].get("buy_confirm", {}).get("per_second", 0) * report["measured_secs"]
)
if rows:
    t_end = rows[-1][0]
    after_warmup = [r for r in rows if r[0] >= min(300, t_end // 3)]
    rss = [r[1] / 1024 for r in after_warmup]
    print(
        f"  server RSS: {rows[0][1] / 1024:.0f} MiB at the start, {rss[0]:.0f} MiB after warm-up, "
        f"max {max(rss):.0f}, end {rss[-1]:.0f} MiB"
    )
    data, grown = rows[-1][2], rows[-1][2] - rows[0][2]
    per = f", {grown / orders:.0f} bytes per order (growth over the run)" if orders else ""
    print(
        f"  data directory {rows[0][2] / 2**20:.0f} MiB at the start, {data / 2**20:.0f} MiB at the end "
        f"for {orders} orders{per}"
    )

    # The chart: RSS (MiB) and data directory (MiB) against time.
    w, h, pad = 800, 300, 50
    xmax = max(1, t_end)
    ymax = max(max(r[1] / 1024 for r in rows), max(r[2] / 2**20 for r in rows)) * 1.1

    def line(values, color):
        pts = " ".join(
            f"{pad + (t / xmax) * (w - 2 * pad):.1f},{h - pad - (v / ymax) * (h - 2 * pad):.1f}"
            for t, v in values
        )
        return f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{pts}"/>'

    ticks = "".join(
        f'<text x="{pad - 6}" y="{h - pad - f * (h - 2 * pad) + 4:.1f}" text-anchor="end" font-size="11">{ymax * f:.0f}</text>'
        for f in (0, 0.25, 0.5, 0.75, 1)
    )
    xticks = "".join(
        f'<text x="{pad + f * (w - 2 * pad):.1f}" y="{h - pad + 16}" text-anchor="middle" font-size="11">{xmax * f / 60:.0f} min</text>'
        for f in (0, 0.25, 0.5, 0.75, 1)
    )
    svg = f"""<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">Soak: server memory and data on disk (MiB)</text>
<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="black"/>
<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="black"/>
{ticks}{xticks}
{line([(r[0], r[1] / 1024) for r in rows], "#c0392b")}
{line([(r[0], r[2] / 2**20) for r in rows], "#2471a3")}
<text x="{w - pad}" y="{pad}" text-anchor="end" font-size="12" fill="#c0392b">server RSS</text>
<text x="{w - pad}" y="{pad + 16}" text-anchor="end" font-size="12" fill="#2471a3">data directory</text>
</svg>
"""
    open(svg_path, "w").write(svg)
    print(f"  chart: {svg_path}")
