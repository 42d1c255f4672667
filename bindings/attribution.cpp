#include "register.hpp"

namespace trustmix::bindings {
void register_attribution(pybind11::module_& m) {
  auto sub = m.def_submodule("attribution", "trustmix::attribution bound to Python.");
  (void)sub;
}
}  // namespace trustmix::bindings
