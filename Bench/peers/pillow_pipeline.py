#!/usr/bin/python3
"""Decode + augment throughput of Pillow + torchvision, the peer of NativeNets' image pipeline.

Run with Debian's /usr/bin/python3 (PIL 9.4, torch 1.13, torchvision 0.14), one process, one thread:

    /usr/bin/python3 Bench/peers/pillow_pipeline.py --make DIR [--count 200] [--seed 0]
        writes DIR/img_0000.JPEG ...: ImageNet-sized (500x375, some 375x500) photo-like JPEGs, quality 90
    /usr/bin/python3 Bench/peers/pillow_pipeline.py --run DIR [--repeats 3]
        times, per image, open + convert("RGB") (decode) and decode + RandomResizedCrop(224) +
        RandomHorizontalFlip(); prints one JSON object on stdout

The photo-like images are smooth random shapes and gradients with blurred texture and fine noise, so their
JPEGs are about as large (and as slow to decode) as ImageNet's (about 110 KB at 500x375).
"""

import argparse
import glob
import json
import os
import sys
import time

import numpy as np
import torch
import torchvision
import torchvision.transforms as T
from PIL import Image, ImageDraw, ImageFilter


def make(folder, count, seed):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    sizes = []
    for k in range(count):
        w, h = (500, 375) if k % 4 else (375, 500)
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        img = np.zeros((h, w, 3), np.float32)
        for c in range(3):
            a, b, p = rng.uniform(0.002, 0.02, 3)
            img[:, :, c] = 128 + 70 * np.sin(a * x + p * 7) * np.cos(b * y) + rng.uniform(-30, 30)
        pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(pil)
        for _ in range(12):
            x0, y0 = rng.integers(0, w), rng.integers(0, h)
            x1, y1 = x0 + rng.integers(20, 200), y0 + rng.integers(20, 200)
            fill = tuple(int(v) for v in rng.integers(0, 256, 3))
            (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([x0, y0, x1, y1], fill=fill)
        texture = rng.normal(0, 60, (h, w, 3)).astype(np.float32)
        texture = np.asarray(Image.fromarray(np.clip(texture + 128, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.9)), np.float32) - 128
        arr = np.asarray(pil, np.float32) + texture + rng.normal(0, 8, (h, w, 3))
        out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        path = os.path.join(folder, f"img_{k:04d}.JPEG")
        out.save(path, quality=90)
        sizes.append(os.path.getsize(path))
    print(json.dumps({"made": count, "folder": folder, "mean_bytes": float(np.mean(sizes))}))


def run(folder, repeats):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    files = sorted(glob.glob(os.path.join(folder, "*.JPEG")))
    if not files:
        sys.exit(f"{folder}: no .JPEG files")
    augment = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip()])

    def decode(path):
        with Image.open(path) as im:
            return im.convert("RGB")

    def one_pass(fn):
        t0 = time.perf_counter()
        for f in files:
            fn(f)
        return len(files) / (time.perf_counter() - t0)

    one_pass(lambda f: augment(decode(f)))  # warm the page cache and the interpreter
    decode_rates = [one_pass(decode) for _ in range(repeats)]
    pipeline_rates = [one_pass(lambda f: augment(decode(f))) for _ in range(repeats)]
    print(json.dumps({
        "peer": f"Pillow {Image.__version__} + torchvision {torchvision.__version__}",
        "images": len(files),
        "decode_images_per_second": max(decode_rates),
        "pipeline_images_per_second": max(pipeline_rates),
        "threads": 1,
    }))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--make", metavar="DIR")
    ap.add_argument("--run", metavar="DIR")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if args.make:
        make(args.make, args.count, args.seed)
    if args.run:
        run(args.run, args.repeats)
    if not (args.make or args.run):
        ap.error("give --make DIR and/or --run DIR")


if __name__ == "__main__":
    main()
