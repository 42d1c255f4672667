#pragma once
// The No-U-Turn Sampler as Stan implements it (Hoffman & Gelman 2014; Betancourt 2017,
// "A Conceptual Introduction to Hamiltonian Monte Carlo", appendix A):
//  - leapfrog integration of H(q, p) = -log p(q) + p' M^{-1} p / 2,
//  - trajectories doubled forwards or backwards at random, with multinomial sampling of
//    the next state (biased towards the newer subtree at the top level),
//  - the generalised no-U-turn criterion on the summed momentum rho, checked on the whole
//    tree and across each pair of merged subtrees,
//  - divergence when the energy error exceeds max_delta_energy (1000, as Stan),
//  - dual-averaging step-size adaptation (Nesterov 2009; Hoffman & Gelman 2014, sec. 3.2)
//    to the target acceptance statistic,
//  - diagonal or dense inverse mass matrix estimated in Stan's expanding windows
//    (75 iterations init buffer, windows of 25, 50, 100, ..., 50 iterations term buffer),
//    regularised towards 1e-3 I as Stan does (dense: only the diagonal is used while a
//    window holds no more draws than dimensions).
// Chains run in parallel threads; each has its own random stream (rng.hpp), so results
// are bit-identical whatever the number of threads.
#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/inference/rng.hpp"
#include "trustmix/inference/target_concept.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

namespace trustmix::inference {

/// Shape of the inverse mass matrix M^{-1} (the metric).
enum class MetricKind { diagonal, dense };

/// Settings of a NUTS run. Defaults follow Stan.
struct SamplerOptions {
  int chains = 4;                ///< number of independent chains
  int draws = 1000;              ///< kept iterations per chain
  int tune = 1000;               ///< warm-up (adaptation) iterations per chain, discarded
  std::uint64_t seed = 0;        ///< the run's seed; chain c uses stream (seed, c)
  double target_accept = 0.8;    ///< dual-averaging target for the acceptance statistic
  int max_tree_depth = 10;       ///< at most 2^max_tree_depth leapfrog steps per iteration
  MetricKind metric = MetricKind::diagonal;
  double init_step_size = 1.0;   ///< first step size before the doubling/halving heuristic
  double init_radius = 2.0;      ///< random inits uniform in (-r, r) on unconstrained scale
  double max_delta_energy = 1000.0;  ///< energy error that flags a divergence
  int init_buffer = 75;          ///< Stan's windowed adaptation: fast initial interval
  int term_buffer = 50;          ///< final fast interval (step size only)
  int base_window = 25;          ///< first slow window; later windows double
  int threads = 0;               ///< worker threads; 0 = hardware concurrency
  /// Optional initial unconstrained values, one row per chain (chains x dimension).
  Eigen::MatrixXd initial_values{};
  /// Optional starting inverse metric M^{-1} (unconstrained scale), replacing the identity
  /// before the first adaptation window: a d-vector (diagonal) or a d x d matrix (dense; a
  /// diagonal metric takes its diagonal). A good start (e.g. the Laplace covariance at the
  /// mode) shortens the first trajectories of warm-up; the windows still adapt it.
  Eigen::MatrixXd initial_inverse_metric{};
  /// If set, chains stop at the next iteration once it becomes true (Ctrl-C).
  const std::atomic<bool>* stop = nullptr;
  /// If set, incremented once per finished iteration of any chain (progress bars).
  std::atomic<std::int64_t>* iterations_done = nullptr;
};

/// Draws and sampler statistics of a run. Arrays are flattened row-major:
/// draws[(chain * n_draws + draw) * dimension + parameter]; stats[chain * n_draws + draw].
struct SampleResult {
  int chains = 0;
  int draws = 0;                  ///< requested kept draws per chain
  int tune = 0;
  Eigen::Index dimension = 0;     ///< number of reported (constrained) parameters
  Eigen::Index unconstrained_dimension = 0;
  std::vector<std::string> parameter_names;
  std::vector<double> values;     ///< kept draws on the reported scale
  std::vector<double> log_density;
  std::vector<double> accept_stat;
  std::vector<double> step_size;
  std::vector<int> tree_depth;
  std::vector<int> n_leapfrog;
  std::vector<std::uint8_t> divergent;
  std::vector<double> energy;     ///< Hamiltonian at the selected state (for E-BFMI)
  std::vector<int> completed_draws;           ///< per chain: kept draws actually made
  std::vector<int> completed_tune;            ///< per chain: warm-up iterations made
  std::vector<double> adapted_step_size;      ///< per chain, after warm-up
  std::vector<Eigen::MatrixXd> inverse_metric;  ///< per chain: d x 1 (diagonal) or d x d
  std::vector<std::int64_t> gradient_evaluations;  ///< per chain, warm-up included
  std::vector<int> warmup_divergences;        ///< per chain
  int max_tree_depth = 0;
  MetricKind metric = MetricKind::diagonal;
  bool interrupted = false;       ///< true if the stop flag ended the run early
  double seconds = 0.0;           ///< wall time of the run

  /// Largest number of draws completed by every chain (the usable rectangular part).
  [[nodiscard]] int usable_draws() const {
    if (completed_draws.empty()) return 0;
    return *std::min_element(completed_draws.begin(), completed_draws.end());
  }
  /// Draw of parameter j of chain c, iteration i.
  [[nodiscard]] double value(int c, int i, Eigen::Index j) const {
    return values[static_cast<std::size_t>((static_cast<Eigen::Index>(c) * draws + i) * dimension + j)];
  }
  /// Draws of parameter j as an (usable draws x chains) matrix.
  [[nodiscard]] Eigen::MatrixXd parameter_draws(Eigen::Index j) const {
    const int n = usable_draws();
    Eigen::MatrixXd out(n, chains);
    for (int c = 0; c < chains; ++c)
      for (int i = 0; i < n; ++i) out(i, c) = value(c, i, j);
    return out;
  }
  /// A per-iteration statistic (e.g. energy) as an (usable draws x chains) matrix.
  template <class V>
  [[nodiscard]] Eigen::MatrixXd stat_matrix(const std::vector<V>& stat) const {
    const int n = usable_draws();
    Eigen::MatrixXd out(n, chains);
    for (int c = 0; c < chains; ++c)
      for (int i = 0; i < n; ++i) out(i, c) = static_cast<double>(stat[static_cast<std::size_t>(c * draws + i)]);
    return out;
  }
};

/// Statistics of one NUTS transition.
struct TransitionStats {
  double accept_stat = 0.0;
  int tree_depth = 0;
  int n_leapfrog = 0;
  bool divergent = false;
  double energy = 0.0;
};

namespace detail {

inline double log_sum_exp(double a, double b) {
  if (a == -std::numeric_limits<double>::infinity()) return b;
  if (b == -std::numeric_limits<double>::infinity()) return a;
  const double m = std::max(a, b);
  return m + std::log(std::exp(a - m) + std::exp(b - m));
}

/// Euclidean metric: kinetic energy p' M^{-1} p / 2 with M^{-1} diagonal or dense.
class EuclideanMetric {
 public:
  EuclideanMetric(Eigen::Index d, MetricKind kind) : kind_(kind), inv_diag_(Eigen::VectorXd::Ones(d)) {
    if (kind_ == MetricKind::dense) set_dense(Eigen::MatrixXd::Identity(d, d));
  }
  [[nodiscard]] MetricKind kind() const { return kind_; }
  void set_diagonal(const Eigen::VectorXd& inv_diag) { inv_diag_ = inv_diag; }
  void set_dense(const Eigen::MatrixXd& inv) {
    inv_dense_ = inv;
    const Eigen::LLT<Eigen::MatrixXd> llt(inv);
    if (llt.info() != Eigen::Success) fail("the dense inverse metric is not positive definite");
    upper_ = llt.matrixU();
  }
  /// v = M^{-1} p (dtau/dp, the velocity).
  void velocity(const Eigen::VectorXd& p, Eigen::VectorXd& v) const {
    if (kind_ == MetricKind::diagonal) {
      v.array() = inv_diag_.array() * p.array();
    } else {
      v.noalias() = inv_dense_ * p;
    }
  }
  /// p ~ N(0, M): for M^{-1} = U'U, p = U^{-1} z with z ~ N(0, I).
  void sample_momentum(ChainRng& rng, Eigen::VectorXd& p, Eigen::VectorXd& scratch) const {
    for (Eigen::Index i = 0; i < p.size(); ++i) scratch[i] = rng.normal();
    if (kind_ == MetricKind::diagonal) {
      p.array() = scratch.array() / inv_diag_.array().sqrt();
    } else {
      p = upper_.triangularView<Eigen::Upper>().solve(scratch);
    }
  }
  [[nodiscard]] Eigen::MatrixXd as_matrix() const {
    return kind_ == MetricKind::diagonal ? Eigen::MatrixXd(inv_diag_) : inv_dense_;
  }

 private:
  MetricKind kind_;
  Eigen::VectorXd inv_diag_;
  Eigen::MatrixXd inv_dense_;
  Eigen::MatrixXd upper_;
};

/// Phase-space point: position, momentum, log density and its gradient.
struct PhasePoint {
  Eigen::VectorXd q, p, grad;
  double log_density = 0.0;
  explicit PhasePoint(Eigen::Index d = 0)
      : q(Eigen::VectorXd::Zero(d)), p(Eigen::VectorXd::Zero(d)), grad(Eigen::VectorXd::Zero(d)) {}
};

/// Nesterov dual averaging of log step size (Hoffman & Gelman 2014, eq. 6), Stan defaults.
class StepSizeAdaptation {
 public:
  explicit StepSizeAdaptation(double delta) : delta_(delta) {}
  void set_mu(double mu) { mu_ = mu; }
  void restart() {
    counter_ = 0.0;
    s_bar_ = 0.0;
    x_bar_ = 0.0;
  }
  void learn(double& epsilon, double accept_stat) {
    counter_ += 1.0;
    accept_stat = std::min(1.0, accept_stat);
    const double eta = 1.0 / (counter_ + t0_);
    s_bar_ = (1.0 - eta) * s_bar_ + eta * (delta_ - accept_stat);
    const double x = mu_ - s_bar_ * std::sqrt(counter_) / gamma_;
    const double x_eta = std::pow(counter_, -kappa_);
    x_bar_ = (1.0 - x_eta) * x_bar_ + x_eta * x;
    epsilon = std::exp(x);
  }
  void complete(double& epsilon) const { epsilon = std::exp(x_bar_); }

 private:
  double delta_;
  double mu_ = std::numbers::ln10;
  double counter_ = 0.0, s_bar_ = 0.0, x_bar_ = 0.0;
  double gamma_ = 0.05, kappa_ = 0.75, t0_ = 10.0;
};

/// Stan's expanding-window schedule and Welford (co)variance estimator.
class MetricAdaptation {
 public:
  MetricAdaptation(Eigen::Index d, MetricKind kind, int num_warmup, int init_buffer, int term_buffer, int base_window)
      : kind_(kind), num_warmup_(num_warmup), init_buffer_(init_buffer), term_buffer_(term_buffer),
        base_window_(base_window) {
    if (num_warmup_ < 20) {
      enabled_ = false;  // too short to estimate a metric: step size only
    } else if (init_buffer_ + base_window_ + term_buffer_ > num_warmup_) {
      // Stan's fallback proportions: 15% / 75% / 10%.
      init_buffer_ = static_cast<int>(0.15 * num_warmup_);
      term_buffer_ = static_cast<int>(0.1 * num_warmup_);
      base_window_ = num_warmup_ - (init_buffer_ + term_buffer_);
    }
    window_size_ = base_window_;
    next_window_ = init_buffer_ + window_size_ - 1;
    mean_ = Eigen::VectorXd::Zero(d);
    delta_ = Eigen::VectorXd::Zero(d);
    if (kind_ == MetricKind::diagonal) m2_diag_ = Eigen::VectorXd::Zero(d);
    else m2_dense_ = Eigen::MatrixXd::Zero(d, d);
  }

  /// Adds q if inside a slow window; returns true when a window closes and `metric` was
  /// updated.
  bool learn(EuclideanMetric& metric, const Eigen::VectorXd& q) {
    if (!enabled_) return false;
    if (in_window()) add(q);
    if (end_of_window()) {
      compute_next_window();
      const double n = static_cast<double>(n_);
      // Regularise towards 1e-3 I, weight 5/(n+5) (Stan's var/covar adaptation).
      if (kind_ == MetricKind::diagonal) {
        Eigen::VectorXd var = m2_diag_ / (n - 1.0);
        var = (n / (n + 5.0)) * var + Eigen::VectorXd::Constant(var.size(), 1e-3 * (5.0 / (n + 5.0)));
        metric.set_diagonal(var);
        m2_diag_.setZero();
      } else {
        Eigen::MatrixXd cov = m2_dense_ / (n - 1.0);
        // A window with no more draws than dimensions gives a rank-deficient covariance
        // whose regularised inverse makes trajectories crawl; keep only its diagonal
        // until the windows are long enough (a departure from Stan, which uses the full
        // matrix from the first window).
        if (n <= static_cast<double>(cov.rows())) cov = Eigen::MatrixXd(cov.diagonal().asDiagonal());
        cov = (n / (n + 5.0)) * cov;
        cov.diagonal().array() += 1e-3 * (5.0 / (n + 5.0));
        metric.set_dense(cov);
        m2_dense_.setZero();
      }
      mean_.setZero();
      n_ = 0;
      ++counter_;
      return true;
    }
    ++counter_;
    return false;
  }

 private:
  [[nodiscard]] bool in_window() const {
    return counter_ >= init_buffer_ && counter_ < num_warmup_ - term_buffer_ && counter_ != num_warmup_;
  }
  [[nodiscard]] bool end_of_window() const { return counter_ == next_window_ && counter_ != num_warmup_; }
  void compute_next_window() {
    if (next_window_ == num_warmup_ - term_buffer_ - 1) return;
    window_size_ *= 2;
    next_window_ = counter_ + window_size_;
    if (next_window_ != num_warmup_ - term_buffer_ - 1) {
      const int next_boundary = next_window_ + 2 * window_size_;
      if (next_boundary >= num_warmup_ - term_buffer_) next_window_ = num_warmup_ - term_buffer_ - 1;
    }
  }
  void add(const Eigen::VectorXd& q) {
    ++n_;
    delta_ = q - mean_;
    mean_ += delta_ / static_cast<double>(n_);
    if (kind_ == MetricKind::diagonal) m2_diag_.array() += delta_.array() * (q - mean_).array();
    else m2_dense_.noalias() += (q - mean_) * delta_.transpose();
  }

  MetricKind kind_;
  int num_warmup_, init_buffer_, term_buffer_, base_window_;
  bool enabled_ = true;
  int counter_ = 0, window_size_ = 0, next_window_ = 0;
  std::int64_t n_ = 0;
  Eigen::VectorXd mean_, delta_, m2_diag_;
  Eigen::MatrixXd m2_dense_;
};

}  // namespace detail

/// One NUTS chain over a target. Not thread-safe itself; run one object per thread.
template <Target T>
class NutsChain {
 public:
  NutsChain(const T& target, const SamplerOptions& options, std::uint64_t chain_index)
      : target_(target), options_(options), d_(static_cast<Eigen::Index>(target.dimension())),
        rng_(options.seed, chain_index), metric_(d_, options.metric), z_(d_), z_fwd_(d_), z_bck_(d_), z_sample_(d_),
        z_propose_(d_), step_adapt_(options.target_accept) {
    auto vec = [this] { return Eigen::VectorXd(Eigen::VectorXd::Zero(d_)); };
    p_fwd_fwd_ = vec();
    p_sharp_fwd_fwd_ = vec();
    p_fwd_bck_ = vec();
    p_sharp_fwd_bck_ = vec();
    p_bck_fwd_ = vec();
    p_sharp_bck_fwd_ = vec();
    p_bck_bck_ = vec();
    p_sharp_bck_bck_ = vec();
    rho_ = vec();
    rho_fwd_ = vec();
    rho_bck_ = vec();
    rho_ext_ = vec();
    velocity_ = vec();
    scratch_ = vec();
    work_.reserve(static_cast<std::size_t>(options.max_tree_depth) + 1);
    for (int i = 0; i <= options.max_tree_depth; ++i) work_.emplace_back(d_);
    epsilon_ = options.init_step_size;
    const Eigen::MatrixXd& m = options.initial_inverse_metric;
    if (m.size() != 0) {
      if (metric_.kind() == MetricKind::diagonal)
        metric_.set_diagonal(m.cols() == 1 ? Eigen::VectorXd(m.col(0)) : Eigen::VectorXd(m.diagonal()));
      else metric_.set_dense(m.cols() == 1 ? Eigen::MatrixXd(m.col(0).asDiagonal()) : m);
    }
  }

  /// Sets the starting position (unconstrained); throws if log density is not finite.
  void set_position(const Eigen::VectorXd& q) {
    z_.q = q;
    z_.log_density = evaluate(z_);
    if (!std::isfinite(z_.log_density) || !z_.grad.allFinite())
      fail("log density or gradient is not finite at the initial values");
  }

  /// Draws random inits uniform in (-radius, radius) until log density and gradient are
  /// finite (at most 100 tries, as Stan).
  void random_position(double radius) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      for (Eigen::Index i = 0; i < d_; ++i) z_.q[i] = radius * (2.0 * rng_.uniform() - 1.0);
      z_.log_density = evaluate(z_);
      if (std::isfinite(z_.log_density) && z_.grad.allFinite()) return;
    }
    fail(
        "no initial values with finite log density and gradient found in 100 random tries "
        "uniform in (-",
        radius, ", ", radius, "); pass initial_values");
  }

  /// Stan's heuristic: double or halve epsilon until one leapfrog step's acceptance
  /// crosses 0.8.
  void init_step_size() {
    const Eigen::VectorXd q0 = z_.q;
    const Eigen::VectorXd g0 = z_.grad;
    const double lp0 = z_.log_density;
    auto trial = [&]() {
      z_.q = q0;
      z_.grad = g0;
      z_.log_density = lp0;
      metric_.sample_momentum(rng_, z_.p, scratch_);
      const double h0 = hamiltonian(z_);
      leapfrog(z_, epsilon_);
      double h = hamiltonian(z_);
      if (std::isnan(h)) h = std::numeric_limits<double>::infinity();
      return h0 - h;
    };
    const double log_08 = std::log(0.8);
    double delta_h = trial();
    const int direction = delta_h > log_08 ? 1 : -1;
    for (int iter = 0; iter < 200; ++iter) {
      delta_h = trial();
      if (direction == 1 && !(delta_h > log_08)) break;
      if (direction == -1 && !(delta_h < log_08)) break;
      epsilon_ = direction == 1 ? 2.0 * epsilon_ : 0.5 * epsilon_;
      if (epsilon_ > 1e7) fail("step size heuristic diverged (step size > 1e7): the posterior may be improper");
      if (epsilon_ == 0.0) fail("step size heuristic reached 0: the log density is not well defined here");
    }
    z_.q = q0;
    z_.grad = g0;
    z_.log_density = lp0;
  }

  /// One NUTS transition from the current position.
  TransitionStats transition() {
    metric_.sample_momentum(rng_, z_.p, scratch_);
    z_fwd_ = z_;
    z_bck_ = z_;
    z_sample_ = z_;
    z_propose_ = z_;
    metric_.velocity(z_.p, velocity_);
    p_fwd_fwd_ = z_.p;
    p_sharp_fwd_fwd_ = velocity_;
    p_fwd_bck_ = z_.p;
    p_sharp_fwd_bck_ = velocity_;
    p_bck_fwd_ = z_.p;
    p_sharp_bck_fwd_ = velocity_;
    p_bck_bck_ = z_.p;
    p_sharp_bck_bck_ = velocity_;
    rho_ = z_.p;
    double log_sum_weight = 0.0;
    const double h0 = -z_.log_density + 0.5 * z_.p.dot(velocity_);
    n_leapfrog_ = 0;
    sum_metro_prob_ = 0.0;
    divergent_ = false;
    int depth = 0;
    while (depth < options_.max_tree_depth) {
      rho_fwd_.setZero();
      rho_bck_.setZero();
      bool valid = false;
      double log_sum_weight_subtree = -std::numeric_limits<double>::infinity();
      if (rng_.uniform() > 0.5) {
        z_ = z_fwd_;
        // The trajectory so far becomes the backward subtree: its forward end is the
        // old forward end.
        rho_bck_ = rho_;
        p_bck_fwd_ = p_fwd_fwd_;
        p_sharp_bck_fwd_ = p_sharp_fwd_fwd_;
        valid = build_tree(depth, z_propose_, p_sharp_fwd_bck_, p_sharp_fwd_fwd_, rho_fwd_, p_fwd_bck_, p_fwd_fwd_, h0, 1.0,
                           log_sum_weight_subtree);
        z_fwd_ = z_;
      } else {
        z_ = z_bck_;
        rho_fwd_ = rho_;
        p_fwd_bck_ = p_bck_bck_;
        p_sharp_fwd_bck_ = p_sharp_bck_bck_;
        valid = build_tree(depth, z_propose_, p_sharp_bck_fwd_, p_sharp_bck_bck_, rho_bck_, p_bck_fwd_, p_bck_bck_, h0, -1.0,
                           log_sum_weight_subtree);
        z_bck_ = z_;
      }
      if (!valid) break;
      ++depth;
      // Biased progressive sampling: prefer the new subtree.
      // (the uniform is drawn only when the first test fails, as in an if/else-if chain)
      if (log_sum_weight_subtree > log_sum_weight || rng_.uniform() < std::exp(log_sum_weight_subtree - log_sum_weight)) {
        z_sample_ = z_propose_;
      }
      log_sum_weight = detail::log_sum_exp(log_sum_weight, log_sum_weight_subtree);
      rho_ = rho_bck_ + rho_fwd_;
      bool persist = no_u_turn(p_sharp_bck_bck_, p_sharp_fwd_fwd_, rho_);
      rho_ext_ = rho_bck_ + p_fwd_bck_;
      persist = persist && no_u_turn(p_sharp_bck_bck_, p_sharp_fwd_bck_, rho_ext_);
      rho_ext_ = rho_fwd_ + p_bck_fwd_;
      persist = persist && no_u_turn(p_sharp_bck_fwd_, p_sharp_fwd_fwd_, rho_ext_);
      if (!persist) break;
    }
    z_ = z_sample_;
    metric_.velocity(z_.p, velocity_);
    TransitionStats stats;
    stats.accept_stat = n_leapfrog_ > 0 ? sum_metro_prob_ / n_leapfrog_ : 0.0;
    stats.tree_depth = depth;
    stats.n_leapfrog = n_leapfrog_;
    stats.divergent = divergent_;
    stats.energy = -z_.log_density + 0.5 * z_.p.dot(velocity_);
    return stats;
  }

  /// Runs warm-up and sampling, writing into chain `c` of `out`.
  void run(SampleResult& out, int c) {
    const std::atomic<bool>* stop = options_.stop;
    auto stopped = [stop] { return stop != nullptr && stop->load(std::memory_order_relaxed); };
    init_step_size();
    detail::MetricAdaptation metric_adapt(d_, options_.metric, options_.tune, options_.init_buffer, options_.term_buffer,
                                          options_.base_window);
    step_adapt_.set_mu(std::log(10.0 * epsilon_));
    step_adapt_.restart();
    const auto cs = static_cast<std::size_t>(c);
    int divergences = 0;
    for (int it = 0; it < options_.tune; ++it) {
      if (stopped()) return;
      const TransitionStats s = transition();
      divergences += s.divergent ? 1 : 0;
      step_adapt_.learn(epsilon_, s.accept_stat);
      if (metric_adapt.learn(metric_, z_.q)) {
        init_step_size();
        step_adapt_.set_mu(std::log(10.0 * epsilon_));
        step_adapt_.restart();
      }
      out.completed_tune[cs] = it + 1;
      out.warmup_divergences[cs] = divergences;
      if (options_.iterations_done != nullptr) options_.iterations_done->fetch_add(1, std::memory_order_relaxed);
    }
    if (options_.tune > 0) step_adapt_.complete(epsilon_);
    out.adapted_step_size[cs] = epsilon_;
    out.inverse_metric[cs] = metric_.as_matrix();
    Eigen::VectorXd reported(out.dimension);
    for (int it = 0; it < options_.draws; ++it) {
      if (stopped()) return;
      const TransitionStats s = transition();
      const std::size_t k = cs * static_cast<std::size_t>(options_.draws) + static_cast<std::size_t>(it);
      write_reported(target_, z_.q, reported);
      std::copy(reported.data(), reported.data() + out.dimension,
                out.values.begin() + static_cast<std::ptrdiff_t>(k) * out.dimension);
      out.log_density[k] = z_.log_density;
      out.accept_stat[k] = s.accept_stat;
      out.step_size[k] = epsilon_;
      out.tree_depth[k] = s.tree_depth;
      out.n_leapfrog[k] = s.n_leapfrog;
      out.divergent[k] = s.divergent ? 1 : 0;
      out.energy[k] = s.energy;
      out.completed_draws[cs] = it + 1;
      out.gradient_evaluations[cs] = gradient_evaluations_;
      if (options_.iterations_done != nullptr) options_.iterations_done->fetch_add(1, std::memory_order_relaxed);
    }
  }

  [[nodiscard]] double step_size() const { return epsilon_; }
  void set_step_size(double e) { epsilon_ = e; }
  [[nodiscard]] std::int64_t gradient_evaluations() const { return gradient_evaluations_; }
  [[nodiscard]] const Eigen::VectorXd& position() const { return z_.q; }
  [[nodiscard]] detail::EuclideanMetric& metric() { return metric_; }

 private:
  struct LevelWork {
    Eigen::VectorXd p_init_end, p_sharp_init_end, rho_init, p_final_beg, p_sharp_final_beg, rho_final, rho_subtree, rho_ext;
    detail::PhasePoint z_propose_final;
    explicit LevelWork(Eigen::Index d)
        : p_init_end(Eigen::VectorXd::Zero(d)), p_sharp_init_end(Eigen::VectorXd::Zero(d)),
          rho_init(Eigen::VectorXd::Zero(d)), p_final_beg(Eigen::VectorXd::Zero(d)),
          p_sharp_final_beg(Eigen::VectorXd::Zero(d)), rho_final(Eigen::VectorXd::Zero(d)),
          rho_subtree(Eigen::VectorXd::Zero(d)), rho_ext(Eigen::VectorXd::Zero(d)), z_propose_final(d) {}
  };

  double evaluate(detail::PhasePoint& z) {
    ++gradient_evaluations_;
    return static_cast<double>(target_.log_density_gradient(z.q, z.grad));
  }

  double hamiltonian(detail::PhasePoint& z) {
    metric_.velocity(z.p, velocity_);
    return -z.log_density + 0.5 * z.p.dot(velocity_);
  }

  void leapfrog(detail::PhasePoint& z, double eps) {
    z.p += (0.5 * eps) * z.grad;
    metric_.velocity(z.p, velocity_);
    z.q += eps * velocity_;
    z.log_density = evaluate(z);
    z.p += (0.5 * eps) * z.grad;
  }

  static bool no_u_turn(const Eigen::VectorXd& p_sharp_minus, const Eigen::VectorXd& p_sharp_plus,
                        const Eigen::VectorXd& rho) {
    return p_sharp_plus.dot(rho) > 0.0 && p_sharp_minus.dot(rho) > 0.0;
  }

  // Builds a subtree of 2^depth leapfrog steps from z_ in direction sign (Stan's
  // base_nuts::build_tree). Returns false on divergence or a U-turn inside the subtree.
  bool build_tree(int depth, detail::PhasePoint& z_propose, Eigen::VectorXd& p_sharp_beg, Eigen::VectorXd& p_sharp_end,
                  Eigen::VectorXd& rho, Eigen::VectorXd& p_beg, Eigen::VectorXd& p_end, double h0, double sign,
                  double& log_sum_weight) {
    if (depth == 0) {
      leapfrog(z_, sign * epsilon_);
      ++n_leapfrog_;
      double h = hamiltonian(z_);  // leaves velocity_ = M^{-1} p
      if (std::isnan(h)) h = std::numeric_limits<double>::infinity();
      if (h - h0 > options_.max_delta_energy) divergent_ = true;
      log_sum_weight = detail::log_sum_exp(log_sum_weight, h0 - h);
      sum_metro_prob_ += h0 - h > 0.0 ? 1.0 : std::exp(h0 - h);
      z_propose = z_;
      p_sharp_beg = velocity_;
      p_sharp_end = velocity_;
      rho += z_.p;
      p_beg = z_.p;
      p_end = z_.p;
      return !divergent_;
    }
    LevelWork& w = work_[static_cast<std::size_t>(depth)];
    // Initial subtree.
    double log_sum_weight_init = -std::numeric_limits<double>::infinity();
    w.rho_init.setZero();
    if (!build_tree(depth - 1, z_propose, p_sharp_beg, w.p_sharp_init_end, w.rho_init, p_beg, w.p_init_end, h0, sign,
                    log_sum_weight_init))
      return false;
    // Final subtree.
    double log_sum_weight_final = -std::numeric_limits<double>::infinity();
    w.rho_final.setZero();
    if (!build_tree(depth - 1, w.z_propose_final, w.p_sharp_final_beg, p_sharp_end, w.rho_final, w.p_final_beg, p_end, h0,
                    sign, log_sum_weight_final))
      return false;
    // Multinomial sample from the two subtrees.
    const double log_sum_weight_subtree = detail::log_sum_exp(log_sum_weight_init, log_sum_weight_final);
    log_sum_weight = detail::log_sum_exp(log_sum_weight, log_sum_weight_subtree);
    if (log_sum_weight_final > log_sum_weight_subtree ||
        rng_.uniform() < std::exp(log_sum_weight_final - log_sum_weight_subtree)) {  // uniform drawn only if needed
      z_propose = w.z_propose_final;
    }
    w.rho_subtree = w.rho_init + w.rho_final;
    rho += w.rho_subtree;
    bool persist = no_u_turn(p_sharp_beg, p_sharp_end, w.rho_subtree);
    w.rho_ext = w.rho_init + w.p_final_beg;
    persist = persist && no_u_turn(p_sharp_beg, w.p_sharp_final_beg, w.rho_ext);
    w.rho_ext = w.rho_final + w.p_init_end;
    persist = persist && no_u_turn(w.p_sharp_init_end, p_sharp_end, w.rho_ext);
    return persist;
  }

  const T& target_;
  const SamplerOptions& options_;
  Eigen::Index d_;
  ChainRng rng_;
  detail::EuclideanMetric metric_;
  detail::PhasePoint z_, z_fwd_, z_bck_, z_sample_, z_propose_;
  Eigen::VectorXd p_fwd_fwd_, p_sharp_fwd_fwd_, p_fwd_bck_, p_sharp_fwd_bck_;
  Eigen::VectorXd p_bck_fwd_, p_sharp_bck_fwd_, p_bck_bck_, p_sharp_bck_bck_;
  Eigen::VectorXd rho_, rho_fwd_, rho_bck_, rho_ext_, velocity_, scratch_;
  std::vector<LevelWork> work_;
  detail::StepSizeAdaptation step_adapt_;
  double epsilon_ = 1.0;
  int n_leapfrog_ = 0;
  double sum_metro_prob_ = 0.0;
  bool divergent_ = false;
  std::int64_t gradient_evaluations_ = 0;
};

namespace detail {
inline void validate(const SamplerOptions& o, Eigen::Index d) {
  if (d < 1) fail("target dimension must be >= 1, got ", d);
  if (o.chains < 1) fail("chains must be >= 1, got ", o.chains);
  if (o.draws < 0) fail("draws must be >= 0, got ", o.draws);
  if (o.tune < 0) fail("tune must be >= 0, got ", o.tune);
  if (!(o.target_accept > 0.0 && o.target_accept < 1.0)) fail("target_accept must be in (0, 1), got ", o.target_accept);
  if (o.max_tree_depth < 1 || o.max_tree_depth > 30) fail("max_tree_depth must be in [1, 30], got ", o.max_tree_depth);
  if (!(o.init_step_size > 0.0) || !std::isfinite(o.init_step_size))
    fail("init_step_size must be a finite number > 0, got ", o.init_step_size);
  if (!(o.init_radius >= 0.0) || !std::isfinite(o.init_radius))
    fail("init_radius must be a finite number >= 0, got ", o.init_radius);
  if (o.initial_values.size() != 0 && (o.initial_values.rows() != o.chains || o.initial_values.cols() != d))
    fail("initial_values must have shape (chains, dimension) = (", o.chains, ", ", d, "), got (", o.initial_values.rows(),
         ", ", o.initial_values.cols(), ")");
  const Eigen::MatrixXd& m = o.initial_inverse_metric;
  if (m.size() != 0) {
    if (m.rows() != d || (m.cols() != 1 && m.cols() != d))
      fail("initial_inverse_metric must have shape (dimension,) or (dimension, dimension) with dimension = ", d, ", got (",
           m.rows(), ", ", m.cols(), ")");
    if (!m.allFinite()) fail("initial_inverse_metric must be finite");
    for (Eigen::Index i = 0; i < d; ++i) {
      const double v = m.cols() == 1 ? m(i, 0) : m(i, i);
      if (!(v > 0.0)) fail("initial_inverse_metric: diagonal element ", i, " must be > 0, got ", v);
    }
    if (m.cols() == d) {
      if (!m.isApprox(m.transpose(), 1e-12)) fail("initial_inverse_metric must be symmetric");
      if (o.metric == MetricKind::dense && Eigen::LLT<Eigen::MatrixXd>(m).info() != Eigen::Success)
        fail("initial_inverse_metric is not positive definite");
    }
  }
  if (o.init_buffer < 0 || o.term_buffer < 0 || o.base_window < 1)
    fail("adaptation windows need init_buffer >= 0, term_buffer >= 0 and base_window >= 1, got ", o.init_buffer, ", ",
         o.term_buffer, ", ", o.base_window);
}
}  // namespace detail

/// Runs `options.chains` NUTS chains on `target` in parallel threads.
///
/// Chain c uses the random stream (options.seed, c), so the draws do not depend on
/// `options.threads`. With `options.stop` set to true during the run, every chain stops
/// at its next iteration and the result keeps the draws made so far
/// (`completed_draws`, `interrupted`).
template <Target T>
[[nodiscard]] SampleResult sample(const T& target, const SamplerOptions& options) {
  const auto d = static_cast<Eigen::Index>(target.dimension());
  detail::validate(options, d);
  SampleResult out;
  out.chains = options.chains;
  out.draws = options.draws;
  out.tune = options.tune;
  out.dimension = reported_dimension(target);
  out.unconstrained_dimension = d;
  out.parameter_names = parameter_names(target);
  out.max_tree_depth = options.max_tree_depth;
  out.metric = options.metric;
  const auto n = static_cast<std::size_t>(options.chains) * static_cast<std::size_t>(options.draws);
  const auto chains = static_cast<std::size_t>(options.chains);
  out.values.assign(n * static_cast<std::size_t>(out.dimension), std::numeric_limits<double>::quiet_NaN());
  out.log_density.assign(n, 0.0);
  out.accept_stat.assign(n, 0.0);
  out.step_size.assign(n, 0.0);
  out.tree_depth.assign(n, 0);
  out.n_leapfrog.assign(n, 0);
  out.divergent.assign(n, 0);
  out.energy.assign(n, 0.0);
  out.completed_draws.assign(chains, 0);
  out.completed_tune.assign(chains, 0);
  out.adapted_step_size.assign(chains, std::numeric_limits<double>::quiet_NaN());
  out.inverse_metric.assign(chains, Eigen::MatrixXd());
  out.gradient_evaluations.assign(chains, 0);
  out.warmup_divergences.assign(chains, 0);
  const auto start = std::chrono::steady_clock::now();
  parallel_for_blocks(options.chains, options.threads, 1, [&](std::ptrdiff_t begin, std::ptrdiff_t end) {
    for (std::ptrdiff_t c = begin; c < end; ++c) {
      NutsChain<T> chain(target, options, static_cast<std::uint64_t>(c));
      if (options.initial_values.size() != 0) chain.set_position(options.initial_values.row(c).transpose());
      else chain.random_position(options.init_radius);
      chain.run(out, static_cast<int>(c));
      out.gradient_evaluations[static_cast<std::size_t>(c)] = chain.gradient_evaluations();
    }
  });
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (std::size_t c = 0; c < chains; ++c)
    if (out.completed_draws[c] < options.draws) out.interrupted = true;
  return out;
}

}  // namespace trustmix::inference
