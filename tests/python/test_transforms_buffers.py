"""Large results live in recycled buffers (include/trustmix/transforms/buffer_cache.hpp):
a reused buffer must never change a result the caller still holds, every element must be
overwritten, and dropping results in a loop must not grow memory."""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest

from _subprocess import run_python
from trustmix import transforms as tf
from trustmix._core import transforms as _t

T, C = 3650, 50  # 1.4 MiB results: above the 64 KiB threshold of the cache


def _media(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.gamma(2.0, 1.0, size=(T, C)) * (rng.random((T, C)) > 0.2)


def _reference_hill(y: np.ndarray, k: np.ndarray, s: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 1.0 / (1.0 + np.exp(s * (np.log(k) - np.log(y))))


def test_held_results_are_not_overwritten_by_later_calls():
    x = _media(1)
    alpha = np.linspace(0.2, 0.9, C)
    k, s = np.linspace(0.5, 2.0, C), np.linspace(0.6, 3.0, C)
    held = []
    for i in range(6):
        y = tf.adstock(x * (i + 1), "geometric", max_lag=30, alpha=alpha)
        h = tf.hill(y, k=k, s=s)
        held.append((i, y, h, y.copy(), h.copy()))
        del y, h
        gc.collect()
        tf.hill(x, k=k, s=s)  # a dropped result: its buffer goes back to the cache
    for i, y, h, y0, h0 in held:
        assert np.array_equal(y, y0) and np.array_equal(h, h0)
        np.testing.assert_allclose(y, (i + 1) * held[0][3], rtol=1e-14)  # adstock is linear
    assert y.flags.c_contiguous and y.flags.writeable and y.dtype == np.float64


def test_reused_buffers_give_the_same_bits_and_are_fully_overwritten():
    x = _media(2)
    k, s = np.full(C, 0.9), np.full(C, 1.7)
    first = tf.hill(x, k=k, s=s).copy()
    before = _t.buffer_cache_info().reused
    for _ in range(5):
        # Fill the cache with a result full of NaN-free garbage, drop it, recompute.
        junk = tf.adstock(x * 1e9, "geometric", max_lag=3, alpha=0.5)
        junk[:] = -7.0
        del junk
        assert np.array_equal(tf.hill(x, k=k, s=s), first)
    assert _t.buffer_cache_info().reused > before
    np.testing.assert_allclose(first, _reference_hill(x, k, s), rtol=1e-13, atol=0)


def test_results_are_independent_arrays():
    x = _media(3)
    a = tf.hill(x, k=1.0, s=2.0)
    b = tf.hill(x, k=1.0, s=2.0)
    assert not np.shares_memory(a, b)
    a[:] = 0.0
    assert np.array_equal(b, tf.hill(x, k=1.0, s=2.0))
    # Views keep the buffer alive after the array is dropped.
    v = b[10:20, 3]
    expected = v.copy()
    del b
    gc.collect()
    for _ in range(3):
        tf.hill(x * 2.0, k=1.0, s=2.0)
    assert np.array_equal(v, expected)


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_dropping_results_in_a_loop_does_not_grow_memory():
    x = _media(4)
    alpha = np.linspace(0.3, 0.9, C)
    for _ in range(20):  # warm up: the cache fills to its steady state
        tf.hill(tf.adstock(x, "geometric", max_lag=30, alpha=alpha), k=1.0, s=1.5)
    gc.collect()
    rss0 = _rss_kib()
    for _ in range(300):  # 300 x 2 results of 1.4 MiB = 840 MiB if nothing were freed
        tf.hill(tf.adstock(x, "geometric", max_lag=30, alpha=alpha), k=1.0, s=1.5)
    gc.collect()
    assert _rss_kib() - rss0 < 16 * 1024
    info = _t.buffer_cache_info()
    assert info.cached_buffers <= 16 and info.cached_bytes <= 64 << 20
    _t.buffer_cache_clear()
    assert _t.buffer_cache_info().cached_buffers == 0


def test_cache_can_be_turned_off():
    code = (
        "import numpy as np; from trustmix import transforms as tf; from trustmix._core import transforms as _t; "
        "x = np.ones((3650, 50)); [tf.hill(x, k=1.0, s=1.0) for _ in range(5)]; "
        "i = _t.buffer_cache_info(); assert i.cached_buffers == 0 and i.reused == 0, i; "
        "assert np.all(tf.hill(x, k=1.0, s=1.0) == 0.5)"
    )
    run_python(code, TRUSTMIX_BUFFER_CACHE="0")


def test_small_results_and_derivatives_are_unaffected():
    x = _media(5)[:100, :3]  # 2.4 KiB: numpy-allocated
    y, g = tf.hill(x, k=1.2, s=1.5, return_grad=True)
    assert np.array_equal(y, tf.hill(x, k=1.2, s=1.5))
    big = _media(6)
    yb, gb = tf.adstock(big, "delayed", max_lag=10, alpha=0.5, theta=2.0, return_grad=True)
    assert np.array_equal(yb, tf.adstock(big, "delayed", max_lag=10, alpha=0.5, theta=2.0))
    assert set(gb) == {"alpha", "theta", "x"}


def test_fork_child_uses_results_and_cache():
    if not hasattr(os, "fork"):
        pytest.skip("no fork")
    x = _media(7)
    ref = tf.hill(tf.adstock(x, "geometric", max_lag=30, alpha=0.6, threads=2), k=1.0, s=1.5, threads=2)
    pid = os.fork()
    if pid == 0:  # child: pool and cache start afresh; parent's arrays stay valid
        ok = False
        try:
            again = tf.hill(tf.adstock(x, "geometric", max_lag=30, alpha=0.6, threads=2), k=1.0, s=1.5, threads=2)
            ok = bool(np.array_equal(again, ref))
            del ref
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_buffer_cache_info_is_typed_and_pickles():
    import pickle

    info = _t.buffer_cache_info()
    assert isinstance(info, _t.BufferCacheInfo)
    assert all(isinstance(v, int) and v >= 0 for v in (info.cached_buffers, info.cached_bytes, info.reused))
    back = pickle.loads(pickle.dumps(info))
    assert (back.cached_buffers, back.cached_bytes, back.reused) == (
        info.cached_buffers,
        info.cached_bytes,
        info.reused,
    )
    assert repr(back) == repr(info) and repr(info).startswith("BufferCacheInfo(cached_buffers=")
