#!/usr/bin/env bash
# make bench-gpu: NativeNets and PyTorch (Bench/anchors/torch_train.py) on the same GPU, in the same call, for every
# row of issue 5's table (model, batch, precision), then the table into Bench/RESULTS.md (Bench/gpu_table.py).
#   NATIVENETS=path/to/nativenets (default out/nativenets), OUT=folder for the JSON (default out/bench-gpu),
#   ROWS="resnet50:256:fp16 ..." to run other rows, STEPS=20, DEVICE=cuda (cpu for a smoke test of the script itself),
#   CHANNELS_LAST=1 to run NativeNets on NHWC activations (bench --channels-last; PyTorch always runs channels_last).
# Each side gets 8 warm-up steps and STEPS timed ones; a row that fails is recorded with its error, not skipped silently.
set -uo pipefail
NATIVENETS=${NATIVENETS:-out/nativenets}
OUT=${OUT:-out/bench-gpu}
STEPS=${STEPS:-20}
DEVICE=${DEVICE:-cuda}
ROWS=${ROWS:-"resnet50:256:fp16 resnet50:256:bf16 resnet152:128:bf16 vgg16:128:bf16 alexnet:512:bf16 googlenet:256:bf16 resnet18:256:bf16 resnet50:256:fp32"}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
results="$OUT/bench-gpu.jsonl"
: > "$results"
for row in $ROWS; do
    IFS=: read -r model batch precision size <<< "$row"
    size=${size:-224}
    tf32=""; [[ $precision == fp32 ]] && tf32="--tf32" # PyTorch allows TF32 in fp32 too (torch_train.py)
    layout=""; [[ ${CHANNELS_LAST:-0} == 1 ]] && layout="--channels-last"
    echo "== $model batch $batch $precision ($(date +%T))" >&2
    if ! timeout 600 "$NATIVENETS" bench --model "$model" --batch "$batch" --precision "$precision" --steps "$STEPS" --size "$size" \
            --device "$DEVICE" $tf32 $layout --json > "$OUT/$model-$batch-$precision.nativenets.json" 2> "$OUT/$model-$batch-$precision.nativenets.err"; then
        echo "{\"side\": \"nativenets\", \"model\": \"$model\", \"batch\": $batch, \"precision\": \"$precision\", \"error\": $(tail -c 300 "$OUT/$model-$batch-$precision.nativenets.err" | "$PYTHON" -c 'import json,sys; print(json.dumps(sys.stdin.read().strip()))')}" >> "$results"
    else
        "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["side"]="nativenets"; print(json.dumps(d))' "$OUT/$model-$batch-$precision.nativenets.json" >> "$results"
    fi
    if ! timeout 600 "$PYTHON" Bench/anchors/torch_train.py --model "$model" --batch "$batch" --precision "$precision" --steps "$STEPS" --size "$size" \
            --device "$DEVICE" --json > "$OUT/$model-$batch-$precision.pytorch.json" 2> "$OUT/$model-$batch-$precision.pytorch.err"; then
        echo "{\"side\": \"pytorch\", \"model\": \"$model\", \"batch\": $batch, \"precision\": \"$precision\", \"error\": $(tail -c 300 "$OUT/$model-$batch-$precision.pytorch.err" | "$PYTHON" -c 'import json,sys; print(json.dumps(sys.stdin.read().strip()))')}" >> "$results"
    else
        "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["side"]="pytorch"; print(json.dumps(d))' "$OUT/$model-$batch-$precision.pytorch.json" >> "$results"
    fi
done
machine=$( (nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1) || true)
[[ -z $machine ]] && machine="$(uname -n), $(nproc) cores, no GPU"
"$PYTHON" Bench/gpu_table.py --results "$results" --machine "$machine" --write "${RESULTS_MD:-Bench/RESULTS.md}"
