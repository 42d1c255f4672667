// Transform bindings: arrays in (C-contiguous float64 T x C maps without a copy), the
// GIL released for the C++ work, arrays out. Pandas handling lives in python/trustmix.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <trustmix/transforms/buffer_cache.hpp>
#include <trustmix/transforms/transforms.hpp>

#include <memory>

#include "helpers/result.hpp"
#include "register.hpp"

namespace py = pybind11;
namespace tf = trustmix::transforms;

namespace trustmix::bindings {
namespace {

tf::AdstockKind adstock_kind(const std::string& name) {
  for (int i = 0; i < 5; ++i)
    if (tf::to_string(static_cast<tf::AdstockKind>(i)) == name) return static_cast<tf::AdstockKind>(i);
  throw std::invalid_argument("adstock kind must be one of geometric, delayed, binomial, weibull_cdf, weibull_pdf; got '" +
                              name + "'");
}
tf::SaturationKind saturation_kind(const std::string& name) {
  for (int i = 0; i < 4; ++i)
    if (tf::to_string(static_cast<tf::SaturationKind>(i)) == name) return static_cast<tf::SaturationKind>(i);
  throw std::invalid_argument("saturation kind must be one of hill, logistic, michaelis_menten, tanh; got '" + name + "'");
}

/// A C-contiguous float64 (rows, cols) array for a result. From 64 KiB up its memory
/// comes from tf::BufferCache (recycled result buffers, huge pages for new large ones;
/// include/trustmix/transforms/buffer_cache.hpp) and goes back there when the array is
/// freed; smaller arrays are allocated by numpy. Contents are uninitialised.
py::array_t<double> output_array(Eigen::Index rows, Eigen::Index cols) {
  const auto r = static_cast<py::ssize_t>(rows), c = static_cast<py::ssize_t>(cols);
  const std::size_t bytes = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols) * sizeof(double);
  if (bytes < (std::size_t{64} << 10)) return py::array_t<double>({r, c});
  auto block = std::make_unique<tf::Buffer>(tf::BufferCache::instance().acquire(bytes));
  tf::Buffer* raw = block.get();
  py::capsule owner(raw, [](void* p) noexcept {
    const std::unique_ptr<tf::Buffer> b(static_cast<tf::Buffer*>(p));
    tf::BufferCache::instance().release(*b);
  });
  block.release();  // owned by the capsule from here on
  return py::array_t<double>({r, c},
                             {c * static_cast<py::ssize_t>(sizeof(double)), static_cast<py::ssize_t>(sizeof(double))},
                             static_cast<double*>(raw->data), owner);
}

/// State of tf::BufferCache at one moment (buffer_cache_info): what a C++ user reads from
/// its three accessors, gathered for Python.
struct BufferCacheInfo {
  std::size_t cached_buffers = 0;  ///< buffers held for reuse
  std::size_t cached_bytes = 0;    ///< their bytes
  std::size_t reused = 0;          ///< requests served from the cache so far
};

Eigen::Map<tf::RowMatrix> as_matrix(py::array_t<double>& a) {
  return {a.mutable_data(), static_cast<Eigen::Index>(a.shape(0)), static_cast<Eigen::Index>(a.shape(1))};
}

}  // namespace

void register_transforms(py::module_& m) {
  auto t = m.def_submodule("transforms", "trustmix::transforms: adstock and saturation kernels.");
  using I = BufferCacheInfo;
  helpers::bind_result<I>(t, "BufferCacheInfo",
                          "State of the cache of result buffers (trustmix::transforms::BufferCache) at one moment.", 1,
                          helpers::member("cached_buffers", &I::cached_buffers, "Buffers held for reuse."),
                          helpers::member("cached_bytes", &I::cached_bytes, "Their bytes."),
                          helpers::member("reused", &I::reused, "Requests served from the cache so far."));
  t.attr("infinite_lag") = tf::infinite_lag;

  t.def(
      "adstock",
      [](const Eigen::Ref<const tf::RowMatrix>& x, const std::string& kind, const std::vector<Eigen::VectorXd>& params,
         int max_lag, bool normalize, bool with_derivatives, int threads) -> py::tuple {
        const auto k = adstock_kind(kind);
        if (!with_derivatives) {  // the common case: values into a recycled buffer
          auto values = output_array(x.rows(), x.cols());
          auto v = as_matrix(values);
          tf::RowMatrix weights;
          {
            py::gil_scoped_release release;
            weights = tf::adstock_into(x, k, params, max_lag, normalize, v, threads);
          }
          return py::make_tuple(std::move(values), py::list(), std::move(weights));
        }
        tf::AdstockResult r;
        {
          py::gil_scoped_release release;
          r = tf::adstock(x, k, params, max_lag, normalize, with_derivatives, threads);
        }
        return py::make_tuple(std::move(r.values), std::move(r.gradients), std::move(r.weights));
      },
      py::arg("x").noconvert(), py::arg("kind"), py::arg("params"), py::arg("max_lag"), py::arg("normalize"),
      py::arg("with_derivatives") = false, py::arg("threads") = 0,
      "Adstock of each column of a C-contiguous float64 (T, C) array.\n"
      "Returns (values, [d values / d param], weights (L+1, C)).");

  t.def(
      "buffer_cache_info",
      [] {
        auto& c = tf::BufferCache::instance();
        return BufferCacheInfo{c.cached_buffers(), c.cached_bytes(), c.reused()};
      },
      "State of the cache of result buffers: buffers and bytes held for reuse, requests served from it.");
  t.def(
      "kernel_isa", [] { return std::string(tf::detail::simd::kernel_isa()); },
      "The kernel family the transforms run on this CPU: 'avx2+fma', 'sse2' or 'scalar'.");
  t.def("buffer_cache_clear", [] { tf::BufferCache::instance().clear(); }, "Returns the cached result buffers to the OS.");

  t.def(
      "saturate",
      [](const Eigen::Ref<const tf::RowMatrix>& x, const std::string& kind, const std::vector<Eigen::VectorXd>& params,
         bool with_derivatives, int threads) -> py::tuple {
        const auto k = saturation_kind(kind);
        if (!with_derivatives) {  // the common case: values into a recycled buffer
          auto values = output_array(x.rows(), x.cols());
          auto v = as_matrix(values);
          {
            py::gil_scoped_release release;
            tf::saturate_into(x, k, params, v, threads);
          }
          return py::make_tuple(std::move(values), py::list(), tf::RowMatrix());
        }
        tf::SaturationResult r;
        {
          py::gil_scoped_release release;
          r = tf::saturate(x, k, params, with_derivatives, threads);
        }
        return py::make_tuple(std::move(r.values), std::move(r.gradients), std::move(r.dx));
      },
      py::arg("x").noconvert(), py::arg("kind"), py::arg("params"), py::arg("with_derivatives") = false,
      py::arg("threads") = 0, "Saturation curve on each element. Returns (values, [d/d param], d/dx).");

  t.def(
      "adstock_weights",
      [](const std::string& kind, const std::vector<double>& params, int max_lag, bool normalize) {
        const auto k = adstock_kind(kind);
        if (params.size() != tf::adstock_parameter_names(k).size())
          throw std::invalid_argument(kind + " adstock takes " + std::to_string(tf::adstock_parameter_names(k).size()) +
                                      " parameter(s), got " + std::to_string(params.size()));
        auto w = tf::adstock_weights(k, params.data(), max_lag, normalize, true);
        return py::make_tuple(std::move(w.w), std::move(w.dw));
      },
      py::arg("kind"), py::arg("params"), py::arg("max_lag"), py::arg("normalize"),
      "Lag weights w_0..w_L of one channel and their parameter derivatives.");

  t.def(
      "adstock_transpose",
      [](const Eigen::Ref<const tf::RowMatrix>& g, const tf::RowMatrix& weights) {
        py::gil_scoped_release release;
        return tf::adstock_transpose(g, weights);
      },
      py::arg("g").noconvert(), py::arg("weights"), "Reverse mode: d loss / d x[s, c] = sum_l weights[l, c] * g[s + l, c].");

  t.def("adstock_parameter_names", [](const std::string& kind) { return tf::adstock_parameter_names(adstock_kind(kind)); });
  t.def("saturation_parameter_names",
        [](const std::string& kind) { return tf::saturation_parameter_names(saturation_kind(kind)); });

  t.def(
      "scale_by_mean_nonzero",
      [](const Eigen::Ref<const tf::RowMatrix>& x) {
        auto r = tf::scale_by_mean_nonzero(x);
        return py::make_tuple(std::move(r.values), std::move(r.scale));
      },
      py::arg("x"));

  t.def("half_life", &tf::half_life, py::arg("rate"));
  t.def("rate_from_half_life", &tf::rate_from_half_life, py::arg("half_life"));
  t.def("duration_90", &tf::duration_90, py::arg("rate"));
  t.def("rate_from_duration_90", &tf::rate_from_duration_90, py::arg("duration_90"));
  t.def("convert_rate", &tf::convert_rate, py::arg("rate"), py::arg("from_days"), py::arg("to_days"));
}

}  // namespace trustmix::bindings
