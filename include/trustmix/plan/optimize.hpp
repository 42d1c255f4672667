#pragma once
// The planner's constrained optimisation (issue 15): constraints on a schedule (periods x
// channels of spend), decision granularity (weekly cells or blocks), the solver (NLopt's
// SLSQP from Debian's libnlopt-cxx-dev for up to 100 variables, AUGLAG + L-BFGS beyond;
// MMA on request), multi-start,
// and the certificate of the result (convergence, KKT residual, active constraints).
//
// Decision variables. Every cell s[t, c] of the H x C schedule is either fixed (committed
// spend, a blackout = 0, a channel left as it is), or part of a block (one variable v_b,
// the block's total, spread over its cells by a fixed pattern p: s = v_b p_k / sum p), or
// its own variable (weekly planning). So s = s_fixed + M v with M sparse and known.
//
// Constraints, all linear in s and so in v:
//   per-cell bounds lower[t, c] <= s[t, c] <= upper[t, c]  (-> bounds on v);
//   total budget sum s = B (equality) or sum s <= B (cap);
//   per-channel totals lower <= sum_t s[t, c] <= upper; per-period totals likewise;
//   group shares: lower <= sum_{c in g} sum_t s[t, c] / sum s <= upper (written as
//     sum_g s - lower sum s >= 0 and sum_g s - upper sum s <= 0);
//   maximum change: |s[t+1, c] - s[t, c]| <= max_change[c].
// Tasks: maximise a criterion R(s) (objective.hpp); reach a KPI target at minimum spend
// (minimise sum s subject to R(s) >= target); or maximise R(s) subject to a target ROI,
// mean_i (v Y_i(s) - v Y_i(0)) >= (1 + roi) sum s (incremental value over the zero plan).
//
// Scaled units: variables x_j = v_j / m_j with m_j = S (cells of j) / (free cells), S the
// budget (or the start's total), constraints divided by S, the objective by max(|R|,
// |dR/dx|) at the first start: the same problem, the same plan, for spend in cents or in
// millions (tested with spend x 1e6).
//
// The certificate. At the returned point x*, with f the minimised scaled objective and
// the active set A (bounds within 1e-7 of x's scale, inequalities within 1e-7 of 0, the
// equalities), the least-squares multipliers mu = argmin ||grad f + N_A mu|| give the
// KKT residual max(||grad f + N_A mu||_inf, max over inequalities of max(0, -mu_i)) in
// scaled units (a certified optimum of a concave problem has it near 0). Reported with
// NLopt's status, the evaluations, the active constraints by name, the largest
// constraint violation (relative to S), every start's final objective and whether the
// plan moved from its start: a plan never comes back as its start in silence.
#include <nlopt.hpp>

#include <Eigen/Core>
#include <Eigen/QR>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/plan/objective.hpp"

namespace trustmix::plan {

inline constexpr double unbounded = std::numeric_limits<double>::infinity();

/// lower <= sum_t s[t, channel] <= upper (currency).
struct ChannelTotal {
  int channel = 0;
  double lower = 0.0, upper = unbounded;
};
/// lower <= sum_c s[period, c] <= upper (currency).
struct PeriodTotal {
  int period = 0;
  double lower = 0.0, upper = unbounded;
};
/// lower <= (spend of the group's channels) / (total spend) <= upper.
struct GroupShare {
  std::string name;
  std::vector<int> channels;
  double lower = 0.0, upper = 1.0;
};
/// Cells (period, channel) that share one decision variable, their total, spread by
/// pattern (one weight > 0 per cell; empty: evenly).
struct Block {
  std::string name;
  std::vector<std::pair<int, int>> cells;
  Vector pattern;
};

/// Every constraint on a schedule (see the top of this file); empty members: none.
struct Constraints {
  double budget = std::numeric_limits<double>::quiet_NaN();  ///< B; NaN: no total constraint
  bool budget_equality = true;                                ///< sum s = B (true) or sum s <= B
  Matrix lower, upper;   ///< H x C per-cell bounds (empty: 0 and +infinity)
  Matrix fixed;          ///< H x C: spend fixed where not NaN (committed, blackout 0, left as is)
  std::vector<ChannelTotal> channel_totals;
  std::vector<PeriodTotal> period_totals;
  std::vector<GroupShare> groups;
  Vector max_change;     ///< C: |s[t+1, c] - s[t, c]| <= max_change[c] (infinity: none)
  std::vector<Block> blocks;
};

enum class Task : std::uint8_t { maximize, min_spend, max_with_roi };

/// The most decision variables algorithm "auto" solves with SLSQP (AUGLAG beyond).
inline constexpr int slsqp_max_variables = 100;

/// Settings of the solver.
struct SolverSettings {
  /// "auto" (SLSQP up to slsqp_max_variables (100) decision variables, else AUGLAG: NLopt's
  /// SLSQP solves a dense least-squares problem per iteration, 0.45-4 s at 104-144 variables
  /// on the benchmark's plans where AUGLAG takes 0.05-0.07 s; below 100 SLSQP costs under
  /// 0.3 s and its plan is reproducible to 1e-12 under a change of currency unit, where
  /// AUGLAG stops on a flat optimum at points up to 1.5e-4 of the largest cell apart:
  /// docs/benchmarks.md), "slsqp",
  /// "mma" (no equality constraints), "auglag" (augmented Lagrangian, L-BFGS inside).
  std::string algorithm = "auto";
  /// 1: the start only; 2: and the even plan; more: and random plans (a start that would
  /// repeat an earlier one, e.g. the even plan when no start is given, is replaced by a
  /// fixed perturbation of the even plan; PlanResult::start_schedules); 0 (auto): 1 when the
  /// problem is certified concave (DrawObjective::concave() and a mean or CVaR criterion),
  /// else 2
  int starts = 2;
  int max_evaluations = 3000;       ///< per start
  double ftol_rel = 1e-12, xtol_rel = 1e-10;
  std::uint64_t seed = 0;           ///< random starts
  Matrix start;                     ///< H x C first start (empty: the even plan)
  const std::atomic<bool>* stop = nullptr;  ///< set to stop (throws trustmix::Interrupted)
};

/// A planning problem: what to optimise, the constraints, the task.
struct PlanProblem {
  Criterion criterion;
  Constraints constraints;
  Task task = Task::maximize;
  double target = std::numeric_limits<double>::quiet_NaN();      ///< min_spend: R(s) >= target
  double target_roi = std::numeric_limits<double>::quiet_NaN();  ///< max_with_roi: ROI >= target_roi
};

/// The result with its certificate (see the top of this file).
struct PlanResult {
  Matrix schedule;       ///< H x C spend
  double objective = 0;  ///< R at the schedule (the criterion, also for min_spend)
  Vector per_draw;       ///< V_i at the schedule
  double total_spend = 0;
  bool converged = false;
  std::string status;    ///< NLopt's status of the best start
  int evaluations = 0;   ///< objective evaluations, all starts
  double kkt_residual = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::string> active;
  double max_violation = 0;  ///< largest constraint violation / S
  Matrix start;              ///< the first start
  double start_objective = 0;
  bool moved = false;        ///< the schedule differs from the first start
  /// Certified concave (every draw's outcome concave in the schedule, criterion mean or
  /// CVaR): a KKT point is the global optimum
  bool concave = false;
  std::vector<double> start_objectives;  ///< final R of each start (NaN: infeasible)
  /// The distinct starts run (H x C each): the given start (or the even plan), the even
  /// plan, random plans; one that would repeat an earlier start is replaced by a fixed
  /// perturbation of the even plan, or dropped when that repeats one too
  std::vector<Matrix> start_schedules;
  int starts_agreeing = 0;   ///< distinct starts within 1e-6 (relative) of the best objective
  std::string message;       ///< a sentence on the outcome
};

namespace detail {

struct LinearRow {
  std::string name;
  Vector a;  // over variables (scaled x)
  double b;  // a . x <= b  (inequality) or a . x = b (equality)
  bool equality = false;
};

/// Cells -> variables map and the linear constraints in scaled variables.
class Layout {
 public:
  Eigen::Index H = 0, C = 0, nv = 0;
  std::vector<int> var;   // per cell (t + H c): variable or -1 (fixed)
  Vector weight, fixed0;  // per cell
  Vector lb, ub, scale;   // per variable (scaled: x = v / scale)
  std::vector<std::string> var_name;
  std::vector<LinearRow> rows;
  double S = 1.0;  // spend scale

  Layout(Eigen::Index periods, Eigen::Index channels, const Constraints& k, const Matrix& start) : H(periods), C(channels) {
    const Eigen::Index n = H * C;
    auto shape = [&](const Matrix& m, const char* what) {
      if (m.size() != 0 && (m.rows() != H || m.cols() != C))
        fail(what, " must be ", H, " x ", C, " (periods x channels) or empty, got ", m.rows(), " x ", m.cols());
    };
    shape(k.lower, "lower");
    shape(k.upper, "upper");
    shape(k.fixed, "fixed");
    Vector lo = Vector::Zero(n), hi = Vector::Constant(n, unbounded);
    for (Eigen::Index c = 0; c < C; ++c)
      for (Eigen::Index t = 0; t < H; ++t) {
        const Eigen::Index i = t + H * c;
        if (k.lower.size() != 0) lo[i] = k.lower(t, c);
        if (k.upper.size() != 0) hi[i] = k.upper(t, c);
        if (!(lo[i] >= 0.0) || !std::isfinite(lo[i])) fail("lower[", t, ", ", c, "] must be finite and >= 0, got ", lo[i]);
        if (!(hi[i] >= lo[i])) fail("upper[", t, ", ", c, "] = ", hi[i], " is below lower = ", lo[i]);
      }
    var.assign(static_cast<std::size_t>(n), -2);  // -2: not yet assigned
    weight = Vector::Zero(n);
    fixed0 = Vector::Zero(n);
    for (Eigen::Index c = 0; c < C; ++c)
      for (Eigen::Index t = 0; t < H; ++t)
        if (k.fixed.size() != 0 && !std::isnan(k.fixed(t, c))) {
          const double f = k.fixed(t, c);
          if (!(f >= 0.0) || !std::isfinite(f))
            fail("fixed[", t, ", ", c, "] must be NaN (free) or finite and >= 0, got ", f);
          var[static_cast<std::size_t>(t + H * c)] = -1;
          fixed0[t + H * c] = f;
        }
    std::vector<double> vlo, vhi;
    for (std::size_t b = 0; b < k.blocks.size(); ++b) {
      const Block& bl = k.blocks[b];
      if (bl.cells.empty()) fail("block '", bl.name, "' has no cells");
      if (bl.pattern.size() != 0 && bl.pattern.size() != static_cast<Eigen::Index>(bl.cells.size()))
        fail("block '", bl.name, "': pattern needs one weight per cell (", bl.cells.size(), "), got ", bl.pattern.size());
      const double psum = bl.pattern.size() != 0 ? bl.pattern.sum() : static_cast<double>(bl.cells.size());
      double l = 0.0, u = unbounded;
      for (std::size_t q = 0; q < bl.cells.size(); ++q) {
        const auto [t, c] = bl.cells[q];
        if (t < 0 || t >= H || c < 0 || c >= C)
          fail("block '", bl.name, "': cell (", t, ", ", c, ") is outside the ", H, " x ", C, " schedule");
        const Eigen::Index i = t + H * c;
        if (var[static_cast<std::size_t>(i)] == -1) fail("block '", bl.name, "': cell (", t, ", ", c, ") is fixed");
        if (var[static_cast<std::size_t>(i)] >= 0)
          fail("block '", bl.name, "': cell (", t, ", ", c, ") is in another block");
        const double p = bl.pattern.size() != 0 ? bl.pattern[static_cast<Eigen::Index>(q)] : 1.0;
        if (!(p > 0.0) || !std::isfinite(p)) fail("block '", bl.name, "': pattern weights must be finite and > 0");
        var[static_cast<std::size_t>(i)] = static_cast<int>(nv);
        weight[i] = p / psum;
        l = std::max(l, lo[i] / weight[i]);
        u = std::min(u, hi[i] / weight[i]);
      }
      if (l > u) fail("block '", bl.name, "': its cells' bounds cannot all hold (total >= ", l, " and <= ", u, ")");
      vlo.push_back(l);
      vhi.push_back(u);
      var_name.push_back(bl.name.empty() ? "block " + std::to_string(b) : bl.name);
      ++nv;
    }
    for (Eigen::Index c = 0; c < C; ++c)
      for (Eigen::Index t = 0; t < H; ++t) {
        const Eigen::Index i = t + H * c;
        if (var[static_cast<std::size_t>(i)] != -2) continue;
        var[static_cast<std::size_t>(i)] = static_cast<int>(nv++);
        weight[i] = 1.0;
        vlo.push_back(lo[i]);
        vhi.push_back(hi[i]);
        var_name.push_back("cell[" + std::to_string(t) + ", " + std::to_string(c) + "]");
      }
    if (nv == 0) fail("every cell of the schedule is fixed: there is nothing to plan");
    // The spend scale S and the variables' scales.
    const double B = k.budget;
    if (!std::isnan(B) && (!(B >= 0.0) || !std::isfinite(B)))
      fail("budget must be finite and >= 0 (or NaN for none), got ", B);
    S = 0.0;
    if (!std::isnan(B) && B > 0.0) S = B;
    if (!(S > 0.0) && start.size() != 0) S = start.sum();
    if (!(S > 0.0)) {
      double u = 0.0;
      for (Eigen::Index j = 0; j < nv; ++j)
        u += std::isfinite(vhi[static_cast<std::size_t>(j)]) ? vhi[static_cast<std::size_t>(j)] : 0.0;
      S = u;
    }
    if (!(S > 0.0)) S = 1.0;
    Vector cells = Vector::Zero(nv);
    for (Eigen::Index i = 0; i < n; ++i)
      if (var[static_cast<std::size_t>(i)] >= 0) cells[var[static_cast<std::size_t>(i)]] += 1.0;
    scale = S * cells / cells.sum();
    lb.resize(nv);
    ub.resize(nv);
    for (Eigen::Index j = 0; j < nv; ++j) {
      lb[j] = vlo[static_cast<std::size_t>(j)] / scale[j];
      ub[j] = vhi[static_cast<std::size_t>(j)] / scale[j];
    }
    // Linear rows over cells -> over scaled variables.
    auto add = [&](const std::string& name, const Vector& coef, double lower, double upper) {
      Vector a = Vector::Zero(nv);
      double cst = 0.0;
      for (Eigen::Index i = 0; i < n; ++i) {
        if (coef[i] == 0.0) continue;
        const int j = var[static_cast<std::size_t>(i)];
        if (j < 0) cst += coef[i] * fixed0[i];
        else a[j] += coef[i] * weight[i] * scale[j];
      }
      a /= S;
      const double lo_s = (lower - cst) / S, hi_s = (upper - cst) / S;
      if (a.cwiseAbs().maxCoeff() == 0.0) {  // only fixed cells: check it now
        if (lo_s > 1e-12 || hi_s < -1e-12) fail("constraint '", name, "' cannot hold: it involves only fixed cells");
        return;
      }
      if (lower == upper) {
        rows.push_back({name, a, hi_s, true});
        return;
      }
      if (std::isfinite(upper)) rows.push_back({name + " (upper)", a, hi_s, false});
      if (std::isfinite(lower) && lower > -unbounded) rows.push_back({name + " (lower)", -a, -lo_s, false});
    };
    const Vector ones = Vector::Ones(n);
    if (!std::isnan(B)) {
      if (k.budget_equality) add("budget", ones, B, B);
      else add("budget", ones, -unbounded, B);
    }
    for (const ChannelTotal& ct : k.channel_totals) {
      if (ct.channel < 0 || ct.channel >= C) fail("channel total: channel ", ct.channel, " is not in 0..", C - 1);
      if (!(ct.upper >= ct.lower))
        fail("channel total of channel ", ct.channel, ": upper ", ct.upper, " < lower ", ct.lower);
      Vector coef = Vector::Zero(n);
      coef.segment(H * ct.channel, H).setOnes();
      add("channel total[" + std::to_string(ct.channel) + "]", coef, ct.lower > 0.0 ? ct.lower : -unbounded, ct.upper);
    }
    for (const PeriodTotal& pt : k.period_totals) {
      if (pt.period < 0 || pt.period >= H) fail("period total: period ", pt.period, " is not in 0..", H - 1);
      if (!(pt.upper >= pt.lower)) fail("period total of period ", pt.period, ": upper ", pt.upper, " < lower ", pt.lower);
      Vector coef = Vector::Zero(n);
      for (Eigen::Index c = 0; c < C; ++c) coef[pt.period + H * c] = 1.0;
      add("period total[" + std::to_string(pt.period) + "]", coef, pt.lower > 0.0 ? pt.lower : -unbounded, pt.upper);
    }
    for (const GroupShare& g : k.groups) {
      if (!(g.lower >= 0.0 && g.upper <= 1.0 && g.lower <= g.upper))
        fail("group '", g.name, "': shares must satisfy 0 <= lower <= upper <= 1, got [", g.lower, ", ", g.upper, "]");
      if (g.channels.empty()) fail("group '", g.name, "' has no channels");
      Vector in = Vector::Zero(n);
      for (int c : g.channels) {
        if (c < 0 || c >= C) fail("group '", g.name, "': channel ", c, " is not in 0..", C - 1);
        in.segment(H * c, H).setOnes();
      }
      // (in - share ones) . x between 0 and infinity (lower) or -infinity and 0 (upper): add()
      // names the rows "group 'g' share (lower)" / "(upper)"
      if (g.lower > 0.0)
        add("group '" + g.name + "' share", Vector(in - g.lower * ones), 0.0, std::numeric_limits<double>::infinity());
      if (g.upper < 1.0) add("group '" + g.name + "' share", Vector(in - g.upper * ones), -unbounded, 0.0);
    }
    if (k.max_change.size() != 0) {
      if (k.max_change.size() != C) fail("max_change needs one value per channel (", C, "), got ", k.max_change.size());
      for (Eigen::Index c = 0; c < C; ++c) {
        const double D = k.max_change[c];
        if (!(D >= 0.0)) fail("max_change[", c, "] must be >= 0 (infinity: none), got ", D);
        if (std::isinf(D)) continue;
        for (Eigen::Index t = 0; t + 1 < H; ++t) {
          Vector coef = Vector::Zero(n);
          coef[t + 1 + H * c] = 1.0;
          coef[t + H * c] = -1.0;
          add("max change[" + std::to_string(t) + "->" + std::to_string(t + 1) + ", " + std::to_string(c) + "]", coef, -D,
              D);
        }
      }
    }
  }

  [[nodiscard]] Matrix schedule(const double* x) const {
    Matrix s(H, C);
    for (Eigen::Index c = 0; c < C; ++c)
      for (Eigen::Index t = 0; t < H; ++t) {
        const Eigen::Index i = t + H * c;
        const int j = var[static_cast<std::size_t>(i)];
        s(t, c) = j < 0 ? fixed0[i] : weight[i] * scale[j] * x[j];
      }
    return s;
  }
  /// dR/dx from dR/ds.
  void pull_back(const Matrix& gs, double* gx) const {
    std::fill(gx, gx + nv, 0.0);
    for (Eigen::Index c = 0; c < C; ++c)
      for (Eigen::Index t = 0; t < H; ++t) {
        const int j = var[static_cast<std::size_t>(t + H * c)];
        if (j >= 0) gx[j] += gs(t, c) * weight[t + H * c] * scale[j];
      }
  }
  /// The variables of a schedule (cells of a block: their total), clipped to the bounds.
  [[nodiscard]] std::vector<double> variables(const Matrix& s) const {
    std::vector<double> x(static_cast<std::size_t>(nv), 0.0);
    for (Eigen::Index c = 0; c < C; ++c)
      for (Eigen::Index t = 0; t < H; ++t) {
        const int j = var[static_cast<std::size_t>(t + H * c)];
        if (j >= 0) x[static_cast<std::size_t>(j)] += s(t, c);
      }
    // x holds the sum of the cells; a block's variable is its total (weights sum to 1)
    for (Eigen::Index j = 0; j < nv; ++j) {
      double& v = x[static_cast<std::size_t>(j)];
      v = std::clamp(v / scale[j], lb[j], ub[j]);
    }
    return x;
  }
  /// Largest violation of the bounds and rows at scaled x (units of S).
  [[nodiscard]] double violation(const std::vector<double>& x) const {
    double v = 0.0;
    for (Eigen::Index j = 0; j < nv; ++j) {
      const double xj = x[static_cast<std::size_t>(j)];
      v = std::max({v, (lb[j] - xj) * scale[j] / S, std::isfinite(ub[j]) ? (xj - ub[j]) * scale[j] / S : 0.0});
    }
    const Eigen::Map<const Vector> xv(x.data(), nv);
    for (const LinearRow& r : rows) {
      const double g = r.a.dot(xv) - r.b;
      v = std::max(v, r.equality ? std::abs(g) : g);
    }
    return v;
  }
};

inline const char* nlopt_status(nlopt::result r) {
  switch (r) {
    case nlopt::SUCCESS: return "success";
    case nlopt::STOPVAL_REACHED: return "stopval_reached";
    case nlopt::FTOL_REACHED: return "ftol_reached";
    case nlopt::XTOL_REACHED: return "xtol_reached";
    case nlopt::MAXEVAL_REACHED: return "maxeval_reached";
    case nlopt::MAXTIME_REACHED: return "maxtime_reached";
    case nlopt::ROUNDOFF_LIMITED: return "roundoff_limited";
    case nlopt::FORCED_STOP: return "forced_stop";
    case nlopt::OUT_OF_MEMORY: return "out_of_memory";
    case nlopt::INVALID_ARGS: return "invalid_args";
    case nlopt::FAILURE: return "failure";
    default: return "unknown";
  }
}

/// The problem in scaled variables, with a one-point cache (NLopt asks for the objective
/// and the constraints at the same x).
class Scaled {
 public:
  Scaled(const DrawObjective& obj, const PlanProblem& pb, const Layout& lay) : obj_(obj), pb_(pb), lay_(lay) {
    if (pb.task == Task::max_with_roi) {
      roi_criterion_.goal = Goal::value;
      roi_criterion_.measure = Measure::mean;
      roi_criterion_.value_per_outcome = pb.criterion.value_per_outcome;
      zero_value_ = evaluate_criterion(obj, roi_criterion_, Matrix::Zero(lay.H, lay.C));
    }
  }
  int evaluations = 0;
  double fscale = 1.0, tscale = 1.0;
  const std::atomic<bool>* stop = nullptr;

  /// R and dR/dx at x (cached).
  double criterion(const double* x, double* g) {
    load(x);
    if (g != nullptr) std::copy(grad_.begin(), grad_.end(), g);
    return r_;
  }
  /// The ROI constraint's slack mean (V(s) - V(0)) - (1 + roi) sum s (>= 0 to hold) and its gradient.
  double roi_slack(const double* x, double* g) {
    load(x);
    if (g != nullptr) std::copy(roi_grad_.begin(), roi_grad_.end(), g);
    return roi_slack_;
  }
  double spend(const double* x, double* g) const {
    const Matrix s = lay_.schedule(x);
    if (g != nullptr) lay_.pull_back(Matrix::Ones(lay_.H, lay_.C), g);
    return s.sum();
  }

 private:
  void load(const double* x) {
    const auto nv = static_cast<std::size_t>(lay_.nv);
    if (have_ && std::equal(x, x + nv, x_.begin())) return;
    if (stop != nullptr && stop->load()) throw nlopt::forced_stop();
    x_.assign(x, x + nv);
    const Matrix s = lay_.schedule(x);
    Matrix gs;
    r_ = evaluate_criterion(obj_, pb_.criterion, s, &gs);
    grad_.assign(nv, 0.0);
    lay_.pull_back(gs, grad_.data());
    if (pb_.task == Task::max_with_roi) {
      Matrix gv;
      const double v = evaluate_criterion(obj_, roi_criterion_, s, &gv);
      roi_slack_ = v - zero_value_ - (1.0 + pb_.target_roi) * s.sum();
      gv.array() -= 1.0 + pb_.target_roi;
      roi_grad_.assign(nv, 0.0);
      lay_.pull_back(gv, roi_grad_.data());
    }
    ++evaluations;
    have_ = true;
  }
  const DrawObjective& obj_;
  const PlanProblem& pb_;
  const Layout& lay_;
  Criterion roi_criterion_;
  double zero_value_ = 0.0;
  bool have_ = false;
  std::vector<double> x_, grad_, roi_grad_;
  double r_ = 0.0, roi_slack_ = 0.0;
};

}  // namespace detail

/// Optimises a schedule (see the top of this file). obj: the per-draw model of the
/// outcome (TrustPlanModel or CurveObjective); H x C from obj. Throws
/// std::invalid_argument for inconsistent constraints, trustmix::Interrupted when
/// settings.stop is set.
[[nodiscard]] inline PlanResult optimize(const DrawObjective& obj, const PlanProblem& pb, const SolverSettings& st = {}) {
  const Eigen::Index H = obj.periods(), C = obj.channels();
  check_criterion(pb.criterion, obj.draws());
  if (st.start.size() != 0 && (st.start.rows() != H || st.start.cols() != C))
    fail("start must be ", H, " x ", C, " (periods x channels) or empty, got ", st.start.rows(), " x ", st.start.cols());
  if (st.start.size() != 0 && !((st.start.array() >= 0.0).all() && st.start.allFinite()))
    fail("start must be finite and >= 0");
  if (st.starts < 0) fail("starts must be >= 1, or 0 (auto: 1 for a certified concave problem, else 2), got ", st.starts);
  const bool concave = obj.concave() && (pb.criterion.measure == Measure::mean || pb.criterion.measure == Measure::cvar);
  const int n_starts = st.starts == 0 ? (concave ? 1 : 2) : st.starts;
  if (st.max_evaluations < 1) fail("max_evaluations must be >= 1, got ", st.max_evaluations);
  if (pb.task == Task::min_spend && !std::isfinite(pb.target)) fail("the min_spend task needs a finite target");
  if (pb.task == Task::max_with_roi && !(std::isfinite(pb.target_roi) && pb.target_roi > -1.0))
    fail("the max_with_roi task needs a finite target_roi > -1");
  if (st.algorithm != "auto" && st.algorithm != "slsqp" && st.algorithm != "mma" && st.algorithm != "auglag")
    fail("algorithm must be 'auto', 'slsqp', 'mma' or 'auglag', got '", st.algorithm, "'");
  const detail::Layout lay(H, C, pb.constraints, st.start);
  nlopt::algorithm alg = nlopt::LD_SLSQP;
  if (st.algorithm == "mma") alg = nlopt::LD_MMA;
  else if (st.algorithm == "auglag" || (st.algorithm == "auto" && lay.nv > slsqp_max_variables)) alg = nlopt::AUGLAG;
  if (alg == nlopt::LD_MMA)
    for (const auto& r : lay.rows)
      if (r.equality)
        fail("algorithm 'mma' cannot keep equality constraints ('", r.name, "'): use 'slsqp' or 'auglag', or a budget cap");
  detail::Scaled sc(obj, pb, lay);
  sc.stop = st.stop;
  const auto nv = static_cast<std::size_t>(lay.nv);

  // Starts: the given start (or the even plan), the even plan, random plans.
  std::vector<std::vector<double>> starts;
  const double fixed_total = lay.fixed0.sum();
  const double free_total = std::isfinite(pb.constraints.budget) ? std::max(pb.constraints.budget - fixed_total, 0.0)
                                                                 : lay.S;
  std::vector<double> even(nv);
  {
    double cells = 0.0;
    for (std::size_t j = 0; j < nv; ++j) cells += lay.scale[static_cast<Eigen::Index>(j)];
    for (std::size_t j = 0; j < nv; ++j) {
      const auto jj = static_cast<Eigen::Index>(j);
      even[j] = std::clamp(free_total / cells, lay.lb[jj], lay.ub[jj]);  // x = v / scale and scale sums to S
    }
  }
  // A deterministic perturbation of the even plan (the same total): spend in proportion to
  // 1 + 0.5 cos(2.4 j + 1) over the variables j, clipped to the bounds. It stands in for a
  // start that would repeat an earlier one (no start given: the first start is the even
  // plan, so the second would be it again and "2 of 2 starts agree" would be false).
  std::vector<double> perturbed(nv);
  {
    double tot = 0.0;
    for (std::size_t j = 0; j < nv; ++j) {
      perturbed[j] = 1.0 + 0.5 * std::cos(2.4 * static_cast<double>(j) + 1.0);
      tot += perturbed[j] * lay.scale[static_cast<Eigen::Index>(j)];
    }
    for (std::size_t j = 0; j < nv; ++j) {
      const auto jj = static_cast<Eigen::Index>(j);
      perturbed[j] = std::clamp(perturbed[j] * free_total / tot, lay.lb[jj], lay.ub[jj]);
    }
  }
  // Starts are distinct: a candidate within 1e-12 (relative) of an earlier start is
  // replaced by the perturbation, and dropped when that is taken too (e.g. a single
  // variable fixed by the budget): starts_agreeing counts distinct starts.
  const auto same_start = [&](const std::vector<double>& a, const std::vector<double>& b) {
    double d = 0.0, m = 1.0;
    for (std::size_t j = 0; j < nv; ++j) {
      d = std::max(d, std::abs(a[j] - b[j]));
      m = std::max({m, std::abs(a[j]), std::abs(b[j])});
    }
    return d <= 1e-12 * m;
  };
  const auto add_start = [&](std::vector<double> x) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool dup = false;
      for (const auto& s : starts) dup = dup || same_start(s, x);
      if (!dup) {
        starts.push_back(std::move(x));
        return;
      }
      x = perturbed;
    }
  };
  starts.push_back(st.start.size() != 0 ? lay.variables(st.start) : even);
  if (n_starts >= 2) add_start(even);
  std::mt19937_64 rng(st.seed);
  std::exponential_distribution<double> expo(1.0);
  for (int k = 2; k < n_starts; ++k) {
    std::vector<double> x(nv);
    double tot = 0.0;
    for (std::size_t j = 0; j < nv; ++j) tot += x[j] = expo(rng) * lay.scale[static_cast<Eigen::Index>(j)];
    for (std::size_t j = 0; j < nv; ++j) {
      const auto jj = static_cast<Eigen::Index>(j);
      x[j] = std::clamp(x[j] / tot * free_total / lay.scale[jj], lay.lb[jj], lay.ub[jj]);
    }
    add_start(std::move(x));
  }

  PlanResult res;
  res.concave = concave;
  res.start = lay.schedule(starts[0].data());
  for (const auto& x0 : starts) res.start_schedules.push_back(lay.schedule(x0.data()));
  {
    std::vector<double> g0(nv);
    res.start_objective = sc.criterion(starts[0].data(), g0.data());
    double gmax = 0.0;
    for (double v : g0) gmax = std::max(gmax, std::abs(v));
    sc.fscale = std::max({std::abs(res.start_objective), gmax, 1e-300});
    sc.tscale = std::isfinite(pb.target) ? std::max(std::abs(pb.target), 1e-300) : 1.0;
  }

  struct Ctx {
    detail::Scaled* sc;
    const PlanProblem* pb;
    const detail::Layout* lay;
  } ctx{&sc, &pb, &lay};
  auto objective = [](unsigned n, const double* x, double* g, void* data) -> double {
    auto* c = static_cast<Ctx*>(data);
    if (c->pb->task == Task::min_spend) {
      const double v = c->sc->spend(x, g);
      if (g != nullptr)
        for (unsigned j = 0; j < n; ++j) g[j] /= c->lay->S;
      return v / c->lay->S;
    }
    const double r = c->sc->criterion(x, g);
    if (g != nullptr)
      for (unsigned j = 0; j < n; ++j) g[j] = -g[j] / c->sc->fscale;
    return -r / c->sc->fscale;
  };
  auto target_constraint = [](unsigned n, const double* x, double* g, void* data) -> double {
    auto* c = static_cast<Ctx*>(data);
    const double r = c->sc->criterion(x, g);  // target - R <= 0
    if (g != nullptr)
      for (unsigned j = 0; j < n; ++j) g[j] = -g[j] / c->sc->tscale;
    return (c->pb->target - r) / c->sc->tscale;
  };
  auto roi_constraint = [](unsigned n, const double* x, double* g, void* data) -> double {
    auto* c = static_cast<Ctx*>(data);
    const double v = c->sc->roi_slack(x, g);  // -slack <= 0
    if (g != nullptr)
      for (unsigned j = 0; j < n; ++j) g[j] = -g[j] / c->lay->S;
    return -v / c->lay->S;
  };
  struct RowCtx {
    const detail::LinearRow* row;
  };
  std::vector<RowCtx> row_ctx;
  row_ctx.reserve(lay.rows.size());
  for (const auto& r : lay.rows) row_ctx.push_back({&r});
  auto linear = [](unsigned n, const double* x, double* g, void* data) -> double {
    const auto* r = static_cast<RowCtx*>(data)->row;
    double v = -r->b;
    for (unsigned j = 0; j < n; ++j) {
      v += r->a[j] * x[j];
      if (g != nullptr) g[j] = r->a[j];
    }
    return v;
  };

  std::vector<double> best;
  double best_r = -unbounded, best_viol = unbounded;
  nlopt::result best_status = nlopt::FAILURE;
  const double feas_tol = 1e-7;
  std::vector<double> lbv(lay.lb.data(), lay.lb.data() + nv), ubv(nv);
  for (std::size_t j = 0; j < nv; ++j)
    ubv[j] = std::isfinite(lay.ub[static_cast<Eigen::Index>(j)]) ? lay.ub[static_cast<Eigen::Index>(j)] : HUGE_VAL;
  // One run of the solver from x (in place); local_alg: AUGLAG's subsidiary optimiser.
  auto run_once = [&](nlopt::algorithm local_alg, std::vector<double>& x) {
    nlopt::opt opt(alg, static_cast<unsigned>(nv));
    nlopt::opt local(local_alg, static_cast<unsigned>(nv));
    if (alg == nlopt::AUGLAG) {
      local.set_ftol_rel(st.ftol_rel);
      local.set_xtol_rel(st.xtol_rel);
      local.set_maxeval(st.max_evaluations);
      opt.set_local_optimizer(local);
    }
    opt.set_lower_bounds(lbv);
    opt.set_upper_bounds(ubv);
    opt.set_min_objective(objective, &ctx);
    for (std::size_t q = 0; q < lay.rows.size(); ++q) {
      if (lay.rows[q].equality) opt.add_equality_constraint(linear, &row_ctx[q], 1e-10);
      else opt.add_inequality_constraint(linear, &row_ctx[q], 1e-10);
    }
    if (pb.task == Task::min_spend) opt.add_inequality_constraint(target_constraint, &ctx, 1e-10);
    if (pb.task == Task::max_with_roi) opt.add_inequality_constraint(roi_constraint, &ctx, 1e-10);
    opt.set_ftol_rel(st.ftol_rel);
    opt.set_xtol_rel(st.xtol_rel);
    opt.set_maxeval(st.max_evaluations);
    double fmin = 0.0;
    nlopt::result status;
    try {
      status = opt.optimize(x, fmin);
    } catch (const nlopt::forced_stop&) {
      throw Interrupted("the plan's optimisation");
    } catch (const nlopt::roundoff_limited&) {
      status = nlopt::ROUNDOFF_LIMITED;
    } catch (const std::invalid_argument& e) {
      fail("NLopt refused the problem: ", e.what());
    } catch (const std::runtime_error&) {
      status = nlopt::FAILURE;
    }
    return status;
  };
  int retried = 0;
  for (const auto& x0 : starts) {
    std::vector<double> x = x0;
    nlopt::result status = run_once(nlopt::LD_LBFGS, x);
    // AUGLAG stops with a failure when its L-BFGS subproblem's line search fails, which on
    // flat objectives can hinge on rounding; when that leaves the start where it was, the
    // solver is run once more from the midpoint of this start and the even plan (feasible
    // for the budget and the bounds when both are).
    if (alg == nlopt::AUGLAG && (status == nlopt::FAILURE || status == nlopt::ROUNDOFF_LIMITED) && x == x0) {
      ++retried;
      // halfway to the even plan, or to the perturbed plan when the start is the even plan
      // (halfway would then be the start again: a no-op rerun)
      const std::vector<double>& to = same_start(x0, even) ? perturbed : even;
      for (std::size_t j = 0; j < nv; ++j) x[j] = std::clamp(0.5 * (x0[j] + to[j]), lbv[j], ubv[j]);
      status = run_once(nlopt::LD_LBFGS, x);
    }
    if (st.stop != nullptr && st.stop->load()) throw Interrupted("the plan's optimisation");
    for (std::size_t j = 0; j < nv; ++j) x[j] = std::clamp(x[j], lbv[j], ubv[j]);
    double viol = lay.violation(x);
    if (pb.task == Task::min_spend)
      viol = std::max(viol, target_constraint(static_cast<unsigned>(nv), x.data(), nullptr, &ctx));
    if (pb.task == Task::max_with_roi)
      viol = std::max(viol, roi_constraint(static_cast<unsigned>(nv), x.data(), nullptr, &ctx));
    const double r = sc.criterion(x.data(), nullptr);
    const bool feasible = viol <= feas_tol;
    res.start_objectives.push_back(feasible ? r : std::numeric_limits<double>::quiet_NaN());
    // min_spend: the best is the cheapest feasible plan
    const double score = pb.task == Task::min_spend ? -lay.schedule(x.data()).sum() : r;
    const double best_score = best.empty() ? -unbounded
                                           : (pb.task == Task::min_spend ? -lay.schedule(best.data()).sum() : best_r);
    const bool better = best.empty() || (feasible && (best_viol > feas_tol || score > best_score)) ||
                        (!feasible && best_viol > feas_tol && viol < best_viol);
    if (better) {
      best = x;
      best_r = r;
      best_viol = viol;
      best_status = status;
    }
  }
  res.evaluations = sc.evaluations;
  res.schedule = lay.schedule(best.data());
  res.total_spend = res.schedule.sum();
  Matrix gs;
  res.objective = evaluate_criterion(obj, pb.criterion, res.schedule, nullptr, &res.per_draw);
  res.status = detail::nlopt_status(best_status);
  res.max_violation = best_viol;
  for (double v : res.start_objectives)
    if (std::isfinite(v) && std::abs(v - best_r) <= 1e-6 * std::max(1.0, std::abs(best_r))) ++res.starts_agreeing;

  // The certificate: KKT residual of the minimised scaled problem at best.
  {
    std::vector<double> g(nv);
    objective(static_cast<unsigned>(nv), best.data(), g.data(), &ctx);
    std::vector<Vector> normals;
    std::vector<bool> inequality;
    for (std::size_t j = 0; j < nv; ++j) {
      const auto jj = static_cast<Eigen::Index>(j);
      const double tol = 1e-7 * std::max(1.0, std::abs(best[j]));
      if (best[j] - lay.lb[jj] <= tol) {
        normals.emplace_back(-Vector::Unit(lay.nv, jj));
        inequality.push_back(true);
        res.active.push_back("lower bound of " + lay.var_name[j]);
      } else if (std::isfinite(lay.ub[jj]) && lay.ub[jj] - best[j] <= tol) {
        normals.emplace_back(Vector::Unit(lay.nv, jj));
        inequality.push_back(true);
        res.active.push_back("upper bound of " + lay.var_name[j]);
      }
    }
    const Eigen::Map<const Vector> xb(best.data(), lay.nv);
    for (const auto& r : lay.rows) {
      const double v = r.a.dot(xb) - r.b;
      if (r.equality || std::abs(v) <= 1e-7) {
        normals.push_back(r.a);
        inequality.push_back(!r.equality);
        res.active.push_back(r.name);
      }
    }
    auto nonlinear = [&](auto fn, const char* name) {
      std::vector<double> gc(nv);
      const double v = fn(static_cast<unsigned>(nv), best.data(), gc.data(), &ctx);
      if (std::abs(v) <= 1e-7) {
        normals.emplace_back(Eigen::Map<const Vector>(gc.data(), lay.nv));
        inequality.push_back(true);
        res.active.emplace_back(name);
      }
    };
    if (pb.task == Task::min_spend) nonlinear(target_constraint, "target");
    if (pb.task == Task::max_with_roi) nonlinear(roi_constraint, "target ROI");
    const Eigen::Map<const Vector> gv(g.data(), lay.nv);
    double resid = gv.cwiseAbs().maxCoeff();
    if (!normals.empty()) {
      Matrix N(lay.nv, static_cast<Eigen::Index>(normals.size()));
      for (std::size_t q = 0; q < normals.size(); ++q) N.col(static_cast<Eigen::Index>(q)) = normals[q];
      const Vector mu = N.colPivHouseholderQr().solve(-gv);
      resid = (gv + N * mu).cwiseAbs().maxCoeff();
      for (std::size_t q = 0; q < normals.size(); ++q)
        if (inequality[q]) resid = std::max(resid, -mu[static_cast<Eigen::Index>(q)]);
    }
    res.kkt_residual = resid;
  }
  const bool solver_ok = best_status == nlopt::SUCCESS || best_status == nlopt::FTOL_REACHED ||
                         best_status == nlopt::XTOL_REACHED || best_status == nlopt::STOPVAL_REACHED;
  res.converged = best_viol <= feas_tol && (solver_ok || res.kkt_residual <= 1e-6);
  res.moved = (res.schedule - res.start).cwiseAbs().maxCoeff() > 1e-9 * std::max(1.0, res.start.cwiseAbs().maxCoeff());
  std::ostringstream msg;
  if (best_viol > feas_tol) {
    msg << "no start reached a plan that meets every constraint (largest violation " << best_viol
        << " of the spend scale): the constraints may contradict each other";
  } else {
    // NLopt's own status can be a failure (e.g. SLSQP's "more than iter iterations" or a
    // roundoff stop) at a point the first-order (KKT) check still certifies: say which.
    msg << (res.converged ? (solver_ok ? "converged" : "certified optimal by the KKT check") : "did not converge") << " ("
        << (res.converged && !solver_ok ? "NLopt stopped with status " : "") << res.status << ", KKT residual "
        << res.kkt_residual << ", " << res.active.size() << " active constraints, " << res.starts_agreeing << " of "
        << res.start_objectives.size() << " starts agree)";
    if (res.converged && concave)
      msg << "; a concave problem (every draw's outcome concave in the schedule, risk " << to_string(pb.criterion.measure)
          << "): the KKT point is the global optimum";
    if (retried > 0)
      msg << "; " << retried << " start(s) rerun from halfway to the even (or, from the even plan, the perturbed) plan "
          << "after AUGLAG's L-BFGS failed there";
    if (!res.moved)
      msg << "; the plan is its starting schedule, which the KKT check "
          << (res.kkt_residual <= 1e-6 ? "certifies as optimal" : "does NOT certify");
  }
  res.message = msg.str();
  return res;
}

/// How far a draw's own optimum lies from the plan: the same problem (goal, constraints,
/// task) solved for draw i alone (risk measure: its value), started at the plan.
///   plan_value = V_i(plan), own_value = V_i(own optimum), regret = own_value - plan_value
///   (>= 0 up to the solver's tolerance: what knowing draw i were true would add), and
///   moved_share = sum |s_own - s_plan| / (2 sum s_plan): the share of the budget that
///   would move.
struct DrawOptimum {
  Eigen::Index draw = 0;
  double plan_value = 0, own_value = 0, regret = 0, moved_share = 0;
  bool converged = false;
};

[[nodiscard]] inline std::vector<DrawOptimum> draw_optima(const DrawObjective& obj, const PlanProblem& pb,
                                                          const PlanResult& plan, const std::vector<Eigen::Index>& draws,
                                                          SolverSettings st = {}) {
  if (plan.schedule.rows() != obj.periods() || plan.schedule.cols() != obj.channels())
    fail("plan.schedule must be ", obj.periods(), " x ", obj.channels());
  std::vector<DrawOptimum> out;
  st.start = plan.schedule;
  st.starts = 1;
  for (Eigen::Index i : draws) {
    const SingleDraw one(obj, i);
    PlanProblem q = pb;
    q.criterion.measure = Measure::mean;
    q.criterion.reference.resize(0);
    const PlanResult r = optimize(one, q, st);
    DrawOptimum d;
    d.draw = i;
    d.plan_value = evaluate_criterion(one, q.criterion, plan.schedule);
    d.own_value = r.objective;
    d.regret = d.own_value - d.plan_value;
    const double tot = plan.schedule.sum();
    d.moved_share = tot > 0 ? (r.schedule - plan.schedule).cwiseAbs().sum() / (2.0 * tot) : 0.0;
    d.converged = r.converged;
    out.push_back(d);
  }
  return out;
}

}  // namespace trustmix::plan
