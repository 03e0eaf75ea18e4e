#!/usr/bin/env bash
# Makes sure the system libraries some tests use are installed, installing Debian's packages when it can:
#   Open MPI (openmpi-bin, libopenmpi-dev)  the data-parallel tests under mpirun
#   libturbojpeg0                           the libjpeg-turbo decoding path (Pillow's decoder, bit for bit)
# Without them those tests report themselves skipped, with the reason; nothing fails.
set -uo pipefail
missing=()
command -v mpirun >/dev/null || missing+=(openmpi-bin libopenmpi-dev)
# grep without -q reads the whole list: an early exit would cut ldconfig off with SIGPIPE, a failure under pipefail.
ldconfig -p 2>/dev/null | grep 'libturbojpeg\.so\.0' > /dev/null || missing+=(libturbojpeg0)
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || { command -v sudo >/dev/null && sudo="sudo -n"; }
  if [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; then
    echo "installing Debian's ${missing[*]} for the tests" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
      || { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; }
  fi
fi
command -v mpirun >/dev/null || echo "Open MPI (mpirun) is not installed: the MPI tests will be skipped (Debian: apt-get install openmpi-bin libopenmpi-dev)" >&2
ldconfig -p 2>/dev/null | grep 'libturbojpeg\.so\.0' > /dev/null || echo "libturbojpeg is not installed: its tests will be skipped (Debian: apt-get install libturbojpeg0)" >&2
exit 0
