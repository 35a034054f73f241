// Segmentation inference behind one interface, whatever the model is:
//  - a model card (.json) naming a built-in architecture ("segnet") and vssoff weights, or
//    a TorchScript file with its card;
//  - a TorchScript file (torch.jit.trace or script) without a card: vssoff assumes what
//    assumed_card() says and warns. forward() may return a Tensor [N,C,H,W], a tuple whose
//    first element is one, or a dict with "out" (torchvision's segmentation models).
//
// Frames (kRgb24, any size) are resized to the model's input size (or rounded to its
// stride), normalised as the card says, run in inference mode with an explicit thread
// count, channels-last, and optionally bfloat16; logits are resized back to the frame size.
// Not thread-safe; one Segmenter per thread. Errors: InputError for a model that is not a
// segmentation model or disagrees with its card.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/model_card.h"
#include "video/frame.h"

namespace vssoff::nn {

// Softmax statistics of one frame (Penance's performance-encoder inputs).
struct SoftmaxStats {
  double mean_max_prob = 0;                                           // mean over pixels of the top-1 probability
  double mean_norm_entropy = 0;                                       // mean of entropy / log(C)
  double mean_margin = 0;                                             // mean of top-1 minus top-2 probability
  double frac_below_050 = 0, frac_below_070 = 0, frac_below_090 = 0;  // share of pixels with top-1 below
  std::vector<double> class_share;                                    // share of pixels labelled with each class
  std::vector<double> class_confidence;  // mean top-1 probability of those pixels (NaN if none)
};

struct Segmentation {
  std::vector<uint8_t> labels;      // frame size, row-major class ids
  std::vector<uint8_t> confidence;  // top-1 probability x 255, only with confidence_map
  std::vector<float> logits;        // [C x samples], only for sample_pixels
  SoftmaxStats stats;
};

struct SegmenterOptions {
  int threads = 0;              // intra-op threads; 0 = one per core
  bool channels_last = false;   // NHWC activations: off, measured 8% slower for the depthwise zoo models
  bool bf16 = false;            // bfloat16 inference, only where the CPU has native support
  bool confidence_map = false;  // fill Segmentation::confidence
  bool differentiable = false;  // keep the model as loaded (no freezing) so that accuracy_gradient works
  void check() const;
};

class Segmenter {
 public:
  // model: a card (.json), or a TorchScript file (its card beside it as FILE.json if any).
  Segmenter(const std::string& model, const SegmenterOptions& options);
  ~Segmenter();
  Segmenter(const Segmenter&) = delete;
  Segmenter& operator=(const Segmenter&) = delete;

  const ModelCard& card() const;
  int num_classes() const;
  bool using_bf16() const;

  // Segments a batch of kRgb24 frames of one size. sample_pixels: flat pixel indices whose
  // logits are returned (the same for every frame of the batch). out_width x out_height:
  // the size of the labels (logits resized bilinearly); 0 = the frames' size. A server that
  // runs on a downscaled frame and reports labels at the camera's size uses it.
  std::vector<Segmentation> run(const std::vector<const video::Frame*>& frames,
                                const std::vector<int64_t>& sample_pixels = {}, int out_width = 0, int out_height = 0);

  // AccMPEG's accuracy gradient of one kRgb24 frame, per mb x mb block ([rows x cols],
  // rows = ceil(H / mb)). The reference labels are the model's own argmax on `high`; the
  // proxy is the summed log-probability of those labels, differentiated with respect to
  // the RGB pixels in [0, 1]. Without `low`: sum over each block of |d proxy / d pixel|_1 at
  // `high`. With `low` (the same frame after compression): the Taylor form, sum over each
  // block of |gradient at low| . |high - low|, per channel. `classes`: only pixels whose
  // reference label is one of these count in the proxy (empty = all pixels), to match an
  // accuracy that only scores those classes. Needs options.differentiable.
  std::vector<float> accuracy_gradient(const video::Frame& high, const video::Frame* low, int mb,
                                       const std::vector<int>& classes = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Labels (argmax), optional top-1 probability x 255, and the statistics of one frame's
// logits [C, H, W] (contiguous float), in one pass; the result does not depend on the
// thread count.
void softmax_stats(const float* logits, int C, int H, int W, uint8_t* labels, uint8_t* confidence, SoftmaxStats* stats);

// True when this CPU runs bfloat16 natively (AVX512-BF16 or AMX).
bool cpu_has_bf16();

}  // namespace vssoff::nn
