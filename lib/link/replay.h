// `vssoff replay`: the edge role. Reads a video as a camera would capture it (frame i at
// i / fps seconds after the start, or as fast as the pipeline goes with `fast`), cuts it into
// segments, hands each to a system's camera-side loop (CameraLoop: what to encode and send),
// sends it through link/client.h to a server (or a `vssoff link` in front of one), and
// records what really happened to every segment and frame.
//
// Queue rule: a segment is handed to the network only while fewer than max_queue segments
// are waiting for their results; otherwise, in real time, the camera drops it (status
// "dropped" in the CSV; its frames get no result), since bytes already handed to TCP cannot
// be taken back; with `fast` it waits instead. A reconnect re-sends what has no result yet.
//
// Bandwidth estimate: each result says when the server received the last byte of its
// segment; the segment's bytes over the time from the edge sending its first byte to then
// (server time converted by the clock offset) is the throughput it saw, as a streaming
// client times a download. The estimate given to the next decision is the harmonic mean of
// the last three (initial_kbps before the first), as rate-based video streaming does.
//
// Outputs (each written atomically when the run ends, also on Ctrl-C):
//   OUT (CSV, one row per segment): segment, first_frame, frames, capture_start_s, ready_s,
//     action, estimated_kbps, predicted_bytes, bytes, encode_ms, send_start_s, send_end_s,
//     server_recv_start_s, server_recv_end_s, queue_ms, serve_ms, result_s, delay_s (result
//     minus ready), upload_s (last byte received minus ready), measured_kbps, sends, gflops,
//     accuracy (mIoU of the scored frames against the ground truth, pooled), status
//     (ok, dropped, local: the loop kept it on the camera, error: ...). Times in seconds from the replay's start on the
//     edge's clock; server times converted with the clock offset measured in the hello.
//   OUT.frames.csv: frame, segment, capture_s, result_s, delay_s (result minus capture).
//   OUT.csv.json: format "vssoff.replay", version 1: the system and settings, the server's
//     welcome, the clock offset, reconnects, totals (delay mean and 95th percentile per
//     segment and per frame, bytes, accuracy with a 95% confidence interval, misses) and the
//     system's own summary (Penance's cost and failures; CBO's accuracy with the local
//     results). Local segments have no delay and count in neither the delays nor the
//     accuracy (the loop's summary has the accuracy of the whole run).
//   plot (optional PNG): throughput against the trace, delay and accuracy over time.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "codec/round_trip.h"
#include "core/manifest.h"
#include "link/protocol.h"
#include "video/frame.h"
#include "video/muxer.h"

namespace vssoff::link {

inline constexpr int kReplayVersion = 1;

// One segment as the camera captured it.
struct CapturedSegment {
  int64_t index = 0, first_frame = 0;
  std::vector<video::Frame> frames;  // kYuv420p at the camera's size; index = frame in the video
  video::Rational fps{30, 1};
  double capture_start_s = 0, ready_s = 0;  // its first and last frame's capture times
  double duration_s() const { return frames.size() / fps.value(); }
};

// What the camera sends for a segment.
struct Prepared {
  Message request;     // kind segment; the client sets seq
  std::string action;  // for the CSV: "qp-map", "qp32", "segnet-w16@qp30x0.75", ...
  double predicted_bytes = NAN;
  double gflops = NAN;  // the server cost the loop expects (NaN: unknown)
  bool local = false;   // the camera keeps this segment to itself: nothing is sent (status "local")
};

// What came back, as the camera's loop learns it.
struct SegmentReport {
  bool ok = false;             // a result (not an error, not dropped)
  double accuracy = NAN;       // against the ground truth, when there is one
  double bytes = 0;            // sent (data)
  double upload_s = NAN;       // ready -> last byte at the server
  double measured_kbps = NAN;  // throughput the segment saw
  double delay_s = NAN;        // its result's arrival minus its ready time
  std::vector<double> stats;   // the server's pooled statistics (NaN as NaN)
  std::vector<std::string> stat_names;
  double gflops = NAN;  // what the server's model cost on it
};

class CameraLoop {
 public:
  virtual ~CameraLoop() = default;
  virtual std::string system() const = 0;
  virtual Json settings() const = 0;                    // sent in the hello, kept in the summary
  virtual std::vector<std::string> models() const = 0;  // server models it will ask for
  virtual void on_welcome(const Json& /*welcome*/) {}
  // Encodes one segment for sending, given the sender's bandwidth estimate (kbit/s).
  virtual Prepared prepare(const CapturedSegment& segment, double estimated_kbps) = 0;
  // The segment's result (in segment order; also for a dropped or failed one).
  virtual void observe(const CapturedSegment& /*segment*/, const Prepared& /*p*/, const SegmentReport& /*r*/) {}
  virtual Json summary() const { return nullptr; }
};

struct ReplayOptions {
  std::string input;         // the camera's video
  std::string output;        // per-segment CSV; OUT.frames.csv and OUT.csv.json beside it
  std::string connect;       // host:port of the server or link
  std::string ground_truth;  // label PNG dir (or a synth output): accuracy per segment ("" = none)
  std::string plot;          // PNG ("" = none)
  std::string trace;         // the uplink trace, drawn in the plot ("" = none)
  int segment_frames = 30;
  int64_t max_frames = -1;  // stop after this many frames (-1 = all)
  int max_queue = 3;        // segments waiting for results before the camera drops one
  double initial_kbps = 2000;
  double give_up_s = 20;  // without a server this long: fail
  double drain_s = 60;    // after the last segment, wait this long for results
  bool fast = false;      // as fast as possible, not at the frame rate
  bool force = false;
  void check() const;
};

struct ReplaySummary {
  int64_t segments = 0, dropped = 0, errors = 0, frames = 0, local = 0;
  double mean_delay_s = NAN, p95_delay_s = NAN, mean_accuracy = NAN, bytes = 0;
  Json manifest;
};

ReplaySummary run_replay(const ReplayOptions& options, CameraLoop& loop);

// OUT less ".csv": what the run's other files are named from (OUT.frames.csv, and the
// spawned processes' OUT.server.csv and OUT.link.csv).
inline std::string replay_output_stem(const std::string& output) {
  return output.substr(0, output.size() - (output.ends_with(".csv") ? 4 : 0));
}

// Evenly spaced positions of a segment the server scores: k of n, (j + 0.5) n / k (all when
// k is 0 or >= n); profile tables score the same positions.
std::vector<int64_t> scored_positions(int n, int k);

// The request of an encoded segment (codec::round_trip with keep_stream): its stream and
// access-unit sizes, the model to run, labels at the camera's size, the frames to score.
Prepared segment_request(const codec::RoundTripResult& encoded, const CapturedSegment& segment,
                         const std::string& model, int score_frames);

// The uplink's delivered throughput against its trace, from a `vssoff link --log` CSV:
// per window of window_s, delivered and offered bytes (up direction). Used by B14 and
// `link --plot`. InputError for a log without the columns.
struct ThroughputWindow {
  double t0_s = 0, delivered_kbps = 0, capacity_kbps = 0;
};
std::vector<ThroughputWindow> throughput_windows(const std::string& link_log, double window_s);

}  // namespace vssoff::link
