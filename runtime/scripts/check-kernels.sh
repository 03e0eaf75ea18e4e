#!/usr/bin/env bash
# Compiles every runtime/kernels/*.cu with clang-14 as CUDA device code to PTX, for sm_70 (the
# fallback paths) and sm_80 (the inline-PTX paths), with runtime/scripts/nvrtc-prelude.h force-included
# in place of the CUDA headers NVRTC has built in. Each file is compiled as the host hands it to NVRTC
# (CudaKernels.LoadSources): the shared helpers first, then the file, as one text
#   #line 1 "common.cuh" \n <runtime/kernels/common.cuh> \n #line 1 "<file>.cu" \n <file>
# (the file alone when there is no common.cuh). Also refuses any #include in a kernel file or in
# common.cuh, a kernel in common.cuh, a kernel file that defines again a macro or typedef of
# common.cuh, any kernel (PTX .entry) that is not extern "C" with an nn_ name, and a file whose
# "// kernels:" lines do not list exactly the kernels it compiles to. Prints one line per file (and one
# for common.cuh); exits non-zero on any failure.
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
compile() { # compile ARCH SOURCE: SOURCE to $stubs/out.ptx; prints clang's messages
  "$clang" -x cuda --cuda-device-only --cuda-gpu-arch="$1" -nocudainc -nocudalib \
    -Xclang -target-feature -Xclang +ptx75 -std=c++17 -O2 -Wall -Werror -Wno-unknown-cuda-version \
    -I"$stubs" -include "$here/nvrtc-prelude.h" -S -o "$stubs/out.ptx" "$2" 2>&1
}
include_re='^[[:space:]]*#[[:space:]]*include'
failed=0
report() { # report NAME WHAT: one line for NAME from $problems (and clang's messages in $log)
  if [ -z "$problems" ]; then
    echo "ok      $1 ($2)"
  else
    echo "FAILED  $1: $problems"
    [ -n "$log" ] && sed 's/^/        /' <<<"$log" | head -n 60
    failed=1
  fi
}
defined_names() { # the macro and typedef names FILE defines, one a line, sorted
  { sed -nE 's/^[[:space:]]*#[[:space:]]*define[[:space:]]+([A-Za-z_][A-Za-z0-9_]*).*/\1/p' "$1"
    sed -nE 's/^[[:space:]]*typedef[[:space:]].*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*;.*/\1/p' "$1"
  } | sort -u
}

# The compilation unit, as CudaKernels.LoadSources builds it: unit OUT NAME [FILE] (no FILE: common.cuh
# alone). Only for clang, -Wunused-function is off inside common.cuh: not every file uses every helper
# (a header would not warn either), while an unused helper of a kernel file is still an error.
common="$root/runtime/kernels/common.cuh"
unit() {
  if [ -s "$common" ]; then
    { printf '#pragma clang diagnostic push\n#pragma clang diagnostic ignored "-Wunused-function"\n'
      printf '#line 1 "common.cuh"\n'; cat "$common"
      printf '\n#pragma clang diagnostic pop\n#line 1 "%s"\n' "$2"; [ -n "${3:-}" ] && cat "$3"; } > "$1"
  else
    { printf '#line 1 "%s"\n' "$2"; cat "$3"; } > "$1"
  fi
}

# The shared helpers: no #include, no kernels, and they compile on their own.
: > "$stubs/common.names"
if [ -s "$common" ]; then
  problems=""
  log=""
  if grep -nE "$include_re" "$common" >/dev/null; then
    problems="has #include (NVRTC gets no headers here)"
  fi
  unit "$stubs/common.cu" empty.cu
  for arch in sm_70 sm_80; do
    if ! out=$(compile "$arch" "$stubs/common.cu"); then
      problems="${problems:+$problems; }clang-14 failed for $arch"
      log="$log$out"$'\n'
      continue
    fi
    if grep -qE '\.entry ' "$stubs/out.ptx"; then
      problems="${problems:+$problems; }$arch: defines kernels ($(grep -oE '\.entry [A-Za-z0-9_$]+' "$stubs/out.ptx" | awk '{print $NF}' | tr '\n' ' '))"
    fi
  done
  report common.cuh "shared helpers, no kernels"
  # The macro and typedef names it defines: a kernel file must not define them again.
  defined_names "$common" > "$stubs/common.names"
fi

for f in "${files[@]}"; do
  name="$(basename "$f")"
  problems=""
  if grep -nE "$include_re" "$f" >/dev/null; then
    problems="has #include (NVRTC gets no headers here)"
  fi
  again=$(defined_names "$f" | comm -12 - "$stubs/common.names" | tr '\n' ' ')
  if [ -n "$again" ]; then
    problems="${problems:+$problems; }defines again what common.cuh defines: $again"
  fi
  unit "$stubs/unit.cu" "$name" "$f"
  log=""
  entries=0
  for arch in sm_70 sm_80; do
    out=$(compile "$arch" "$stubs/unit.cu")
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
  report "$name" "$entries kernels, sm_70 and sm_80"
done
exit $failed
