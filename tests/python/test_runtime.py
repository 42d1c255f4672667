"""The compiled runtime (issue 19): one libtrustmix_runtime per process, so the Python
extension and any C++ shared object loaded next to it share one thread pool and one CPU
feature detector (include/trustmix/core/runtime.hpp)."""

from __future__ import annotations

import ctypes
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import trustmix as tm
from trustmix import _core

ROOT = Path(__file__).resolve().parents[2]


def _runtime_lib() -> ctypes.CDLL:
    """The runtime library file _core reports, opened through ctypes (the loader returns
    the copy already loaded: same file, same soname)."""
    path = _core.runtime.library_path()
    assert path, "the runtime cannot name its file on this platform"
    return ctypes.CDLL(path)


def _c_pool_id(lib: ctypes.CDLL) -> int:
    fn = lib._ZN8trustmix7runtime7pool_idEv  # trustmix::runtime::pool_id()
    fn.restype = ctypes.c_size_t
    return int(fn())


def _c_workers(lib: ctypes.CDLL) -> int:
    fn = lib._ZN8trustmix7runtime20pool_workers_startedEv  # trustmix::runtime::pool_workers_started()
    fn.restype = ctypes.c_int
    return int(fn())


def test_runtime_version_matches_the_package() -> None:
    assert _core.runtime.version() == tm.__version__
    name = Path(_core.runtime.library_path()).name if sys.platform.startswith("linux") else ""
    if name:
        assert name == f"libtrustmix_runtime.so.{tm.__version__}"  # the soname carries the version


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ctypes symbol names and /proc are Linux's")
def test_extension_and_runtime_library_share_one_pool() -> None:
    lib = _runtime_lib()
    assert _c_pool_id(lib) == _core.runtime.pool_id()
    big = np.abs(np.sin(np.arange(40000.0))).reshape(10000, 4)
    one = tm.transforms.hill(big, k=0.7, s=1.4, threads=1)
    three = tm.transforms.hill(big, k=0.7, s=1.4, threads=3)
    assert np.array_equal(np.asarray(one), np.asarray(three))  # determinism on every thread count
    # the loop above ran on the one pool: the library sees the workers _core started
    assert _core.runtime.pool_workers_started() >= 2
    assert _c_workers(lib) == _core.runtime.pool_workers_started()
    # and the process maps exactly one runtime library file
    maps = Path("/proc/self/maps").read_text()
    files = set(re.findall(r"(/\S*libtrustmix_runtime\S*)", maps))
    assert len(files) == 1, files


def _probe_path() -> Path | None:
    """The C++ test probe (tests/cpp/runtime_probe.cpp, a shared object built with the C++
    tests): TRUSTMIX_RUNTIME_PROBE, else the first of the non-sanitizer builds that has it."""
    env = os.environ.get("TRUSTMIX_RUNTIME_PROBE")
    if env:
        return Path(env)
    for build in ("build/ci", "build/dev", "build/presets/release", "build/presets/dev"):
        candidate = ROOT / build / "tests/cpp/libtrustmix_runtime_probe.so"
        if candidate.exists():
            return candidate
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the probe is built on Linux")
def test_a_cpp_shared_object_in_the_process_uses_the_extensions_pool() -> None:
    """A C++ shared object built against the CMake package (not the wheel) and loaded into
    this process finds the runtime already loaded (same soname) and uses its pool."""
    path = _probe_path()
    if path is None:
        pytest.skip("no C++ build with tests/cpp/runtime_probe.cpp (bash scripts/dev-build.sh trustmix_runtime_probe)")
    probe = ctypes.CDLL(str(path))
    probe.probe_pool_id.restype = ctypes.c_size_t
    probe.probe_workers_started.restype = ctypes.c_int
    probe.probe_loop.restype = ctypes.c_int
    probe.probe_loop.argtypes = [ctypes.c_ssize_t, ctypes.c_int, ctypes.POINTER(ctypes.c_double)]
    assert int(probe.probe_pool_id()) == _core.runtime.pool_id()
    big = np.abs(np.cos(np.arange(40000.0))).reshape(10000, 4)
    tm.transforms.hill(big, k=0.7, s=1.4, threads=3)  # warms the pool from _core
    started = _core.runtime.pool_workers_started()
    total = ctypes.c_double(0.0)
    assert probe.probe_loop(6000, 3, ctypes.byref(total)) == 3
    assert total.value == 5999 * 6000 * 11999 / 6  # sum of i^2, i < 6000, exact in doubles
    assert probe.probe_workers_started() == started == _core.runtime.pool_workers_started()


def test_cpu_features_are_one_record() -> None:
    f = _core.runtime.cpu_features()
    assert set(f) == {"sse2", "avx", "avx2", "fma", "avx512f"}
    if f["avx2"]:
        assert f["avx"]  # AVX2 implies AVX
    isa = _core.transforms.kernel_isa()
    if isa == "avx2+fma":
        assert f["avx2"] and f["fma"]
