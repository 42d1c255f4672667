#include "register.hpp"

namespace trustmix::bindings {
void register_simulate(pybind11::module_& m) {
  auto sub = m.def_submodule("simulate", "trustmix::simulate bound to Python.");
  (void)sub;
}
}  // namespace trustmix::bindings
