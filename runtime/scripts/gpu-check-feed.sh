#!/usr/bin/env bash
# Issue 7's GPU check, as its own call on the GPU host (after gpu-check.sh, or alone): ResNet-50 fp16 training fed by
# real JPEG decoding (the loader's workers, pinned batches, normalisation on the device) from a folder of ImageNet-sized
# JPEGs, against the same model and batch on synthetic data. Run from the repository root with out/bundle.tar.xz
# carried; needs python3 (or $PYTHON) with PIL and numpy on the host (there with torchvision). Writes under $OUT:
#   feed-jpegs.txt     how the folder was made and its size
#   feed-bench.json    synthetic-data throughput (nativenets bench)
#   feed-repro/        the JPEG-fed run (repro --recipe resnet50: metrics.jsonl, one line per epoch)
#   feed.txt           both figures and their ratio (the issue's bar: at least 0.90)
# Nothing here has run on a GPU yet: the session that wrote it had no GPU host.
set -uo pipefail
shopt -s nullglob
PYTHON=${PYTHON:-python3}
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
WORK=${WORK:-/tmp/nativenets-gpu}
if [[ ! -x $WORK/bundle/nativenets ]]; then
    rm -rf "$WORK" && mkdir -p "$WORK" && tar -C "$WORK" -xJf out/bundle.tar.xz
fi
B=$WORK/bundle
export NATIVENETS_KERNEL_CACHE=$WORK/kernel-cache
FEED=$WORK/feed
IMAGES=${FEED_IMAGES:-2048}
EPOCHS=${FEED_EPOCHS:-8}
PARTS=16
# DEVICE=cpu FEED_IMAGES=32 FEED_EPOCHS=3 BENCH_BATCH=32 BENCH_STEPS=2 checks the plumbing on a machine without a GPU.
DEVICE=${DEVICE:-cuda}
BENCH_BATCH=${BENCH_BATCH:-256}
BENCH_STEPS=${BENCH_STEPS:-30}
# FEED_CHANNELS_LAST=1: both runs on NHWC activations (bench/repro --channels-last; the loader's batches are then
# normalised straight into NHWC).
CL=""; [[ ${FEED_CHANNELS_LAST:-0} == 1 ]] && CL="--channels-last"
step() { echo "== $* ($(date +%T))" | tee -a "$OUT/steps.txt"; }

step "feed: $IMAGES ImageNet-sized JPEGs in 10 classes (Bench/peers/pillow_pipeline.py, $PARTS processes)"
rm -rf "$FEED" && mkdir -p "$FEED/train"
for k in $(seq 0 $((PARTS - 1))); do
    "$PYTHON" Bench/peers/pillow_pipeline.py --make "$FEED/part$k" --count $((IMAGES / PARTS)) --seed "$k" &
done > "$OUT/feed-jpegs.txt" 2>&1
wait
i=0
for f in "$FEED"/part*/*.JPEG; do
    c=$((i % 10))
    mkdir -p "$FEED/train/c$c"
    mv "$f" "$FEED/train/c$c/$(basename "$(dirname "$f")")-$(basename "$f")"
    i=$((i + 1))
done
rm -rf "$FEED"/part*
{ echo "$i JPEGs"; du -sh "$FEED/train"; } >> "$OUT/feed-jpegs.txt"

step "feed: resnet50 fp16 batch $BENCH_BATCH on synthetic data"
timeout 240 "$B/nativenets" bench --model resnet50 --batch "$BENCH_BATCH" --precision fp16 --steps "$BENCH_STEPS" --warmup 2 --device "$DEVICE" $CL --json \
    > "$OUT/feed-bench.json" 2> "$OUT/feed-bench.err"

step "feed: resnet50 fp16 from the JPEG folder (the recipe's batch, 256; $EPOCHS epochs)"
timeout 300 "$B/nativenets" repro --recipe resnet50 --data "$FEED" --epochs "$EPOCHS" --precision fp16 --device "$DEVICE" $CL \
    --out "$OUT/feed-repro" > "$OUT/feed-repro.txt" 2>&1
rm -f "$OUT/feed-repro/checkpoint.ckpt" "$OUT/feed-repro/final.safetensors" # 200 MB each: not worth bringing back

"$PYTHON" - "$OUT" <<'PY' | tee "$OUT/feed.txt"
import json, statistics, sys
out = sys.argv[1]
synthetic = None
for line in open(f"{out}/feed-bench.json"):
    line = line.strip()
    if line.startswith("{"):
        synthetic = json.loads(line).get("train_images_per_second", synthetic)
epochs = [json.loads(l) for l in open(f"{out}/feed-repro/metrics.jsonl") if l.strip()]
# The first two epochs hold cuDNN's algorithm search and the loader's start: the median of the rest.
rates = [e["images"] / e["seconds"] for e in epochs[2:]] or [e["images"] / e["seconds"] for e in epochs]
fed = statistics.median(rates)
print(f"synthetic data: {synthetic:.0f} img/s; JPEG-fed: {fed:.0f} img/s (median of epochs {3 if len(epochs) > 2 else 1}-{len(epochs)}: "
      + ", ".join(f"{r:.0f}" for r in rates) + f"); ratio {fed / synthetic:.3f} (bar 0.90)")
PY
step done
