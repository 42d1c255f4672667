"""Runs Python code in a fresh interpreter that imports the same trustmix as the tests
(this process's sys.path), for behaviour fixed at start-up by environment variables."""

from __future__ import annotations

import os
import subprocess
import sys


def run_python(code: str, *args: str, **env: str) -> None:
    """Runs ``python -c code args...`` with the environment variables ``env`` added;
    raises CalledProcessError if it fails (e.g. an assert in ``code``)."""
    full_env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), **env)
    subprocess.run([sys.executable, "-c", code, *args], env=full_env, check=True)
