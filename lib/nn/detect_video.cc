#include "nn/detect_video.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "core/coco.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/plugin.h"
#include "video/picture.h"
#include "video/prefetch.h"

namespace fs = std::filesystem;

namespace vssoff::nn {

void DetectOptions::check() const {
  detector.check();
  vssoff::check<UsageError>(!input.empty() && !output_dir.empty() && !model.empty(),
                            "give the input video, the output directory (-o) and the model (--model)");
  range().check();
  vssoff::check<UsageError>(overlay_every >= 0, "overlay interval must be >= 0 (got ", overlay_every, ")");
}

DetectResult detect_video(const DetectOptions& opt) {
  opt.check();
  auto t0 = std::chrono::steady_clock::now();
  AtomicOutput dir(opt.output_dir, opt.force, /*is_dir=*/true);
  hash_input_in_background(opt.input);
  const std::string tmp = dir.temp_path();
  if (opt.overlay_every > 0) make_directories(tmp + "/overlay");

  Detector detector(opt.model, opt.detector);
  const ModelCard& card = detector.card();
  video::ReaderOptions ro;
  ro.format = video::PixelFormat::kRgb24;
  ro.threads = opt.decode_threads;
  auto reader = std::make_unique<video::VideoReader>(opt.input, ro);
  const video::VideoInfo info = reader->info();
  const video::FrameRange range = opt.range();
  int64_t expected = -1;
  if (info.frame_count > 0) {
    expected = range.selected(info.frame_count);
    check<InputError>(expected > 0, opt.input, ": start frame ", opt.start, " is past the end (", info.frame_count,
                      " frames)");
  }
  video::FramePrefetcher frames(std::move(reader), 4, range);
  Progress progress("detected", expected);
  std::vector<coco::Box> all;
  std::vector<int64_t> done_frames;
  std::vector<double> ms;
  video::Frame f;
  while (frames.next(&f)) {
    auto ti = std::chrono::steady_clock::now();
    std::vector<coco::Box> boxes = detector.detect(f);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ti).count());
    for (coco::Box& b : boxes) b.image_id = f.index + 1;
    if (opt.overlay_every > 0 && done_frames.size() % opt.overlay_every == 0) {
      std::vector<video::DrawnBox> drawn;
      for (const coco::Box& b : boxes) {
        char caption[64];
        std::snprintf(caption, sizeof caption, "%s %.2f", card.classes[b.category_id].c_str(), b.score);
        drawn.push_back({b.x, b.y, b.w, b.h, caption, video::label_color(b.category_id)});
      }
      video::write_boxes_overlay((fs::path(tmp) / "overlay" / video::frame_file_name(f.index)).string(), f, drawn,
                                 cat(card.name, ", frame ", f.index), false);
    }
    all.insert(all.end(), boxes.begin(), boxes.end());
    done_frames.push_back(f.index);
    progress.update(static_cast<int64_t>(done_frames.size()));
  }
  progress.finish();
  check<InputError>(!done_frames.empty(), opt.input, ": no frames to detect on in the range asked for");
  // The video's frame count: the header's, or, when the range ran to the end, what was decoded.
  int64_t video_frames = info.frame_count;
  if (range.end() < 0 || video_frames < 0) video_frames = std::max(video_frames, done_frames.back() + 1);

  coco::write_results((fs::path(tmp) / "detections.json").string(), all, false);
  const std::string manifest_path = (fs::path(tmp) / "manifest.json").string();
  Json m = new_manifest("detections", kDetectionsVersion);
  double inference_s = 0;
  for (double v : ms) inference_s += v / 1000;
  std::vector<double> sorted = ms;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  m["params"] = {{"model", card.card_path.empty() ? card.weights_path() : card.card_path},
                 {"model_name", card.name},
                 {"every", opt.every},
                 {"first", done_frames.front()},
                 {"last", done_frames.back()},
                 {"score_threshold", detector.score_threshold()},
                 {"max_detections", detector.max_detections()},
                 {"threads", opt.detector.threads}};
  m["video"] = {
      {"width", info.width}, {"height", info.height}, {"frames", video_frames}, {"fps", {info.fps.num, info.fps.den}}};
  m["frames"] = done_frames;
  Json categories = Json::array();
  for (int id : card.category_ids()) categories.push_back({{"id", id}, {"name", card.classes[id]}});
  m["categories"] = categories;
  m["boxes"] = all.size();
  m["inference_fps"] = done_frames.size() / std::max(inference_s, 1e-9);
  m["ms_per_frame"] = sorted[sorted.size() / 2];
  add_input(m, "video", opt.input);
  add_input(m, "model", card.weights_path());
  add_sidecar(m, "detections", manifest_path, (fs::path(tmp) / "detections.json").string());
  write_manifest(manifest_path, m, false);
  dir.commit();

  DetectResult r;
  r.frames = static_cast<int64_t>(done_frames.size());
  r.boxes = static_cast<int64_t>(all.size());
  r.inference_seconds = inference_s;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.manifest = m;
  return r;
}

VSSOFF_PLUGIN_ENTRY(vssoff::nn::detect_video);

}  // namespace vssoff::nn
