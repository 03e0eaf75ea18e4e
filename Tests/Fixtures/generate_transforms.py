#!/usr/bin/python3
"""Generate the image-pipeline parity fixtures for NativeNets.Data.

Writes, next to this script (or --out DIR):
  transforms.safetensors  what Pillow 9.4 / torchvision 0.14 compute on small synthetic
                          images: Pillow's BILINEAR resize (up, down, odd sizes, both
                          orientations, crop boxes as RandomResizedCrop uses them),
                          torchvision's Resize(n) and CenterCrop(n), ToTensor + Normalize,
                          RandomResizedCrop.get_params with every random draw recorded,
                          and Pillow's decoded RGB pixels of the files in images/.
  images/                 small files made with Pillow for the decoder tests: JPEGs
                          (4:2:0, 4:4:4, progressive, greyscale, Adobe CMYK), PNGs (RGBA,
                          grey+alpha, palette, RGB), a BMP, a GIF, a truncated JPEG,
                          a JPEG whose header claims 65535x65535, and a text file named .jpg.

Every input is a formula of the pixel position plus splitmix64 noise keyed by the image's
name (no downloads), so reruns are byte-identical. Run with Debian's interpreter, which has
PIL 9.4, torch 1.13 and torchvision 0.14:

    /usr/bin/python3 Tests/Fixtures/generate_transforms.py [--out DIR]

Names in transforms.safetensors (all U8 images are H x W x 3, row-major):
  img.<k>                       input image k
  resize.<k>.<W>x<H>            Image.resize((W, H), BILINEAR) of img.<k>
  rcrop.<k>.<l>_<t>_<w>_<h>.<S> torchvision F.resized_crop(img, t, l, h, w, [S, S]) (crop, then resize)
  tvresize.<k>.<n>              torchvision Resize(n) (shorter side n)
  center.<k>.<n>                torchvision CenterCrop(n) (zero padding where n exceeds a side)
  normalize.<k>                 F32 3 x H x W, Normalize(ImageNet mean, std)(ToTensor(img.<k>))
  rrc.cases                     F64 [C, 7]: width, height, scale0, scale1, ratio0, ratio1, seed
  rrc.draws                     F64 [M, 5]: case, kind (0 uniform_, 1 randint), lo, hi, value
  rrc.out                       I32 [C, 4]: i, j, h, w returned by RandomResizedCrop.get_params
  decode.<file>                 Pillow's Image.open(file).convert("RGB") of images/<file>
"""

import argparse
import io
import json
import os
import struct
import sys
import tempfile

import numpy as np
import torch
import torchvision
import torchvision.transforms as T
import torchvision.transforms.functional as F
from PIL import Image

MASK64 = (1 << 64) - 1
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def fnv1a64(key):
    h = 0xCBF29CE484222325
    for b in key.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & MASK64
    return h


def noise(key, n):
    """n uniform values in [0, 1) from splitmix64 seeded with FNV-1a(key) (as paramgen-v1)."""
    out = np.empty(n, dtype=np.float64)
    state = fnv1a64(key)
    for i in range(n):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        z ^= z >> 31
        out[i] = (z >> 11) * 2.0 ** -53
    return out


def synthetic(key, w, h, noise_amp=60.0):
    """An RGB image: smooth waves per channel plus splitmix64 noise, clipped to 0..255."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    u = noise(key, w * h * 3).reshape(h, w, 3)
    chans = []
    for c, (fx, fy) in enumerate(((7.0, 5.0), (3.0, 11.0), (13.0, 2.5))):
        base = 128 + 90 * np.sin(x / fx + c) * np.cos(y / fy - c)
        chans.append(base + noise_amp * (2 * u[:, :, c] - 1))
    img = np.clip(np.rint(np.stack(chans, axis=2)), 0, 255).astype(np.uint8)
    # A few saturated pixels so clipping in the resampler is exercised.
    img[0, 0] = (255, 0, 255)
    img[h - 1, w - 1] = (0, 255, 0)
    return img


def rgb(arr):
    return np.asarray(arr.convert("RGB"), dtype=np.uint8)


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, ndarray); U8, I32, F32, F64; written atomically."""
    dtypes = {np.dtype(np.uint8): "U8", np.dtype(np.int32): "I32", np.dtype(np.float32): "F32", np.dtype(np.float64): "F64"}
    header, blobs, offset = {}, [], 0
    for name, arr in tensors:
        arr = np.ascontiguousarray(arr)
        raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtypes[arr.dtype], "shape": [int(s) for s in arr.shape],
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((-len(hb)) % 8)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(hb)))
            f.write(hb)
            for raw in blobs:
                f.write(raw)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# Inputs: (name, width, height). Landscape, portrait, square, odd sizes, a thin strip.
INPUTS = [("a", 67, 45), ("b", 40, 71), ("c", 32, 32), ("d", 97, 13), ("e", 9, 7)]

# Output sizes per input for Image.resize: downscale by non-integer factors, upscale, odd, 1 px.
RESIZES = {
    "a": [(33, 22), (17, 11), (5, 3), (1, 1), (67, 30), (30, 45), (134, 90), (100, 61), (150, 101)],
    "b": [(20, 35), (13, 29), (39, 70), (41, 72), (80, 142), (7, 71), (40, 9)],
    "c": [(16, 16), (31, 31), (33, 33), (11, 5), (64, 64), (100, 3)],
    "d": [(48, 6), (30, 4), (200, 27), (97, 1), (1, 13)],
    "e": [(3, 2), (18, 14), (25, 31), (40, 31)],
}
TV_RESIZES = {"a": [32, 20, 50, 90], "b": [32, 17, 64], "c": [24, 40], "d": [8, 5], "e": [30, 4]}
CENTER_CROPS = {"a": [32, 44, 45, 50, 20], "b": [30, 39, 40, 41, 80], "c": [31, 30, 33, 8], "d": [12, 13, 11], "e": [8, 4, 12]}
# (left, top, width, height, size) boxes for resized_crop, as RandomResizedCrop produces them.
RESIZED_CROPS = {
    "a": [(3, 2, 40, 30, 24), (0, 0, 67, 45, 24), (60, 40, 7, 5, 24), (10, 5, 31, 37, 16), (0, 0, 1, 1, 8)],
    "b": [(5, 9, 22, 40, 24), (0, 30, 40, 41, 24), (39, 70, 1, 1, 3)],
    "c": [(1, 1, 30, 30, 24), (8, 4, 17, 23, 40)],
}

RRC_CASES = [
    # width, height, scale, ratio, how many seeds
    (500, 375, (0.08, 1.0), (3 / 4, 4 / 3), 40),
    (375, 500, (0.08, 1.0), (3 / 4, 4 / 3), 20),
    (64, 64, (0.08, 1.0), (3 / 4, 4 / 3), 20),
    (200, 20, (0.08, 1.0), (3 / 4, 4 / 3), 10),   # too wide: often the fallback
    (20, 200, (0.08, 1.0), (3 / 4, 4 / 3), 10),   # too tall
    (50, 40, (1.5, 2.0), (3 / 4, 4 / 3), 3),      # never fits: fallback, whole image
    (300, 100, (1.5, 2.0), (3 / 4, 4 / 3), 3),    # fallback, in_ratio > max ratio
    (100, 300, (1.5, 2.0), (3 / 4, 4 / 3), 3),    # fallback, in_ratio < min ratio
    (1, 1, (0.08, 1.0), (3 / 4, 4 / 3), 3),
    (3, 1000, (0.08, 1.0), (3 / 4, 4 / 3), 3),
    (640, 480, (0.25, 0.5), (0.5, 2.0), 10),
]


def record_get_params():
    """RandomResizedCrop.get_params on many sizes, logging every uniform_ and randint draw."""
    draws, cases, outs = [], [], []
    real_uniform, real_randint = torch.Tensor.uniform_, torch.randint
    current = [0]

    def uniform_(self, a=0.0, b=1.0, **kw):
        r = real_uniform(self, a, b, **kw)
        draws.append((current[0], 0, float(a), float(b), float(r.item())))
        return r

    def randint(low, high, size, **kw):
        r = real_randint(low, high, size, **kw)
        draws.append((current[0], 1, float(low), float(high), float(r.item())))
        return r

    torch.Tensor.uniform_, torch.randint = uniform_, randint
    try:
        for (w, h, scale, ratio, seeds) in RRC_CASES:
            img = Image.new("RGB", (w, h))
            for seed in range(seeds):
                current[0] = len(cases)
                torch.manual_seed(1000 + seed)
                i, j, hh, ww = T.RandomResizedCrop.get_params(img, list(scale), list(ratio))
                cases.append((w, h, scale[0], scale[1], ratio[0], ratio[1], 1000 + seed))
                outs.append((i, j, hh, ww))
    finally:
        torch.Tensor.uniform_, torch.randint = real_uniform, real_randint
    return (np.array(cases, dtype=np.float64), np.array(draws, dtype=np.float64), np.array(outs, dtype=np.int32))


def make_image_files(folder):
    """The decoder test files. Returns [(file name, Pillow's decoded RGB or None)]."""
    os.makedirs(folder, exist_ok=True)
    out = []
    photo = Image.fromarray(synthetic("photo", 64, 48, noise_amp=12.0))

    def save(name, im, **kw):
        path = os.path.join(folder, name)
        im.save(path, **kw)
        with Image.open(path) as back:
            out.append((name, rgb(back)))

    save("rgb420.jpg", photo, quality=90)
    save("rgb444.jpg", photo, quality=90, subsampling=0)
    save("progressive.jpg", photo, quality=85, progressive=True)
    save("odd-size.jpg", Image.fromarray(synthetic("odd", 37, 23, noise_amp=8.0)), quality=90)
    save("grey.jpg", photo.convert("L"), quality=90)
    save("cmyk.jpg", photo.convert("CMYK"), quality=90)
    rgba = np.concatenate([np.asarray(photo), (np.arange(64 * 48) % 256).reshape(48, 64, 1).astype(np.uint8)], axis=2)
    save("rgba.png", Image.fromarray(rgba, "RGBA"))
    save("grey-alpha.png", Image.fromarray(rgba, "RGBA").convert("LA"))
    save("palette.png", photo.convert("P", palette=Image.ADAPTIVE, colors=16))
    save("rgb.bmp", photo)
    save("palette.gif", photo.convert("P", palette=Image.ADAPTIVE, colors=32))
    save("rgb.png", photo)

    whole = open(os.path.join(folder, "rgb420.jpg"), "rb").read()
    with open(os.path.join(folder, "truncated.jpg"), "wb") as f:
        f.write(whole[: len(whole) * 6 // 10])
    # A JPEG whose frame header claims 65535 x 65535 (SOF0 height and width patched).
    huge = bytearray(whole)
    sof = huge.index(b"\xff\xc0")
    huge[sof + 5:sof + 9] = b"\xff\xff\xff\xff"
    with open(os.path.join(folder, "huge-header.jpg"), "wb") as f:
        f.write(bytes(huge))
    with open(os.path.join(folder, "not-an-image.jpg"), "w") as f:
        f.write("This is a text file with a .jpg name.\n")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)

    tensors = []
    images = {}
    for name, w, h in INPUTS:
        images[name] = synthetic("img." + name, w, h)
        tensors.append((f"img.{name}", images[name]))
    for name, sizes in RESIZES.items():
        pil = Image.fromarray(images[name])
        for (w, h) in sizes:
            tensors.append((f"resize.{name}.{w}x{h}", np.asarray(pil.resize((w, h), Image.BILINEAR))))
    for name, boxes in RESIZED_CROPS.items():
        pil = Image.fromarray(images[name])
        for (l, t, w, h, s) in boxes:
            r = F.resized_crop(pil, t, l, h, w, [s, s], T.InterpolationMode.BILINEAR)
            tensors.append((f"rcrop.{name}.{l}_{t}_{w}_{h}.{s}", np.asarray(r)))
    for name, sizes in TV_RESIZES.items():
        pil = Image.fromarray(images[name])
        for n in sizes:
            tensors.append((f"tvresize.{name}.{n}", np.asarray(T.Resize(n)(pil))))
    for name, sizes in CENTER_CROPS.items():
        pil = Image.fromarray(images[name])
        for n in sizes:
            tensors.append((f"center.{name}.{n}", np.asarray(T.CenterCrop(n)(pil))))
    for name in ("a", "e"):
        t = T.Normalize(MEAN, STD)(T.ToTensor()(Image.fromarray(images[name])))
        tensors.append((f"normalize.{name}", t.numpy().astype(np.float32)))

    cases, draws, outs = record_get_params()
    tensors += [("rrc.cases", cases), ("rrc.draws", draws), ("rrc.out", outs)]

    for file, pixels in make_image_files(os.path.join(args.out, "images")):
        tensors.append((f"decode.{file}", pixels))

    path = os.path.join(args.out, "transforms.safetensors")
    write_safetensors(path, tensors, {
        "format": "nativenets-transforms-v1",
        "pillow": Image.__version__, "torch": torch.__version__, "torchvision": torchvision.__version__,
        "numpy": np.__version__,
    })
    print(f"{path}: {os.path.getsize(path):,} bytes, {len(tensors)} tensors; {len(draws)} recorded draws", file=sys.stderr)


if __name__ == "__main__":
    main()
