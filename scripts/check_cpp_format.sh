#!/usr/bin/env bash
# Checks that the C++ sources are clang-formatted (.clang-format, the pinned clang-format):
# fails, listing the files, if `bash scripts/format_cpp.sh` would change anything. A few
# seconds.
set -euo pipefail
exec bash "$(dirname "$0")/format_cpp.sh" --check
