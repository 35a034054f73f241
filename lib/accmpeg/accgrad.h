// accgrad: AccMPEG's ground truth. For a server segmentation model (a zoo card or a
// TorchScript file) and a video, the accuracy gradient of every sampled frame per 16x16
// macroblock (see accuracy_gradient below): how much the server model's confidence in
// its own high-quality answer moves with the pixels of each macroblock.
//
// Modes: "grad" (gradient at the frame as decoded from the input) and "taylor" (gradient
// at the frame after a uniform-QP x264 round trip at qp_lo, times |high - low|: the first-
// order change of the proxy when the macroblock's quality is raised).
//
// Output: NPY float32 [frames, mb_rows, mb_cols] and OUT.json (format "vssoff.accgrad",
// version 1): the server model (name, weights sha256), the grid, the frame size, the
// indices of the sampled frames ("frames"), and the mode. Optionally a heatmap PNG.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/manifest.h"
#include "video/frame.h"
#include "video/frame_range.h"

namespace vssoff::nn {
class ModelRunner;
}

namespace vssoff::accmpeg {

inline constexpr int kAccGradVersion = 1;
inline constexpr int kMacroblock = 16;

struct AccGradOptions {
  std::string input;                          // video (the high-quality original)
  std::string model;                          // server model: card (.json) or TorchScript file
  std::string output;                         // .npy (its manifest: OUTPUT.json)
  std::string mode = "grad";                  // "grad" | "taylor"
  int qp_lo = 40;                             // taylor: uniform QP of the low-quality encode
  std::vector<int> classes;                   // proxy over pixels of these reference classes only (empty = all)
  int64_t start = 0, frames = -1, every = 1;  // frames start, start + every, ... below start + frames
  int threads = 0;                            // 0 = the thread budget (core/threads.h)
  std::string heatmap;                        // PNG of the first sampled frame's gradient
  bool force = false;
  void check() const;
  video::FrameRange range() const { return {start, frames, every}; }
};

struct AccGradResult {
  int64_t frames = 0;
  int rows = 0, cols = 0;
  double seconds = 0;
  Json manifest;
};

AccGradResult accgrad(const AccGradOptions& options);

// The accuracy gradient of one kRgb24 frame for a segmentation model, per mb x mb block
// ([rows x cols], rows = ceil(H / mb)). The reference labels are the model's own argmax on
// `high`; the proxy is the summed log-probability of those labels, differentiated with
// respect to the RGB pixels in [0, 1] through the runner's differentiable forward pass.
// Without `low`: sum over each block of |d proxy / d pixel|_1 at `high`. With `low` (the
// same frame after compression): the Taylor form, sum over each block of
// |gradient at low| . |high - low|, per channel. `classes`: only pixels whose reference
// label is one of these count in the proxy (empty = all pixels), to match an accuracy that
// only scores those classes. num_classes (optional): the model's output classes. Needs a
// runner made with differentiable = true (RuntimeError otherwise). In the model plugin.
std::vector<float> accuracy_gradient(nn::ModelRunner& model, const video::Frame& high, const video::Frame* low, int mb,
                                     const std::vector<int>& classes = {}, int* num_classes = nullptr);

// Reads an accgrad NPY (or its manifest): values [frames x rows x cols] with the manifest.
// InputError naming the manifest if a field is missing or of the wrong type.
struct AccGrad {
  Json manifest;
  std::string manifest_path, npy_path;
  std::string video_path;  // the video it was computed on, as recorded (recorded_input checks it)
  std::vector<int64_t> frame_indices;
  std::string server_model_name, server_weights_sha256;  // manifest["server_model"]
  std::string mode;                                      // params.mode: "grad" | "taylor"
  int macroblock = 0;                                    // params.macroblock
  int rows = 0, cols = 0, width = 0, height = 0;
  std::vector<float> values;
};
AccGrad read_accgrad(const std::string& path);

}  // namespace vssoff::accmpeg
