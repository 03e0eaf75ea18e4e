#!/usr/bin/env bash
# The whole GPU check, in one call on the GPU host (see DEVELOPERS.md). Run from the repository root with
# out/bundle.tar.xz carried (make bundle BUNDLE_DATA=1). Writes everything it measured under $OUT:
#   doctor.txt/.json, gpu-tests.txt, knn-cuda.json + knn-cpu.json, lenet5-cuda.json, nccl-one-rank.json (where mpirun is),
#   bench-resnet50.json, torch-resnet50.json, bench-gpu/ + RESULTS.md (fp16/bf16 rows), layer-times-resnet50-bf16.txt
# Nothing here has run on a GPU yet: the session that wrote it had no GPU host.
set -uo pipefail
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
WORK=${WORK:-/tmp/nativenets-gpu}
rm -rf "$WORK" && mkdir -p "$WORK"
tar -C "$WORK" -xJf out/bundle.tar.xz
B=$WORK/bundle
export NATIVENETS_KERNEL_CACHE=$WORK/kernel-cache
step() { echo "== $* ($(date +%T))" | tee -a "$OUT/steps.txt"; }

step doctor
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
"$B/nativenets" doctor > "$OUT/doctor.txt" 2>&1; echo "exit $?" >> "$OUT/doctor.txt"
"$B/nativenets" doctor --json > "$OUT/doctor.json" 2>&1

step gpu tests
timeout 300 "$B/run-tests" -namespace NativeNets.Tests.Gpu -noColor > "$OUT/gpu-tests.txt" 2>&1; echo "exit $?" >> "$OUT/gpu-tests.txt"
tail -3 "$OUT/gpu-tests.txt"

if [[ -d "$B/data" ]]; then
    step knn on the full test set, cuda and cpu
    timeout 120 "$B/nativenets" knn --data "$B/data" --device cuda --json > "$OUT/knn-cuda.json" 2> "$OUT/knn-cuda.err"
    timeout 300 "$B/nativenets" knn --data "$B/data" --device cpu --json > "$OUT/knn-cpu.json" 2> "$OUT/knn-cpu.err"
    step lenet5 on cuda
    timeout 300 "$B/nativenets" train --model lenet5 --data "$B/data" --device cuda --json > "$OUT/lenet5-cuda.json" 2> "$OUT/lenet5-cuda.err"
fi

if command -v mpirun >/dev/null; then
    step NCCL communicator, one rank
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 TERM=dumb timeout 300 mpirun -np 1 "$B/nativenets" train --distributed --model resnet20 \
        --data "$B/data" --device cuda --epochs 1 --json > "$OUT/nccl-one-rank.json" 2> "$OUT/nccl-one-rank.err"
fi

step resnet50 f32 training throughput, NativeNets then PyTorch
timeout 240 "$B/nativenets" bench --model resnet50 --batch 256 --precision fp32 --steps 20 --device cuda --tf32 --json > "$OUT/bench-resnet50.json" 2> "$OUT/bench-resnet50.err"
timeout 240 python3 Bench/anchors/torch_train.py --model resnet50 --batch 256 --precision fp32 --steps 20 --json > "$OUT/torch-resnet50.json" 2> "$OUT/torch-resnet50.err"
step "mixed precision: resnet50 fp16 and bf16 beside PyTorch (bench-gpu.sh), and resnet50's per-layer times"
cp Bench/RESULTS.md "$OUT/RESULTS.md"
ROWS="resnet50:256:fp16 resnet50:256:bf16" NATIVENETS="$B/nativenets" OUT="$OUT/bench-gpu" RESULTS_MD="$OUT/RESULTS.md" \
    timeout 400 bash runtime/scripts/bench-gpu.sh > "$OUT/bench-gpu.txt" 2>&1
timeout 200 "$B/nativenets" bench --model resnet50 --batch 256 --precision bf16 --steps 5 --warmup 3 --device cuda --layer-times 2 \
    > "$OUT/layer-times-resnet50-bf16.txt" 2>&1
step done
