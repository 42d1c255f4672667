#!/usr/bin/env bash
# Installs what trustmix needs on a Debian/Ubuntu machine, idempotently (skips what is
# already there):
#   1. Debian packages: a C++20 compiler, Eigen 3.4, Boost (headers, Test, Math), LBFGS++,
#      and Python's venv support;
#   2. a virtual environment (.venv, or $TRUSTMIX_VENV) with pip up to date;
#   3. unless --no-package: trustmix itself with every extra (pip install ".[all]").
# Usage: bash scripts/install.sh [--no-package]
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${TRUSTMIX_VENV:-.venv}
PYTHON=${PYTHON:-python3}
with_package=1
[ "${1:-}" = "--no-package" ] && with_package=0

# pip on some machines warns about configured package folders that do not exist; keep
# the log readable without hiding pip's exit status.
quiet_pip() { { "$@" 2>&1; } | { grep -v "is ignored: it is neither a file nor a directory" || true; }; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages ---------------------------------------------------------------
apt_packages=(libeigen3-dev libboost-dev libboost-test-dev libboost-math-dev liblbfgspp-dev)
apt_packages+=(libnlopt-cxx-dev)  # the planner's optimiser (trustmix::plan)
apt_packages+=(doxygen)  # the C++ API reference of the documentation site (docs/Doxyfile)
command -v g++ >/dev/null 2>&1 || apt_packages+=(g++)
command -v git >/dev/null 2>&1 || apt_packages+=(git)
command -v "$PYTHON" >/dev/null 2>&1 || apt_packages+=(python3 python3-dev)
"$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1 || apt_packages+=(python3-venv)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

"$PYTHON" - <<'PY'
import sys
if sys.version_info < (3, 10):
    sys.exit(f"trustmix needs Python >= 3.10, this is {sys.version.split()[0]}")
PY

# 2. Virtual environment -----------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
quiet_pip "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade "pip>=23"

# 3. The package and its extras -----------------------------------------------------
if [ $with_package = 1 ]; then
  echo "==> pip install .[all] (builds the C++ extension)"
  quiet_pip "$VENV/bin/python" -m pip install -q --disable-pip-version-check ".[all]"
fi
