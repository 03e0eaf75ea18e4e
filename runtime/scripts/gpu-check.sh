#!/usr/bin/env bash
# The GPU check, in one device call on the GPU host (README.md, "On a GPU"). Run from the repository root with
# out/bundle.tar.xz carried (make bundle BUNDLE_DATA=1 BUNDLE_FIXTURES=0):
#   PHASES="probe tests knn bench" BUDGET=330 bash runtime/scripts/gpu-check.sh
# PHASES picks and orders what runs (default: all, in the order below); BUDGET is the seconds the whole call may take:
# each step gets its own cap, cut to what is left, and a step that would get under 10 s is skipped and says so.
#   probe     nvidia-smi, the libraries the loader finds, `nativenets doctor` (text and --json)
#   tests     the GPU tests, one process per class (a native fault in one class cannot hide the others' results)
#   knn       k-NN L1, the 10,000 test images against the bundle's training images, --device cuda, then cpu: the predictions' SHA-256 must match
#   lenet     LeNet-5 trained on cuda
#   bench     ResNet-50 batch 256 fp32 (TF32) and fp16, NativeNets then PyTorch (Bench/anchors/torch_train.py)
#   bn-modes  ResNet-50 batch 256 fp32 (TF32) and bf16 with cuDNN's batch norm in its SPATIAL mode, then in SPATIAL_PERSISTENT
#             (NATIVENETS_BN_PERSISTENT=1), then PyTorch for both precisions
#   cl        ResNet-50 batch 256 fp32 (TF32) and bf16 with --channels-last (NHWC), then PyTorch for both (channels_last too)
#   mp        ResNet-20 on the bundle's Fashion-MNIST in fp32, bf16 and fp16 (issue 5: within 0.5 points of fp32)
#   mixed     bench-gpu.sh's rows (ROWS, default resnet50 fp16 and bf16) into a copy of Bench/RESULTS.md
#   layers    ResNet-50 bf16 per-layer times
#   nccl      a one-rank NCCL communicator under mpirun (where mpirun is)
#   profile   one ResNet-50 batch 256 step per precision (PROFILE_PRECISIONS, default fp32 bf16): ncu's per-kernel summary of
#             NativeNets' step (--profile-steps; PROFILE_FLAGS=--channels-last adds that) and torch.profiler's costliest
#             kernels of PyTorch's (PROFILE_TORCH=0: not)
#   nsight    ncu follows the NVTX ranges of --profile-steps 3:3 (the profiler's capture range)
# Everything lands in one folder, packed into $OUT/gpu-check.tgz after every step (the device tool brings back
# at most 8 files), with steps.txt (each step, its exit status and seconds) printed as it goes.
set -uo pipefail
OUT=${OUT:-$PWD/gpu-check-out}
PHASES=${PHASES:-probe tests knn lenet bench cl mp mixed layers profile nccl nsight}
BUDGET=${BUDGET:-540}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
START=$(date +%s)
WORK=${WORK:-/tmp/nativenets-gpu}
R=$WORK/results
rm -rf "$WORK" && mkdir -p "$WORK" "$R"
tar -C "$WORK" -xJf out/bundle.tar.xz
B=$WORK/bundle
export NATIVENETS_KERNEL_CACHE=$WORK/kernel-cache
# A bundle made with BUNDLE_FIXTURES=0 reads the parity fixtures and photos from the repository this runs in.
[[ -d $B/fixtures ]] || export NATIVENETS_FIXTURES=$PWD/Tests/Fixtures

left() { echo $((BUDGET - ($(date +%s) - START))); }
pack() { tar -C "$R" -czf "$WORK/pack.tgz" . && cp "$WORK/pack.tgz" "$OUT/gpu-check.tgz"; }
# step NAME CAP COMMAND...: stdout to NAME.out, stderr to NAME.err, the last lines of both on the console.
step() {
    local name=$1 cap=$2 rc t0
    shift 2
    local room=$(($(left) - 12))
    ((room < cap)) && cap=$room
    if ((cap < 10)); then
        echo "== $name: skipped, $(left) s left of $BUDGET" | tee -a "$R/steps.txt"
        return 0
    fi
    echo "== $name (cap $cap s, at $(($(date +%s) - START)) s)" | tee -a "$R/steps.txt"
    t0=$(date +%s)
    timeout -k 5 "$cap" "$@" > "$R/$name.out" 2> "$R/$name.err"
    rc=$?
    echo "   $name: exit $rc after $(($(date +%s) - t0)) s" | tee -a "$R/steps.txt"
    tail -n 4 "$R/$name.out" | cut -c1-400
    tail -n 6 "$R/$name.err" | cut -c1-400
    pack
    return 0
}
has() { [[ " $PHASES " == *" $1 "* ]]; }
# ResNet-50 at batch 256, 20 timed steps, in precision P (fp32 with TF32, as PyTorch allows it there): NativeNets with
# any further flags (an environment prefix on the call reaches it), and PyTorch (channels_last, autocast).
tf32_for() { [[ $1 == fp32 ]] && echo "--tf32"; }
ours_resnet50() { # NAME CAP P [FLAGS...]
    local name=$1 cap=$2 p=$3
    shift 3
    step "$name" "$cap" "$B/nativenets" bench --model resnet50 --batch 256 --precision "$p" $(tf32_for "$p") --steps 20 --device cuda --json "$@"
}
torch_resnet50() { step "torch-resnet50-$1" 120 "$PYTHON" Bench/anchors/torch_train.py --model resnet50 --batch 256 --precision "$1" --steps 20 --json; }

for phase in $PHASES; do
    case $phase in
    probe)
        step nvidia-smi 20 nvidia-smi
        step libraries 20 bash -c 'ldconfig -p | grep -E "libcuda\.so|libcudnn\.so|libcublas|libnccl|libnvrtc|libnvToolsExt|libnvjpeg"; ls /usr/local/cuda/lib64 | head -80'
        step doctor 60 "$B/nativenets" doctor
        step doctor-json 60 "$B/nativenets" doctor --json
        ;;
    tests)
        for class in CudaBackendTests ReducedPrecisionTests CudaNetworkTests CudaNativeMemoryTests ChannelsLastTests; do
            step "tests-$class" 240 "$B/run-tests" -class "NativeNets.Tests.Gpu.$class" -noColor -noAutoReporters -reporter verbose \
                -longRunning 30 -xml "$R/tests-$class.xml"
        done
        step tests-embedding 120 "$B/run-tests" -class "NativeNets.Tests.Embedding.EmbeddingTests" -class "NativeNets.Tests.Embedding.EmbeddingExampleTests" \
            -method- "NativeNets.Tests.Embedding.EmbeddingExampleTests.TheDocumentShowsTheCodeTheTestsRun" \
            -noColor -noAutoReporters -reporter verbose -longRunning 30 # (that one reads docs/, which the bundle has not)
        grep -h -E "^=== TEST EXECUTION SUMMARY|Total:|Failed:|Skipped:" "$R"/tests-*.out | head -20
        ;;
    knn)
        step knn-cuda 90 "$B/nativenets" knn --data "$B/data" --device cuda --json
        step knn-cpu 120 "$B/nativenets" knn --data "$B/data" --device cpu --json
        "$PYTHON" - "$R" <<'PY' | tee "$R/knn-compare.txt"
import json, sys
r = sys.argv[1]
def last(name):
    try:
        return json.loads([l for l in open(f"{r}/{name}.out") if l.startswith("{")][-1])
    except Exception as e:
        return {"error": repr(e)}
g, c = last("knn-cuda"), last("knn-cpu")
same = g.get("predictions_sha256") and g.get("predictions_sha256") == c.get("predictions_sha256")
print(f"knn L1 k=1, {g.get('test_count')} queries against {g.get('train_count')}: cuda accuracy {g.get('accuracy')}, "
      f"{g.get('queries_per_second')} queries/s; cpu accuracy {c.get('accuracy')}, {c.get('queries_per_second')} queries/s; "
      f"predictions {'IDENTICAL' if same else 'DIFFERENT'} ({g.get('predictions_sha256')} vs {c.get('predictions_sha256')})")
PY
        ;;
    lenet)
        step lenet5-cuda 120 "$B/nativenets" train --model lenet5 --data "$B/data" --device cuda --json
        ;;
    bench)
        for p in fp32 fp16; do
            ours_resnet50 "bench-resnet50-$p" 120 "$p"
            torch_resnet50 "$p"
        done
        ;;
    bn-modes)
        for p in fp32 bf16; do
            NATIVENETS_BN_PERSISTENT=0 ours_resnet50 "bench-resnet50-$p-bn-spatial" 90 "$p"
            NATIVENETS_BN_PERSISTENT=1 ours_resnet50 "bench-resnet50-$p-bn-persistent" 90 "$p"
            torch_resnet50 "$p"
        done
        ;;
    cl)
        for p in fp32 bf16; do
            ours_resnet50 "bench-resnet50-$p-channels-last" 120 "$p" --channels-last
            torch_resnet50 "$p"
        done
        ;;
    mp)
        for p in fp32 bf16 fp16; do
            step "resnet20-$p" 90 "$B/nativenets" train --model resnet20 --data "$B/data" --device cuda --epochs 4 --lr-step 3 --batch 128 \
                --precision "$p" --json
        done
        ;;
    mixed)
        cp Bench/RESULTS.md "$R/RESULTS.md"
        step bench-gpu 400 env STEPS="${STEPS:-20}" ROWS="${ROWS:-resnet50:256:fp16 resnet50:256:bf16}" NATIVENETS="$B/nativenets" OUT="$R/bench-gpu" \
            RESULTS_MD="$R/RESULTS.md" PYTHON="$PYTHON" bash runtime/scripts/bench-gpu.sh
        ;;
    layers)
        step layer-times-resnet50-bf16 150 "$B/nativenets" bench --model resnet50 --batch 256 --precision bf16 --steps 5 --warmup 3 \
            --device cuda --layer-times 2
        ;;
    nccl)
        if command -v mpirun > /dev/null; then
            step nccl-one-rank 150 env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 TERM=dumb mpirun -np 1 "$B/nativenets" train \
                --distributed --model resnet20 --data "$B/data" --device cuda --epochs 1 --json
        else
            echo "== nccl: no mpirun on this host" | tee -a "$R/steps.txt"
        fi
        ;;
    profile)
        for p in ${PROFILE_PRECISIONS:-fp32 bf16}; do
            step "ncu-resnet50-$p" 150 ncu --profile-from-start off --metrics gpu__time_duration.sum --csv --print-summary per-kernel \
                "$B/nativenets" bench --model resnet50 --batch 256 --precision "$p" $(tf32_for "$p") --steps 1 --warmup 3 --profile-steps 4:4 --device cuda \
                ${PROFILE_FLAGS:-}
            [[ ${PROFILE_TORCH:-1} == 1 ]] && step "torch-profile-resnet50-$p" 120 "$PYTHON" Bench/anchors/torch_train.py --model resnet50 --batch 256 --precision "$p" \
                --steps 5 --warmup 5 --json --profile 40
        done
        ;;
    nsight)
        if command -v ncu > /dev/null; then
            # Only step 3 is inside the capture range: ncu must list that step's NVTX range and none of the others'.
            step nsight-ncu 150 ncu --nvtx --profile-from-start off --metrics gpu__time_duration.sum --print-summary per-nvtx \
                "$B/nativenets" train --model lenet5 --data "$B/data" --device cuda --steps 5 --profile-steps 3:3
        else
            echo "== nsight: no ncu on this host" | tee -a "$R/steps.txt"
        fi
        ;;
    *) echo "== unknown phase $phase" | tee -a "$R/steps.txt" ;;
    esac
done
echo "== done at $(($(date +%s) - START)) s" | tee -a "$R/steps.txt"
pack
