// A tiny synthetic clip for tests that need a real video (synth's default street scene).
#pragma once

#include <cstdint>
#include <string>

#include "synth/synth.h"

namespace vssoff::test {

// Writes DIR (video.mp4, labels/, boxes.json, manifest.json) and returns DIR/video.mp4.
inline std::string synth_clip(const std::string& dir, int width, int height, int64_t frames) {
  synth::SynthOptions so;
  so.scene.width = width;
  so.scene.height = height;
  so.frames = frames;
  so.output_dir = dir;
  synth::synthesize(so);
  return dir + "/video.mp4";
}

}  // namespace vssoff::test
