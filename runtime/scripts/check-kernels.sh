#!/usr/bin/env bash
# Compiles every runtime/kernels/*.cu with clang-14 as CUDA device code to PTX, for sm_70 (the
# fallback paths) and sm_80 (the inline-PTX paths), with runtime/scripts/nvrtc-prelude.h force-included
# in place of the CUDA headers NVRTC has built in. Also refuses any #include in a kernel file, any
# kernel (PTX .entry) that is not extern "C" with an nn_ name, and a file whose "// kernels:" lines
# do not list exactly the kernels it compiles to. Prints one line per file; exits non-zero on any failure.
# Without clang-14 it says so and exits 0 ("skipped"). Usage: runtime/scripts/check-kernels.sh [file.cu ...]
set -uo pipefail
export LC_ALL=C
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
clang="${CLANG:-clang-14}"
if ! command -v "$clang" >/dev/null 2>&1; then
  echo "skipped: $clang not found (the kernels are compiled by NVRTC at run time; this check needs clang-14)"
  exit 0
fi
if [ "$#" -gt 0 ]; then files=("$@"); else files=("$root"/runtime/kernels/*.cu); fi
if [ ! -e "${files[0]}" ]; then
  echo "no kernel files found under $root/runtime/kernels"
  exit 1
fi
stubs="$(mktemp -d)"
trap 'rm -rf "$stubs"' EXIT
# clang's __clang_cuda_intrinsics.h includes this CUDA header for sm_70+; the functions it would
# declare (__match*_sync etc.) are not used by the kernels.
mkdir -p "$stubs/crt" && : > "$stubs/crt/sm_70_rt.hpp"
failed=0
for f in "${files[@]}"; do
  name="$(basename "$f")"
  problems=""
  if grep -nE '^[[:space:]]*#[[:space:]]*include' "$f" >/dev/null; then
    problems="has #include (NVRTC gets no headers here)"
  fi
  log=""
  entries=0
  for arch in sm_70 sm_80; do
    out=$("$clang" -x cuda --cuda-device-only --cuda-gpu-arch="$arch" -nocudainc -nocudalib \
      -Xclang -target-feature -Xclang +ptx75 -std=c++17 -O2 -Wall -Werror -Wno-unknown-cuda-version \
      -I"$stubs" -include "$here/nvrtc-prelude.h" -S -o "$stubs/out.ptx" "$f" 2>&1)
    if [ $? -ne 0 ]; then
      problems="${problems:+$problems; }clang-14 failed for $arch"
      log="$log$out"$'\n'
      continue
    fi
    # Every kernel (PTX .entry) must be extern "C" (unmangled) and named nn_..., and the file's
    # "// kernels:" list (what README.md and the tests read) must name exactly the kernels compiled.
    grep -oE '\.entry [A-Za-z0-9_$]+' "$stubs/out.ptx" | awk '{print $NF}' | sort > "$stubs/entries"
    bad=$(grep -vE '^nn_[a-z0-9_]+$' "$stubs/entries" || true)
    if [ -n "$bad" ]; then
      problems="${problems:+$problems; }$arch: kernels not extern \"C\" nn_...: $(tr '\n' ' ' <<<"$bad")"
    fi
    sed -n 's|^// kernels:||p' "$f" | tr ' ' '\n' | sed '/^$/d' | sort > "$stubs/listed"
    if ! diff -q "$stubs/entries" "$stubs/listed" >/dev/null; then
      missing=$(comm -23 "$stubs/entries" "$stubs/listed" | tr '\n' ' ')
      extra=$(comm -13 "$stubs/entries" "$stubs/listed" | tr '\n' ' ')
      problems="${problems:+$problems; }$arch: the '// kernels:' list differs from the compiled kernels (not listed: ${missing:-none}; listed, not compiled: ${extra:-none})"
    fi
    entries=$(wc -l < "$stubs/entries")
  done
  if [ -z "$problems" ]; then
    echo "ok      $name ($entries kernels, sm_70 and sm_80)"
  else
    echo "FAILED  $name: $problems"
    [ -n "$log" ] && sed 's/^/        /' <<<"$log" | head -n 60
    failed=1
  fi
done
exit $failed
