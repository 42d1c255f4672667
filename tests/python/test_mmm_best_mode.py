"""TrustMMM._best_mode: the choice among MAP restarts is well-defined (issue 15 review).

An absolute tolerance in nats, measured from the best log density, so the choice does not
depend on the restarts' order nor on the size of ``|lp|``.
"""

from __future__ import annotations

import itertools
from typing import Any

from trustmix.mmm.model import TrustMMM


def _res(lp: float, converged: bool, tag: str) -> dict[str, Any]:
    return {"log_density": lp, "converged": converged, "tag": tag}


def test_a_higher_unconverged_mode_wins_beyond_the_tolerance_at_large_lp() -> None:
    # At |lp| ~ 1e5 a relative 1e-6 was 0.1 nats: a converged run 0.05 nats lower won.
    # 0.05 nats is a real difference (above 1e-3): the higher log density wins.
    lo = _res(-1e5 - 0.05, True, "converged")
    hi = _res(-1e5, False, "higher")
    for order in itertools.permutations([lo, hi]):
        assert TrustMMM._best_mode(list(order))["tag"] == "higher"


def test_within_the_tolerance_a_converged_run_wins() -> None:
    a = _res(-1e5, False, "ridge")
    b = _res(-1e5 - 5e-4, True, "converged")
    for order in itertools.permutations([a, b]):
        assert TrustMMM._best_mode(list(order))["tag"] == "converged"


def test_the_choice_does_not_depend_on_the_order_of_a_chain() -> None:
    # A chain of near-ties: each within 0.8e-3 nats of the next, the ends 1.6e-3 apart.
    # Only those within 1e-3 of the best (A, B) are the same mode; B converged wins, in
    # every order (a pairwise rule chained through B or C could end anywhere).
    a = _res(0.0, False, "A")
    b = _res(-0.8e-3, True, "B")
    c = _res(-1.6e-3, True, "C")
    d = _res(float("nan"), True, "nan")
    picks = {TrustMMM._best_mode(list(o))["tag"] for o in itertools.permutations([a, b, c, d])}
    assert picks == {"B"}


def test_every_result_not_finite_gives_the_first() -> None:
    r = [_res(float("-inf"), False, "x"), _res(float("nan"), True, "y")]
    assert TrustMMM._best_mode(r)["tag"] == "x"
