#pragma once
// Exact least squares on the probability simplex, the kernel of synthetic control:
//   minimise 1/2 w'Qw - c'w  subject to  sum(w) = 1, w >= 0,
// with Q = A'A + ridge I (A: periods x donors). Solved by a primal active-set method
// (Lawson and Hanson 1974, ch. 23, with the equality constraint kept in every subproblem;
// Nocedal and Wright 2006, sec. 16.5): each step solves the equality-constrained problem
// on the current support exactly (a bordered KKT system), so the answer satisfies the KKT
// conditions to rounding, unlike first-order solvers (OSQP, Frank-Wolfe) that stop at a
// tolerance. The problems are small (tens to a few hundred donors) and dense, where a few
// Eigen factorisations beat any general solver; the support is usually a handful of donors.
#include "trustmix/core/error.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace trustmix::evaluate::detail {

struct SimplexSolution {
  Eigen::VectorXd weights;
  double multiplier = 0.0;     // nu of the sum constraint: Qw - c + nu 1 = lambda >= 0
  double kkt_residual = 0.0;  // max violation of the KKT conditions (stationarity on the support, dual feasibility off it)
  int iterations = 0;
};

/// Solves min 1/2 w'Qw - c'w on the simplex exactly. `start` (optional, same size) is a
/// feasible warm start whose support seeds the active set (repeated solves along a grid).
inline SimplexSolution simplex_least_squares(const Eigen::MatrixXd& Q, const Eigen::VectorXd& c,
                                             const Eigen::VectorXd* start = nullptr) {
  const Eigen::Index J = c.size();
  if (J < 1 || Q.rows() != J || Q.cols() != J) fail("simplex_least_squares: Q must be ", J, " x ", J);
  const double scale = std::max({Q.cwiseAbs().maxCoeff(), c.cwiseAbs().maxCoeff(), 1e-300});
  const double tol = 1e-11 * scale;
  std::vector<char> in(static_cast<std::size_t>(J), 0);
  Eigen::VectorXd w = Eigen::VectorXd::Zero(J);
  if (start != nullptr && start->size() == J && (start->array() >= 0.0).all() && std::abs(start->sum() - 1.0) < 1e-9) {
    w = *start;
    for (Eigen::Index j = 0; j < J; ++j) in[static_cast<std::size_t>(j)] = w(j) > 0.0 ? 1 : 0;
  } else {
    // The best single donor (vertex) starts the support.
    Eigen::Index best = 0;
    double best_value = std::numeric_limits<double>::infinity();
    for (Eigen::Index j = 0; j < J; ++j) {
      const double v = 0.5 * Q(j, j) - c(j);
      if (v < best_value) best_value = v, best = j;
    }
    w(best) = 1.0;
    in[static_cast<std::size_t>(best)] = 1;
  }
  SimplexSolution out;
  const int max_iter = static_cast<int>(10 * J + 100);
  std::vector<Eigen::Index> support;
  Eigen::VectorXd z;
  double nu = 0.0;
  for (int it = 0; it < max_iter; ++it) {
    out.iterations = it + 1;
    support.clear();
    for (Eigen::Index j = 0; j < J; ++j)
      if (in[static_cast<std::size_t>(j)]) support.push_back(j);
    const auto m = static_cast<Eigen::Index>(support.size());
    // Bordered KKT system on the support: [Q_FF 1; 1' 0] [z; nu] = [c_F; 1]. A complete
    // orthogonal decomposition gives the minimum-norm solution when Q_FF is singular
    // (more donors in the support than periods), where the objective is still unique.
    // The border is scaled like Q so that the rank decision of the decomposition never
    // drops the constraint (Q's entries can be 1e8 and more in outcome units squared).
    Eigen::MatrixXd K = Eigen::MatrixXd::Zero(m + 1, m + 1);
    Eigen::VectorXd rhs(m + 1);
    for (Eigen::Index a = 0; a < m; ++a) {
      for (Eigen::Index b = 0; b < m; ++b)
        K(a, b) = Q(support[static_cast<std::size_t>(a)], support[static_cast<std::size_t>(b)]);
      K(a, m) = K(m, a) = scale;
      rhs(a) = c(support[static_cast<std::size_t>(a)]);
    }
    rhs(m) = scale;
    const Eigen::VectorXd sol = K.completeOrthogonalDecomposition().solve(rhs);
    z = sol.head(m);
    nu = sol(m) * scale;  // Q z - c + nu 1 = 0 on the support
    bool feasible = true;
    for (Eigen::Index a = 0; a < m; ++a)
      if (z(a) <= 0.0) feasible = false;
    if (feasible) {
      w.setZero();
      for (Eigen::Index a = 0; a < m; ++a) w(support[static_cast<std::size_t>(a)]) = z(a);
      // Dual feasibility off the support: lambda_j = (Qw - c)_j + nu >= 0.
      const Eigen::VectorXd g = Q * w - c;
      Eigen::Index enter = -1;
      double most_negative = -tol;
      for (Eigen::Index j = 0; j < J; ++j)
        if (!in[static_cast<std::size_t>(j)] && g(j) + nu < most_negative) most_negative = g(j) + nu, enter = j;
      if (enter < 0) {
        out.weights = w;
        out.multiplier = nu;
        double r = 0.0;
        for (Eigen::Index j = 0; j < J; ++j)
          r = std::max(r, in[static_cast<std::size_t>(j)] ? std::abs(g(j) + nu) : std::max(0.0, -(g(j) + nu)));
        out.kkt_residual = r / scale;
        return out;
      }
      in[static_cast<std::size_t>(enter)] = 1;
      continue;
    }
    // Move from w toward z until the first support weight reaches zero; drop it.
    double step = 1.0;
    for (Eigen::Index a = 0; a < m; ++a) {
      const Eigen::Index j = support[static_cast<std::size_t>(a)];
      if (z(a) <= 0.0 && w(j) - z(a) > 0.0) step = std::min(step, w(j) / (w(j) - z(a)));
    }
    for (Eigen::Index a = 0; a < m; ++a) {
      const Eigen::Index j = support[static_cast<std::size_t>(a)];
      w(j) += step * (z(a) - w(j));
      if (w(j) <= 1e-15 || (z(a) <= 0.0 && w(j) <= 1e-12)) {
        w(j) = 0.0;
        in[static_cast<std::size_t>(j)] = 0;
      }
    }
    if (w.sum() <= 0.0) fail("simplex_least_squares: lost feasibility (degenerate problem)");
    w /= w.sum();
  }
  fail("simplex_least_squares did not converge in ", max_iter, " active-set steps");
}

}  // namespace trustmix::evaluate::detail
