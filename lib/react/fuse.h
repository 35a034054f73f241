// `vssoff fuse`: REACT's fusion (react/fusion.h) of an edge and a cloud detections artefact
// (react/detections.h) over their video, with the two baselines in the same run:
//   react       edge results every k frames and cloud results d frames late, fused;
//   edge-only   the edge results alone, tracked in between;
//   cloud-only  the cloud results alone, fast-forwarded on arrival, tracked in between.
// `methods` selects which of the three run and are written (all three by default: B10's
// evaluation; a deployment runs react alone). One decode of the video feeds them all (one
// tracker conversion per frame, shared).
//
// Threading: `threads` (0: the thread budget, core/threads.h) = 1 runs everything on the
// calling thread, one frame at a time. Otherwise the selected modes are dealt round-robin
// to min(modes, threads) worker threads (react alone on 2 threads: one worker tracking
// while the calling thread decodes and builds the next frames' pyramids), each with its own trackers and its own
// FrameBuffer of the shared, immutable decoded frames (shared pointers: a frame lives while any worker's buffer holds
// it, so none is overwritten while read); the calling thread decodes and feeds every worker through a queue of
// kQueueFrames, blocking while any is full (memory stays bounded by buffer + queue frames). Each mode sees the same
// frames and results in the same order on any thread count, so the outputs are byte-identical between --threads 1 and
// N.
//
// Cloud delay: delay_frames for every cloud result, or a delays CSV with the columns
// frame,delay_frames or frame,delay_s (seconds, converted with the video's fps and rounded up
// to whole frames), one row per cloud frame (more rows are ignored; a cloud frame without
// one is an InputError). The result of frame s arrives at frame s + d, before that frame's
// output; a result arriving after the last frame is dropped (counted). A delay that does not
// fit the frame buffer (d >= buffer_frames) is a UsageError up front, unless
// allow_short_buffer (react/fusion.h).
//
// Output directory (atomic; an existing one only with force):
//   OUT/react/{detections.json, manifest.json}      detections artefacts ("frames" = every
//   OUT/edge-only/..., OUT/cloud-only/...           frame: fused results exist for each),
//                                                   those of the selected methods only
//   OUT/manifest.json   "vssoff.fusion" v1: params (methods, k and m as the input manifests
//                       say, the delay or delays file, tracker, iou, decay, min score,
//                       buffer), counts (per mode: objects, tracker updates and failures;
//                       cloud results arrived and dropped), timing (frames/s of the whole
//                       loop, decode included; tracker seconds per mode; threads)
//   OUT/overlay/NNNNNN.png  with overlay_every: react's boxes over the frame, orange where
//                       the class came from the cloud, cyan where only the edge saw it
//
// Checks (InputError naming the file and the value): each artefact as read_detections does;
// edge, cloud and the video the same (the recorded video sha256 against each other and the
// video's, size and frame count); categories of the same id named alike.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/manifest.h"
#include "react/fusion.h"

namespace vssoff::react {

inline constexpr int kFusionVersion = 1;
inline constexpr const char* kFuseMethods[] = {"react", "edge-only", "cloud-only"};
inline constexpr int kQueueFrames = 8;  // decoded frames queued per worker thread

struct FuseOptions {
  std::string edge, cloud;    // detections directories
  std::string video;          // the video both ran on
  std::string output;         // directory to write
  int64_t delay_frames = -1;  // cloud delay in frames; -1: from `delays`
  std::string delays;         // CSV frame,delay_frames or frame,delay_s
  FusionOptions fusion;
  std::vector<std::string> methods = {"react", "edge-only", "cloud-only"};  // a subset, any order
  int threads = 0;        // worker threads; 0 = the thread budget (core/threads.h)
  int overlay_every = 0;  // write an overlay PNG every N frames of react (needs react); 0 = none
  bool force = false;
  void check() const;  // UsageError naming the option
};

struct ModeSummary {
  std::string mode;   // react, edge-only, cloud-only
  int64_t boxes = 0;  // written, all frames
  FusionStats stats;
};

struct FuseResult {
  int64_t frames = 0;
  int threads = 1;  // threads used: 1 (all on the calling thread), or the workers + the decoding one
  double seconds = 0, frames_per_s = 0, tracker_s = 0;
  int64_t cloud_arrived = 0, cloud_dropped = 0;
  std::vector<ModeSummary> modes;  // the selected ones, in kFuseMethods order
  Json manifest;
};

FuseResult fuse(const FuseOptions& options);

// Cloud frame -> delay in frames, from a delays CSV (fps converts delay_s).
std::map<int64_t, int64_t> read_delays(const std::string& path, double fps);

}  // namespace vssoff::react
