// Per-segment offloading policies behind one interface, and their registry by name.
//
// A policy chooses, before each segment is sent, one action (server model x QP x scale) of
// the table's grid. The driver (replay_policy in penance/replay.h offline; a live replay of
// camera and server processes later) calls, for segments 0, 1, 2, ... in order:
//   decide(context)   what every policy may know before sending the segment: its index and
//                     duration, the sender's bandwidth estimate, the camera's predicted bytes
//                     and the server cost of every action, the target;
//   observe(outcome)  what the server then measured of the segment it was sent: the served
//                     action's true accuracy and bytes, its softmax statistics, the misses.
// A policy keeps whatever state it learns between the two (penance's margins and shift).
//
// Policies that may know more than that (the oracle, hindsight choices, Chameleon's
// profiling, the bounds) are given it at construction, explicitly, as a World: the truth of
// the replayed video and link. Each factory below (penance/policies.cc) passes its policy
// only the parts it reads, so a reader sees what each one peeks at. A live replay has no
// World; there only the policies with `needs_world` false can run.
//
// Policies are single-threaded objects; one object serves one run (one video, link and
// target) from segment 0.
#pragma once

#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/manifest.h"
#include "link/policy.h"
#include "penance/estimators.h"

namespace vssoff::penance {

// The interface itself is the link domain's (link/policy.h), shared with every system that
// decides what to send; penance names it here.
using link::Decision;
using link::DecisionContext;
using link::Margins;
using link::Outcome;
using link::Policy;

// The truth of one replay: the table's true outcomes and the link's true rate. Only the
// policies allowed privileged knowledge read it.
struct World {
  const ProfileTable* table = nullptr;          // true accuracy, bytes, GFLOPs and statistics [segment][action]
  std::vector<double> duration_s;               // of each segment
  std::vector<double> kbps;                     // the link's mean rate over each segment
  std::vector<double> budget_bytes;             // bytes it carries during each segment
  std::vector<std::vector<double>> cost_gflop;  // server cost [segment][action]: GFLOPs/frame x frames
  std::vector<double> profiling_gflop;          // every action on each segment's scored frames (Chameleon's price)
  size_t segments() const { return cost_gflop.size(); }
  size_t actions() const { return table->actions.size(); }
  double accuracy(size_t s, size_t a) const { return table->rows[s][a].accuracy; }
  double bytes(size_t s, size_t a) const { return table->rows[s][a].bytes; }
};

// The action grid, which every policy knows: models (cheapest first) x QPs x scales.
struct ActionGrid {
  std::vector<std::string> models;
  std::vector<int> qps;
  std::vector<double> scales;
  std::vector<Action> actions;
  size_t largest_first() const { return (models.size() - 1) * qps.size() * scales.size(); }
};

// Plan options the policies read (PlanOptions in plan.h has their meaning).
struct PolicyParams {
  double acc_margin = 0.02, bw_margin = 0.1, acc_feedback = 0.5, confidence = 1;
  int reprofile_every = 10;
};

struct PolicySetup {
  const PolicyParams& params;
  const ActionGrid& grid;
  const Estimators& estimators;  // trained offline on other videos: every policy may use them
  double target = 0;
  const World* world = nullptr;  // the truth; null in a live replay
};

struct PolicyInfo {
  std::string name;
  std::string description;  // one line
  bool by_default = false;  // in plan's default --policies
  bool needs_world = false;
  std::function<std::unique_ptr<Policy>(const PolicySetup&)> make;
};

const std::vector<PolicyInfo>& policy_registry();  // in the order plan lists them
// UsageError naming the known policies when there is no such name.
const PolicyInfo& find_policy(const std::string& name);
std::vector<std::string> policy_names(bool defaults_only = false);
// find_policy(name).make(setup); UsageError when the policy needs a World and has none.
std::unique_ptr<Policy> make_policy(const std::string& name, const PolicySetup& setup);

// Penance's choice for one segment, given every action's predicted accuracy, the spread of
// its prediction error, predicted bytes and server cost: the cheapest action (then the fewest
// bytes) with bytes <= limit and accuracy - confidence x spread >= needed; none: the one
// within the limit with the highest accuracy - confidence x spread; none within it: the
// fewest bytes.
size_t penance_choice(const std::vector<double>& pred_acc, const std::vector<double>& sd,
                      const std::vector<double>& pred_bytes, const std::vector<double>& cost, double limit,
                      double needed, double confidence);

// The largest model's (QP, scale) settings (indices qi x scales + si), best quality first: by
// their mean accuracy in training (the estimators' offline profile, as AWStream ranks
// configurations), else by lowest QP, then largest scale.
std::vector<size_t> quality_order(const ActionGrid& grid, const Estimators& estimators);

}  // namespace vssoff::penance
