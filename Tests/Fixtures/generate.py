#!/usr/bin/python3
"""Generate the PyTorch parity fixtures for NativeNets.

Every tensor a fixture depends on (parameters, BN buffers, inputs, upstream
gradients) is produced by the deterministic generator "paramgen-v1" described
below, which the C# side implements identically; the fixtures then only need
to store what PyTorch computes from them (logits, losses, gradients, updated
running statistics).

Precision: the architecture fixtures are computed and stored in float64
(paramgen values kept in float64, model.double()), because in train mode the
deep networks are so ill-conditioned at these sizes that a float32 reference
would be mostly rounding noise. Each result T carries metadata fp32_error.T =
max|T32 - T64| / max|T64|, where T32 is the same computation in float32 from
the paramgen values cast to float32. layers.safetensors stays float32
(paramgen values cast to float32), with fp32_error.T measured against a
float64 re-run from those same float32 values.

Usage:
    /usr/bin/python3 Tests/Fixtures/generate.py [--out DIR] [--only NAME ...]

NAME is an architecture name (lenet5, alexnet, vgg16-bn, resnet20, ...) or
"layers"; several names may be given separated by spaces or commas.

paramgen-v1, for a tensor with key K (UTF-8) and shape S:
  seed  = FNV-1a 64 of the key bytes
  state = seed; for element i (row-major): state += 0x9E3779B97F4A7C15;
          z = state; z = (z ^ z>>30) * 0xBF58476D1CE4E5B9;
          z = (z ^ z>>27) * 0x94D049BB133111EB; z ^= z>>31   (all mod 2^64)
          u = (z >> 11) * 2^-53
  value (float64; cast to float32 for float32 computations):
    rank >= 2                    : (2u-1) * sqrt(3/fan_in), fan_in = prod(S[1:])
    rank 1, ends ".running_mean" : 0.1*(2u-1)
    rank 1, ends ".running_var"  : 0.5 + u
    rank 1, ends ".weight"       : 1 + 0.1*(2u-1)
    rank 1, ends ".bias"         : 0.1*(2u-1)
    otherwise, and all data (inputs, upstream gradients): 2u-1
  integer buffers (num_batches_tracked) are left as constructed (0).
"""

import argparse
import json
import math
import os
import struct
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

GENERATOR = "paramgen-v1"
FORMAT = "nativenets-fixture-v1"
NUM_CLASSES = 10

# ---------------------------------------------------------------------------
# paramgen-v1
# ---------------------------------------------------------------------------

MASK64 = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
GAMMA = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB

_GAMMA = np.uint64(GAMMA)
_MIX1 = np.uint64(MIX1)
_MIX2 = np.uint64(MIX2)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_CHUNK = 1 << 22  # elements per vectorised chunk (bounds temporary memory)


def fnv1a64(key: str) -> int:
    h = FNV_OFFSET
    for b in key.encode("utf-8"):
        h ^= b
        h = (h * FNV_PRIME) & MASK64
    return h


def splitmix64_scalar(state: int):
    """Reference (pure Python) step: returns (new_state, output)."""
    state = (state + GAMMA) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    z ^= z >> 31
    return state, z


def uniform01(seed: int, n: int) -> np.ndarray:
    """n float64 values u in [0,1) from the splitmix64 stream seeded with seed."""
    out = np.empty(n, dtype=np.float64)
    seed64 = np.uint64(seed)
    with np.errstate(over="ignore"):
        for start in range(0, n, _CHUNK):
            stop = min(n, start + _CHUNK)
            # state_i = seed + (i + 1) * GAMMA  (mod 2^64)
            z = np.arange(start + 1, stop + 1, dtype=np.uint64)
            np.multiply(z, _GAMMA, out=z)
            np.add(z, seed64, out=z)
            t = np.right_shift(z, _S30)
            np.bitwise_xor(z, t, out=z)
            np.multiply(z, _MIX1, out=z)
            np.right_shift(z, _S27, out=t)
            np.bitwise_xor(z, t, out=z)
            np.multiply(z, _MIX2, out=z)
            np.right_shift(z, _S31, out=t)
            np.bitwise_xor(z, t, out=z)
            np.right_shift(z, _S11, out=z)
            seg = out[start:stop]
            seg[:] = z  # exact: values < 2^53
            seg *= 2.0 ** -53
    return out


def paramgen64(key: str, shape, data: bool = False) -> np.ndarray:
    """float64 array for key/shape following paramgen-v1 (no rounding to float32).

    data=True selects the plain 2u-1 rule (fixture inputs, upstream gradients).
    """
    shape = tuple(int(s) for s in shape)
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    u = uniform01(fnv1a64(key), n)
    v = u  # transformed in place, float64 throughout
    rank = len(shape)
    if data:
        v *= 2.0
        v -= 1.0
    elif rank >= 2:
        fan_in = int(np.prod(shape[1:], dtype=np.int64))
        v *= 2.0
        v -= 1.0
        v *= math.sqrt(3.0 / fan_in)
    elif rank == 1 and key.endswith(".running_mean"):
        v *= 2.0
        v -= 1.0
        v *= 0.1
    elif rank == 1 and key.endswith(".running_var"):
        v += 0.5
    elif rank == 1 and key.endswith(".weight"):
        v *= 2.0
        v -= 1.0
        v *= 0.1
        v += 1.0
    elif rank == 1 and key.endswith(".bias"):
        v *= 2.0
        v -= 1.0
        v *= 0.1
    else:
        v *= 2.0
        v -= 1.0
    return v.reshape(shape)


def paramgen(key: str, shape, data: bool = False) -> np.ndarray:
    """float32 array for key/shape: paramgen64 rounded to float32."""
    return paramgen64(key, shape, data).astype(np.float32)


def paramgen_scalar_reference(key: str, shape, data: bool = False):
    """Slow element-by-element version of paramgen, used by the self-check."""
    shape = tuple(shape)
    n = int(np.prod(shape)) if shape else 1
    rank = len(shape)
    state = fnv1a64(key)
    vals = []
    for _ in range(n):
        state, z = splitmix64_scalar(state)
        u = (z >> 11) * 2.0 ** -53
        if data:
            x = 2 * u - 1
        elif rank >= 2:
            x = (2 * u - 1) * math.sqrt(3.0 / int(np.prod(shape[1:])))
        elif rank == 1 and key.endswith(".running_mean"):
            x = 0.1 * (2 * u - 1)
        elif rank == 1 and key.endswith(".running_var"):
            x = 0.5 + u
        elif rank == 1 and key.endswith(".weight"):
            x = 1 + 0.1 * (2 * u - 1)
        elif rank == 1 and key.endswith(".bias"):
            x = 0.1 * (2 * u - 1)
        else:
            x = 2 * u - 1
        vals.append(x)
    return np.array(vals, dtype=np.float64).reshape(shape)


def self_check():
    _, z = splitmix64_scalar(0)
    assert z == 0xE220A8397B1DCDAF, hex(z)
    assert uniform01(0, 1)[0] == (0xE220A8397B1DCDAF >> 11) * 2.0 ** -53
    assert fnv1a64("") == FNV_OFFSET
    assert fnv1a64("a") == 0xAF63DC4C8601EC8C  # published FNV-1a 64 test vector
    cases = [("conv1.weight", (4, 3, 3, 3), False), ("bn1.running_mean", (7,), False),
             ("bn1.running_var", (7,), False), ("bn1.weight", (7,), False),
             ("fc.bias", (5,), False), ("x.other", (6,), False), ("input", (2, 3, 4), True),
             ("fc.weight", (3, 5), False)]
    for key, shape, data in cases:
        b = paramgen_scalar_reference(key, shape, data)
        a64 = paramgen64(key, shape, data)
        assert a64.dtype == np.float64 and a64.shape == tuple(shape)
        assert np.array_equal(a64.view(np.uint64), b.view(np.uint64)), key
        a = paramgen(key, shape, data)
        assert a.dtype == np.float32 and a.shape == tuple(shape)
        assert np.array_equal(a.view(np.uint32), b.astype(np.float32).view(np.uint32)), key
    # chunk boundary
    n = _CHUNK + 5
    u = uniform01(12345, n)
    state = 12345 + (_CHUNK - 1) * GAMMA
    for i in range(_CHUNK - 1, n):
        state, z = splitmix64_scalar(state & MASK64)
        assert u[i] == (z >> 11) * 2.0 ** -53, i


# ---------------------------------------------------------------------------
# safetensors writer / reader
# ---------------------------------------------------------------------------

_DTYPES = {np.dtype(np.float64): "F64", np.dtype(np.float32): "F32", np.dtype(np.int32): "I32"}
_NP_DTYPES = {"F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "I32": np.dtype("<i4")}


def write_safetensors(path: str, tensors, metadata):
    """tensors: list of (name, ndarray) in file order; written atomically."""
    header = {}
    blobs = []
    offset = 0
    names = set()
    for name, arr in tensors:
        assert name not in names and name != "__metadata__", name
        names.add(name)
        arr = np.asarray(arr)
        dt = _DTYPES[arr.dtype]
        raw = np.ascontiguousarray(arr, dtype=_NP_DTYPES[dt]).tobytes()
        header[name] = {"dtype": dt, "shape": [int(s) for s in arr.shape],
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((-len(hb)) % 8)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(hb)))
            f.write(hb)
            for raw in blobs:
                f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_safetensors(path: str):
    """Returns (ordered dict name->ndarray, metadata dict)."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    assert n % 8 == 0, "header not padded to 8"
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    data = buf[8 + n:]
    metadata = header.pop("__metadata__", {})
    out = {}
    expect = 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, e = info["data_offsets"]
        assert b == expect, (name, b, expect)
        dt = _NP_DTYPES[info["dtype"]]
        count = int(np.prod(info["shape"], dtype=np.int64)) if info["shape"] else 1
        assert e - b == count * dt.itemsize, name
        out[name] = np.frombuffer(data[b:e], dtype=dt).reshape(info["shape"])
        expect = e
    assert expect == len(data), "trailing bytes"
    return out, metadata


def verify_roundtrip(path, tensors, metadata):
    got, meta = read_safetensors(path)
    assert list(got.keys()) == [n for n, _ in tensors]
    for name, arr in tensors:
        arr = np.asarray(arr)
        g = got[name]
        assert g.shape == arr.shape and g.dtype == arr.dtype.newbyteorder("<"), name
        assert g.tobytes() == np.ascontiguousarray(arr).astype(g.dtype).tobytes(), name
    assert meta == {str(k): str(v) for k, v in metadata.items()}


# ---------------------------------------------------------------------------
# Custom architectures
# ---------------------------------------------------------------------------

class LeNet5(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(16, 120, 5), nn.Tanh())
        self.classifier = nn.Sequential(nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def _krizhevsky_classifier(num_classes):
    return nn.Sequential(
        nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
        nn.Linear(4096, num_classes))


class AlexNet2012(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0), nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = _krizhevsky_classifier(num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class ZFNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 7, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, padding=1), nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
            nn.Conv2d(96, 256, 5, stride=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, padding=1), nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = _krizhevsky_classifier(num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class ShortcutA(nn.Module):
    """He et al. 2016 option A: subsample by 2 and zero-pad channels (no parameters)."""

    def __init__(self, in_planes, planes):
        super().__init__()
        pad = planes - in_planes
        self.before = pad // 2
        self.after = pad - self.before

    def forward(self, x):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.before, self.after), "constant", 0.0)


class CifarBasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        if stride != 1 or in_planes != planes:
            self.shortcut = ShortcutA(in_planes, planes)
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    def __init__(self, n, num_classes=10, in_ch=3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.in_planes = 16
        self.layer1 = self._make_layer(16, n, 1)
        self.layer2 = self._make_layer(32, n, 2)
        self.layer3 = self._make_layer(64, n, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)

    def _make_layer(self, planes, n, stride):
        blocks = []
        for i in range(n):
            blocks.append(CifarBasicBlock(self.in_planes, planes, stride if i == 0 else 1))
            self.in_planes = planes
        return nn.Sequential(*blocks)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# ---------------------------------------------------------------------------
# Architecture registry: name -> (constructor(num_classes), input CHW, batch)
# ---------------------------------------------------------------------------

IMAGENET_IN = (3, 64, 64)
CIFAR_IN = (3, 32, 32)
MNIST_IN = (1, 28, 28)

_tv = torchvision.models


def _tv_ctor(fn, **extra):
    return lambda num_classes: fn(weights=None, num_classes=num_classes, **extra)


ARCHS = {
    "lenet5": (lambda c: LeNet5(c), MNIST_IN, 4),
    "alexnet": (_tv_ctor(_tv.alexnet), IMAGENET_IN, 2),
    "alexnet-2012": (lambda c: AlexNet2012(c), IMAGENET_IN, 2),
    "zfnet": (lambda c: ZFNet(c), IMAGENET_IN, 2),
    "googlenet": (_tv_ctor(_tv.googlenet, aux_logits=False, transform_input=False,
                           init_weights=False), IMAGENET_IN, 2),
    # GoogLeNet with its two auxiliary classifiers (run in train mode only); the training loss is
    # CE(logits) + 0.3 * (CE(aux1) + CE(aux2)) as in Szegedy et al. 2014.
    "googlenet-aux": (_tv_ctor(_tv.googlenet, aux_logits=True, transform_input=False,
                               init_weights=False), IMAGENET_IN, 2),
}
AUX_LOSS_WEIGHT = 0.3
# Gradients compared besides the first and last weights: inside the auxiliary heads (train mode only).
EXTRA_TRAIN_GRADS = {"googlenet-aux": ["aux1.fc2.weight", "aux2.conv.conv.weight"]}
for _d in ("11", "13", "16", "19"):
    ARCHS["vgg" + _d] = (_tv_ctor(getattr(_tv, "vgg" + _d)), IMAGENET_IN, 2)
    ARCHS["vgg" + _d + "-bn"] = (_tv_ctor(getattr(_tv, "vgg" + _d + "_bn")), IMAGENET_IN, 2)
for _d in ("18", "34", "50", "101", "152"):
    ARCHS["resnet" + _d] = (_tv_ctor(getattr(_tv, "resnet" + _d)), IMAGENET_IN, 2)
for _name, _n in (("resnet8", 1), ("resnet20", 3), ("resnet32", 5), ("resnet44", 7), ("resnet56", 9),
                  ("resnet110", 18)):
    ARCHS[_name] = ((lambda n: lambda c: CifarResNet(n, c))(_n), CIFAR_IN, 2)

DEFAULT_ARCHS = ["lenet5", "alexnet", "alexnet-2012", "zfnet", "vgg11", "vgg11-bn", "vgg16",
                 "vgg16-bn", "vgg19", "googlenet", "googlenet-aux", "resnet18", "resnet34", "resnet50",
                 "resnet101", "resnet152", "resnet20", "resnet56", "resnet110"]

# Published parameter counts with 1000 classes (torchvision documentation).
EXPECTED_PARAMS_1000 = {
    "alexnet": 61_100_840, "vgg16": 138_357_544, "googlenet": 6_624_904, "googlenet-aux": 13_004_888,
    "resnet18": 11_689_512, "resnet50": 25_557_032, "resnet152": 60_192_808,
}


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def generated_state(model):
    """paramgen-v1 float64 values for every floating state_dict entry
    (name -> ndarray); integer buffers keep their constructed value."""
    out = {}
    for key, t in model.state_dict().items():
        if t.is_floating_point():
            out[key] = paramgen64(key, t.shape)
        else:
            out[key] = t.detach().clone()
    return out


def load_state(model, state):
    """Copies state into the model; floating values must already have the
    model's dtype (no silent casts)."""
    with torch.no_grad():
        for key, t in model.state_dict().items():
            v = state[key]
            v = torch.from_numpy(v) if isinstance(v, np.ndarray) else v
            assert v.dtype == t.dtype and v.shape == t.shape, (key, v.dtype, t.dtype)
            t.copy_(v)
    for p in model.parameters():
        p.grad = None


def labels_for(batch):
    return np.array([(3 * i + 1) % 10 for i in range(batch)], dtype=np.int32)


def set_mode(model, mode):
    if mode == "train":
        model.train()
        for m in model.modules():
            if isinstance(m, nn.modules.dropout._DropoutNd):
                m.eval()  # dropout is the identity: PyTorch's dropout RNG cannot be matched
    else:
        model.eval()


def fp32_errors(results32, results64):
    """name -> max|fp32 - fp64| / max|fp64|: how far the float32 PyTorch result
    is from the same computation in float64."""
    ref = dict(results64)
    out = {}
    for k, a in results32:
        b = ref[k]
        scale = float(np.abs(b).max())
        out[k] = float(np.abs(a.astype(np.float64) - b).max()) / scale if scale > 0 else 0.0
    return out


def build_arch_fixture(name, error_check=True):
    ctor, chw, batch = ARCHS[name]
    t0 = time.time()
    torch.manual_seed(0)
    m1000 = ctor(1000)
    params_1000 = count_params(m1000)
    del m1000
    model = ctor(NUM_CLASSES)
    params_10 = count_params(model)
    if name in EXPECTED_PARAMS_1000 and params_1000 != EXPECTED_PARAMS_1000[name]:
        raise SystemExit(f"{name}: {params_1000} parameters with 1000 classes, "
                         f"expected {EXPECTED_PARAMS_1000[name]}")

    sd = model.state_dict()
    param_names = dict(model.named_parameters())
    big = [k for k in sd if k in param_names and sd[k].dim() >= 2]
    first, last = big[0], big[-1]
    bn_names = [n for n, m in model.named_modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    first_bn = bn_names[0] if bn_names else None

    t1 = time.time()
    state64 = generated_state(model)  # float64 paramgen values, never rounded to float32
    tgen = time.time() - t1

    x_np = paramgen64("input", (batch,) + chw, data=True)
    y_np = labels_for(batch)
    y = torch.from_numpy(y_np).long()

    def run_modes(dtype):
        """Both modes from fresh state; returns list of (name, ndarray of dtype)."""
        if dtype == torch.float64:
            state, x = state64, torch.from_numpy(x_np)
        else:  # float32 comparison run: the float64 paramgen values cast to float32
            state = {k: v.astype(np.float32) if isinstance(v, np.ndarray) else v
                     for k, v in state64.items()}
            x = torch.from_numpy(x_np.astype(np.float32))
        model.to(dtype)
        out = []
        for mode in ("train", "eval"):
            load_state(model, state)  # fresh parameters and buffers for each mode
            set_mode(model, mode)
            output = model(x)
            aux = []
            if isinstance(output, tuple):  # GoogLeNetOutputs(logits, aux_logits2, aux_logits1)
                logits, aux = output[0], [a for a in output[1:] if a is not None]
            else:
                logits = output
            assert logits.shape == (batch, NUM_CLASSES) and logits.dtype == dtype
            loss = nn.CrossEntropyLoss()(logits, y)
            for a in aux:
                loss = loss + AUX_LOSS_WEIGHT * nn.CrossEntropyLoss()(a, y)
            loss.backward()
            out.append((f"{mode}.logits", logits.detach().numpy().copy()))
            out.append((f"{mode}.loss", loss.detach().reshape(1).numpy().copy()))
            out.append((f"{mode}.grad.{first}", param_names[first].grad.numpy().copy()))
            out.append((f"{mode}.grad.{last}", param_names[last].grad.numpy().copy()))
            if mode == "train":
                for extra in EXTRA_TRAIN_GRADS.get(name, []):
                    out.append((f"train.grad.{extra}", param_names[extra].grad.numpy().copy()))
            if mode == "train" and first_bn is not None:
                msd = model.state_dict()
                out.append((f"train.running_mean.{first_bn}",
                            msd[first_bn + ".running_mean"].numpy().copy()))
                out.append((f"train.running_var.{first_bn}",
                            msd[first_bn + ".running_var"].numpy().copy()))
        return out

    results = run_modes(torch.float64)  # model.double(); these are the stored results
    for k, arr in results:
        assert arr.dtype == np.float64 and np.all(np.isfinite(arr)), (name, k)
    tensors = [("input", x_np), ("labels", y_np)] + results
    summary = {k: float(v[0]) for k, v in results if k.endswith(".loss")}
    errors = {}
    if error_check:
        errors = fp32_errors(run_modes(torch.float32), results)

    metadata = {
        "format": FORMAT, "generator": GENERATOR, "arch": name, "classes": str(NUM_CLASSES),
        "torch": torch.__version__, "torchvision": torchvision.__version__,
        "first": first, "last": last,
        "extra_train_grads": ",".join(EXTRA_TRAIN_GRADS.get(name, [])),
        "parameters": str(params_10), "parameters_1000": str(params_1000),
        "fp32_params": "paramgen float64 values cast to float32",
    }
    if first_bn is not None:
        metadata["first_bn"] = first_bn
    for k, e in errors.items():
        metadata["fp32_error." + k] = f"{e:.3e}"
    info = dict(first=first, last=last, first_bn=first_bn, params=params_10,
                params_1000=params_1000, loss_train=summary["train.loss"],
                loss_eval=summary["eval.loss"], gen_s=tgen, total_s=time.time() - t0,
                worst=max(errors.items(), key=lambda kv: kv[1]) if errors else None)
    return tensors, metadata, info


# ---------------------------------------------------------------------------
# Per-layer cases
# ---------------------------------------------------------------------------

LAYER_CASES = [
    # name, module factory, input shape, mode
    ("conv_basic", lambda: nn.Conv2d(3, 4, 3), (2, 3, 7, 7), "train"),
    ("conv_stride_pad", lambda: nn.Conv2d(3, 5, 3, stride=2, padding=1), (2, 3, 8, 9), "train"),
    ("conv_dilation", lambda: nn.Conv2d(2, 3, 3, padding=2, dilation=2), (2, 2, 9, 9), "train"),
    ("conv_groups", lambda: nn.Conv2d(4, 6, 3, padding=1, groups=2), (2, 4, 6, 6), "train"),
    ("conv_depthwise", lambda: nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False), (2, 4, 5, 5), "train"),
    ("conv_1x1_stride2", lambda: nn.Conv2d(6, 8, 1, stride=2, bias=False), (2, 6, 7, 7), "train"),
    ("conv_7x7_s2", lambda: nn.Conv2d(3, 4, 7, stride=2, padding=3), (2, 3, 16, 16), "train"),
    ("maxpool", lambda: nn.MaxPool2d(2), (2, 3, 6, 6), "train"),
    ("maxpool_ceil", lambda: nn.MaxPool2d(3, 2, ceil_mode=True), (2, 3, 7, 8), "train"),
    ("maxpool_pad", lambda: nn.MaxPool2d(3, 2, padding=1), (2, 3, 7, 7), "train"),
    ("avgpool", lambda: nn.AvgPool2d(2), (2, 3, 6, 6), "train"),
    ("avgpool_pad", lambda: nn.AvgPool2d(3, 2, padding=1), (2, 3, 7, 7), "train"),
    ("adaptive_avgpool", lambda: nn.AdaptiveAvgPool2d((6, 6)), (2, 3, 2, 3), "train"),
    ("adaptive_avgpool_down", lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 7, 8), "train"),
    ("adaptive_avgpool_1", lambda: nn.AdaptiveAvgPool2d(1), (2, 4, 5, 5), "train"),
    ("lrn", lambda: nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0), (2, 7, 4, 4), "train"),
    ("lrn_big_alpha", lambda: nn.LocalResponseNorm(3, alpha=0.5, beta=0.75, k=1.0), (2, 6, 3, 3), "train"),
    ("batchnorm_train", lambda: nn.BatchNorm2d(5), (2, 5, 4, 4), "train"),
    ("batchnorm_eval", lambda: nn.BatchNorm2d(5), (2, 5, 4, 4), "eval"),
    ("batchnorm_eps", lambda: nn.BatchNorm2d(5, eps=0.001), (2, 5, 4, 4), "train"),
    ("relu", lambda: nn.ReLU(), (2, 3, 4, 4), "train"),
    ("tanh", lambda: nn.Tanh(), (2, 3, 4, 4), "train"),
    ("linear", lambda: nn.Linear(6, 4), (2, 6), "train"),
    ("flatten", lambda: nn.Flatten(), (2, 3, 2, 2), "train"),
]


def run_layer_case(case, factory, in_shape, mode, dtype):
    """Returns (module, output shape, [(name, ndarray)], {param name: paramgen value})."""
    mod = factory()
    state = {}
    with torch.no_grad():
        for pname, t in mod.state_dict().items():
            if t.is_floating_point():
                state[pname] = paramgen(f"{case}.{pname}", t.shape)
                t.copy_(torch.from_numpy(state[pname]))
    mod.to(dtype)
    mod.train(mode == "train")
    x_np = paramgen(f"{case}.input", in_shape, data=True)
    x = torch.from_numpy(x_np.copy()).to(dtype).requires_grad_(True)
    out = mod(x)
    g_np = paramgen(f"{case}.grad_output", tuple(out.shape), data=True)
    (out * torch.from_numpy(g_np).to(dtype)).sum().backward()
    res = [(f"{case}.input", x_np),
           (f"{case}.output", out.detach().numpy().copy()),
           (f"{case}.grad_input", x.grad.numpy().copy())]
    for pname, p in mod.named_parameters():
        res.append((f"{case}.grad.{pname}", p.grad.numpy().copy()))
    if isinstance(mod, nn.modules.batchnorm._BatchNorm):
        res.append((f"{case}.running_mean", mod.running_mean.numpy().copy()))
        res.append((f"{case}.running_var", mod.running_var.numpy().copy()))
    return mod, tuple(out.shape), res, state


def build_layers_fixture(error_check=True):
    tensors = []
    metadata = {"format": FORMAT, "generator": GENERATOR, "arch": "layers",
                "torch": torch.__version__, "torchvision": torchvision.__version__,
                "cases": ",".join(c[0] for c in LAYER_CASES)}
    worst = ("", 0.0)
    for case, factory, in_shape, mode in LAYER_CASES:
        mod, out_shape, res, state = run_layer_case(case, factory, in_shape, mode, torch.float32)
        for k, arr in res:
            assert arr.dtype == np.float32 and np.all(np.isfinite(arr)), (case, k)
        tensors += res
        # Extra: the paramgen-v1 values themselves, so the C# generator can be
        # checked directly against all rank/suffix rules.
        for pname, arr in state.items():
            tensors.append((f"{case}.param.{pname}", arr))
        metadata[f"case.{case}"] = (f"{mod!r} mode={mode} input={list(in_shape)} "
                                    f"output={list(out_shape)}")
        if error_check:
            res64 = run_layer_case(case, factory, in_shape, mode, torch.float64)[2]
            errs = fp32_errors(res[1:], res64[1:])
            for k, e in errs.items():
                metadata["fp32_error." + k] = f"{e:.3e}"
            k, e = max(errs.items(), key=lambda kv: kv[1])
            if e > worst[1]:
                worst = (k, e)
    return tensors, metadata, worst


# ---------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)),
                    help="output folder (default: this script's folder)")
    ap.add_argument("--only", nargs="+", metavar="NAME",
                    help="architecture names and/or 'layers' (space or comma separated)")
    ap.add_argument("--no-error-check", "--no-fp64-check", dest="no_error_check",
                    action="store_true",
                    help="skip the second-precision run (float32 for architectures, float64 "
                         "for layers); omits the fp32_error.* metadata")
    args = ap.parse_args(argv)

    names = DEFAULT_ARCHS + ["layers"]
    if args.only:
        names = [n for item in args.only for n in item.split(",") if n]
        unknown = [n for n in names if n != "layers" and n not in ARCHS]
        if unknown:
            ap.error(f"unknown names {unknown}; known: {sorted(ARCHS) + ['layers']}")
    os.makedirs(args.out, exist_ok=True)

    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)  # fixed reduction order: byte-identical reruns
    start = time.time()
    self_check()
    print(f"paramgen-v1 self-check ok; torch {torch.__version__}, torchvision "
          f"{torchvision.__version__}, numpy {np.__version__}, threads {torch.get_num_threads()}",
          flush=True)

    total = 0
    for name in names:
        t0 = time.time()
        if name == "layers":
            tensors, metadata, worst = build_layers_fixture(not args.no_error_check)
            info = None
        else:
            tensors, metadata, info = build_arch_fixture(name, not args.no_error_check)
            worst = info["worst"]
        path = os.path.join(args.out, f"{name}.safetensors")
        write_safetensors(path, tensors, metadata)
        verify_roundtrip(path, tensors, metadata)
        size = os.path.getsize(path)
        total += size
        msg = f"{name:14s} {size:>9,d} B  {time.time() - t0:6.1f} s"
        if info:
            msg += (f"  params {info['params']:,} (1000 classes: {info['params_1000']:,})"
                    f"  first {info['first']}  last {info['last']}"
                    f"  first_bn {info['first_bn']}  loss train {info['loss_train']:.6f}"
                    f" eval {info['loss_eval']:.6f}  paramgen {info['gen_s']:.1f} s")
        else:
            msg += f"  {len(tensors)} tensors"
        if worst:
            msg += f"  worst fp32_error {worst[1]:.1e} ({worst[0]})"
        print(msg, flush=True)
    print(f"total {total:,} B ({total / 2**20:.2f} MiB) in {time.time() - start:.1f} s")
    if total >= 20 * 10**6:
        print("WARNING: fixtures exceed 20 MB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
