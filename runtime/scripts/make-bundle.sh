#!/usr/bin/env bash
# Builds out/bundle.tar.xz: everything a Linux x64 GPU host without .NET needs to run NativeNets and its tests.
#   bundle/dotnet     the .NET runtime (host, hostfxr, Microsoft.NETCore.App) this SDK runs on
#   bundle/cli        `nativenets`, framework-dependent          bundle/nativenets   its launcher
#   bundle/tests      the xunit v3 test program                  bundle/run-tests    its launcher
#   bundle/fixtures   the PyTorch parity fixtures the GPU tests read, and the photo the embedding example classifies
#   bundle/data       Fashion-MNIST, when BUNDLE_DATA=1: the first BUNDLE_TRAIN_IMAGES (default 10,000) training images and
#                     all 10,000 test images (about 9 MB), so that the bundle stays under the device tool's 64 MiB carry limit
# Framework-dependent builds plus one runtime keep it small: with the repository (about 21 MB) it must stay under the
# 64 MiB a device call carries, so for a device call build it with BUNDLE_FIXTURES=0 (the tree has the fixtures).
set -euo pipefail
cd "$(dirname "$0")/../.."
CONFIG=${CONFIG:-Release}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
B=out/bundle
rm -rf "$B" out/bundle.tar.xz
mkdir -p "$B"
dotnet publish Nets/Cli/NativeNets.Cli.csproj -c "$CONFIG" -r linux-x64 --self-contained false -o "$B/cli" -nologo -v quiet -clp:ErrorsOnly
dotnet publish Tests/NativeNets.Tests.csproj -c "$CONFIG" -r linux-x64 --self-contained false -o "$B/tests" -nologo -v quiet -clp:ErrorsOnly

root=$(dirname "$(readlink -f "$(command -v dotnet)")")
version=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')
mkdir -p "$B/dotnet/shared/Microsoft.NETCore.App" "$B/dotnet/host"
cp "$root/dotnet" "$B/dotnet/"
cp -r "$root/host/fxr" "$B/dotnet/host/"
cp -r "$root/shared/Microsoft.NETCore.App/$version" "$B/dotnet/shared/Microsoft.NETCore.App/"

# BUNDLE_FIXTURES=0 leaves them out: a device call sends the repository's Tests/Fixtures anyway (gpu-check.sh points there).
if [[ "${BUNDLE_FIXTURES:-1}" == 1 ]]; then
    mkdir -p "$B/fixtures"
    for f in lenet5 alexnet-2012 zfnet googlenet googlenet-aux resnet18 resnet50 resnet20 vgg11-bn layers; do
        cp "Tests/Fixtures/$f.safetensors" "$B/fixtures/"
    done
    mkdir -p "$B/fixtures/photos" && cp Tests/Fixtures/photos/chelsea.jpg "$B/fixtures/photos/" # the embedding example classifies it
fi
# The XML documentation is for compilers, not for running.
find "$B/cli" "$B/tests" -name 'NativeNets.*.xml' -delete
# libjpeg-turbo's TurboJPEG API is not on the GPU host: carry this machine's copy (it needs only libc).
# awk reads all of ldconfig's list (no early exit): with pipefail, a writer cut off by SIGPIPE would fail the script.
tj=$(ldconfig -p 2>/dev/null | awk '/libturbojpeg\.so\.0 / && !found { print $NF; found = 1 }')
if [[ -n "$tj" ]]; then mkdir -p "$B/lib" && cp -L "$tj" "$B/lib/libturbojpeg.so.0"; fi
if [[ "${BUNDLE_DATA:-0}" == 1 ]]; then
    mkdir -p "$B/data"
    cp "$DATA"/t10k-*-ubyte.gz "$B/data/"
    # The first N training images and labels, rewritten as IDX files with their headers' counts changed.
    python3 - "$DATA" "$B/data" "${BUNDLE_TRAIN_IMAGES:-10000}" <<'PY'
import gzip, struct, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for name, item in (("train-images-idx3-ubyte.gz", 28 * 28), ("train-labels-idx1-ubyte.gz", 1)):
    data = gzip.open(f"{src}/{name}").read()
    dims = data[3]
    header = 4 + 4 * dims
    count = struct.unpack(">I", data[4:8])[0]
    n = min(n, count)
    out = data[:4] + struct.pack(">I", n) + data[8:header] + data[header:header + n * item]
    with gzip.open(f"{dst}/{name}", "wb", compresslevel=9) as f:
        f.write(out)
PY
fi

cat > "$B/nativenets" <<'SH'
#!/usr/bin/env bash
here=$(dirname "$(readlink -f "$0")")
export DOTNET_ROOT="$here/dotnet" NATIVENETS_LIBRARY_PATH="$here/lib${NATIVENETS_LIBRARY_PATH:+:$NATIVENETS_LIBRARY_PATH}"
exec "$here/dotnet/dotnet" "$here/cli/nativenets.dll" "$@"
SH
cat > "$B/run-tests" <<'SH'
#!/usr/bin/env bash
# Runs the xunit v3 test program; arguments go to it (e.g. -namespace NativeNets.Tests.Gpu).
here=$(dirname "$(readlink -f "$0")")
export DOTNET_ROOT="$here/dotnet" NATIVENETS_FIXTURES="${NATIVENETS_FIXTURES:-$here/fixtures}" NATIVENETS_LIBRARY_PATH="$here/lib${NATIVENETS_LIBRARY_PATH:+:$NATIVENETS_LIBRARY_PATH}"
exec "$here/dotnet/dotnet" "$here/tests/NativeNets.Tests.dll" "$@"
SH
chmod +x "$B/nativenets" "$B/run-tests"
cp runtime/scripts/gpu-check.sh "$B/"
# One xz stream with a 64 MiB dictionary (-9, one thread): the command line and the tests share most of their
# assemblies (SkiaSharp alone is 9 MB), and only a window that holds both compresses the second copy away.
tar -C out -cf - bundle | xz -9 -T1 > out/bundle.tar.xz
echo "out/bundle.tar.xz: $(du -h out/bundle.tar.xz | cut -f1) ($(du -sh "$B" | cut -f1) unpacked, .NET $version)"
