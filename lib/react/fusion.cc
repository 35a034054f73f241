#include "react/fusion.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"

namespace vssoff::react {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::vector<Rect> boxes_of(const std::vector<FusedObject>& objects) {
  std::vector<Rect> r;
  for (const FusedObject& o : objects) r.push_back(o.det.box);
  return r;
}
std::vector<Rect> boxes_of(const std::vector<Detection>& dets) {
  std::vector<Rect> r;
  for (const Detection& d : dets) r.push_back(d.box);
  return r;
}
}  // namespace

void FusionOptions::check() const {
  tracker_info(tracker);
  vssoff::check<UsageError>(iou_threshold > 0 && iou_threshold <= 1, "iou must be in (0, 1] (got ", iou_threshold, ")");
  vssoff::check<UsageError>(decay > 0 && decay <= 1, "decay must be in (0, 1] (got ", decay, ")");
  vssoff::check<UsageError>(min_score >= 0 && min_score < 1, "min-score must be in [0, 1) (got ", min_score, ")");
  vssoff::check<UsageError>(buffer_frames >= 1, "buffer must be at least 1 frame (got ", buffer_frames, ")");
  vssoff::check<UsageError>(matched_score == "arrived" || matched_score == "max",
                            "matched-score must be arrived or max (got ", matched_score, ")");
}

void FrameBuffer::push(TrackImage frame, int64_t index) {
  push(std::make_shared<const TrackImage>(std::move(frame)), index);
}

void FrameBuffer::push(std::shared_ptr<const TrackImage> frame, int64_t index) {
  if (newest_ >= 0 && index != newest_ + 1)
    throw RuntimeError(cat("frame buffer: frame ", index, " pushed after ", newest_));
  frames_.push_back(std::move(frame));
  if (static_cast<int>(frames_.size()) > capacity_) frames_.pop_front();
  newest_ = index;
}

const TrackImage& FrameBuffer::at(int64_t index) const {
  if (!has(index))
    throw RuntimeError(cat("frame buffer: frame ", index, " is not buffered (", oldest(), "..", newest(), ")"));
  return *frames_[static_cast<size_t>(index - oldest())];
}

Fusion::Fusion(FusionOptions options, const FrameBuffer& frames)
    : opt_(std::move(options)), frames_(frames), tracker_(tracker_info(opt_.tracker)) {
  opt_.check();
}

void Fusion::start(Tracker& tracker, int64_t frame, const Rect& box) {
  const auto t0 = Clock::now();
  tracker.init(frames_.at(frame), box);
  stats_.tracker_s += seconds_since(t0);
  ++stats_.tracker_inits;
}

std::optional<Rect> Fusion::step(Tracker& tracker, int64_t frame) {
  const auto t0 = Clock::now();
  std::optional<Rect> box = tracker.update(frames_.at(frame));
  stats_.tracker_s += seconds_since(t0);
  ++stats_.tracker_updates;
  if (!box) ++stats_.tracker_failures;
  return box;
}

FusedObject Fusion::make_object(const Detection& det, int64_t frame) {
  FusedObject o;
  o.id = next_id_++;
  o.det = det;
  o.tracker = tracker_.make();
  start(*o.tracker, frame, det.box);
  return o;
}

void Fusion::remove_weak() {
  const TrackImage& now = frames_.at(frames_.newest());
  for (FusedObject& o : objects_) o.det.box = clip_to(o.det.box, now.width(), now.height());
  std::erase_if(objects_, [&](const FusedObject& o) { return o.det.score < opt_.min_score || o.det.box.area() <= 0; });
}

void Fusion::track(int64_t t) {
  check<RuntimeError>(frames_.newest() == t, "fusion: track(", t, ") but the newest frame is ", frames_.newest());
  if (t == 0) return;  // nothing was seen before the first frame
  for (FusedObject& o : objects_) {
    if (std::optional<Rect> box = step(*o.tracker, t))
      o.det.box = *box;
    else
      o.det.score *= opt_.decay;
  }
  remove_weak();
}

void Fusion::edge(int64_t t, const std::vector<Detection>& result) {
  ++stats_.edge_results;
  if (result.empty()) {  // the detector saw nothing: not trusted to wipe every object
    ++stats_.empty_edge_results;
    for (FusedObject& o : objects_) o.det.score *= opt_.decay;
    remove_weak();
    return;
  }
  const auto pairs = match_by_iou(boxes_of(objects_), boxes_of(result), opt_.iou_threshold);
  std::vector<bool> edge_matched(result.size(), false);
  std::vector<FusedObject> next;
  for (auto [i, j] : pairs) {
    FusedObject& o = objects_[i];
    const Detection& d = result[j];
    o.det.box = d.box;
    o.det.score = o.cloud_class && opt_.matched_score == "max" ? std::max(o.det.score, d.score) : d.score;
    if (!o.cloud_class) o.det.category_id = d.category_id;
    o.edge_frame = t;
    start(*o.tracker, t, d.box);
    edge_matched[j] = true;
    next.push_back(std::move(o));
  }
  for (size_t j = 0; j < result.size(); ++j)
    if (!edge_matched[j]) {
      next.push_back(make_object(result[j], t));
      next.back().edge_frame = t;
      ++stats_.objects_created;
    }
  if (opt_.keep_unconfirmed) {  // unmatched objects the cloud saw last: kept, decayed once
    std::vector<bool> matched(objects_.size(), false);
    for (auto [i, j] : pairs) matched[i] = true;
    for (size_t i = 0; i < objects_.size(); ++i)
      if (!matched[i] && objects_[i].cloud_frame > objects_[i].edge_frame) {
        objects_[i].det.score *= opt_.decay;
        next.push_back(std::move(objects_[i]));
      }
  }
  objects_ = std::move(next);  // the other unmatched objects are dropped
  remove_weak();
}

void Fusion::cloud(int64_t s, const std::vector<Detection>& result) {
  const int64_t t = frames_.newest();
  check<RuntimeError>(s <= t, "fusion: cloud result of frame ", s, " before it was captured (now ", t, ")");
  if (s <= last_cloud_frame_) {  // a newer one is fused already
    ++stats_.cloud_out_of_order;
    return;
  }
  int64_t from = s;
  if (!frames_.has(s)) {
    check<UsageError>(opt_.allow_short_buffer, "a cloud result of frame ", s, " arrives at frame ", t, " (delay ",
                      t - s, " frames), but the frame buffer keeps only ", opt_.buffer_frames,
                      " frames (--buffer): raise it, or pass --allow-short-buffer");
    from = frames_.oldest();
    ++stats_.short_buffer;
  }
  last_cloud_frame_ = s;
  ++stats_.cloud_results;
  // Fast-forward: start on frame s itself (the frame the cloud saw), then s+1..t.
  std::vector<FusedObject> arrived;
  for (const Detection& d : result) {
    FusedObject c = make_object(d, from);
    c.cloud_class = true;
    c.cloud_frame = s;
    bool lost = false;
    for (int64_t f = from + 1; f <= t; ++f) {
      std::optional<Rect> box = lost ? std::nullopt : step(*c.tracker, f);
      if (box)
        c.det.box = *box;
      else
        lost = true, c.det.score *= opt_.decay;
    }
    arrived.push_back(std::move(c));
  }
  const auto pairs = match_by_iou(boxes_of(objects_), boxes_of(arrived), opt_.iou_threshold);
  std::vector<bool> object_matched(objects_.size(), false), cloud_matched(arrived.size(), false);
  std::vector<FusedObject> next;
  for (auto [i, j] : pairs) {
    FusedObject& o = objects_[i];
    FusedObject& c = arrived[j];
    o.det.category_id = c.det.category_id;
    o.det.score = c.det.score;
    o.cloud_class = true;
    o.cloud_frame = s;
    if (o.edge_frame <= s) {  // the edge has not seen it since frame s: the fast-forwarded box is fresher
      o.det.box = c.det.box;
      o.tracker = std::move(c.tracker);
    }
    object_matched[i] = cloud_matched[j] = true;
  }
  for (size_t i = 0; i < objects_.size(); ++i) {
    const FusedObject& o = objects_[i];
    if (object_matched[i] || o.edge_frame > o.cloud_frame) next.push_back(std::move(objects_[i]));
  }
  for (size_t j = 0; j < arrived.size(); ++j)
    if (!cloud_matched[j]) {
      next.push_back(std::move(arrived[j]));
      ++stats_.objects_created;
    }
  objects_ = std::move(next);
  remove_weak();
}

std::vector<Detection> Fusion::output() const {
  std::vector<Detection> out;
  for (const FusedObject& o : objects_)
    if (o.det.score >= opt_.min_score) out.push_back(o.det);
  return out;
}

}  // namespace vssoff::react
