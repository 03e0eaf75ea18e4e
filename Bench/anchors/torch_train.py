#!/usr/bin/env python3
"""The PyTorch peer of `nativenets bench`: the same model, batch and precision, on synthetic data, configured as
PyTorch users run it on a GPU (channels_last, cudnn.benchmark, autocast for fp16/bf16 with a GradScaler for fp16,
TF32 allowed in fp32, SGD with momentum 0.9). 8 warm-up steps, then --steps timed ones.
Prints one JSON object: model, batch, precision, train_images_per_second, infer_images_per_second, peak_gpu_bytes."""
import argparse
import json
import sys
import time

import torch
import torchvision


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="resnet50")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--precision", choices=["fp32", "fp16", "bf16"], default="fp32")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=8)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="after the timing, profile one training step and print its N costliest GPU kernels (to stderr)")
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda",
                    help="cpu only to check the script itself (bench-gpu.sh DEVICE=cpu): fp32, no peak memory")
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        print("torch_train.py: no CUDA device", file=sys.stderr)
        return 2
    if a.device == "cpu" and a.precision != "fp32":
        print("torch_train.py: --device cpu runs fp32 only", file=sys.stderr)
        return 2
    cuda = a.device == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    dev = torch.device(a.device)
    ctor = getattr(torchvision.models, a.model.replace("-", "_"))
    model = ctor(weights=None, num_classes=1000).to(dev).to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.randn(a.batch, 3, a.size, a.size, device=dev).to(memory_format=torch.channels_last)
    y = torch.randint(0, 1000, (a.batch,), device=dev)
    dtype = {"fp32": None, "fp16": torch.float16, "bf16": torch.bfloat16}[a.precision]
    # torch.amp.GradScaler from PyTorch 2.3 on (torch.cuda.amp's is deprecated there); Debian's 1.13 has only the old one.
    fp16 = cuda and a.precision == "fp16"
    scaler = torch.amp.GradScaler(a.device, enabled=fp16) if hasattr(torch.amp, "GradScaler") else torch.cuda.amp.GradScaler(enabled=fp16)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast(a.device, dtype=dtype, enabled=dtype is not None):
            out = model(x)
            if isinstance(out, tuple):
                out = out[0]
            loss = loss_fn(out, y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    model.train()
    for _ in range(a.warmup):
        step()
    sync()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    sync()
    train = a.batch * a.steps / (time.perf_counter() - t0)
    peak = torch.cuda.max_memory_allocated() if cuda else None

    model.eval()
    with torch.no_grad(), torch.autocast(a.device, dtype=dtype, enabled=dtype is not None):
        for _ in range(a.warmup):
            model(x)
        sync()
        t0 = time.perf_counter()
        for _ in range(a.steps):
            model(x)
        sync()
    infer = a.batch * a.steps / (time.perf_counter() - t0)
    result = {"model": a.model, "batch": a.batch, "precision": a.precision, "peer": f"pytorch {torch.__version__}",
              "device": torch.cuda.get_device_name() if cuda else "cpu", "train_images_per_second": round(train, 1),
              "infer_images_per_second": round(infer, 1), "peak_gpu_bytes": peak}
    print(json.dumps(result) if a.json else result)
    if a.profile and cuda:
        # The kernels of one training step, to set beside NativeNets' own (ncu's per-kernel summary).
        model.train()
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
            step()
            sync()
        print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=a.profile, max_name_column_width=90), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
