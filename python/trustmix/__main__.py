"""Command line: ``python -m trustmix <command>``.

Commands
--------
demo     Build an illustrative PR + SMM plan, show each channel's carry-over and
         saturation and the KPI table, and write a chart (PNG) to an output folder.
plan     Fit the trust model on simulated demo data and plan the next year's budget
         (``python -m trustmix plan``): status quo against the optimised plan.
kpi      Compute every KPI a CSV file's columns allow (``python -m trustmix kpi data.csv``).
version  Print the version.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trustmix", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the demo on built-in data")
    demo.add_argument("--output", default="trustmix-output", help="folder for the chart (default: %(default)s)")
    demo.add_argument("--no-plot", action="store_true", help="skip the chart")
    kpi = sub.add_parser("kpi", help="KPI table of a CSV file")
    kpi.add_argument("csv", help="CSV file with columns such as spend, impressions, clicks, conversions")
    kpi.add_argument("--index", default=None, help="column to use as the row label")
    plan = sub.add_parser("plan", help="plan next year's budget on the demo data (the planner)")
    plan.add_argument("--output", default="trustmix-output", help="folder for the chart (default: %(default)s)")
    plan.add_argument("--no-plot", action="store_true", help="skip the chart")
    sub.add_parser("version", help="print the version")
    args = parser.parse_args(argv)

    if args.command == "version":
        import trustmix

        print(trustmix.__version__)
        return 0
    if args.command == "kpi":
        import pandas as pd

        import trustmix

        df = pd.read_csv(args.csv, index_col=args.index)
        table = trustmix.kpi.kpi_table(df)
        if table.empty:
            print("no KPI can be computed from these columns; see trustmix.kpi.catalog()", file=sys.stderr)
            return 1
        print(table.to_string(float_format=lambda v: f"{v:,.3f}"))
        return 0
    if args.command == "plan":
        from trustmix.plan._demo import run_plan_demo

        run_plan_demo(output=args.output, plot=not args.no_plot)
        return 0
    from trustmix.demo import run_demo

    run_demo(output=args.output, plot=not args.no_plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
