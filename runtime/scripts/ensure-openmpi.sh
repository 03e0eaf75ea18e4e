#!/usr/bin/env bash
# Makes sure Open MPI's mpirun is installed (for the data-parallel tests); installs Debian's openmpi-bin and
# libopenmpi-dev when it can. Without it those tests report themselves skipped, with the reason.
set -uo pipefail
command -v mpirun >/dev/null && exit 0
if command -v apt-get >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || { command -v sudo >/dev/null && sudo="sudo -n"; }
  if [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; then
    echo "Open MPI is missing: installing Debian's openmpi-bin libopenmpi-dev" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openmpi-bin libopenmpi-dev >/dev/null 2>&1 \
      || { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openmpi-bin libopenmpi-dev >/dev/null 2>&1; }
    command -v mpirun >/dev/null && exit 0
  fi
fi
echo "Open MPI (mpirun) is not installed and could not be: the MPI tests will be skipped (Debian: apt-get install openmpi-bin libopenmpi-dev)" >&2
exit 0
