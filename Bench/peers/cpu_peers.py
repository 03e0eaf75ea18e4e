#!/usr/bin/python3
"""CPU peer benchmarks (PyTorch, scikit-learn) on Fashion-MNIST, for side-by-side
comparison with NativeNets. Run with Debian's /usr/bin/python3 (torch 1.13, sklearn 1.2).
Emits one JSON object per line on stdout; progress goes to stderr."""
import os

# Configure the BLAS before numpy/torch load it; values set by the caller win.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_CORETYPE", "COOPERLAKE")

import argparse, gzip, json, platform, statistics, struct, sys, time

import numpy as np
import sklearn
import torch
from torch import nn
from sklearn.neighbors import KNeighborsClassifier

TORCH_THREADS = 2
torch.set_num_threads(TORCH_THREADS)
MEAN, STD = 0.2860, 0.3530
TRAIN_MODELS = ["linear-softmax", "linear-svm", "two-layer", "three-layer", "lenet5", "resnet18-small"]
ALL = ["knn-sklearn", "knn-cdist"] + TRAIN_MODELS
DEFAULT = [w for w in ALL if w not in ("lenet5", "resnet18-small")]
TORCH_PEER = "pytorch " + torch.__version__


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def emit(obj):
    print(json.dumps(obj), flush=True)


def read_idx(path, magic):
    """Gzipped IDX file -> uint8 array shaped by its header dims."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    got, = struct.unpack(">i", data[:4])
    if got != magic:
        raise ValueError(f"{path}: magic 0x{got:08x}, expected 0x{magic:08x}")
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "i" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims).copy()  # writable


def load(data_dir, prefix):
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"), 0x00000803)
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"), 0x00000801)
    return x.reshape(len(x), -1), y


def config_record():
    """Versions, env and the BLAS actually loaded (threadpoolctl / /proc/self/maps)."""
    show = torch.__config__.show()
    field = lambda key: next((p.split(key, 1)[1].strip() for p in show.replace(",", "\n")
                              .splitlines() if key in p), None)
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))  # make sure the BLAS is loaded
    pools = []
    try:
        import threadpoolctl
        pools = [{k: d.get(k) for k in ("internal_api", "filepath", "version",
                                         "threading_layer", "architecture", "num_threads")}
                 for d in threadpoolctl.threadpool_info()]
    except Exception as e:  # optional
        pools = [{"error": repr(e)}]
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({l.split()[-1] for l in f if "blas" in l.lower()
                           and os.path.basename(l.split()[-1]).startswith("lib")})
    except OSError:
        libs = []
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    return {"peer": "environment", "workload": "config",
            "python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__, "sklearn": sklearn.__version__,
            "torch_blas_info": field("BLAS_INFO="), "torch_num_threads": torch.get_num_threads(),
            "torch_cpu_capability": field("CPU capability usage:"),
            "blas_libs_loaded": libs, "threadpools": pools,
            "env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE",
                                                   "OMP_NUM_THREADS", "MKL_NUM_THREADS")},
            "cpu": cpu, "cpus_available": len(os.sched_getaffinity(0))}


def sgemm_probe(n=2048, reps=5):
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - t0)
    t = statistics.median(times)
    emit({"peer": TORCH_PEER, "workload": "sgemm", "n": n, "gflops": 2 * n ** 3 / t / 1e9,
          "seconds": t})


def knn_record(peer, pred, y, seconds):
    n = len(y)
    return {"peer": peer, "workload": "knn", "k": 1, "distance": "l1", "test_count": n,
            "accuracy": float(np.mean(pred == y)), "queries_per_second": n / seconds,
            "seconds": seconds,
            # The predicted labels, so that the caller can check its own answers one by one.
            "predictions": [int(v) for v in pred]}


def knn_sklearn(xtr, ytr, xq, yq):
    clf = KNeighborsClassifier(n_neighbors=1, algorithm="brute", metric="manhattan", n_jobs=2)
    clf.fit(xtr.astype(np.float32), ytr)
    q = xq.astype(np.float32)
    t0 = time.perf_counter()
    pred = clf.predict(q)
    s = time.perf_counter() - t0
    emit(knn_record("scikit-learn " + sklearn.__version__, pred, yq, s))


def knn_cdist(xtr, ytr, xq, yq, block=100):
    tr, q = torch.from_numpy(xtr.astype(np.float32)), torch.from_numpy(xq.astype(np.float32))
    pred = np.empty(len(q), dtype=np.int64)
    t0 = time.perf_counter()
    for i in range(0, len(q), block):
        d = torch.cdist(q[i:i + block], tr, p=1)
        pred[i:i + block] = d.argmin(dim=1).numpy()  # ties: lowest index
    s = time.perf_counter() - t0
    emit(knn_record(TORCH_PEER + " cdist", ytr[pred], yq, s))


def build_model(name, hidden2, hidden3):
    """Same shapes as the NativeNets models; returns (model, loss, conv input?)."""
    ce = nn.CrossEntropyLoss()
    if name == "linear-softmax":
        return nn.Linear(784, 10), ce, False
    if name == "linear-svm":
        return nn.Linear(784, 10), nn.MultiMarginLoss(margin=1), False
    if name == "two-layer":
        return nn.Sequential(nn.Linear(784, hidden2), nn.ReLU(), nn.Linear(hidden2, 10)), ce, False
    if name == "three-layer":
        h1, h2 = hidden3
        return nn.Sequential(nn.Linear(784, h1), nn.ReLU(), nn.Linear(h1, h2), nn.Tanh(),
                             nn.Linear(h2, 10)), ce, False
    if name == "lenet5":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(),
            nn.Linear(84, 10)), ce, True
    if name == "resnet18-small":
        # torchvision's ResNet-18 with the small-input stem NativeNets' `--stem small` builds:
        # a 3x3 stride-1 first convolution on one channel and no max-pool.
        import torchvision
        m = torchvision.models.resnet18(num_classes=10)
        m.conv1 = nn.Conv2d(1, 64, 3, 1, 1, bias=False)
        m.maxpool = nn.Identity()
        return m, ce, True
    raise ValueError(name)


def normalise(x, conv):
    t = (torch.from_numpy(x).float() / 255.0 - MEAN) / STD
    return t.view(-1, 1, 28, 28) if conv else t


def train(name, args, xtr_np, ytr_np, xte_np, yte_np):
    torch.manual_seed(0)
    model, loss_fn, conv = build_model(name, args.hidden2, args.hidden3)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    x, y = normalise(xtr_np, conv), torch.from_numpy(ytr_np.astype(np.int64))
    b, steps = args.batch, len(x) // args.batch
    if steps == 0:
        raise ValueError(f"train set ({len(x)}) smaller than one batch ({b})")

    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    model.train()
    for i in range(20):  # untimed warm-up
        j = (i % steps) * b
        step(x[j:j + b], y[j:j + b])
    times = []
    for r in range(args.epochs_runs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(x))
        xs, ys = x[perm], y[perm]
        for s in range(steps):
            loss = step(xs[s * b:(s + 1) * b], ys[s * b:(s + 1) * b])
        times.append(time.perf_counter() - t0)
        log(f"  {name} run {r + 1}: {steps * b / times[-1]:.0f} img/s, loss {loss.item():.4f}")
    model.eval()  # untimed sanity check on (part of) the test set
    n_test = 1000 if name == "resnet18-small" else len(xte_np)
    with torch.no_grad():
        acc = (model(normalise(xte_np[:n_test], conv)).argmax(1).numpy() == yte_np[:n_test]).mean()
    images = steps * b
    med = statistics.median(times)
    emit({"peer": TORCH_PEER, "workload": "train", "model": name, "batch": b,
          "train_images_per_second": images / med, "seconds": med, "images": images,
          "runs": [images / t for t in times], "test_accuracy": float(acc)})


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--knn-limit", type=int, default=500, help="test queries for k-NN")
    ap.add_argument("--epochs-runs", type=int, default=3, help="timed epochs (median reported)")
    ap.add_argument("--only", default=",".join(DEFAULT), help="comma list among " + ",".join(ALL))
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--train-limit", type=int, default=0, help="training images per epoch (0 = all)")
    ap.add_argument("--hidden2", type=int, default=100)
    ap.add_argument("--resnet-batch", type=int, default=64)
    ap.add_argument("--resnet-images", type=int, default=1280, help="images per timed resnet18-small run")
    ap.add_argument("--hidden3", default="256,128")
    args = ap.parse_args()
    args.hidden3 = [int(v) for v in args.hidden3.split(",")]
    if len(args.hidden3) != 2:
        ap.error("--hidden3 takes two sizes, e.g. 256,128")
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    bad = [w for w in only if w not in ALL]
    if bad:
        ap.error(f"unknown workload(s) {bad}; choose among {ALL}")

    emit(config_record())
    xtr, ytr = load(args.data, "train")
    xte, yte = load(args.data, "t10k")
    log(f"loaded {len(xtr)} train / {len(xte)} test images from {args.data}")

    log("sgemm 2048")
    sgemm_probe()
    q = slice(0, args.knn_limit)
    if "knn-sklearn" in only:
        log(f"knn-sklearn, {args.knn_limit} queries")
        knn_sklearn(xtr, ytr, xte[q], yte[q])
    if "knn-cdist" in only:
        log(f"knn-cdist, {args.knn_limit} queries")
        knn_cdist(xtr, ytr, xte[q], yte[q])
    n = args.train_limit or len(xtr)
    for name in TRAIN_MODELS:
        if name in only:
            if name == "resnet18-small":
                # ~80 img/s: a whole epoch would take 12 minutes; time a slice of it at batch 64.
                sub = argparse.Namespace(**{**vars(args), "batch": args.resnet_batch})
                log(f"train {name}, {args.resnet_images} images/run, batch {args.resnet_batch}")
                train(name, sub, xtr[:args.resnet_images], ytr[:args.resnet_images], xte, yte)
                continue
            log(f"train {name}, {n} images/epoch, batch {args.batch}")
            train(name, args, xtr[:n], ytr[:n], xte, yte)


if __name__ == "__main__":
    main()
