// REACT's fusion of edge and cloud detections (Ghosh et al., "REACT: Streaming Video
// Analytics On The Edge With Asynchronous Cloud Support", IoTDI 2023; the rules as the VATE
// re-implementation states them, shared/papers/react.md). Torch-free.
//
// A Fusion keeps the current objects of one video and is driven frame by frame, in order:
//  1. track(t): every object's tracker moves it from t-1 to t. A failed update keeps the box
//     and multiplies the score by `decay`; an object under `min_score`, or whose box left
//     the frame, is removed. Boxes are kept clipped to the frame.
//  2. edge(t, result), when the edge detector ran on t: the objects are matched to the edge
//     boxes (react/hungarian.h, IoU >= iou_threshold). A match takes the edge box and score
//     (fresher) and keeps the cloud's class if it has one; an unmatched edge box is a new
//     object; an unmatched object is dropped (it survives only while an edge box confirms
//     it). An EMPTY result does not wipe the objects: they are kept and decay once (x decay).
//  3. cloud(s, result), when a cloud result computed on frame s arrives at t (the newest
//     buffered frame): every cloud box is fast-forwarded, a tracker started on frame s itself
//     and updated over s+1..t (a failure holds the box and decays the score per frame); then
//     matched to the objects. A match takes the cloud class and score, and the box of the
//     fresher side: the object's if an edge detection refreshed it after s, else the
//     fast-forwarded one (and its tracker). An unmatched cloud box is a new object. An
//     unmatched object whose latest evidence is an edge detection is kept; one whose latest
//     evidence is an older cloud result is dropped (superseded; this is what makes cloud-only
//     replace its stale set on each arrival). A result older than one already fused
//     (out-of-order arrival) is ignored and counted.
//  4. output(): the objects with score >= min_score.
// Decay (the paper's "a tracker failure or a low-score object decays its score x0.8 per
// frame until it is removed"): here a failure of the object's tracker and an empty edge
// result decay it; a live tracker keeps the score of the last detection.
// Edge-only is a Fusion given only edge results, cloud-only one given only cloud results.
//
// Frame s must still be in the FrameBuffer (the current frame and buffer_frames - 1 before
// it): otherwise UsageError, or with allow_short_buffer the fast-forward starts from the
// oldest buffered frame (the tracker then starts on a frame where the object was elsewhere:
// approximate, counted in FusionStats::short_buffer).
// Not thread-safe; distinct Fusions may run on distinct threads, each over its own FrameBuffer
// (the frames themselves may be shared).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "react/detections.h"
#include "react/tracker.h"

namespace vssoff::react {

struct FusionOptions {
  std::string tracker = kDefaultTracker;  // registered name (react/tracker.h)
  double iou_threshold = 0.5;             // least IoU of a match, in (0, 1]
  double decay = 0.8;                     // score factor per frame of tracker failure, in (0, 1]
  double min_score = 0.1;                 // objects under it are removed, in [0, 1)
  int buffer_frames = 64;                 // frames kept for fast-forwarding, the current one included
  bool allow_short_buffer = false;        // fast-forward from the oldest frame when s is gone
  // Score fusion options (not in the reference, which is the default; both touch only
  // objects with cloud evidence, so the edge-only and cloud-only baselines are unchanged):
  // keep_unconfirmed: at an edge result, an unmatched object whose latest evidence is a cloud
  //   result is kept (its score decays once) instead of dropped; a weak edge detector that
  //   misses what the cloud saw then does not erase it.
  // matched_score "max": an edge box matched to an object with a cloud class keeps the
  //   higher of the two scores ("arrived", the reference: the edge's).
  bool keep_unconfirmed = false;
  std::string matched_score = "arrived";
  void check() const;  // UsageError naming the option, bound and value
};

// The most recent frames, by index (indices pushed in order, one apart). Frames are held by
// shared pointer: several buffers (one per thread of `fuse`) may hold the same immutable
// frame, which lives while any of them does.
class FrameBuffer {
 public:
  explicit FrameBuffer(int capacity) : capacity_(capacity) {}
  void push(TrackImage frame, int64_t index);
  void push(std::shared_ptr<const TrackImage> frame, int64_t index);
  bool has(int64_t index) const { return !frames_.empty() && index >= oldest() && index <= newest(); }
  const TrackImage& at(int64_t index) const;  // RuntimeError when not buffered
  int64_t oldest() const { return newest_ - static_cast<int64_t>(frames_.size()) + 1; }
  int64_t newest() const { return newest_; }

 private:
  int capacity_;
  std::deque<std::shared_ptr<const TrackImage>> frames_;
  int64_t newest_ = -1;
};

struct FusionStats {
  int64_t objects_created = 0, edge_results = 0, empty_edge_results = 0, cloud_results = 0;
  int64_t cloud_out_of_order = 0, short_buffer = 0;
  int64_t tracker_inits = 0, tracker_updates = 0, tracker_failures = 0;
  double tracker_s = 0;  // time in tracker init and update
};

struct FusedObject {
  int64_t id = 0;  // in creation order, from 1
  Detection det;
  bool cloud_class = false;  // the class came from the cloud
  int64_t edge_frame = -1;   // last frame an edge box refreshed it (-1: never)
  int64_t cloud_frame = -1;  // frame s of the last cloud result that refreshed it
  std::unique_ptr<Tracker> tracker;
};

class Fusion {
 public:
  Fusion(FusionOptions options, const FrameBuffer& frames);
  void track(int64_t t);  // frames.newest() == t
  void edge(int64_t t, const std::vector<Detection>& result);
  void cloud(int64_t s, const std::vector<Detection>& result);
  std::vector<Detection> output() const;
  const std::vector<FusedObject>& objects() const { return objects_; }
  const FusionStats& stats() const { return stats_; }

 private:
  FusedObject make_object(const Detection& det, int64_t frame);  // tracker started on `frame`
  void start(Tracker& tracker, int64_t frame, const Rect& box);
  std::optional<Rect> step(Tracker& tracker, int64_t frame);
  void remove_weak();

  FusionOptions opt_;
  const FrameBuffer& frames_;
  TrackerInfo tracker_;  // a copy: the registry may grow
  std::vector<FusedObject> objects_;
  FusionStats stats_;
  int64_t next_id_ = 1, last_cloud_frame_ = -1;
};

}  // namespace vssoff::react
