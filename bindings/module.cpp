#include "register.hpp"

#include <trustmix/version.hpp>

PYBIND11_MODULE(_core, m, pybind11::mod_gil_not_used()) {
  m.doc() = "trustmix compiled core (C++20, Eigen). Use the pythonic API in `trustmix`.";
  m.attr("__version__") = TRUSTMIX_VERSION_STRING;
  trustmix::bindings::register_core(m);
  trustmix::bindings::register_transforms(m);
  trustmix::bindings::register_kpi(m);
  trustmix::bindings::register_attribution(m);
  trustmix::bindings::register_inference(m);
  trustmix::bindings::register_simulate(m);
  trustmix::bindings::register_mmm(m);
  trustmix::bindings::register_evaluate(m);
  trustmix::bindings::register_audience(m);
  trustmix::bindings::register_experiments(m);
  trustmix::bindings::register_simulate_geo(m);
  trustmix::bindings::register_simulate_messages(m);
  trustmix::bindings::register_plan(m);
  trustmix::bindings::register_runtime(m);
  trustmix::bindings::register_panel(m);
  trustmix::bindings::register_panel_analyses(m);
  trustmix::bindings::register_plan_panel(m);
}
