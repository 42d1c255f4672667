// The compiled runtime seen from Python (include/trustmix/core/runtime.hpp): which copy of
// libtrustmix_runtime the process loaded, its thread pool, the CPU features it detected.
#include <pybind11/stl.h>

#include <trustmix/core/cpu_features.hpp>
#include <trustmix/core/runtime.hpp>

#include <map>
#include <string>

#include "register.hpp"

namespace py = pybind11;

namespace trustmix::bindings {

void register_runtime(py::module_& m) {
  auto r = m.def_submodule("runtime",
                           "trustmix::runtime: the compiled runtime library shared by every user in a process "
                           "(one thread pool, one CPU feature detector).");
  r.def("version", &runtime::version, "Version X.Y.Z of the loaded runtime library (equals trustmix.__version__).");
  r.def("library_path", &runtime::library_path,
        "Path of the loaded runtime library file (libtrustmix_runtime.so.X.Y.Z), '' when the platform cannot say.");
  r.def("pool_id", &runtime::pool_id,
        "Identifier (address) of the process's thread pool: the same from every shared object of the process.");
  r.def("pool_workers_started", &runtime::pool_workers_started, "Worker threads the process's pool has started so far.");
  r.def(
      "cpu_features",
      [] {
        const CpuFeatures& f = cpu_features();
        return std::map<std::string, bool>{
            {"sse2", f.sse2}, {"avx", f.avx}, {"avx2", f.avx2}, {"fma", f.fma}, {"avx512f", f.avx512f}};
      },
      "CPU instruction sets detected once per process (x86-64; all False elsewhere): "
      "dict of sse2, avx, avx2, fma, avx512f -> bool.");
}

}  // namespace trustmix::bindings
