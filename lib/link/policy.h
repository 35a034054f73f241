// The interface of an offloading policy, whatever the system: before each unit of video is
// sent (a segment for Penance, a frame for CBO), the driver asks the policy which of a fixed
// set of actions to take (what to send, how compressed, to which server model), from what a
// sender may know then; after the server has served it, the driver tells the policy what
// the server measured. The same objects run offline (a system's replay over profiled
// outcomes, e.g. penance/replay.h) and live (the replay of camera and server processes).
//
// The driver calls, for units 0, 1, 2, ... in order:
//   decide(context)   the unit's index and duration, the sender's bandwidth estimate, the
//                     camera's predicted bytes and the server cost of every action, the target;
//   observe(outcome)  the served action's true accuracy and bytes, the server's statistics,
//                     the misses.
// Live, outcomes lag: a unit may be decided before the outcomes of the units before it have
// come back (they are observed later, still in order), so a policy decides from what it has
// observed so far, and matches an outcome to its unit by segment_idx.
// Anything a policy may know beyond the context (an oracle's truth, a hindsight choice) it
// is given at construction by its system's factory, explicitly. Policies are
// single-threaded; one object serves one run from unit 0. Torch-free.
#pragma once

#include <cmath>
#include <cstddef>
#include <optional>
#include <span>

#include "core/manifest.h"

namespace vssoff::link {

// What a policy may know when it decides a unit (a segment, or a frame).
struct DecisionContext {
  size_t segment_idx = 0;
  double duration_s = 0;
  double estimated_kbps = 0;                // the sender's estimate of the rate during the segment
  double target = 0;                        // accuracy (mIoU) target
  std::span<const double> predicted_bytes;  // per action: the camera's prediction of its bytes
  std::span<const double> cost_gflop;       // per action: the server's cost of it on this segment
  // Bytes that `kbps` carries over the segment.
  double budget_bytes(double kbps) const { return kbps * 1000 / 8 * duration_s; }
};

struct Decision {
  size_t action_idx = 0;
  double predicted_accuracy = NAN;  // of the chosen action, when the policy predicts one
  double predicted_bytes = NAN;     // of the chosen action, when the policy knows better than the
                                    // camera (Chameleon on a profiled segment); NaN: the camera's
  double extra_cost_gflop = 0;      // server work beyond serving the segment (Chameleon's profiling)
};

// What the server measured of the segment it was sent.
struct Outcome {
  size_t segment_idx = 0, action_idx = 0;
  double accuracy = 0, bytes = 0;
  std::span<const double> stats;  // the server's confidence statistics of what it served (Penance:
                                  // the softmax statistics, penance/profile.h's columns)
  bool accuracy_miss = false;     // accuracy < target
  bool bandwidth_miss = false;    // more bytes than the link carried during the segment
};

// A policy's adaptive margins after a decision, for the per-decision log (Penance's; most
// policies have none).
struct Margins {
  double acc_margin = 0, acc_shift = 0, bw_margin = 0;
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual Decision decide(const DecisionContext& context) = 0;
  virtual void observe(const Outcome& /*outcome*/) {}
  // The margins the last decision used; nullopt for a policy without any.
  virtual std::optional<Margins> margins() const { return std::nullopt; }
  // Settings the policy chose for itself (the bounds' hindsight choices), for the summary;
  // null when there are none.
  virtual Json settings() const { return nullptr; }
};

}  // namespace vssoff::link
