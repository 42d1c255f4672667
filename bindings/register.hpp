#pragma once
// Each area registers its own submodule of trustmix._core; module.cpp only calls these.
#include <pybind11/pybind11.h>

namespace trustmix::bindings {
void register_core(pybind11::module_& m);
void register_transforms(pybind11::module_& m);
void register_kpi(pybind11::module_& m);
void register_attribution(pybind11::module_& m);
void register_inference(pybind11::module_& m);
void register_simulate(pybind11::module_& m);
void register_mmm(pybind11::module_& m);
void register_evaluate(pybind11::module_& m);
void register_audience(pybind11::module_& m);
void register_experiments(pybind11::module_& m);
void register_simulate_geo(pybind11::module_& m);  // after register_simulate (adds to its submodule)
void register_simulate_messages(pybind11::module_& m);
void register_plan(pybind11::module_& m);
void register_runtime(pybind11::module_& m);
void register_panel(pybind11::module_& m);  // after register_mmm and register_inference (adds to both)
void register_panel_analyses(pybind11::module_& m);  // after register_mmm (adds to its submodule)
void register_plan_panel(pybind11::module_& m);  // after register_plan (adds to its submodule)
}  // namespace trustmix::bindings
