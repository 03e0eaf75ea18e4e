#!/usr/bin/env bash
# Makes sure Fashion-MNIST is in $1 (default: Debian's location); installs Debian's package when it can.
set -euo pipefail
dir="${1:-/usr/share/datasets/fashion-mnist}"
have() { [ -f "$dir/train-images-idx3-ubyte.gz" ] || [ -f "$dir/train-images-idx3-ubyte" ]; }
have && exit 0
if [ "$dir" = /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || { command -v sudo >/dev/null && sudo="sudo -n"; }
  if [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; then
    echo "Fashion-MNIST is missing: installing Debian's dataset-fashion-mnist" >&2
    if $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 \
      || { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null; }; then
      have && exit 0
    fi
  fi
fi
cat >&2 <<MSG
Fashion-MNIST was not found in $dir.
  On Debian or Ubuntu:  sudo apt-get install dataset-fashion-mnist   (installs /usr/share/datasets/fashion-mnist)
  Elsewhere: put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
  t10k-labels-idx1-ubyte.gz in a directory and run: make run DATA=/that/directory
MSG
exit 1
