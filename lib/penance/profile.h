// profile: Penance's configuration table. For every segment of a video (GOP = segment) and
// every action (server model m, QP q, resolution scale s): the real x264 bytes, the
// accuracy (mIoU against ground truth, or against the reference model on the original
// frames), the server cost (GFLOPs), the softmax statistics of the output, and camera-side
// features for bitrate prediction. One CSV row per (segment, action), sorted by segment,
// model, QP, scale, with OUT.json (format "vssoff.profile", version 2; version 1 tables,
// which lack params.server_input, were made as "original").
//
// Each (segment, q, s) is encoded and decoded once; its decoded frames serve every model.
// server_input "sent" (the default): the model runs on the frames at the resolution they
// were sent, its logits are resized to the original size for scoring, and its GFLOPs scale
// with the pixels, so resolution is a lever on server cost as well as on bytes. "original":
// the server first scales the frames back to the original size (table version 1 did this),
// so cost depends on the model alone. Accuracy and statistics may use
// only acc_frames evenly spaced frames of each segment. Measured ms per frame per model go
// to the manifest, not the rows, so that tables are reproducible byte for byte.
//
// Shards: --shard i/n profiles the segments with index % n == i; profile_merge() joins
// shard tables into the table one run would write (a test proves it). Resume: rows are
// appended per finished segment to OUT.partial; with resume, segments complete there are
// skipped, and OUT is written (atomically) only when every segment is done.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/manifest.h"

namespace vssoff::penance {

inline constexpr int kProfileVersion = 2;

struct ProfileOptions {
  std::string input, output;        // video; table (.csv, manifest OUTPUT.json)
  std::vector<std::string> models;  // server models (cards or TorchScript), cheapest first
  std::vector<int> qps = {22, 27, 32, 37, 42};
  std::vector<double> scales = {1.0, 0.75, 0.5};
  int segment_frames = 30;
  int acc_frames = 0;           // frames per segment scored (0 = all)
  std::string ground_truth;     // labels dir or synth dir; empty = reference model
  std::string reference_model;  // default: the last of models
  int shard_index = 0, shard_count = 1;
  bool resume = false, force = false;
  int threads = 0;
  std::string preset = "veryfast";    // x264 preset
  std::string server_input = "sent";  // "sent" or "original" (see above)
  void check() const;
};

struct ProfileResult {
  int64_t segments = 0, rows = 0, skipped_segments = 0;
  double seconds = 0;
  Json manifest;
};

ProfileResult profile(const ProfileOptions& options);

// Joins shard tables (each with its manifest) into one table; InputError when they were
// made with other parameters or inputs, overlap, or leave a segment out.
void profile_merge(const std::vector<std::string>& tables, const std::string& output, bool force);

// Parses "i/n" (0 <= i < n). UsageError otherwise.
void parse_shard(const std::string& text, int* index, int* count);

}  // namespace vssoff::penance
