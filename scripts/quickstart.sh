#!/usr/bin/env bash
# README command 1: install everything (Debian packages, .venv, trustmix with extras)
# and run the demo on built-in data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/python -m trustmix demo "$@"
echo
echo "Installed into $(pwd)/.venv. Use it with: source .venv/bin/activate"
