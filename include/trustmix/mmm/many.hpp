#pragma once
// Many models at once (docs/many.md): a collection of trust-linked models (one per brand,
// market or product line) fitted over the process-wide thread pool, one model per task.
//
// Model i (name n_i) is fitted by fit_one() with the seed model_seed(options.seed, n_i), a
// function of the base seed and the name only, on one thread (its NUTS chains run one after
// the other on that thread), so the results do not depend on the thread count, on which
// thread takes which model, or on the order of the collection: fit_many equals fit_one in a
// loop, bit for bit. Python's trustmix.mmm.fit_many derives the same seeds
// (trustmix.mmm.model_seed).
//
//   model_seed(s, n) = mix64(s + g (fnv1a64(utf8 n) + 1))   (mod 2^64)
//
// with g = 0x9E3779B97F4A7C15 and mix64 the SplitMix64 finaliser.
//
// fit_one: build(spec); MAP by fit_map from the model's initial point and restarts - 1
// jittered starts (z0 + N(0, 0.5^2) per coordinate from the stream (seed, kRestartStream), the step
// halved until the log density is finite); the best mode wins, independent of the order of
// the restarts (best_mode: among the results within 1e-3 nats of the highest finite log
// density, a converged one, then the higher, then the earlier; as TrustMMM.fit). With nuts = true, inference::sample on
// the model's target from the mode plus N(0, 0.1^2) jitter per chain (stream (seed, kStartStream)),
// seed `seed`, one thread. A model whose spec or fit throws std::exception gets ok = false
// and the message in `error`; the others are fitted as usual. Setting *stop makes every
// model not yet started skip and NUTS chains stop at their next iteration; fit_many then
// throws trustmix::Interrupted.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/inference/nuts.hpp"
#include "trustmix/inference/rng.hpp"
#include "trustmix/mmm/fit.hpp"
#include "trustmix/mmm/spec.hpp"
#include "trustmix/mmm/target.hpp"

namespace trustmix::mmm {

/// The fit seed of model `name` in a collection fitted with base `seed` (see the top of
/// this file); Python's trustmix.mmm.model_seed gives the same number.
[[nodiscard]] constexpr std::uint64_t model_seed(std::uint64_t seed, std::string_view name) noexcept {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (const char ch : name) h = (h ^ static_cast<std::uint64_t>(static_cast<unsigned char>(ch))) * 0x100000001B3ULL;
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (h + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// How every model of a collection is fitted.
struct FitManyOptions {
  std::uint64_t seed = 0;     ///< base seed; model n uses model_seed(seed, n)
  int restarts = 3;           ///< MAP starts (the initial point and restarts - 1 jittered ones), >= 1
  int max_iterations = 2000;  ///< L-BFGS iterations per start, >= 1
  bool nuts = false;          ///< also sample the posterior with NUTS from the mode
  int chains = 4, draws = 1000, tune = 1000;  ///< NUTS (nuts = true)
  double target_accept = 0.95;  ///< as TrustMMM.fit's default (0.9 before the eighteenth session)
  int max_tree_depth = 10;
  int term_buffer = 150;      ///< final step-size-only warm-up phase (as TrustMMM.fit)
  int threads = 0;            ///< models fitted at once (0: the hardware threads); results do not depend on it
  const std::atomic<bool>* stop = nullptr;         ///< set to stop (fit_many throws Interrupted)
  std::atomic<std::int64_t>* models_done = nullptr;  ///< incremented per finished model (progress)
};

/// One fitted model of a collection.
struct ManyFit {
  std::string name;
  std::uint64_t seed = 0;  ///< model_seed(options.seed, name)
  bool ok = false;         ///< false: the spec or the fit failed, see error
  std::string error;
  MapResult map;                                  ///< the best mode (ok)
  std::optional<inference::SampleResult> posterior;  ///< NUTS draws (ok and options.nuts)
  double seconds = 0.0;    ///< wall time of build and fit
};

namespace detail {

inline void check_many_options(const FitManyOptions& o) {
  if (o.restarts < 1) fail("restarts must be >= 1, got ", o.restarts);
  if (o.max_iterations < 1) fail("max_iterations must be >= 1, got ", o.max_iterations);
  if (o.nuts && (o.chains < 1 || o.draws < 1 || o.tune < 0))
    fail("NUTS needs chains >= 1, draws >= 1 and tune >= 0, got ", o.chains, ", ", o.draws, ", ", o.tune);
}

/// centre + step, the step halved until the log density there is finite (fit.hpp's start_inside).
inline Vector start_inside(const TrustModel& m, const Vector& centre, const Vector& step) {
  TrustModelWorkspace ws;
  Vector g(m.dimension());
  return mmm::start_inside(centre, step, [&](const Vector& z) { return std::isfinite(m.log_density(z, g, ws)); });
}

/// Index of the MAP result to keep among one per restart (TrustMMM._best_mode's rule): with
/// lp* the highest finite log density, the results within 1e-3 nats (absolute) of lp* are
/// the same mode; among them a converged one wins, then the higher log density, then the
/// earlier restart. Not chained and not relative, so the choice does not depend on the
/// order of the restarts or on the scale of the log density. 0 when none is finite.
inline std::size_t best_mode(const std::vector<MapResult>& results) {
  constexpr double tolerance_nats = 1e-3;
  double top = -std::numeric_limits<double>::infinity();
  for (const auto& r : results)
    if (std::isfinite(r.log_density)) top = std::max(top, r.log_density);
  if (!std::isfinite(top)) return 0;
  std::size_t best = results.size();
  for (std::size_t i = 0; i < results.size(); ++i) {
    const MapResult& r = results[i];
    if (!std::isfinite(r.log_density) || top - r.log_density > tolerance_nats) continue;
    if (best == results.size()) {
      best = i;
      continue;
    }
    const MapResult& b = results[best];
    if (r.converged != b.converged ? r.converged : r.log_density > b.log_density) best = i;
  }
  return best;
}

}  // namespace detail

/// Fits one model of a collection with its own seed (see the top of this file). Throws
/// on a bad spec (std::invalid_argument naming the field).
[[nodiscard]] inline ManyFit fit_one(const std::string& name, const TrustModelSpec& spec, std::uint64_t seed,
                                     const FitManyOptions& o) {
  detail::check_many_options(o);
  const auto t0 = std::chrono::steady_clock::now();
  ManyFit out;
  out.name = name;
  out.seed = seed;
  const BuiltTrustModel built = build(spec);
  const TrustModel& m = built.model;
  const Vector z0 = m.initial_point();
  inference::ChainRng rng(seed, kRestartStream);  // (fit.hpp: streams no NUTS chain uses)
  std::vector<MapResult> modes;
  modes.reserve(static_cast<std::size_t>(o.restarts));
  for (int r = 0; r < o.restarts; ++r) {
    Vector start = z0;
    if (r > 0) {
      Vector step(z0.size());
      for (double& s : step) s = 0.5 * rng.normal();
      start = detail::start_inside(m, z0, step);
    }
    modes.push_back(fit_map(m, start, o.max_iterations));
  }
  out.map = std::move(modes[detail::best_mode(modes)]);
  if (!std::isfinite(out.map.log_density)) fail("model '", name, "': no start with a finite log density");
  if (o.nuts) {
    inference::ChainRng jitter(seed, kStartStream);
    inference::SamplerOptions so;
    so.chains = o.chains;
    so.draws = o.draws;
    so.tune = o.tune;
    so.seed = seed;
    so.target_accept = o.target_accept;
    so.max_tree_depth = o.max_tree_depth;
    so.term_buffer = o.term_buffer;
    so.threads = 1;
    so.stop = o.stop;
    so.initial_values.resize(o.chains, m.dimension());
    for (int c = 0; c < o.chains; ++c) {
      Vector step(m.dimension());
      for (double& s : step) s = 0.1 * jitter.normal();
      so.initial_values.row(c) = detail::start_inside(m, out.map.mode, step).transpose();
    }
    const TrustTarget target(std::shared_ptr<const TrustModel>(std::shared_ptr<const TrustModel>{}, &m));
    out.posterior = inference::sample(target, so);
  }
  out.ok = true;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

/// Fits every spec (names[i] names specs[i]; names distinct) over the process-wide thread
/// pool, one model per task, each with model_seed(options.seed, names[i]). Results in the
/// order of `specs`; equal bit for bit to fit_one in a loop on any thread count. A failing
/// model is reported (ok = false, error) without stopping the others.
[[nodiscard]] inline std::vector<ManyFit> fit_many(const std::vector<std::string>& names,
                                                   const std::vector<TrustModelSpec>& specs,
                                                   const FitManyOptions& options = {}) {
  detail::check_many_options(options);
  if (names.size() != specs.size())
    fail("fit_many: ", names.size(), " names for ", specs.size(), " specs (one name per spec)");
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) fail("fit_many: names[", i, "] is empty (every model needs a name)");
    for (std::size_t j = 0; j < i; ++j)
      if (names[j] == names[i]) fail("fit_many: model name '", names[i], "' appears twice (positions ", j, " and ", i, ")");
  }
  const auto n = static_cast<std::ptrdiff_t>(specs.size());
  std::vector<ManyFit> out(specs.size());
  auto stopped = [&] { return options.stop != nullptr && options.stop->load(std::memory_order_relaxed); };
  parallel_for_blocks(
      n, options.threads, 1,
      [&](std::ptrdiff_t b, std::ptrdiff_t e) {
        for (std::ptrdiff_t i = b; i < e; ++i) {
          const auto k = static_cast<std::size_t>(i);
          out[k].name = names[k];
          out[k].seed = model_seed(options.seed, names[k]);
          if (stopped()) continue;
          const auto t0 = std::chrono::steady_clock::now();
          try {
            out[k] = fit_one(names[k], specs[k], out[k].seed, options);
          } catch (const std::exception& ex) {
            out[k].ok = false;
            out[k].error = ex.what();
            out[k].seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          }
          if (options.models_done != nullptr) options.models_done->fetch_add(1, std::memory_order_relaxed);
        }
      },
      static_cast<int>(std::max<std::ptrdiff_t>(1, n)));
  if (stopped()) throw Interrupted("fit_many");
  return out;
}

}  // namespace trustmix::mmm
