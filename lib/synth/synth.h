// synth: renders a synthetic clip with exact ground truth into a directory:
//
//   DIR/video.mp4          H.264, constant QP video_qp (0 = lossless; default 12, near-lossless)
//   DIR/labels/NNNNNN.png  8-bit class ids per frame (legend in the manifest; 255 = ignore)
//   DIR/boxes.json         COCO dataset: images (id = frame + 1, "frame_index"), categories
//                          vehicle (5) and person (6), annotations with the visible bbox
//                          [x, y, w, h], "area" (visible pixels), "track_id", "visibility"
//   DIR/manifest.json      format "vssoff.synth", version 1: options, legend, per-frame activity
//                          and object counts, sidecars with sizes and hashes
//   DIR/preview/NNNNNN.png optional: frame | coloured labels with boxes, every k-th frame
//
// The directory appears whole or not at all (written under a temporary name).
// The same options give byte-identical video, labels and boxes.
#pragma once

#include <cstdint>
#include <string>

#include "core/manifest.h"
#include "synth/scene.h"

namespace vssoff::synth {

inline constexpr int kSynthManifestVersion = 1;

struct SynthOptions {
  SceneOptions scene;
  int64_t frames = 300;  // clip length
  std::string output_dir;
  int video_qp = 12;                      // x264 constant QP of the video (0 = lossless)
  std::string x264_preset = "ultrafast";  // keeps synth above 60 frames/s on one core
  int threads = 0;                        // x264 threads; 0 = x264's rule on the thread budget
  int segment_frames = 30;                // keyframe interval
  int preview_every = 0;                  // write a preview every k frames; 0 = none
  bool force = false;
  void check() const;
};

struct SynthResult {
  int64_t frames = 0;
  double seconds = 0;
  int64_t video_bytes = 0;
  Json manifest;
};

SynthResult synthesize(const SynthOptions& options);

}  // namespace vssoff::synth
