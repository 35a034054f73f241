// Detections artefacts, what `detect` writes and `fuse` reads and writes (one per mode):
//
//   DIR/detections.json  COCO results form: [{"image_id", "category_id", "bbox": [x, y, w, h],
//                        "score"}], image_id = frame index + 1, pixels of the video frame
//   DIR/manifest.json    {"format": "vssoff.detections", "version": 1,
//                         "params": {"model", "model_name", "every", "first", "last",
//                                    "score_threshold", ...},
//                         "inputs": [{"role": "video", "path", "bytes", "sha256"}, ...],
//                         "video": {"width", "height", "frames", "fps": [num, den]},
//                         "frames": [the frame indices the detector ran on],
//                         "categories": [{"id", "name"}, ...]}
// A frame in "frames" without boxes is an empty result (the detector ran and saw nothing),
// unlike a frame that is not listed (the detector did not run on it).
//
// read_detections checks (InputError naming the file and the value): the manifest's kind and
// version; a recorded video input with a sha256; the video block; every box on a listed frame
// (which must be < the video's frames), inside the image (0.5 px of slack for rounding), of
// positive size, with a listed category and a finite score; results form (coco.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/coco.h"
#include "core/manifest.h"
#include "react/hungarian.h"
#include "video/frame.h"

namespace vssoff::react {

inline constexpr int kDetectionsVersion = 1;

struct Detection {
  int category_id = 0;
  Rect box;
  double score = 0;
};

struct DetectionsArtefact {
  std::string dir, manifest_path, results_path;
  Json manifest;
  std::string model_name;
  int every = 0;  // params.every (0 when absent)
  int width = 0, height = 0;
  int64_t video_frames = 0;
  video::Rational fps;
  std::string video_path, video_sha256;  // the recorded "video" input
  std::vector<coco::Category> categories;
  std::map<int64_t, std::vector<Detection>> frames;  // every frame the detector ran on
};

DetectionsArtefact read_detections(const std::string& dir);

// Writes DIR (an existing directory)/detections.json and manifest.json; `manifest` is
// completed with "frames" (the keys of per_frame) and written as it is otherwise.
void write_detections(const std::string& dir, Json manifest,
                      const std::map<int64_t, std::vector<Detection>>& per_frame);

}  // namespace vssoff::react
