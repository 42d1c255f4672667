"""Journey data shared by the attribution tests."""

import numpy as np
import pandas as pd


def random_paths(n: int, channels: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = np.array([f"ch{i}" for i in range(channels)])
    lens = rng.integers(1, 6, n)
    ids = rng.integers(0, channels, lens.sum())
    off = np.concatenate([[0], np.cumsum(lens)])
    path = [" > ".join(names[ids[off[i] : off[i + 1]]]) for i in range(n)]
    conv = rng.poisson(1.0, n) * 0.5
    return pd.DataFrame(
        {
            "path": path,
            "conversions": conv,
            "value": conv * rng.gamma(2, 10, n),
            "nulls": rng.poisson(2.0, n).astype(float),
        }
    )
