"""Google Meridian's posterior ROI per channel on Meridian's simulated geo example: the
reference side of ``bench_geo_peers.py``.

Run in the interpreter that has ``google-meridian`` (it pulls TensorFlow; the benchmark
calls it through ``TRUSTMIX_MERIDIAN_PYTHON``, a separate virtualenv's python). Fits
Meridian's geo model with its default specification (geometric adstock, Hill saturation,
log-normal geo effects around each channel's mean, population scaling, ROI priors
LogNormal(0.2, 0.9)) and prints one JSON line: per channel the posterior draws' mean, sd and
bulk ESS of Meridian's ROI (incremental revenue / spend over all geos and weeks), the
sampling wall and CPU time (all threads), the number of divergent transitions and the settings.

    python benchmarks/meridian_geo_reference.py CSV --chains 2 --adapt 500 --burnin 500 --keep 500
"""

from __future__ import annotations

from meridian_rf_reference import reference_arguments, sample_and_report


def main() -> None:
    a = reference_arguments()

    import pandas as pd
    from meridian.data import load
    from meridian.model import model, spec

    df = pd.read_csv(a.csv, nrows=1)
    media = [c[: -len("_impression")] for c in df.columns if c.endswith("_impression")]
    controls = [c for c in df.columns if c.endswith("_control")]
    cols = load.CoordToColumns(
        geo="geo",
        time="time",
        population="population",
        controls=controls,
        kpi="conversions",
        revenue_per_kpi="revenue_per_conversion",
        media=[f"{c}_impression" for c in media],
        media_spend=[f"{c}_spend" for c in media],
    )
    loader = load.CsvDataLoader(
        csv_path=a.csv,
        kpi_type="non_revenue",
        coord_to_columns=cols,
        media_to_channel={f"{c}_impression": c for c in media},
        media_spend_to_channel={f"{c}_spend": c for c in media},
    )
    mmm = model.Meridian(input_data=loader.load(), model_spec=spec.ModelSpec(max_lag=a.max_lag))
    sample_and_report(mmm, media, a)


if __name__ == "__main__":
    main()
