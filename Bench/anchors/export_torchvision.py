#!/usr/bin/env python3
"""Turns a torchvision classification checkpoint into a safetensors file NativeNets loads as it is
(`StateDict.Load`, `nativenets eval --weights`): the state_dict's keys unchanged, float32, and metadata naming the
model and the evaluation transform (resize 256, centre crop 224, ImageNet mean and std).

  export_torchvision.py --model resnet50 --weights IMAGENET1K_V1 --out resnet50.safetensors   # torchvision's weights
  export_torchvision.py --model resnet50 --checkpoint model_89.pth --out resnet50.safetensors  # a training checkpoint
  export_torchvision.py --model resnet18 --random --out resnet18-random.safetensors            # seeded random weights

Named weights are fetched by torchvision (or read from its cache, ~/.cache/torch/hub/checkpoints). GoogLeNet's
checkpoints keep their auxiliary heads only with --aux (NativeNets' googlenet-aux)."""
import argparse
import json
import os
import struct
import sys

import torch
import torchvision

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64", torch.int64: "I64",
          torch.int32: "I32", torch.uint8: "U8"}


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        data = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)  # never a half-written file at the final path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="torchvision model name (resnet50, vgg16, googlenet, alexnet, ...)")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--weights", help="torchvision weights enum name, e.g. IMAGENET1K_V1")
    src.add_argument("--checkpoint", help="a .pth file: a state_dict, or a dict with 'model' or 'state_dict'")
    src.add_argument("--random", action="store_true", help="seeded random initialisation (for tests)")
    ap.add_argument("--aux", action="store_true", help="GoogLeNet: keep aux1/aux2 (NativeNets' googlenet-aux)")
    ap.add_argument("--num-classes", type=int, default=1000)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    extra = {"aux_logits": a.aux, "init_weights": True} if a.model == "googlenet" else {}
    if a.weights:
        model = getattr(torchvision.models, a.model)(weights=a.weights, **extra)
    else:
        torch.manual_seed(0)
        model = getattr(torchvision.models, a.model)(weights=None, num_classes=a.num_classes, **extra)
        if a.checkpoint:
            state = torch.load(a.checkpoint, map_location="cpu")
            state = state.get("model", state.get("state_dict", state)) if isinstance(state, dict) else state
            state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
            model.load_state_dict(state, strict=True)
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    name = a.model.replace("_", "-") + ("-aux" if a.model == "googlenet" and a.aux else "")
    metadata = {"model": name, "source": a.weights or a.checkpoint or "random", "torchvision": torchvision.__version__,
                "eval_transform": "resize 256 (bilinear, antialiased), center crop 224, normalize",
                "mean": "0.485,0.456,0.406", "std": "0.229,0.224,0.225"}
    write_safetensors(a.out, state, metadata)
    print(f"{a.out}: {len(state)} tensors, {sum(v.numel() for v in state.values()):,} values, model {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
