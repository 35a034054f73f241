#include "penance/policy.h"

#include <algorithm>

#include "core/error.h"
#include "penance/replay.h"
#include "test_util.h"

namespace vssoff::penance {
namespace {

// Two models (m0: 1 GFLOP/frame, m1: 4) x QPs 30 (400 bytes) and 40 (100 bytes), 4 one-second
// segments of 10 frames. Actions: 0 m0@30, 1 m0@40, 2 m1@30, 3 m1@40. At target 0.8 segment 2
// is infeasible (nothing reaches it), and on segment 3 the link carries 200 bytes.
class Tiny : public ::testing::Test {
 protected:
  Tiny() {
    t.models = {"m0", "m1"}, t.qps = {30, 40}, t.scales = {1};
    for (const auto& m : t.models)
      for (int q : t.qps) t.actions.push_back({m, q, 1});
    const double acc[4][4] = {
        {0.6, 0.5, 0.9, 0.85}, {0.85, 0.82, 0.9, 0.88}, {0.6, 0.5, 0.75, 0.7}, {0.86, 0.84, 0.95, 0.9}};
    for (size_t s = 0; s < 4; ++s) {
      t.frames.push_back(10);
      t.rows.emplace_back();
      for (size_t a = 0; a < 4; ++a)
        t.rows[s].push_back(
            {.bytes = a % 2 ? 100.0 : 400.0, .accuracy = acc[s][a], .gflops = a < 2 ? 1.0 : 4.0, .stats = {double(s)}});
    }
    t.fps = 10;
    w.table = &t;
    w.duration_s = {1, 1, 1, 1};
    w.kbps = {8, 8, 8, 1.6};
    for (size_t s = 0; s < 4; ++s) {
      w.budget_bytes.push_back(w.kbps[s] * 1000 / 8);
      w.cost_gflop.emplace_back();
      for (size_t a = 0; a < 4; ++a) w.cost_gflop[s].push_back(t.rows[s][a].gflops * 10);
      w.profiling_gflop.push_back(10 * 2);  // every action on 2 scored frames
    }
    grid = {t.models, t.qps, t.scales, t.actions};
    e.acc_sd = e.change_sd = {0, 0, 0, 0};
    input.world = &w;
    input.target = 0.8;
    input.start_s = {0, 1, 2, 3};
    input.estimated_kbps = {8, 8, 8, 1.6};
    for (size_t s = 0; s < 4; ++s) input.predicted_bytes.push_back({400, 100, 400, 100});
    input.feasible = feasible_segments(w, 0.8);
    input.idle_margins = {0.02, 0, 0.1};
  }
  std::unique_ptr<Policy> make(const std::string& name, bool with_world = true) {
    return make_policy(
        name, {.params = params, .grid = grid, .estimators = e, .target = 0.8, .world = with_world ? &w : nullptr});
  }
  std::vector<size_t> choices(const std::string& name) {
    auto p = make(name);
    std::vector<size_t> out;
    for (const auto& row : replay_policy(*p, name, input).rows) out.push_back(row.action_idx);
    return out;
  }
  ProfileTable t;
  World w;
  ActionGrid grid;
  Estimators e;
  PolicyParams params;
  ReplayInput input;
};

using Actions = std::vector<size_t>;

TEST_F(Tiny, OracleTakesTheCheapestMeetingBothElseTheMostAccurateThatFits) {
  EXPECT_EQ(input.feasible, (std::vector<bool>{true, true, false, true}));
  EXPECT_EQ(choices("oracle"), (Actions{2, 0, 2, 1}));
}

TEST_F(Tiny, StaticTakesTheActionWithFewestFailuresThenTheCheapest) {
  // m1@40 fails only the infeasible segment; m0@40, cheaper, fails segment 0 too.
  EXPECT_EQ(choices("static"), (Actions{3, 3, 3, 3}));
}

TEST_F(Tiny, LargestAndBandwidthRankQualityByTheEstimatorsProfile) {
  EXPECT_EQ(choices("largest"), (Actions{2, 2, 2, 2}));  // no mean accuracies: the lowest QP
  // AWStream-style: the best quality that fits 90% of the estimate (180 bytes on segment 3).
  EXPECT_EQ(choices("bandwidth"), (Actions{2, 2, 2, 3}));
  e.mean_accuracy = {0.5, 0.5, 0.80, 0.85};  // QP 40 ranks first in training
  EXPECT_EQ(choices("largest"), (Actions{3, 3, 3, 3}));
}

TEST_F(Tiny, ChameleonServesItsLastProfileAndPaysForProfiling) {
  params.reprofile_every = 2;
  auto p = make("chameleon");
  ReplayResult r = replay_policy(*p, "chameleon", input);
  EXPECT_EQ(r.rows[0].action_idx, 2u);                  // profiled: m1 meets the target
  EXPECT_DOUBLE_EQ(r.rows[1].predicted_accuracy, 0.9);  // segment 0's profile, kept
  EXPECT_EQ(r.rows[2].action_idx, 2u);                  // profiled, nothing meets: the most accurate
  EXPECT_DOUBLE_EQ(r.rows[2].predicted_accuracy, 0.75);
  EXPECT_DOUBLE_EQ(r.summary.profiling_cost, 2 * 20);  // segments 0 and 2
  EXPECT_DOUBLE_EQ(r.summary.cost, 4 * 40 + 40);
}

TEST_F(Tiny, PersistencePredictsThePreviousSegmentsTruth) {
  // Segment 1: told segment 0's truth, m1@30 and m1@40 qualify for 0.82; equally cheap, the
  // fewer bytes. Segment 2: by segment 1's truth m0@30 (0.85) qualifies, m0@40 (0.82) not quite.
  EXPECT_EQ(choices("persistence").at(1), 3u);
  EXPECT_EQ(choices("persistence").at(2), 0u);
}

TEST_F(Tiny, PenanceStartsAtTheBestQualityAndItsMarginsFollowMisses) {
  auto p = make("penance");
  DecisionContext c{.segment_idx = 0,
                    .duration_s = 1,
                    .estimated_kbps = 8,
                    .target = 0.8,
                    .predicted_bytes = input.predicted_bytes[0],
                    .cost_gflop = w.cost_gflop[0]};
  Decision d = p->decide(c);
  EXPECT_EQ(d.action_idx, 2u);
  EXPECT_TRUE(std::isnan(d.predicted_accuracy));
  p->observe(
      {.action_idx = 2, .accuracy = 0.7, .bytes = 900, .stats = {}, .accuracy_miss = true, .bandwidth_miss = true});
  EXPECT_NEAR(p->margins()->acc_margin, 0.02 + 0.1 + 0.01, 1e-12);  // by the size of the miss
  EXPECT_NEAR(p->margins()->bw_margin, 0.2, 1e-12);
  EXPECT_EQ(p->margins()->acc_shift, 0);  // no prediction to correct on the first segment
  p->observe({.action_idx = 2, .accuracy = 0.9, .bytes = 100, .stats = {}});
  EXPECT_NEAR(p->margins()->acc_margin, 0.128, 1e-12);
  EXPECT_NEAR(p->margins()->bw_margin, 0.18, 1e-12);
  // With 0.5 kbit/s estimated nothing fits, and the largest model's worst quality goes.
  c.estimated_kbps = 0.5;
  EXPECT_EQ(make("penance")->decide(c).action_idx, 3u);
}

TEST_F(Tiny, BandwidthBoundChoosesTheShareInHindsight) {
  // Budgeting the previous segment's 1000 bytes, segment 3 (200 carried) fails unless the
  // share leaves at most 300 bytes: only 0.3 fails nothing.
  auto p = make("bandwidth-bound");
  const Json s = p->settings();
  EXPECT_DOUBLE_EQ(s.at("share").get<double>(), 0.3);
  EXPECT_EQ(s.at("selection").at("failures").get<int>(), 0);
  EXPECT_EQ(s.at("selection").at("segments").get<int>(), 3);  // the feasible ones
  EXPECT_DOUBLE_EQ(s.at("selection").at("cost_gflop").get<double>(), 40 + 10 + 10);
  EXPECT_DOUBLE_EQ(s.at("selection").at("oracle_cost_gflop").get<double>(), 40 + 10 + 10);
  EXPECT_EQ(choices("bandwidth-bound"), (Actions{3, 1, 3, 1}));
}

TEST_F(Tiny, AccuracyBoundPredictsFromPastTruthAndIgnoresBandwidth) {
  auto p = make("accuracy-bound");
  const Json s = p->settings();
  EXPECT_EQ(s.at("window").get<int>(), 1);  // every setting fails nothing at the same cost: the first
  EXPECT_EQ(s.at("aggregate").get<std::string>(), "mean");
  EXPECT_DOUBLE_EQ(s.at("margin").get<double>(), 0);
  EXPECT_EQ(s.at("selection").at("segments").get<int>(), 3);  // where some action reaches the target
  EXPECT_DOUBLE_EQ(s.at("selection").at("oracle_cost_gflop").get<double>(), 40 + 10 + 10);
  ReplayResult r = replay_policy(*p, "accuracy-bound", input);
  EXPECT_EQ(r.rows[0].action_idx, 2u);  // nothing seen: the most expensive
  EXPECT_EQ(r.rows[2].action_idx, 0u);  // segment 1's truth: m0@30 at 0.85, cheapest
  EXPECT_DOUBLE_EQ(r.rows[2].predicted_accuracy, 0.85);
  EXPECT_TRUE(r.rows[3].bandwidth_miss);  // m1@30's 400 bytes on a 200-byte segment
}

TEST_F(Tiny, RegistryConstructsEveryNameAndRefusesUnknownOnes) {
  for (const auto& info : policy_registry()) {
    EXPECT_FALSE(info.description.empty()) << info.name;
    EXPECT_NE(make(info.name), nullptr) << info.name;
    if (info.needs_world)
      EXPECT_THROW(make(info.name, false), UsageError) << info.name;
    else
      EXPECT_NE(make(info.name, false), nullptr) << info.name;
  }
  EXPECT_EQ(policy_names(true),
            (std::vector<std::string>{"penance", "oracle", "static", "bandwidth", "largest", "chameleon"}));
  try {
    find_policy("greedy");
    FAIL() << "no UsageError";
  } catch (const UsageError& err) {
    const std::string what = err.what();
    EXPECT_NE(what.find("\"greedy\""), std::string::npos) << what;
    for (const auto& name : policy_names()) EXPECT_NE(what.find(name), std::string::npos) << what;
  }
}

// Records what the loop tells it; always serves action 1.
class Recorder : public Policy {
 public:
  Decision decide(const DecisionContext& c) override {
    EXPECT_EQ(c.segment_idx, log.size());  // decide, observe, decide, ...
    contexts.push_back(c);
    log.push_back('d');
    return {.action_idx = 1, .extra_cost_gflop = 1};
  }
  void observe(const Outcome& o) override {
    outcomes.push_back(o);
    log.back() = 'o';
  }
  std::vector<DecisionContext> contexts;
  std::vector<Outcome> outcomes;
  std::string log;
};

TEST_F(Tiny, ReplayDecidesThenObservesEachSegmentAndScoresWithTheTruth) {
  Recorder p;
  input.estimated_kbps = {8, 7, 6, 5};
  ReplayResult r = replay_policy(p, "rec", input);
  EXPECT_EQ(p.log, "oooo");
  ASSERT_EQ(p.contexts.size(), 4u);
  EXPECT_DOUBLE_EQ(p.contexts[2].estimated_kbps, 6);
  EXPECT_DOUBLE_EQ(p.contexts[2].duration_s, 1);
  EXPECT_DOUBLE_EQ(p.contexts[2].target, 0.8);
  EXPECT_EQ(p.contexts[2].predicted_bytes.size(), 4u);
  EXPECT_DOUBLE_EQ(p.contexts[2].cost_gflop[2], 40);
  EXPECT_DOUBLE_EQ(p.outcomes[2].accuracy, 0.5);
  EXPECT_DOUBLE_EQ(p.outcomes[2].stats[0], 2);  // the served segment's statistics
  EXPECT_TRUE(p.outcomes[2].accuracy_miss);
  EXPECT_FALSE(p.outcomes[3].bandwidth_miss);
  // Segment 0 (0.5) and 2 (0.5) miss the target; 2 is infeasible.
  EXPECT_EQ(r.summary.failures, 2);
  EXPECT_EQ(r.summary.feasible_segments, 3);
  EXPECT_EQ(r.summary.feasible_failures, 1);
  EXPECT_EQ(r.summary.bytes, 400);
  EXPECT_DOUBLE_EQ(r.summary.profiling_cost, 4);
  EXPECT_DOUBLE_EQ(r.summary.cost, 4 * 10 + 4);
  EXPECT_DOUBLE_EQ(r.summary.mean_accuracy, (0.5 + 0.82 + 0.5 + 0.84) / 4);
  EXPECT_DOUBLE_EQ(r.rows[1].margins.bw_margin, 0.1);  // no margins: plan's starting ones
  EXPECT_DOUBLE_EQ(r.rows[3].budget_bytes, 200);
}

}  // namespace
}  // namespace vssoff::penance
