// Bindings of the panel model's geo-level results (trustmix::mmm, panel_analyses.hpp): short
// vs long incremental outcome, path split and ROIs per geo and rolled up, and response curves,
// over posterior draws. Thin: the work runs with the GIL released and is interruptible.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <trustmix/mmm/panel_analyses.hpp>

#include "helpers/result.hpp"
#include "interruptible.hpp"
#include "register.hpp"

#include <atomic>
#include <limits>
#include <vector>

namespace py = pybind11;
namespace mm = trustmix::mmm;

namespace trustmix::bindings {
namespace {
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
}  // namespace

void register_panel_analyses(py::module_& m) {
  auto sub = m.attr("mmm").cast<py::module_>();
  using R = mm::PanelRoiDraws;
  helpers::bind_result<R>(
      sub, "PanelRoiDraws",
      "Per posterior draw, each channel's incremental outcome and ROIs per geo and rolled up\n"
      "(trustmix::mmm::PanelRoiDraws; definitions in panel_analyses.hpp). Every array is draws x\n"
      "channels (geos + 1): column c (geos + 1) + g, g = geos the rolled-up column.",
      0, helpers::member("channels", &R::channels, "Number of channels."),
      helpers::member("geos", &R::geos, "Number of geos."),
      helpers::member("incremental_short", &R::incremental_short, "Incremental outcome inside the window."),
      helpers::member("incremental_long", &R::incremental_long, "Incremental outcome after the window (horizon)."),
      helpers::member("incremental_total", &R::incremental_total, "Short + long incremental outcome."),
      helpers::member("via_trust_direct", &R::via_trust_direct, "Path: the stock's direct effect."),
      helpers::member("via_amplification", &R::via_amplification, "Path: the stock's amplification of SMM."),
      helpers::member("own", &R::own, "Path: the channel's own effect."),
      helpers::member("roi_short", &R::roi_short, "(short x value - spend) / spend."),
      helpers::member("roi_total", &R::roi_total, "(total x value - spend) / spend."),
      helpers::member("marginal_roi", &R::marginal_roi, "ROI of the next 1% of spend."),
      helpers::member("cost_per_incremental", &R::cost_per_incremental, "Spend / total incremental outcome."));
  sub.def(
      "panel_roi",
      [](const mm::PanelTrustModel& model, const RowMatrix& draws, const RowMatrix& spend, int horizon, int window_begin,
         int window_end, double value_per_outcome, double outcome_scale, const RowMatrix& population, int threads) {
        mm::PanelRoiSettings s;
        s.horizon = horizon;
        s.window_begin = window_begin;
        s.window_end = window_end;
        s.spend = spend;
        s.value_per_outcome = value_per_outcome;
        s.outcome_scale = outcome_scale;
        s.population = population;
        s.threads = threads;
        const mm::Matrix z = draws;
        std::atomic<bool> stop{false};
        s.stop = &stop;
        mm::PanelRoiDraws r;
        run_interruptible(stop, [&] { r = mm::panel_roi(model, z, s); }, [] {});
        return r;
      },
      py::arg("model"), py::arg("draws"), py::arg("spend"), py::arg("horizon") = 104, py::arg("window_begin") = 0,
      py::arg("window_end") = -1, py::arg("value_per_outcome") = std::numeric_limits<double>::quiet_NaN(),
      py::arg("outcome_scale") = 1.0, py::arg("population") = RowMatrix(), py::arg("threads") = 0,
      "trustmix::mmm::panel_roi: per draw (rows) and (channel, geo) column c (G + 1) + g (g = G: rolled up) the\n"
      "incremental outcome short/long/total, its path split, roi_short, roi_total, marginal_roi and\n"
      "cost_per_incremental (definitions in panel_analyses.hpp); spend is channels x geos inside the inclusive window\n"
      "[window_begin, window_end] (-1: the last period). Interruptible; bit-identical for every thread count.");
  sub.def(
      "panel_response_curves",
      [](const mm::PanelTrustModel& model, const RowMatrix& draws, const std::vector<int>& channels,
         const Eigen::VectorXd& multipliers, int horizon, double outcome_scale, const RowMatrix& population, int threads) {
        mm::PanelResponseSettings s;
        s.channels = channels;
        s.multipliers = multipliers;
        s.horizon = horizon;
        s.outcome_scale = outcome_scale;
        s.population = population;
        s.threads = threads;
        const mm::Matrix z = draws;
        std::atomic<bool> stop{false};
        s.stop = &stop;
        mm::Matrix out;
        run_interruptible(stop, [&] { out = mm::panel_response_curves(model, z, s); }, [] {});
        return RowMatrix(out);
      },
      py::arg("model"), py::arg("draws"), py::arg("channels"), py::arg("multipliers"), py::arg("horizon") = 104,
      py::arg("outcome_scale") = 1.0, py::arg("population") = RowMatrix(), py::arg("threads") = 0,
      "trustmix::mmm::panel_response_curves: per draw (rows) the incremental outcome of each requested channel's\n"
      "activity over the data times each multiplier (every geo) against the channel at zero; column\n"
      "(q K + k) (G + 1) + g for channel q, multiplier k, geo g (g = G: rolled up). Interruptible.");
}

}  // namespace trustmix::bindings
