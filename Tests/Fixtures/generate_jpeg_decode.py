#!/usr/bin/python3
"""Generate the JPEG decoding parity fixture: what Pillow decodes from each committed JPEG.

Writes jpeg-decode.safetensors next to this script (or --out DIR). The C# test
(Tests/Data/TurboJpegTests.cs) decodes the same committed bytes with libjpeg-turbo's TurboJPEG API
and must get exactly these pixels.

Run with Debian's interpreter, whose Pillow 9.4 decodes with libjpeg-turbo 2.1.5 (libjpeg62-turbo,
the same release as Debian bookworm's libturbojpeg0):

    /usr/bin/python3 Tests/Fixtures/generate_jpeg_decode.py [--out DIR]

Every JPEG in images/ and photos/ is opened with Image.open(file).convert("RGB") (torchvision's
default_loader: libjpeg's defaults, i.e. the accurate integer IDCT and fancy upsampling; grey
replicated to three channels; CMYK read as Adobe-inverted and converted by Pillow's cmyk2rgb).

Names, per file <key> = "images/<name>" or "photos/<name>":
  rgb.<key>      U8 [H, W, 3]: the decoded pixels, for the small fixture images (images/*.jpg);
                 the photos would take 9 MB in full, so for them only:
  rowsum.<key>   I32 [H, 3]: the sum of each row's bytes per channel (locates a difference), and
  centre.<key>   U8 [64, 64, 3]: the 64x64 block at ((W - 64) // 2, (H - 64) // 2),
                 with the exact check in the metadata:
Metadata: format, pillow, libjpeg_turbo, files (comma-separated keys in order), and per key
  sha256.<key> of the JPEG bytes the results belong to, size.<key> "WxH", mode.<key> Pillow's mode
  before convert, and sha256rgb.<key> of the full decoded H x W x 3 bytes.
"""

import argparse
import hashlib
import os
import sys

import numpy as np
import PIL
from PIL import Image, features

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate  # noqa: E402  (the safetensors writer and reader of the parity fixtures)

HERE = os.path.dirname(os.path.abspath(__file__))
CENTRE = 64


def _u8_support():
    # generate.py's writer covers F64/F32/I32; the images here are U8.
    generate._DTYPES[np.dtype(np.uint8)] = "U8"
    generate._NP_DTYPES["U8"] = np.dtype("u1")


def jpegs(folder):
    names = sorted(n for n in os.listdir(os.path.join(HERE, folder)) if n.lower().endswith((".jpg", ".jpeg")))
    keys = []
    for name in names:
        with open(os.path.join(HERE, folder, name), "rb") as f:
            raw = f.read()
        try:
            with Image.open(os.path.join(HERE, folder, name)) as im:
                im.load()
        except Exception as e:  # the hostile fixtures (truncated, huge-header, not-an-image) are not decodable
            print(f"skipping {folder}/{name}: {type(e).__name__}: {e}")
            continue
        if raw[:3] != b"\xff\xd8\xff":
            continue
        keys.append(f"{folder}/{name}")
    return keys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=HERE)
    args = parser.parse_args(argv)
    if not features.check_feature("libjpeg_turbo"):
        sys.exit("this Pillow does not decode with libjpeg-turbo; run Debian's /usr/bin/python3 (python3-pil)")
    _u8_support()

    keys = jpegs("images") + jpegs("photos")
    tensors, metadata = [], {}
    for key in keys:
        path = os.path.join(HERE, key)
        with open(path, "rb") as f:
            metadata[f"sha256.{key}"] = hashlib.sha256(f.read()).hexdigest()
        with Image.open(path) as im:
            metadata[f"mode.{key}"] = im.mode
            rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
        h, w, _ = rgb.shape
        metadata[f"size.{key}"] = f"{w}x{h}"
        metadata[f"sha256rgb.{key}"] = hashlib.sha256(rgb.tobytes()).hexdigest()
        if key.startswith("images/"):
            tensors.append((f"rgb.{key}", rgb))
        else:
            tensors.append((f"rowsum.{key}", rgb.astype(np.int32).sum(axis=1, dtype=np.int64).astype(np.int32)))
            top, left = (h - CENTRE) // 2, (w - CENTRE) // 2
            tensors.append((f"centre.{key}", np.ascontiguousarray(rgb[top:top + CENTRE, left:left + CENTRE])))
        print(f"{key}: {w}x{h} {metadata[f'mode.{key}']}")
    metadata.update({
        "format": "NativeNets JPEG decoding parity fixture v1",
        "pillow": PIL.__version__,
        "libjpeg_turbo": features.version_feature("libjpeg_turbo"),
        "files": ",".join(keys),
    })
    out = os.path.join(args.out, "jpeg-decode.safetensors")
    generate.write_safetensors(out, tensors, metadata)
    generate.verify_roundtrip(out, tensors, metadata)
    print(f"wrote {out} ({os.path.getsize(out)} bytes, {len(keys)} JPEGs)")


if __name__ == "__main__":
    main()
