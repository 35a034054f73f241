// qpmap: one video's per-segment QP maps for encode-roi, from one importance source:
//   - a cheap model (AccMPEG on the camera): the model scores the sampled frames of each
//     segment (sampled_frames), through the model plugin;
//   - accgrad gradients (oracle AccMPEG), computed on this video;
//   - COCO boxes (EAAR- and Vigil-like region-of-interest baselines).
// See qp_maps.h for how importance becomes QPs. Optionally a heatmap PNG of one segment's
// QP map and of its importance, drawn over the segment's first frame.
//
// Output: the QP map NPY [segments, mb_rows, mb_cols] (uint8) and OUTPUT.json (format
// "vssoff.qpmap", see codec/qp_map.h) with the AccMPEG parameters, the source, the server
// model the importance was made for, and the inputs.
//
// Every option is checked, the inputs are read and the heatmap segment is checked against
// the number of segments before anything is written: a refused run leaves no file behind.
// Throws UsageError (bad options), InputError (missing, damaged or mismatched inputs,
// existing outputs without force), RuntimeError (model plugin).
#pragma once

#include <cstdint>
#include <string>

#include "accmpeg/qp_maps.h"
#include "codec/qp_map.h"
#include "core/manifest.h"

namespace vssoff::accmpeg {

struct MakeQpMapOptions {
  std::string input;               // video the maps are for (its frame size and frame count)
  std::string output;              // QP map to write (.npy; manifest OUTPUT.json)
  std::string cheap_model;         // importance from this cheap model card (train-cheap-model), or
  std::string importance;          // from these accgrad gradients (.npy or its manifest), or
  std::string boxes;               // high quality inside these boxes (COCO JSON): exactly one of the three
  std::string server_model;        // refuse importance made for another server model (card or TorchScript; "" = any)
  std::string sample = "ends";     // cheap model: frames of a segment it scores ("ends", "first" or "all")
  QpMapParams params;              // segment length (frames), top-k or threshold, QPs, graded maps, clean-up
  double box_margin = 8;           // boxes: pixels added around each box
  int threads = 0;                 // cheap model: threads (0 = half the thread budget)
  std::string heatmap;             // PNG of one segment's QP map over its first frame ("" = none)
  std::string importance_heatmap;  // PNG of its importance ("" = none; needs cheap_model or importance)
  int heatmap_segment = 0;         // segment the heatmaps show, in [0, segments)
  bool force = false;              // overwrite existing outputs
  bool strict_length = false;      // a video shorter than its header's frame count is an error
  void check() const;              // UsageError naming the option and the value
};

struct MakeQpMapResult {
  codec::QpMap map;           // the maps written (count = segments)
  double high_share = 0;      // share of macroblocks at params.qp_hi, in [0, 1]
  double mean_qp = 0;         // mean QP over all macroblocks of all segments
  int64_t frames_scored = 0;  // cheap model: frames it ran on (0 otherwise)
  double model_fps = 0;       // cheap model: frames per second in the network only (0 otherwise)
};

MakeQpMapResult make_qp_map(const MakeQpMapOptions& options);

}  // namespace vssoff::accmpeg
