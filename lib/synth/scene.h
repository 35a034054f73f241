// Synthetic street scenes with exact ground truth, for training and benchmarking without
// downloadable data sets.
//
// A side view of a street: sky, buildings with windows, trees, sidewalks, a road with
// lane markings, poles and signs, and moving vehicles and people whose size follows
// their distance (perspective from the ground row). Painter's-order rendering gives exact
// occlusion in the labels. Procedural textures carry fine detail that compression
// destroys; the camera pans and zooms; lighting drifts and clouds pass; sensor noise is
// added last. Activity alternates between busy and calm periods (a two-state process
// with random durations), so bitrate and segmentation difficulty fluctuate over time.
//
// Presets: street, highway, crowd, night. Deterministic: the same options give the same
// frames, on any machine (own PRNG, no std:: distributions).
// Any frame size: the scene is laid out in units of 1/360 of the frame height.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "video/frame.h"

namespace vssoff::synth {

// Label ids (Cityscapes-like convention: 8-bit PNG per frame, 255 = ignore).
enum ClassId : uint8_t {
  kSky = 0,
  kBuilding = 1,
  kRoad = 2,
  kSidewalk = 3,
  kVegetation = 4,
  kVehicle = 5,
  kPerson = 6,
  kPoleSign = 7,
  kIgnore = 255,
};
inline constexpr int kNumClasses = 8;

struct ClassInfo {
  int id;
  const char* name;
  uint8_t r, g, b;  // palette for previews
};
const std::vector<ClassInfo>& class_legend();

const std::vector<std::string>& preset_names();

struct SceneOptions {
  std::string preset = "street";
  int width = 640, height = 360;
  video::Rational fps{30, 1};
  uint64_t seed = 1;
  double noise_sigma = -1;  // sensor noise std-dev in 8-bit units; < 0 = the preset's
  double activity = 1.0;    // multiplies spawn rates
  void check() const;
};

// One visible object instance in one frame (for COCO boxes).
struct ObjectBox {
  int track_id;       // stable across frames
  int class_id;       // kVehicle or kPerson
  int x, y, w, h;     // visible extent in pixels (clipped to the frame)
  int64_t area;       // visible pixels
  double visibility;  // visible / drawn-if-unoccluded pixels, in (0, 1]
};

class SceneRenderer {
 public:
  explicit SceneRenderer(const SceneOptions& options);
  ~SceneRenderer();
  SceneRenderer(const SceneRenderer&) = delete;
  SceneRenderer& operator=(const SceneRenderer&) = delete;

  // Advances one frame and renders it: rgb (kRgb24), labels (kGray8, class ids) and the
  // boxes of the vehicles and people that are visible.
  void render(video::Frame* rgb, video::Frame* labels, std::vector<ObjectBox>* boxes);

  int64_t frame_index() const;  // index of the last rendered frame
  double activity() const;      // busy level in [0, 1] at the last frame

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vssoff::synth
