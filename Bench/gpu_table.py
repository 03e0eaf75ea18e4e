#!/usr/bin/env python3
"""Turns the JSON lines of runtime/scripts/bench-gpu.sh into the side-by-side table of Bench/RESULTS.md: one row per
(model, batch, precision) with NativeNets' and PyTorch's training and inference images/s from the same call, the
ratio, peak memory of both, and NativeNets' model FLOP utilisation. The table replaces what stands between the
markers '<!-- bench-gpu:begin -->' and '<!-- bench-gpu:end -->' (appended with a heading when they are absent)."""
import argparse
import datetime
import json
import os
import sys
import tempfile

BEGIN, END = "<!-- bench-gpu:begin -->", "<!-- bench-gpu:end -->"


def fmt(v, digits=0):
    return "-" if v is None else f"{v:,.{digits}f}"


def failure(error):
    """The last line of an error, short enough for a table cell."""
    lines = [l.strip() for l in error.strip().splitlines() if l.strip()]
    return "failed: " + (lines[-1] if lines else "no output")[-100:].replace("|", "/")


def gib(b):
    return "-" if b is None else f"{b / 2**30:.1f}"


def table(rows, machine, when):
    pairs = {}
    for r in rows:
        key = (r["model"], r["batch"], r["precision"])
        pairs.setdefault(key, {})[r["side"]] = r
    out = [f"Measured {when} on {machine}; both sides in the same call, synthetic data, 8 warm-up steps then the timed ones.",
           "NativeNets: `nativenets bench` (F32 masters, fp16 with a dynamic loss scale, fp32 with TF32 allowed); PyTorch:",
           "`Bench/anchors/torch_train.py` (channels_last, cudnn.benchmark, autocast, GradScaler for fp16).", "",
           "| model | batch | precision | NativeNets train img/s | PyTorch train img/s | ratio | NativeNets infer | PyTorch infer "
           "| peak GiB (ours / torch) | MFU (ours) |",
           "|---|---:|---|---:|---:|---:|---:|---:|---|---:|"]
    for (model, batch, precision), sides in pairs.items():
        n, p = sides.get("nativenets", {}), sides.get("pytorch", {})
        nt, pt = n.get("train_images_per_second"), p.get("train_images_per_second")
        ratio = f"{nt / pt:.2f}x" if nt and pt else "-"
        mfu = n.get("mfu")
        cells = [model, str(batch), precision, fmt(nt, 1) if "error" not in n else failure(n["error"]),
                 fmt(pt, 1) if "error" not in p else failure(p["error"]), ratio,
                 fmt(n.get("infer_images_per_second"), 1), fmt(p.get("infer_images_per_second"), 1),
                 f"{gib(n.get('peak_gpu_bytes'))} / {gib(p.get('peak_gpu_bytes'))}", "-" if mfu is None else f"{100 * mfu:.1f}%"]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", required=True)
    ap.add_argument("--machine", required=True)
    ap.add_argument("--write", help="RESULTS.md to update (else print)")
    a = ap.parse_args()
    rows = [json.loads(line) for line in open(a.results) if line.strip()]
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = table(rows, a.machine, when)
    if not a.write:
        print(body)
        return 0
    text = open(a.write).read() if os.path.exists(a.write) else ""
    block = f"{BEGIN}\n{body}\n{END}"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## Training throughput beside PyTorch on the GPU (make bench-gpu)\n\n" + block + "\n"
    # Through a temporary file and a rename: an interrupted run leaves the old file whole.
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(a.write)), suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, a.write)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
