// trustmix::audience bound to Python. Thin: arguments become a C++ Survey / model first,
// the GIL is released around the C++ work, results come back as typed result classes of
// numpy arrays (helpers::bind_result); a latent class model crosses as the dict its functions
// take (model_to_dict / model_from_dict).
// The pythonic layer (trustmix.audience) builds DataFrames and result objects.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <trustmix/audience/audience.hpp>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "helpers/result.hpp"
#include "register.hpp"

namespace py = pybind11;
namespace ta = trustmix::audience;

namespace trustmix::bindings {
namespace {

using CodeArray = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>;
using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

ta::RowMatrixXd to_matrix(const std::optional<DoubleArray>& a, Eigen::Index rows, const char* what) {
  if (!a || a->size() == 0) return ta::RowMatrixXd(rows, 0);
  if (a->ndim() != 2) throw std::invalid_argument(std::string(what) + " must be a 2-d array");
  ta::RowMatrixXd m(a->shape(0), a->shape(1));
  std::memcpy(m.data(), a->data(), static_cast<std::size_t>(a->size()) * sizeof(double));
  return m;
}

ta::Survey make_survey(const CodeArray& items, std::vector<int> categories, const std::optional<DoubleArray>& gaussian,
                       const std::optional<DoubleArray>& weights, const std::optional<DoubleArray>& covariates,
                       std::vector<std::string> item_names, std::vector<std::string> gaussian_names,
                       std::vector<std::string> covariate_names) {
  ta::Survey s;
  if (items.ndim() != 2) throw std::invalid_argument("items must be a 2-d array (respondents x items)");
  s.items.resize(items.shape(0), items.shape(1));
  if (items.size()) std::memcpy(s.items.data(), items.data(), static_cast<std::size_t>(items.size()));
  s.categories = std::move(categories);
  s.gaussian = to_matrix(gaussian, items.shape(0), "gaussian");
  s.covariates = to_matrix(covariates, items.shape(0), "covariates");
  if (weights && weights->size()) {
    s.weights.resize(weights->size());
    std::memcpy(s.weights.data(), weights->data(), static_cast<std::size_t>(weights->size()) * sizeof(double));
  }
  s.item_names = std::move(item_names);
  s.gaussian_names = std::move(gaussian_names);
  s.covariate_names = std::move(covariate_names);
  return s;
}

ta::Covariance covariance_from(const std::string& s) {
  if (s == "diagonal") return ta::Covariance::diagonal;
  if (s == "full") return ta::Covariance::full;
  throw std::invalid_argument("covariance must be 'diagonal' or 'full', got '" + s + "'");
}

ta::LatentClassOptions em_options(int classes, int starts, int max_iterations, double tolerance, std::uint64_t seed,
                                  int threads, const std::string& covariance) {
  ta::LatentClassOptions o;
  o.classes = classes;
  o.starts = starts;
  o.max_iterations = max_iterations;
  o.tolerance = tolerance;
  o.seed = seed;
  o.threads = threads;
  o.covariance = covariance_from(covariance);
  return o;
}

py::dict model_to_dict(const ta::LatentClassModel& m) {
  py::dict d;
  d["classes"] = m.classes;
  d["categories"] = m.categories;
  d["item_probabilities"] = m.item_probabilities;
  d["means"] = m.means;
  d["covariances"] = m.covariances;
  d["covariance"] = m.covariance == ta::Covariance::full ? "full" : "diagonal";
  d["beta"] = m.beta;
  return d;
}

ta::LatentClassModel model_from_dict(const py::dict& d) {
  ta::LatentClassModel m;
  m.classes = d["classes"].cast<int>();
  m.categories = d["categories"].cast<std::vector<int>>();
  m.item_probabilities = d["item_probabilities"].cast<std::vector<Eigen::MatrixXd>>();
  m.means = d["means"].cast<Eigen::MatrixXd>();
  m.covariances = d["covariances"].cast<std::vector<Eigen::MatrixXd>>();
  m.covariance = covariance_from(d["covariance"].cast<std::string>());
  m.beta = d["beta"].cast<Eigen::MatrixXd>();
  const auto K = static_cast<Eigen::Index>(m.classes);
  if (m.classes < 1) throw std::invalid_argument("model: classes must be >= 1");
  if (m.item_probabilities.size() != m.categories.size())
    throw std::invalid_argument("model: one probability matrix per item expected");
  for (std::size_t j = 0; j < m.categories.size(); ++j)
    if (m.item_probabilities[j].rows() != K || m.item_probabilities[j].cols() != m.categories[j])
      throw std::invalid_argument("model: item " + std::to_string(j) + " probabilities must be classes x categories");
  if (m.means.rows() != K && m.means.size() != 0) throw std::invalid_argument("model: means must have one row per class");
  if (m.means.size() == 0) m.means.resize(K, 0);
  if (static_cast<Eigen::Index>(m.covariances.size()) != K)
    throw std::invalid_argument("model: one covariance per class expected");
  if (m.beta.cols() != K || m.beta.rows() < 1) throw std::invalid_argument("model: beta must be (1 + covariates) x classes");
  return m;
}

/// A ReachCurve from its fields; validated.
ta::ReachCurve curve_from_dict(const py::dict& d) {
  ta::ReachCurve c;
  c.kind = ta::reach_kind_from_string(helpers::need<std::string>(d, "kind"));
  c.population = helpers::need<double>(d, "population");
  c.reachable = helpers::need<double>(d, "reachable");
  c.shape = helpers::need<double>(d, "shape");
  c.shape2 = helpers::need<double>(d, "shape2");
  c.validate();
  return c;
}

py::dict curve_to_dict(const ta::ReachCurve& c) {
  py::dict d;
  d["kind"] = std::string(ta::to_string(c.kind));
  d["population"] = c.population;
  d["reachable"] = c.reachable;
  d["shape"] = c.shape;
  d["shape2"] = c.shape2;
  return d;
}

/// The state before the versioned pickle: the flat tuple (1, kind, population, reachable,
/// shape, shape2).
ta::ReachCurve curve_from_flat_state(const py::object& state) {
  if (!py::isinstance<py::tuple>(state) || py::len(state) != 6 || !py::isinstance<py::int_>(state[py::int_(0)]) ||
      state[py::int_(0)].cast<long long>() != 1)
    throw std::invalid_argument(
        "expected a (2, dict) tuple or the flat state (1, kind, population, reachable, "
        "shape, shape2)");
  const auto t = py::reinterpret_borrow<py::tuple>(state);
  py::dict d;
  d["kind"] = t[1];
  d["population"] = t[2];
  d["reachable"] = t[3];
  d["shape"] = t[4];
  d["shape2"] = t[5];
  return curve_from_dict(d);
}

/// simulate_survey(): the drawn answers (the template's missing pattern kept).
struct SimulatedAnswers {
  ta::CodeMatrix items;     ///< n x J categorical answers, missing_code (255) where the template is missing
  ta::RowMatrixXd gaussian;  ///< n x G continuous indicators, NaN where the template is missing
};

void bind_results(py::module_& a) {
  using helpers::bind_result;
  using helpers::member;
  bind_result<SimulatedAnswers>(
      a, "SimulatedAnswers", "Survey answers drawn from a latent class model (simulate_survey()).", 0,
      member("items", &SimulatedAnswers::items,
             "uint8 (respondent, item) category codes, 255 where the template survey is missing."),
      member("gaussian", &SimulatedAnswers::gaussian,
             "float64 (respondent, indicator) continuous answers, NaN where the template survey is missing."));
  using BL = ta::BootstrapLrt;
  bind_result<BL>(a, "BootstrapLrt",
                  "Parametric bootstrap likelihood-ratio test of classes-1 against classes (ta::BootstrapLrt).", 1,
                  member("classes", &BL::classes, "K, the alternative's number of classes."),
                  member("statistic", &BL::statistic, "2 (LL_K - LL_{K-1}) on the data."),
                  member("replicates", &BL::replicates, "float64 statistic on each bootstrap sample."),
                  member("p_value", &BL::p_value, "(1 + #{replicate >= statistic}) / (B + 1)."),
                  member("log_likelihood_null", &BL::log_likelihood_null, "LL_{K-1}."),
                  member("log_likelihood_alternative", &BL::log_likelihood_alternative, "LL_K."));
  using BR = ta::BchResult;
  bind_result<BR>(
      a, "BchResult", "BCH three-step class-specific outcome means (ta::BchResult).", 1,
      member("means", &BR::means, "float64 (class, outcome) mean of each outcome column in each class."),
      member("standard_errors", &BR::standard_errors,
             "float64 (class, outcome) sandwich standard errors, the step-1 model taken as known."),
      member("classification", &BR::classification, "float64 (class, class) D(k, s) = P(modal class s | true class k)."));
  using TS = ta::ThreeStepResult;
  bind_result<TS>(a, "ThreeStepResult", "Bias-corrected three-step structural model (ta::ThreeStepResult).", 1,
                  member("classification", &TS::classification, "float64 K x K: D(k, s) = P(assigned s | true class k)."),
                  member("beta", &TS::beta, "float64 (1 + P) x K logit coefficients (column 0 = 0, the reference)."),
                  member("beta_se", &TS::beta_se, "float64 (1 + P) x K standard errors of beta."),
                  member("means", &TS::means, "float64 K outcome means (Gaussian outcome)."),
                  member("means_se", &TS::means_se, "float64 K standard errors of the means."),
                  member("variances", &TS::variances, "float64 K outcome variances (Gaussian outcome)."),
                  member("variances_se", &TS::variances_se, "float64 K standard errors of the variances."),
                  member("probabilities", &TS::probabilities, "float64 K x C category probabilities (categorical outcome)."),
                  member("probabilities_se", &TS::probabilities_se, "float64 K x C standard errors of the probabilities."),
                  member("class_shares", &TS::class_shares, "float64 K: weighted mean of pi_k(x_i)."),
                  member("objective", &TS::objective, "L(theta) for ml, Q(theta; R) otherwise."),
                  member("parameters", &TS::parameters,
                         "float64 packed: beta (k = 1..K-1, 1+P each), then mu, log sigma2 (K each) or eta_kc (c >= 1)."),
                  member("covariance", &TS::covariance, "float64 sandwich covariance of parameters."),
                  member("iterations", &TS::iterations, "Iterations."),
                  member("converged", &TS::converged, "True on convergence."),
                  member("warnings", &TS::warnings, "Warnings, one sentence each."));
  using LF = ta::LatentClassFit;
  bind_result<LF>(
      a, "LatentClassFit",
      "A latent class model fitted by EM (ta::LatentClassFit): the model, the fit criteria, the posterior and the\n"
      "starts.",
      1,
      helpers::converted<LF>(
          "model", [](const LF& f) { return model_to_dict(f.model); },
          [](LF& f, const py::handle& h) {
            if (!py::isinstance<py::dict>(h)) throw std::invalid_argument("model must be a dict");
            f.model = model_from_dict(py::reinterpret_borrow<py::dict>(h));
          },
          "The model as the dict posterior(), score(), log_likelihood(), pack_parameters() and simulate_survey()\n"
          "take: classes, categories, item_probabilities, means, covariances, covariance, beta."),
      member("log_likelihood", &LF::log_likelihood, "Weighted log-likelihood LL at the best start."),
      member("parameters", &LF::parameters, "Free parameters p."),
      member("observations", &LF::observations, "N: respondents with at least one answer."),
      member("aic", &LF::aic, "-2 LL + 2 p."), member("bic", &LF::bic, "-2 LL + p log N."),
      member("sabic", &LF::sabic, "-2 LL + p log((N + 2) / 24)."), member("caic", &LF::caic, "-2 LL + p (log N + 1)."),
      member("entropy", &LF::entropy, "Relative entropy in [0, 1] (1: classes perfectly separated)."),
      member("posterior", &LF::posterior, "float64 n x K membership probabilities."),
      member("class_shares", &LF::class_shares, "float64 K: weighted mean of pi_k(x_i)."),
      member("start_log_likelihoods", &LF::start_log_likelihoods, "float64 final LL of every start (-inf: degenerate)."),
      member("best_start", &LF::best_start, "Index of the best start."),
      member("starts_at_best", &LF::starts_at_best, "Starts within best_tolerance of the best LL."),
      member("iterations", &LF::iterations, "EM iterations of the best start."),
      member("converged", &LF::converged, "Whether the best start converged."),
      member("log_likelihood_trace", &LF::log_likelihood_trace, "float64 LL after every iteration of the best start."),
      member("all_missing_rows", &LF::all_missing_rows, "Respondents who answered nothing."),
      member("warnings", &LF::warnings, "Inference that may mislead, one sentence each."));
  using DU = ta::Duplication;
  bind_result<DU>(a, "Duplication", "Audience duplication across channels from class-level reach (ta::Duplication).", 1,
                  member("total", &DU::total, "Share reached by at least one channel."),
                  member("pairwise", &DU::pairwise, "float64 C x C: share reached by both c and d (diagonal: by c)."),
                  member("by_class", &DU::by_class, "float64 K: share of each class reached by at least one channel."));
}

}  // namespace

void register_audience(pybind11::module_& m) {
  auto a = m.def_submodule("audience", "trustmix::audience: latent classes, reach and frequency (C++ core).");
  bind_results(a);

  py::class_<ta::Survey>(a, "Survey", "Survey answers for the core (trustmix::audience::Survey), checked on construction.")
      .def(py::init([](const CodeArray& items, std::vector<int> categories, const std::optional<DoubleArray>& gaussian,
                       const std::optional<DoubleArray>& weights, const std::optional<DoubleArray>& covariates,
                       std::vector<std::string> item_names, std::vector<std::string> gaussian_names,
                       std::vector<std::string> covariate_names) {
             ta::Survey s = make_survey(items, std::move(categories), gaussian, weights, covariates, std::move(item_names),
                                        std::move(gaussian_names), std::move(covariate_names));
             s.validate();
             return s;
           }),
           py::arg("items"), py::arg("categories"), py::arg("gaussian") = py::none(), py::arg("weights") = py::none(),
           py::arg("covariates") = py::none(), py::arg("item_names") = std::vector<std::string>{},
           py::arg("gaussian_names") = std::vector<std::string>{}, py::arg("covariate_names") = std::vector<std::string>{})
      .def_property_readonly("rows", &ta::Survey::rows);

  a.def(
      "fit_latent_classes",
      [](const ta::Survey& s, int classes, int starts, int max_iterations, double tolerance, std::uint64_t seed, int threads,
         const std::string& covariance, int screening_iterations, int final_starts, double best_tolerance) {
        ta::LatentClassOptions o = em_options(classes, starts, max_iterations, tolerance, seed, threads, covariance);
        o.screening_iterations = screening_iterations;
        o.final_starts = final_starts;
        o.best_tolerance = best_tolerance;
        ta::LatentClassFit f;
        {
          py::gil_scoped_release release;
          f = ta::fit_latent_classes(s, o);
        }
        return f;
      },
      py::arg("survey"), py::kw_only(), py::arg("classes"), py::arg("starts") = 10, py::arg("max_iterations") = 5000,
      py::arg("tolerance") = 1e-10, py::arg("seed") = 0, py::arg("threads") = 0, py::arg("covariance") = "diagonal",
      py::arg("screening_iterations") = 0, py::arg("final_starts") = 0, py::arg("best_tolerance") = 1e-6,
      "Latent class model by EM from random starts (trustmix::audience::fit_latent_classes); a LatentClassFit.");

  a.def(
      "posterior",
      [](const py::dict& model, const ta::Survey& s, int threads) {
        const auto mm = model_from_dict(model);
        py::gil_scoped_release release;
        return ta::posterior(mm, s, threads);
      },
      py::arg("model"), py::arg("survey"), py::kw_only(), py::arg("threads") = 0,
      "Posterior membership probabilities (n x K).");

  a.def(
      "log_likelihood",
      [](const py::dict& model, const ta::Survey& s) {
        const auto mm = model_from_dict(model);
        py::gil_scoped_release release;
        return ta::log_likelihood(mm, s);
      },
      py::arg("model"), py::arg("survey"), "Weighted log-likelihood of the model on the survey.");

  a.def(
      "score",
      [](const py::dict& model, const ta::Survey& s) {
        const auto mm = model_from_dict(model);
        py::gil_scoped_release release;
        return ta::score(mm, s);
      },
      py::arg("model"), py::arg("survey"), "Gradient of the log-likelihood in the order of pack_parameters.");

  a.def(
      "pack_parameters", [](const py::dict& model) { return ta::pack_parameters(model_from_dict(model)); },
      py::arg("model"));
  a.def(
      "unpack_parameters",
      [](const py::dict& model, const Eigen::VectorXd& v) {
        return model_to_dict(ta::unpack_parameters(model_from_dict(model), v));
      },
      py::arg("model"), py::arg("parameters"));

  a.def(
      "simulate_survey",
      [](const py::dict& model, const ta::Survey& s, std::uint64_t seed) {
        const auto mm = model_from_dict(model);
        ta::Survey out;
        {
          py::gil_scoped_release release;
          out = ta::simulate_survey(mm, s, seed);
        }
        return SimulatedAnswers{std::move(out.items), std::move(out.gaussian)};
      },
      py::arg("model"), py::arg("survey"), py::kw_only(), py::arg("seed") = 0,
      "Answers drawn from the model for the template survey's respondents and missing pattern.");

  a.def(
      "bootstrap_lrt",
      [](const ta::Survey& s, int classes, int replicates, int starts, int max_iterations, double tolerance,
         std::uint64_t seed, int threads, const std::string& covariance) {
        const ta::LatentClassOptions o = em_options(classes, starts, max_iterations, tolerance, seed, threads, covariance);
        ta::BootstrapLrt r;
        {
          py::gil_scoped_release release;
          r = ta::bootstrap_lrt(s, o, replicates);
        }
        return r;
      },
      py::arg("survey"), py::kw_only(), py::arg("classes"), py::arg("replicates") = 99, py::arg("starts") = 5,
      py::arg("max_iterations") = 5000, py::arg("tolerance") = 1e-10, py::arg("seed") = 0, py::arg("threads") = 0,
      py::arg("covariance") = "diagonal", "Parametric bootstrap likelihood-ratio test of classes-1 against classes.");

  a.def(
      "bch",
      [](const ta::RowMatrixXd& posterior, const ta::RowMatrixXd& outcomes, const std::optional<Eigen::VectorXd>& weights) {
        ta::BchResult r;
        {
          py::gil_scoped_release release;
          r = ta::bch(posterior, outcomes, weights ? *weights : Eigen::VectorXd());
        }
        return r;
      },
      py::arg("posterior"), py::arg("outcomes"), py::arg("weights") = py::none(),
      "BCH three-step class-specific outcome means.");

  a.def(
      "three_step",
      [](const ta::RowMatrixXd& posterior, const std::optional<DoubleArray>& covariates,
         const std::optional<Eigen::VectorXd>& outcome, const std::string& outcome_kind, int categories,
         const std::optional<Eigen::VectorXd>& weights, const std::string& assignment, const std::string& correction,
         int max_iterations, double tolerance, std::vector<std::string> covariate_names, std::string outcome_name) {
        ta::StructuralData d;
        d.covariates = to_matrix(covariates, posterior.rows(), "covariates");
        if (outcome) d.outcome = *outcome;
        d.outcome_kind = ta::outcome_kind_from_string(outcome_kind);
        d.categories = categories;
        if (weights) d.weights = *weights;
        d.covariate_names = std::move(covariate_names);
        d.outcome_name = std::move(outcome_name);
        ta::ThreeStepOptions o;
        o.assignment = ta::assignment_from_string(assignment);
        o.correction = ta::correction_from_string(correction);
        o.max_iterations = max_iterations;
        o.tolerance = tolerance;
        ta::ThreeStepResult r;
        {
          py::gil_scoped_release release;
          r = ta::three_step(posterior, d, o);
        }
        return r;
      },
      py::arg("posterior"), py::kw_only(), py::arg("covariates") = py::none(), py::arg("outcome") = py::none(),
      py::arg("outcome_kind") = "none", py::arg("categories") = 0, py::arg("weights") = py::none(),
      py::arg("assignment") = "modal", py::arg("correction") = "ml", py::arg("max_iterations") = 2000,
      py::arg("tolerance") = 1e-10, py::arg("covariate_names") = std::vector<std::string>{},
      py::arg("outcome_name") = "outcome", "Bias-corrected three-step structural model (trustmix::audience::three_step).");

  a.def(
      "to_audiences",
      [](const py::dict& model, const Eigen::VectorXd& shares, double population, std::vector<std::string> names,
         std::vector<std::string> descriptions, const std::optional<std::pair<int, std::vector<int>>>& trust,
         const std::optional<std::pair<int, std::vector<int>>>& sensitivity,
         const std::vector<std::tuple<std::string, int, std::vector<int>>>& channels) {
        ta::PersonaSpec spec;
        spec.population = population;
        spec.names = std::move(names);
        spec.descriptions = std::move(descriptions);
        if (trust) spec.trust = {trust->first, trust->second};
        if (sensitivity) spec.sensitivity = {sensitivity->first, sensitivity->second};
        for (const auto& [ch, item, cats] : channels) spec.channels.push_back({ch, {item, cats}});
        return ta::to_audiences(model_from_dict(model), shares, spec);
      },
      py::arg("model"), py::arg("shares"), py::arg("population"), py::arg("names") = std::vector<std::string>{},
      py::arg("descriptions") = std::vector<std::string>{}, py::arg("trust") = py::none(),
      py::arg("sensitivity") = py::none(),
      py::arg("channels") = std::vector<std::tuple<std::string, int, std::vector<int>>>{},
      "Classes as trustmix.Audience objects (mapping in include/trustmix/audience/personas.hpp).");

  py::class_<ta::ReachCurve>(a, "ReachCurve", "A reach curve (trustmix::audience::ReachCurve).")
      .def(py::init([](const std::string& kind, double population, double reachable, double shape, double shape2) {
             ta::ReachCurve c{ta::reach_kind_from_string(kind), population, reachable, shape, shape2};
             c.validate();
             return c;
           }),
           py::arg("kind"), py::arg("population"), py::arg("reachable") = 1.0, py::arg("shape") = 1.0,
           py::arg("shape2") = 1.0)
      .def_property_readonly("kind", [](const ta::ReachCurve& c) { return std::string(ta::to_string(c.kind)); })
      .def_readonly("population", &ta::ReachCurve::population)
      .def_readonly("reachable", &ta::ReachCurve::reachable)
      .def_readonly("shape", &ta::ReachCurve::shape)
      .def_readonly("shape2", &ta::ReachCurve::shape2)
      .def(
          "reach",
          [](const ta::ReachCurve& c, const Eigen::VectorXd& x) {
            Eigen::VectorXd r(x.size());
            for (Eigen::Index i = 0; i < x.size(); ++i) r[i] = c.reach(x[i]);
            return r;
          },
          py::arg("exposures"))
      .def(
          "reach_capped",
          [](const ta::ReachCurve& c, const Eigen::VectorXd& x, int cap) {
            Eigen::VectorXd r(x.size());
            for (Eigen::Index i = 0; i < x.size(); ++i) r[i] = c.reach_capped(x[i], cap);
            return r;
          },
          py::arg("impressions"), py::arg("cap"))
      .def("frequency", &ta::ReachCurve::frequency, py::arg("exposures"), py::arg("max_frequency"))
      .def("frequency_capped", &ta::ReachCurve::frequency_capped, py::arg("impressions"), py::arg("cap"))
      .def(
          "impressions",
          [](const ta::ReachCurve& c, const Eigen::VectorXd& x) {
            Eigen::VectorXd r(x.size());
            for (Eigen::Index i = 0; i < x.size(); ++i) r[i] = c.impressions(x[i]);
            return r;
          },
          py::arg("exposures"))
      // state (2, {kind, population, reachable, shape, shape2}); version 1 was the flat tuple
      .def(helpers::make_pickle<ta::ReachCurve>("ReachCurve", 2, &curve_to_dict, &curve_from_dict, &curve_from_flat_state));

  a.def(
      "fit_reach_curve",
      [](const std::string& kind, const Eigen::VectorXd& exposures, const Eigen::VectorXd& reach, double population,
         double reachable) {
        ta::ReachFitOptions o;
        o.reachable = reachable;
        const auto k = ta::reach_kind_from_string(kind);
        py::gil_scoped_release release;
        return ta::fit_reach_curve(k, exposures, reach, population, o);
      },
      py::arg("kind"), py::arg("exposures"), py::arg("reach"), py::arg("population"), py::kw_only(),
      py::arg("reachable") = 1.0, "Least-squares fit of a reach curve (reachable=NaN estimates it).");
  a.def(
      "fit_reach_curves",
      [](const std::string& kind, const Eigen::MatrixXd& exposures, const Eigen::MatrixXd& reach,
         const Eigen::VectorXd& population, double reachable, int threads) {
        ta::ReachFitOptions o;
        o.reachable = reachable;
        const auto k = ta::reach_kind_from_string(kind);
        py::gil_scoped_release release;
        return ta::fit_reach_curves(k, exposures, reach, population, o, threads);
      },
      py::arg("kind"), py::arg("exposures"), py::arg("reach"), py::arg("population"), py::kw_only(),
      py::arg("reachable") = 1.0, py::arg("threads") = 0, "Many reach curves (one per row) in parallel.");
  a.def("sainsbury", [](const Eigen::VectorXd& shares) { return ta::sainsbury(shares); }, py::arg("shares"));
  a.def(
      "class_duplication",
      [](const Eigen::VectorXd& shares, const Eigen::MatrixXd& reach) { return ta::class_duplication(shares, reach); },
      py::arg("class_shares"), py::arg("reach"));
}

}  // namespace trustmix::bindings
