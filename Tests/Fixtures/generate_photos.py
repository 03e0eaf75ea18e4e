#!/usr/bin/python3
"""Generate the real-photo parity fixture for NativeNets.Data's evaluation transform.

Writes, next to this script (or --out DIR):
  photos/<file>        the committed photos (see photos/README.md for sources and licences).
                       A photo is made only when it is missing (or with --refresh): copied
                       byte for byte from scikit-image's data folder (Debian's python3-skimage),
                       or, for the PNG originals, re-encoded once as JPEG by Pillow (quality 90,
                       4:2:0, baseline), since ImageNet is JPEGs. Otherwise the committed bytes
                       are used as they are: the C# test decodes exactly those bytes.
  photos.safetensors   what Pillow 9.4 / torchvision 0.14 compute from each committed photo.

Run with Debian's interpreter, which has PIL 9.4, torch 1.13 and torchvision 0.14:

    /usr/bin/python3 Tests/Fixtures/generate_photos.py [--out DIR] [--refresh] [--source DIR]

Names in photos.safetensors (per committed photo <file>, e.g. rocket.jpg):
  size.<file>            I32 [2]: width, height of Image.open(file).convert("RGB")
  eval.<file>            U8 [224, 224, 3]: torchvision's evaluation transform before ToTensor,
                         CenterCrop(224)(Resize(256)(Image.open(file).convert("RGB")))
                         (torchvision's default_loader, then the transforms on the PIL image)
  normalized_sum.<file>  F64 [3]: per-channel sums of Normalize(mean, std)(ToTensor(eval)),
                         torch's full normalised tensor, summed in float64
  normalize.table        F32 [3, 256]: Normalize(ImageNet mean, std)(ToTensor(ramp)) of the
                         ramp 0..255 in every channel: torch's value for every (channel, byte).
                         ToTensor + Normalize is elementwise, so torch's normalised output of a
                         photo is exactly table[c, eval[y, x, c]]; this script asserts that,
                         bit for bit, for every photo (storing the F32 tensors themselves would
                         cost 600 KB a photo).
Metadata: format, pillow/torch/torchvision/numpy versions, photos (comma-separated file names
in order), sha256.<file> (the committed bytes the results belong to), jpeg.<file> (sampling,
progressive) for JPEGs.
"""

import argparse
import hashlib
import io
import os
import shutil
import sys

import numpy as np
import torch
import torchvision
import torchvision.transforms as T
from PIL import Image, JpegImagePlugin

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate  # noqa: E402  (the safetensors writer and reader of the parity fixtures)

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data"

# (committed file, source file in scikit-image's data folder, how it is made)
#   copy:   the original bytes
#   jpeg90: Image.open(source).convert("RGB").save(file, quality=90) (Pillow's default 4:2:0, baseline)
PHOTOS = [
    ("rocket.jpg", "rocket.jpg", "copy"),            # 640x427, 4:4:4, SpaceX, public domain
    ("retina.jpg", "retina.jpg", "copy"),            # 1411x1411, 4:2:0, Haggstrom, CC0
    ("astronaut.jpg", "astronaut.png", "jpeg90"),    # 512x512, NASA, public domain
    ("coffee.jpg", "coffee.png", "jpeg90"),          # 600x400, Rachel Michetti, CC0
    ("chelsea.jpg", "chelsea.png", "jpeg90"),        # 451x300, Stefan van der Walt, CC0
    ("chelsea.png", "chelsea.png", "copy"),          # the same cat losslessly: isolates the decoder
]


def _u8_support():
    # generate.py's writer covers F64/F32/I32; the images here are U8.
    generate._DTYPES[np.dtype(np.uint8)] = "U8"
    generate._NP_DTYPES["U8"] = np.dtype("u1")


def make_photo(folder, file, source_dir, source, how):
    src = os.path.join(source_dir, source)
    if not os.path.exists(src):
        sys.exit(f"{os.path.join(folder, file)} is missing and so is its source {src}: "
                 "apt-get install python3-skimage, or pass --source DIR")
    dst = os.path.join(folder, file)
    if how == "copy":
        shutil.copyfile(src, dst)
    elif how == "jpeg90":
        with Image.open(src) as im:
            im.convert("RGB").save(dst, "JPEG", quality=90)
    else:
        raise ValueError(how)
    os.chmod(dst, 0o644)
    print(f"made {dst} from {src} ({how}): {os.path.getsize(dst):,} bytes", file=sys.stderr)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--source", default=SKIMAGE_DATA, help="scikit-image's data folder (only for missing photos)")
    ap.add_argument("--refresh", action="store_true", help="remake every photo from its source")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    _u8_support()

    folder = os.path.join(args.out, "photos")
    os.makedirs(folder, exist_ok=True)

    ramp = Image.fromarray(np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2))
    table = T.Normalize(MEAN, STD)(T.ToTensor()(ramp)).numpy()[:, 0, :].astype(np.float32)   # [3, 256]

    tensors, metadata, names = [], {}, []
    for file, source, how in PHOTOS:
        path = os.path.join(folder, file)
        if args.refresh or not os.path.exists(path):
            make_photo(folder, file, args.source, source, how)
        raw = open(path, "rb").read()
        metadata[f"sha256.{file}"] = hashlib.sha256(raw).hexdigest()

        # torchvision's default_loader (pil_loader): Image.open, then convert("RGB").
        with Image.open(io.BytesIO(raw)) as im:
            if im.format == "JPEG":
                metadata[f"jpeg.{file}"] = (f"sampling {['4:4:4', '4:2:2', '4:2:0'][JpegImagePlugin.get_sampling(im)]}, "
                                            f"progressive {int(bool(im.info.get('progressive', 0)))}")
            img = im.convert("RGB")
        out = T.CenterCrop(224)(T.Resize(256)(img))
        arr = np.asarray(out, dtype=np.uint8)
        assert arr.shape == (224, 224, 3), (file, arr.shape)

        full = T.Normalize(MEAN, STD)(T.ToTensor()(out)).numpy()        # [3, 224, 224] F32
        gathered = np.stack([table[c][arr[:, :, c]] for c in range(3)])
        assert full.dtype == np.float32 and full.tobytes() == gathered.tobytes(), f"{file}: table gather != torch's Normalize"

        tensors += [
            (f"size.{file}", np.array(img.size, dtype=np.int32)),
            (f"eval.{file}", arr),
            (f"normalized_sum.{file}", full.astype(np.float64).sum(axis=(1, 2))),
        ]
        names.append(file)
        print(f"{file}: {img.size[0]}x{img.size[1]}, {len(raw):,} bytes", file=sys.stderr)
    tensors.append(("normalize.table", table))

    metadata.update({
        "format": "nativenets-photos-v1",
        "photos": ",".join(names),
        "transform": "CenterCrop(224)(Resize(256)(default_loader(file)))",
        "pillow": Image.__version__, "torch": torch.__version__, "torchvision": torchvision.__version__,
        "numpy": np.__version__,
    })
    path = os.path.join(args.out, "photos.safetensors")
    generate.write_safetensors(path, tensors, metadata)
    generate.verify_roundtrip(path, tensors, metadata)
    print(f"{path}: {os.path.getsize(path):,} bytes, {len(tensors)} tensors", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
