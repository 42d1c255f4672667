"""tfcausalimpact (Dafiti's TensorFlow Probability port of Google's CausalImpact) on a CSV,
for benchmarks/bench_evaluate.py, run in a separate environment that has it (TensorFlow
and TensorFlow Probability are hundreds of MB, and tfcausalimpact fails on pandas 3):

    python -m venv tfci && tfci/bin/pip install "tensorflow==2.18.*" "tf-keras==2.18.*" \\
        "tensorflow-probability==0.25.*" "pandas<3" tfcausalimpact
    TRUSTMIX_TFCI_PYTHON=tfci/bin/python python benchmarks/bench_evaluate.py --only impact

Input: a CSV whose first column is the outcome and the others the control series, one
row per period; the post-period starts at row ``--start``. Output (the last line of
stdout): JSON with the fit's seconds (one CausalImpact fit, the model's default
Hamiltonian Monte Carlo unless ``--fit-method vi``), the average effect over the
post-period (actual - predicted, outcome units) and its 1 - alpha bounds, and the
package versions.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import time
from typing import Any

import pandas as pd


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("--start", type=int, required=True, help="first post-period row")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fit-method", choices=["hmc", "vi"], default="hmc")
    a = ap.parse_args(argv)
    data = pd.read_csv(a.csv)
    n = len(data)
    tf: Any = importlib.import_module("tensorflow")
    tf.random.set_seed(a.seed)
    ci_mod: Any = importlib.import_module("causalimpact")
    t0 = time.perf_counter()
    ci = ci_mod.CausalImpact(
        data, [0, a.start - 1], [a.start, n - 1], alpha=a.alpha, model_args={"fit_method": a.fit_method}
    )
    seconds = time.perf_counter() - t0
    s = ci.summary_data
    out = {
        "seconds": seconds,
        "average": float(s.loc["abs_effect", "average"]),
        "lower": float(s.loc["abs_effect_lower", "average"]),
        "upper": float(s.loc["abs_effect_upper", "average"]),
        "fit_method": a.fit_method,
        "versions": {
            p: importlib.metadata.version(p)
            for p in ("tfcausalimpact", "tensorflow", "tensorflow-probability", "pandas")
        },
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
