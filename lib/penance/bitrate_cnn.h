// Penance's camera-side bitrate CNN (runs in the model plugin; see core/plugin.h): from a
// segment's first frame (luma, downscaled to 64x36) and its mean absolute frame-difference
// map (same size), plus the complexity and probe features, the log-bytes of every (QP, scale).
// A small convolutional trunk (three 3x3 convolutions, global average pooling) and a
// two-layer head; trained on profile tables with Adam for a fixed number of epochs (the
// held-out tables only measure it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vssoff::penance {

inline constexpr int kCnnWidth = 64, kCnnHeight = 36;

struct BitrateSamples {
  std::vector<float> images;     // [n, 2, kCnnHeight, kCnnWidth]
  std::vector<float> features;   // [n, 4]: log(1 + intra), log(1 + inter), log of the two probes' bytes
  std::vector<float> log_bytes;  // [n, outputs] (empty when predicting)
  int64_t n = 0;
};

// The CNN inputs of every segment of a video (frames [s * segment_frames, ...)).
BitrateSamples bitrate_cnn_inputs(const std::string& video, int segment_frames, int64_t segments,
                                  const std::vector<double>& intra, const std::vector<double>& inter,
                                  const std::vector<double>& probe26, const std::vector<double>& probe38);

struct BitrateCnnResult {
  double train_mdape = 0, holdout_mdape = 0;  // NaN holdout when none given
  int epochs = 0;
};

// Trains and saves the weights (TorchScript-free LibTorch archive) to weights_path.
BitrateCnnResult train_bitrate_cnn(const BitrateSamples& train, const BitrateSamples& holdout, int outputs,
                                   const std::string& weights_path, uint64_t seed, int threads);

// Predicted bytes [n x outputs].
std::vector<double> predict_bitrate_cnn(const std::string& weights_path, const BitrateSamples& samples, int outputs,
                                        int threads);

}  // namespace vssoff::penance
