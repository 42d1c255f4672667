#pragma once
// Personas: latent classes exported as the simulator's trustmix::Audience (one persona
// type across trustmix). The mapping of every Audience field:
//   name                  persona name (given, or "Persona k")
//   size                  population x class share, rounded to whole people (the simulator's unit)
//   baseline_trust        P(trust item in its "trusting" categories | class); 0.5 without a trust item
//   trust_sensitivity     P(sensitivity item in its categories | class) / P(same | everyone)
//                         (1 = average; 1 without a sensitivity item)
//   base_conversion_rate  0 (a survey does not measure it; set it from data)
//   value_per_conversion  0 (likewise)
//   reach[channel]        P(channel item in its "uses" categories | class), the share of the
//                         persona the channel can reach
//   affinity[channel]     reach[channel] / (population-average reach of the channel)
//                         (relative use: 1 = average, > 1 over-indexes)
//   tags                  source=latent_classes, class=<k>, share=<share>, plus the description
#include <Eigen/Core>

#include <cmath>
#include <string>
#include <vector>

#include "trustmix/audience/latent_class.hpp"
#include "trustmix/core/domain.hpp"

namespace trustmix::audience {

/// An item with the categories that count ("uses the channel", "trusts the brand").
struct ItemCategories {
  int item = -1;                ///< item index in the survey
  std::vector<int> categories;  ///< categories that count
};

/// How latent classes become Audience objects.
struct PersonaSpec {
  double population = 0.0;                     ///< people the (weighted) survey represents
  std::vector<std::string> names;              ///< K names, or empty for "Persona k"
  std::vector<std::string> descriptions;       ///< K one-line descriptions, or empty
  ItemCategories trust;                        ///< item = -1: no trust item
  ItemCategories sensitivity;                  ///< item = -1: no sensitivity item
  std::vector<std::pair<std::string, ItemCategories>> channels;  ///< channel name -> use item
};

namespace detail {
inline Eigen::VectorXd item_share(const LatentClassModel& m, const ItemCategories& ic, const std::string& what) {
  if (ic.item < 0 || ic.item >= m.n_items())
    fail(what, ": item ", ic.item, " is not one of the model's ", m.n_items(), " items");
  if (ic.categories.empty()) fail(what, ": no categories given");
  const auto& th = m.item_probabilities[static_cast<std::size_t>(ic.item)];
  Eigen::VectorXd p = Eigen::VectorXd::Zero(m.classes);
  for (const int c : ic.categories) {
    if (c < 0 || c >= th.cols()) fail(what, ": category ", c, " is not one of the item's ", th.cols(), " categories");
    p += th.col(c);
  }
  return p;
}
}  // namespace detail

/// The classes of a fit as Audience objects (see the mapping at the top of this file).
[[nodiscard]] inline std::vector<Audience> to_audiences(const LatentClassModel& m, const Eigen::VectorXd& class_shares,
                                                        const PersonaSpec& spec) {
  trustmix::detail::require_positive(spec.population, "population");
  const int K = m.classes;
  if (class_shares.size() != K) fail("class_shares has ", class_shares.size(), " entries, the model ", K, " classes");
  if (!spec.names.empty() && static_cast<int>(spec.names.size()) != K)
    fail("names has ", spec.names.size(), " entries, there are ", K, " classes");
  if (!spec.descriptions.empty() && static_cast<int>(spec.descriptions.size()) != K)
    fail("descriptions has ", spec.descriptions.size(), " entries, there are ", K, " classes");
  Eigen::VectorXd trust = Eigen::VectorXd::Constant(K, 0.5);
  if (spec.trust.item >= 0) trust = detail::item_share(m, spec.trust, "trust");
  Eigen::VectorXd sens = Eigen::VectorXd::Ones(K);
  if (spec.sensitivity.item >= 0) {
    const Eigen::VectorXd p = detail::item_share(m, spec.sensitivity, "sensitivity");
    const double avg = class_shares.dot(p);
    if (!(avg > 0.0)) fail("sensitivity: nobody is in the given categories");
    sens = p / avg;
  }
  std::vector<Eigen::VectorXd> reach;
  std::vector<double> avg_reach;
  for (const auto& [ch, ic] : spec.channels) {
    reach.push_back(detail::item_share(m, ic, "channel '" + ch + "'"));
    avg_reach.push_back(class_shares.dot(reach.back()));
  }
  std::vector<Audience> out;
  for (int k = 0; k < K; ++k) {
    const auto kk = static_cast<std::size_t>(k);
    std::map<std::string, double> r, a;
    for (std::size_t c = 0; c < spec.channels.size(); ++c) {
      r[spec.channels[c].first] = std::clamp(reach[c][k], 0.0, 1.0);
      a[spec.channels[c].first] = avg_reach[c] > 0.0 ? reach[c][k] / avg_reach[c] : 0.0;
    }
    Metadata tags{{"source", "latent_classes"}, {"class", std::to_string(k)}, {"share", format_message(class_shares[k])}};
    if (!spec.descriptions.empty()) tags["description"] = spec.descriptions[kk];
    out.emplace_back(spec.names.empty() ? "Persona " + std::to_string(k + 1) : spec.names[kk],
                     std::round(spec.population * class_shares[k]), std::clamp(trust[k], 0.0, 1.0), std::move(r),
                     std::move(a), std::move(tags), sens[k]);
  }
  return out;
}

}  // namespace trustmix::audience
