// `vssoff offload-profile`: what CBO's offload decision needs of every frame of a video,
// measured. Torch-free (the models come through the plugin, nn/segmenter.h).
//
// Per frame:
//  - on the device: the on-device (edge) model's labels, its softmax statistics (calibrated
//    with a pixel calibrator when one is given; the raw mean top-1 probability besides), its
//    inference time, and the frame mIoU of its labels against the reference;
//  - per offload resolution (a scale of the camera's frame): the frame encoded by x264 as
//    one intra frame (IDR, constant QP, the stated preset) and its bytes with the SPS/PPS, the
//    encode time, the server model's labels on the decoded frame (at the camera's size) and
//    their frame mIoU, and the server's inference time.
// Times are wall-clock, after one untimed warm-up run of each model on the first frame.
// Frame mIoU: the mean IoU over the classes present in the reference or the prediction of
// that frame (metrics/segmentation.h). Reference: ground-truth labels (a synth output or a
// label directory), or a reference model's labels on the original frame.
//
// Output: a CSV with one row per frame, columns frame, time_s, edge_ms, local_miou,
// raw_mean_max_prob, the softmax statistics (nn::softmax_stat_columns), then for each scale
// S: bytes@S, encode_ms@S, server_ms@S, server_miou@S. Its manifest OUTPUT.json has format
// "vssoff.offload-profile", version 1: the edge and server models (name, weights SHA-256),
// the calibrator's SHA-256, scales, QP, preset, fps and frame size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/manifest.h"

namespace vssoff::cbo {

inline constexpr int kOffloadProfileVersion = 1;

struct OffloadProfileOptions {
  std::string input, output;                  // video; CSV (manifest OUTPUT.json)
  std::string edge_model, server_model;       // cards or TorchScript files
  std::string calibrator;                     // pixel calibrator of the edge model ("" = none)
  std::string ground_truth, reference_model;  // exactly one
  std::vector<double> scales = {1.0, 0.75, 0.5};
  int qp = 28;
  std::string preset = "veryfast";
  int64_t start = 0, frames = -1;  // frames from start (-1 = to the end)
  int threads = 0;                 // inference threads (0 = the thread budget)
  bool force = false;
  void check() const;
};

struct OffloadFrame {
  int64_t frame = 0;
  double time_s = 0, edge_ms = 0, local_miou = 0, raw_confidence = 0;
  std::vector<double> stats;                                     // nn::softmax_stat_columns() order
  std::vector<double> bytes, encode_ms, server_ms, server_miou;  // per scale
};

struct OffloadProfile {
  std::string path;
  std::string edge_name, edge_sha256, calibrator_sha256, server_name, server_sha256;
  std::vector<double> scales;
  int qp = 0, width = 0, height = 0;
  double fps = 30;
  std::vector<OffloadFrame> frames;
  Json manifest;
};

void offload_profile(const OffloadProfileOptions& options);

// InputError naming the file, the row and the column: a missing or unreadable column, a
// NaN where a number is needed, a manifest of another kind or version.
OffloadProfile read_offload_profile(const std::string& path);

// True when PATH.json is an offload profile's manifest (what `plan` dispatches on).
bool is_offload_profile(const std::string& path);

// "1", "0.75", "0.5": a scale as columns name it.
std::string scale_name(double scale);

}  // namespace vssoff::cbo
