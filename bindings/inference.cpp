#include "register.hpp"

namespace trustmix::bindings {
void register_inference(pybind11::module_& m) {
  auto sub = m.def_submodule("inference", "trustmix::inference bound to Python.");
  (void)sub;
}
}  // namespace trustmix::bindings
