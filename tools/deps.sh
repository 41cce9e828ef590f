#!/bin/sh
# Install the Debian packages headroom needs, only those missing (idempotent).
# Used by `make deps`, which `make demo` and `make test` run first.
# Extra package sets: `tools/deps.sh mpi` adds OpenMPI; `tools/deps.sh
# notebooks` adds Jupyter's nbconvert and kernel, pandas and matplotlib
# (for `make notebooks` and `make test-notebook`; about 430 MB, so not part
# of `make test`).
set -eu
pkgs="build-essential pkg-config libgsl-dev libsqlite3-dev libfyaml-dev libcriterion-dev gnuplot-nox sqlite3 valgrind tzdata prometheus curl"
for extra in "$@"; do
  case "$extra" in
    mpi) pkgs="$pkgs openmpi-bin libopenmpi-dev" ;;
    fuzz) pkgs="$pkgs clang libclang-rt-14-dev" ;;
    notebooks) pkgs="$pkgs jupyter-nbconvert python3-ipykernel python3-pandas python3-matplotlib" ;;
    *) echo "deps.sh: unknown package set '$extra' (known: mpi, fuzz, notebooks)" >&2; exit 2 ;;
  esac
done
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "deps: missing packages:$missing; run as root: apt-get install$missing" >&2; exit 2
  fi
else SUDO=""; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
