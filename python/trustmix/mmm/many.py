"""Many national models at once: one :class:`TrustMMM` per brand, market or product line,
fitted serially, on threads, on a Dask cluster or on Spark, with the same results on every
engine (docs/many.md).

Each model's fit seed is derived from the base seed and the model's name only
(:func:`model_seed`), so a collection fitted on any engine, with any number of workers, in
any order, equals fitting the models one by one in a loop with those seeds, bit for bit.
The C++ counterpart is ``trustmix::mmm::fit_many`` (include/trustmix/mmm/many.hpp), which
derives the same seeds.
"""

from __future__ import annotations

import html
import pickle
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from trustmix.mmm.model import TrustFit, TrustMMM

__all__ = ["ManyFits", "fit_many", "model_seed"]

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_ENGINES = ("serial", "threads", "dask", "spark")
_STATE_VERSION = 1
_Result = tuple[str, bytes | None, str | None, float]


def _mix64(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def model_seed(seed: int, name: str) -> int:
    """The fit seed of model ``name`` in a collection fitted with base ``seed``.

    ``mix64(seed + g (fnv1a64(utf8(name)) + 1))`` modulo 2**64, with g = 0x9E3779B97F4A7C15
    and mix64 the SplitMix64 finaliser: a function of (seed, name) only, so it does not
    depend on the engine, the workers or the order (``trustmix::mmm::model_seed`` in C++
    gives the same number). An integer in [0, 2**64).
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**64:
        raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")
    h = 0xCBF29CE484222325
    for b in str(name).encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & _MASK
    return _mix64((int(seed) + _GOLDEN * (h + 1)) & _MASK)


def _fit_one(
    name: str, frame: pd.DataFrame, model_kwargs: dict[str, Any], fit_kwargs: dict[str, Any]
) -> tuple[str, bytes | None, str | None, float]:
    """Builds and fits one model; returns (name, pickled TrustFit or None, error or None,
    seconds). Never raises for a bad model: the error message is returned instead, so one
    bad model does not stop the others."""
    t0 = time.perf_counter()
    try:
        fit = TrustMMM(frame, **model_kwargs).fit(**fit_kwargs)
        return name, pickle.dumps(fit, protocol=pickle.HIGHEST_PROTOCOL), None, time.perf_counter() - t0
    except Exception as exc:  # noqa: BLE001 - reported per model in ManyFits.failed
        msg = f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, (ValueError, TypeError)):
            msg += "\n" + "".join(traceback.format_exception(exc)[-3:])
        return name, None, msg, time.perf_counter() - t0


def _split(data: Any, key: str | None) -> dict[str, pd.DataFrame]:
    """name -> DataFrame from a dict of frames or one long frame with a ``key`` column."""
    if isinstance(data, Mapping):
        out: dict[str, pd.DataFrame] = {}
        for name, frame in data.items():
            if not isinstance(frame, pd.DataFrame):
                raise ValueError(f"data[{name!r}] must be a pandas DataFrame, got {type(frame).__name__}")
            out[str(name)] = frame
        if len(out) != len(data):
            raise ValueError("data's names must stay distinct as strings")
        return out
    if isinstance(data, pd.DataFrame):
        if key is None:
            raise ValueError("data is one long DataFrame: give key=<the column naming each model>")
        if key not in data.columns:
            raise ValueError(f"key column {key!r} is not in the data (columns: {', '.join(map(str, data.columns))})")
        if data[key].isna().any():
            raise ValueError(f"key column {key!r}: row {int(data[key].isna().to_numpy().argmax())} has no model name")
        return {
            str(k): g.drop(columns=[key]).reset_index(drop=True)
            for k, g in data.groupby(data[key].astype(str), sort=True)
        }
    raise ValueError(
        "data must be a dict name -> DataFrame, a long pandas DataFrame with key=..., or "
        f"(engine='spark') a Spark DataFrame, got {type(data).__name__}"
    )


def _is_spark_frame(data: Any) -> bool:
    return type(data).__module__.startswith("pyspark.") and hasattr(data, "groupBy")


def fit_many(
    data: Any,
    *,
    model: Mapping[str, Any],
    fit: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    engine: str = "serial",
    client: Any = None,
    key: str | None = None,
    workers: int | None = None,
    progress: bool = False,
) -> ManyFits:
    """Fits one :class:`TrustMMM` per name and returns them as a :class:`ManyFits`.

    Parameters
    ----------
    data : dict name -> DataFrame, a long DataFrame, or a Spark DataFrame
        Each model's data (one row per period, as :class:`TrustMMM` reads it), or one long
        table whose ``key`` column names the model of each row (the key column is dropped
        before the model is built). A Spark DataFrame needs ``engine="spark"`` and ``key``.
    model : mapping
        :class:`TrustMMM` keyword arguments shared by every model (``date``, ``outcome``,
        ``channels``, ...).
    fit : mapping, optional
        :meth:`TrustMMM.fit` keyword arguments shared by every model. ``seed`` (default 0)
        is the base seed: model ``name`` is fitted with ``model_seed(seed, name)``
        (:func:`model_seed`), so results do not depend on the engine, the number of workers
        or the order. ``progress`` defaults to False; ``threads`` (NUTS chains' threads)
        defaults to 1 on the parallel engines, so that each worker fits one model on one
        core (the draws do not depend on it).
    overrides : mapping name -> mapping, optional
        Per-model :class:`TrustMMM` keyword arguments replacing the shared ones (e.g. a
        market whose tracker column is missing: ``{"FR": {"tracker": None}}``).
    engine : {"serial", "threads", "dask", "spark"}
        ``"serial"``: one model after the other in this process. ``"threads"``: a thread
        pool of ``workers`` threads in this process (the C++ work runs without the GIL).
        ``"dask"``: ``client.submit`` per model on a ``distributed.Client`` (default: the
        current client); the frames are sent once, the fits come back pickled.
        ``"spark"``: ``groupBy(key).applyInPandas`` over a Spark DataFrame (the data stays
        where it lives; pandas input is first turned into a Spark DataFrame with the
        SparkSession ``client``, default the active session).
    client : distributed.Client or SparkSession, optional
    key : str, optional
        The model-name column of a long table.
    workers : int, optional
        Threads of the ``"threads"`` engine (default: the machine's cores).
    progress : bool
        A progress bar (tqdm) counting finished models (serial, threads and Dask engines).

    Returns
    -------
    ManyFits
        ``fits`` (name -> :class:`TrustFit`), ``failed`` (name -> error message: a model
        whose data or fit fails does not stop the others), ``seconds`` per model,
        ``summary()``, ``plot_roi()``.
    """
    if engine not in _ENGINES:
        raise ValueError(f"engine must be one of {', '.join(_ENGINES)}, got {engine!r}")
    if not isinstance(model, Mapping):
        raise ValueError(f"model must be a mapping of TrustMMM keyword arguments, got {type(model).__name__}")
    fit_kw = dict(fit or {})
    base_seed = fit_kw.pop("seed", 0)
    model_seed(base_seed, "")  # validates the seed
    fit_kw.setdefault("progress", False)
    if engine != "serial":  # the models are the unit of parallelism: one thread per model's chains
        fit_kw.setdefault("threads", 1)
    over = {str(k): dict(v) for k, v in (overrides or {}).items()}
    if _is_spark_frame(data):
        if engine != "spark":
            raise ValueError(f"data is a Spark DataFrame: use engine='spark' (got engine={engine!r})")
        return _fit_spark_frame(data, key, dict(model), fit_kw, over, base_seed)
    frames = _split(data, key)
    if not frames:
        raise ValueError("data holds no model")
    unknown = sorted(set(over) - set(frames))
    if unknown:
        raise ValueError(f"overrides name model(s) {unknown} that are not in the data")
    tasks = [
        (name, frame, {**model, **over.get(name, {})}, {**fit_kw, "seed": model_seed(base_seed, name)})
        for name, frame in frames.items()
    ]
    settings = {"engine": engine, "seed": int(base_seed), "model": dict(model), "fit": fit_kw, "overrides": over}
    bar = _Progress(len(tasks), progress)
    if engine == "serial":
        results = []
        for t in tasks:
            results.append(_fit_one(*t))
            bar.update()
    elif engine == "threads":
        if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 1):
            raise ValueError(f"workers must be an integer >= 1, got {workers!r}")

        def run(t: tuple[str, pd.DataFrame, dict[str, Any], dict[str, Any]]) -> _Result:
            r = _fit_one(*t)
            bar.update()
            return r

        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(run, tasks))
    elif engine == "dask":
        results = _run_dask(tasks, client, bar)
    else:
        results = _run_spark_pandas(frames, client, dict(model), fit_kw, over, int(base_seed))
    bar.close()
    return ManyFits._from_results(results, [t[0] for t in tasks], settings)


class _Progress:
    """A tqdm bar counting finished models, or nothing."""

    def __init__(self, total: int, show: bool) -> None:
        self._bar: Any = None
        if show:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc="models", unit="model")

    def update(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _run_dask(
    tasks: list[tuple[str, pd.DataFrame, dict[str, Any], dict[str, Any]]], client: Any, bar: _Progress
) -> list[tuple[str, bytes | None, str | None, float]]:
    try:
        from distributed import as_completed, get_client
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("fit_many(engine='dask') needs dask.distributed: pip install trustmix[dask]") from exc
    if client is None:
        try:
            client = get_client()
        except ValueError as exc:
            raise ValueError(
                "fit_many(engine='dask'): no client given and no current distributed.Client "
                "(start one: distributed.Client(distributed.LocalCluster()))"
            ) from exc
    futures = [
        client.submit(_fit_one, *t, key=f"trustmix-fit-{i}-{t[0]}-{t[3]['seed']}", pure=False)
        for i, t in enumerate(tasks)
    ]
    for _ in as_completed(futures):  # type: ignore[no-untyped-call]
        bar.update()
    out: list[tuple[str, bytes | None, str | None, float]] = client.gather(futures)
    return out


def _spark_schema() -> Any:
    from pyspark.sql.types import (  # type: ignore[import-not-found, unused-ignore]
        BinaryType,
        DoubleType,
        StringType,
        StructField,
        StructType,
    )

    return StructType(
        [
            StructField("name", StringType(), False),
            StructField("fit", BinaryType(), True),
            StructField("error", StringType(), True),
            StructField("seconds", DoubleType(), False),
        ]
    )


def _spark_session(client: Any) -> Any:
    try:
        from pyspark.sql import SparkSession  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("fit_many(engine='spark') needs pyspark: pip install trustmix[spark]") from exc
    session = client if client is not None else SparkSession.getActiveSession()
    if session is None:
        raise ValueError("fit_many(engine='spark'): no SparkSession given (client=...) and none is active")
    return session


def _spark_fitter(
    key: str, model_kwargs: dict[str, Any], fit_kw: dict[str, Any], over: dict[str, dict[str, Any]], base_seed: int
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def fit_group(frame: pd.DataFrame) -> pd.DataFrame:
        name = str(frame[key].iloc[0])
        sub = frame.drop(columns=[key]).reset_index(drop=True)
        r = _fit_one(name, sub, {**model_kwargs, **over.get(name, {})}, {**fit_kw, "seed": model_seed(base_seed, name)})
        return pd.DataFrame({"name": [r[0]], "fit": [r[1]], "error": [r[2]], "seconds": [r[3]]})

    return fit_group


def _collect_spark(
    sdf: Any,
    key: str,
    model_kwargs: dict[str, Any],
    fit_kw: dict[str, Any],
    over: dict[str, dict[str, Any]],
    base_seed: int,
) -> list[_Result]:
    fn = _spark_fitter(key, model_kwargs, fit_kw, over, base_seed)
    rows = sdf.groupBy(key).applyInPandas(fn, schema=_spark_schema()).collect()
    return [
        (str(r["name"]), None if r["fit"] is None else bytes(r["fit"]), r["error"], float(r["seconds"])) for r in rows
    ]


def _run_spark_pandas(
    frames: dict[str, pd.DataFrame],
    client: Any,
    model_kwargs: dict[str, Any],
    fit_kw: dict[str, Any],
    over: dict[str, dict[str, Any]],
    base_seed: int,
) -> list[tuple[str, bytes | None, str | None, float]]:
    session = _spark_session(client)
    col = "__trustmix_model__"
    long = pd.concat([f.assign(**{col: n}) for n, f in frames.items()], ignore_index=True)
    return _collect_spark(session.createDataFrame(long), col, model_kwargs, fit_kw, over, base_seed)


def _fit_spark_frame(
    sdf: Any,
    key: str | None,
    model_kwargs: dict[str, Any],
    fit_kw: dict[str, Any],
    over: dict[str, dict[str, Any]],
    base_seed: int,
) -> ManyFits:
    _spark_session(None)  # import check
    if key is None or key not in sdf.columns:
        raise ValueError(
            f"a Spark DataFrame needs key=<the column naming each model> (one of {sdf.columns}), got {key!r}"
        )
    results = _collect_spark(sdf, key, model_kwargs, fit_kw, over, base_seed)
    names = sorted(r[0] for r in results)
    settings = {"engine": "spark", "seed": int(base_seed), "model": model_kwargs, "fit": fit_kw, "overrides": over}
    return ManyFits._from_results(results, names, settings)


class ManyFits:
    """A collection of fitted models (:func:`fit_many`).

    Attributes
    ----------
    fits : dict name -> TrustFit
        The fitted models, in the order of the data's names.
    failed : dict name -> str
        Models whose data or fit failed, with the error message.
    seconds : dict name -> float
        Wall time of each model's build and fit on its worker (seconds).
    seeds : dict name -> int
        The fit seed of each model (:func:`model_seed`).
    settings : dict
        Engine, base seed, shared model and fit arguments, overrides.
    """

    def __init__(
        self,
        fits: dict[str, TrustFit],
        failed: dict[str, str],
        seconds: dict[str, float],
        seeds: dict[str, int],
        settings: dict[str, Any],
    ) -> None:
        self.fits = fits
        self.failed = failed
        self.seconds = seconds
        self.seeds = seeds
        self.settings = settings

    @classmethod
    def _from_results(
        cls, results: list[tuple[str, bytes | None, str | None, float]], order: list[str], settings: dict[str, Any]
    ) -> ManyFits:
        by_name = {r[0]: r for r in results}
        fits: dict[str, TrustFit] = {}
        failed: dict[str, str] = {}
        seconds: dict[str, float] = {}
        for name in order:
            _, blob, err, sec = by_name[name]
            seconds[name] = float(sec)
            if blob is not None:
                fits[name] = pickle.loads(blob)
            else:
                failed[name] = str(err)
        seeds = {n: model_seed(settings["seed"], n) for n in order}
        return cls(fits, failed, seconds, seeds, settings)

    def __len__(self) -> int:
        return len(self.fits) + len(self.failed)

    def __iter__(self) -> Iterator[str]:
        return iter(self.fits)

    def __getitem__(self, name: str) -> TrustFit:
        if name in self.failed:
            raise KeyError(f"model {name!r} failed: {self.failed[name]}")
        return self.fits[name]

    def summary(
        self, interval: float = 0.9, horizon: int = 104, max_draws: int = 200, value_per_outcome: float | None = None
    ) -> pd.DataFrame:
        """One row per model and channel: the channel's role and spend, incremental outcome
        (short, long, total) and ROI (short, total) from :meth:`TrustFit.roi` (with the
        equal-tailed ``interval`` bounds ``*_low`` / ``*_high`` for a NUTS fit), and the
        model's fit diagnostics: ``method``, ``divergences`` (kept NUTS draws that
        diverged; 0 for MAP), ``r_hat_max`` (largest rank-normalised split R-hat over the
        parameters; NaN for MAP), ``ess_bulk_min`` (smallest bulk ESS over the parameters;
        NaN for MAP), ``converged`` (MAP optimiser) and ``seconds`` (build and
        fit wall time on its worker). Failed models are left out (see :attr:`failed`)."""
        parts = []
        for name, f in self.fits.items():
            roi = f.roi(
                horizon=horizon, interval=interval, max_draws=max_draws, value_per_outcome=value_per_outcome
            ).reset_index()
            roi.insert(0, "model", name)
            post = f.posterior
            roi["method"] = f.method
            roi["divergences"] = 0 if post is None else int(post.divergences)
            roi["r_hat_max"] = np.nan if post is None else float(np.nanmax(post._summary["r_hat"]))
            roi["ess_bulk_min"] = np.nan if post is None else float(np.nanmin(post._summary["ess_bulk"]))
            roi["converged"] = bool(f.info.get("converged", False))
            roi["seconds"] = self.seconds[name]
            parts.append(roi)
        if not parts:
            return pd.DataFrame(columns=["model", "channel"]).set_index(["model", "channel"])
        return pd.concat(parts, ignore_index=True).set_index(["model", "channel"])

    def plot_roi(self, column: str = "incremental_total", ax: Any = None, **summary_args: Any) -> Any:
        """Dot plot of ``column`` of :meth:`summary` (default the total incremental outcome;
        ``"roi_total"`` with a value per outcome) per model, one row per model and one
        marker colour per channel, with the interval as a line for NUTS fits."""
        import matplotlib.pyplot as plt

        table = self.summary(**summary_args).reset_index()
        if column not in table.columns:
            raise ValueError(f"column {column!r} is not in summary() (columns: {', '.join(table.columns)})")
        models = list(dict.fromkeys(table["model"]))
        channels = list(dict.fromkeys(table["channel"]))
        if ax is None:
            _, ax = plt.subplots(figsize=(7, max(2.5, 0.3 * len(models) + 1)))
        ypos = {m: i for i, m in enumerate(models)}
        offset = np.linspace(-0.25, 0.25, len(channels)) if len(channels) > 1 else np.zeros(1)
        for k, c in enumerate(channels):
            rows = table[table["channel"] == c]
            y = np.array([ypos[m] for m in rows["model"]], dtype=float) + offset[k]
            if f"{column}_low" in rows.columns:
                ax.hlines(y, rows[f"{column}_low"], rows[f"{column}_high"], color=f"C{k}", alpha=0.6)
            ax.plot(rows[column], y, "o", color=f"C{k}", label=c)
        ax.set_yticks(range(len(models)))
        ax.set_yticklabels(models)
        ax.axvline(0.0, color="grey", lw=0.8)
        ax.set_xlabel(column)
        ax.legend(fontsize="small")
        return ax

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(n)}</td><td>{html.escape(f.method)}</td>"
            f"<td>{self.seconds[n]:.2f}</td><td>ok</td></tr>"
            for n, f in self.fits.items()
        )
        rows += "".join(
            f"<tr><td>{html.escape(n)}</td><td></td><td>{self.seconds[n]:.2f}</td>"
            f"<td>failed: {html.escape(e.splitlines()[0])}</td></tr>"
            for n, e in self.failed.items()
        )
        return (
            f"<h4>ManyFits: {len(self.fits)} fitted, {len(self.failed)} failed (engine "
            f"{html.escape(str(self.settings.get('engine')))}, seed {self.settings.get('seed')})</h4>"
            f"<table><tr><th>model</th><th>method</th><th>seconds</th><th>status</th></tr>{rows}</table>"
        )

    def __repr__(self) -> str:
        return f"ManyFits({len(self.fits)} fitted, {len(self.failed)} failed, engine={self.settings.get('engine')!r})"

    def __getstate__(self) -> dict[str, Any]:
        """Versioned state (version 1): the fits (their own versioned states), failures,
        times, seeds and settings."""
        return {
            "version": _STATE_VERSION,
            "fits": self.fits,
            "failed": self.failed,
            "seconds": self.seconds,
            "seeds": self.seeds,
            "settings": self.settings,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict) or state.get("version") != _STATE_VERSION:
            raise ValueError(
                f"cannot unpickle ManyFits: unsupported state version "
                f"{state.get('version') if isinstance(state, dict) else state!r}"
            )
        ManyFits.__init__(self, state["fits"], state["failed"], state["seconds"], state["seeds"], state["settings"])
