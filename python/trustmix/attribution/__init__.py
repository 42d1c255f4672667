"""Attribution of conversions to channels from customer journeys (ATTRIBUTION.md).

Data in once (:class:`Journeys`), models as functions, results as objects::

    journeys = Journeys.from_paths(df, path="path", conversions="total_conversions",
                                   value="total_conversion_value", nulls="total_null")
    res = markov(journeys, order=2)
    res.credits, res.removal_effects, res.transition_matrix, res.per_journey()
    compare(journeys).plot()
    roles(journeys, plan).by_role

Every number comes from the C++ core (trustmix::attribution): exact Markov solutions,
exact Shapley values, mergeable statistics for partitioned data (:class:`Statistics`,
:func:`statistics_from_dask`, :func:`statistics_from_spark`).
"""

from trustmix.attribution._distributed import statistics_from_dask, statistics_from_spark
from trustmix.attribution._journeys import Journeys
from trustmix.attribution._models import (
    compare,
    first_touch,
    last_non,
    last_touch,
    linear,
    markov,
    ordered_shapley,
    position_based,
    roles,
    select_order,
    shapley,
    simplified_shapley,
    time_decay,
)
from trustmix.attribution._results import AttributionResult, Comparison, RolesResult, channel_attributes, rollup
from trustmix.attribution._statistics import Statistics

__all__ = [
    "AttributionResult",
    "Comparison",
    "Journeys",
    "RolesResult",
    "Statistics",
    "channel_attributes",
    "compare",
    "first_touch",
    "last_non",
    "last_touch",
    "linear",
    "markov",
    "ordered_shapley",
    "position_based",
    "roles",
    "rollup",
    "select_order",
    "shapley",
    "simplified_shapley",
    "statistics_from_dask",
    "statistics_from_spark",
    "time_decay",
]
