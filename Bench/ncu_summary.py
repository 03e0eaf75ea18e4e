#!/usr/bin/env python3
"""Sums `ncu --csv --print-summary per-kernel --metrics gpu__time_duration.sum` output (gpu-check.sh's profile phase)
by kernel name: total milliseconds, launches and share of the step, costliest first.
Usage: Bench/ncu_summary.py NCU_OUTPUT [--top N] [--markdown]"""
import argparse
import csv
import io
import sys


def load(path):
    lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    headers = [i for i, line in enumerate(lines) if line.startswith('"Process ID"')]
    if not headers:
        raise SystemExit(f"{path}: no ncu CSV summary (expected a header line starting with \"Process ID\")")
    rows = list(csv.reader(io.StringIO("\n".join(lines[headers[-1]:]))))
    column = {name: i for i, name in enumerate(rows[0])}
    for r in rows[1:]:
        if len(r) < len(rows[0]) or r[column["Metric Name"]] != "gpu__time_duration.sum":
            continue
        unit = r[column["Metric Unit"]]
        scale = {"ns": 1e-6, "us": 1e-3, "usecond": 1e-3, "ms": 1.0, "msecond": 1.0, "nsecond": 1e-6}.get(unit)
        if scale is None:
            raise SystemExit(f"{path}: unexpected unit {unit!r} for gpu__time_duration.sum")
        calls = int(r[column["Invocations"]])
        yield r[column["Kernel Name"]].split("(")[0].strip(), calls, float(r[column["Average"]].replace(",", "")) * scale * calls


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    totals = {}
    for name, calls, ms in load(a.path):
        t = totals.setdefault(name, [0.0, 0])
        t[0] += ms
        t[1] += calls
    whole = sum(t[0] for t in totals.values())
    launches = sum(t[1] for t in totals.values())
    print(f"{a.path}: {whole:.2f} ms of kernels in {launches} launches, {len(totals)} kernels")
    if a.markdown:
        print("| kernel | ms | launches | share |\n|---|---:|---:|---:|")
    for name, (ms, calls) in sorted(totals.items(), key=lambda kv: -kv[1][0])[:a.top]:
        if a.markdown:
            print(f"| `{name[:90]}` | {ms:.2f} | {calls} | {100 * ms / whole:.1f}% |")
        else:
            print(f"{ms:9.2f} ms {calls:5d}  {100 * ms / whole:5.1f}%  {name[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
