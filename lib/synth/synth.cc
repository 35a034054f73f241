#include "synth/synth.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "codec/x264_encoder.h"
#include "core/coco.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "video/muxer.h"
#include "video/picture.h"
#include "video/scaler.h"

namespace fs = std::filesystem;

namespace vssoff::synth {
namespace {

void write_preview(const std::string& path, const video::Frame& rgb, const video::Frame& labels,
                   const std::vector<ObjectBox>& boxes) {
  const auto& legend = class_legend();
  video::Frame out;
  out.allocate(rgb.width * 2, rgb.height, video::PixelFormat::kRgb24);
  cv::Mat canvas(out.height, out.width, CV_8UC3, out.plane(0), out.stride(0));  // RGB order
  cv::Mat(rgb.height, rgb.width, CV_8UC3, const_cast<uint8_t*>(rgb.plane(0)))
      .copyTo(canvas(cv::Rect(0, 0, rgb.width, rgb.height)));
  cv::Mat right = canvas(cv::Rect(rgb.width, 0, rgb.width, rgb.height));
  for (int y = 0; y < labels.height; ++y)
    for (int x = 0; x < labels.width; ++x) {
      int id = labels.plane(0)[y * labels.stride(0) + x];
      cv::Vec3b c(0, 0, 0);
      if (id < static_cast<int>(legend.size())) c = cv::Vec3b(legend[id].r, legend[id].g, legend[id].b);
      right.at<cv::Vec3b>(y, x) = c;
    }
  for (const auto& b : boxes) {
    cv::Scalar color = b.class_id == kPerson ? cv::Scalar(60, 255, 60) : cv::Scalar(255, 200, 0);
    cv::rectangle(canvas, cv::Rect(b.x, b.y, b.w, b.h), color, 1);
    cv::putText(canvas, std::to_string(b.track_id), {b.x, std::max(8, b.y - 2)}, cv::FONT_HERSHEY_PLAIN, 0.7, color, 1);
  }
  video::write_png(path, out, true);
}

}  // namespace

void SynthOptions::check() const {
  scene.check();
  vssoff::check<UsageError>(frames >= 1 && frames <= 10'000'000, "frames must be >= 1 (got ", frames, ")");
  vssoff::check<UsageError>(!output_dir.empty(), "no output directory given (-o)");
  vssoff::check<UsageError>(video_qp >= 0 && video_qp <= 51, "video QP must be in [0, 51] (got ", video_qp, ")");
  vssoff::check<UsageError>(segment_frames >= 1, "segment length must be >= 1 (got ", segment_frames, ")");
  vssoff::check<UsageError>(preview_every >= 0, "preview interval must be >= 0 (got ", preview_every, ")");
  vssoff::check<UsageError>(scene.width % 2 == 0 && scene.height % 2 == 0,
                            "synth writes 4:2:0 H.264: width and height must be even (got ", scene.width, "x",
                            scene.height, ")");
}

SynthResult synthesize(const SynthOptions& opt) {
  opt.check();
  auto t0 = std::chrono::steady_clock::now();
  AtomicOutput dir(opt.output_dir, opt.force, /*is_dir=*/true);
  const std::string tmp = dir.temp_path();
  make_directories(tmp + "/labels");
  if (opt.preview_every > 0) make_directories(tmp + "/preview");

  SceneRenderer scene(opt.scene);
  codec::EncoderOptions eo;
  eo.preset = opt.x264_preset;
  eo.threads = opt.threads;
  eo.gop_frames = opt.segment_frames;
  eo.base_qp = opt.video_qp;
  codec::H264Encoder encoder(opt.scene.width, opt.scene.height, opt.scene.fps, eo);
  std::string video_path = (fs::path(tmp) / "video.mp4").string();
  video::H264Muxer muxer(video_path, opt.scene.width, opt.scene.height, opt.scene.fps, encoder.headers(), false);
  video::Scaler scaler;

  coco::Dataset boxes_out;
  Json activity = Json::array(), counts = Json::array();
  int64_t ann_id = 1;
  video::Frame rgb, labels, yuv;
  std::vector<ObjectBox> boxes;
  std::vector<video::EncodedPacket> packets;
  Progress progress("rendered", opt.frames);
  for (int64_t i = 0; i < opt.frames; ++i) {
    scene.render(&rgb, &labels, &boxes);
    scaler.convert(rgb, rgb.width, rgb.height, video::PixelFormat::kYuv420p, &yuv);
    yuv.index = i;
    encoder.encode(yuv, nullptr, &packets);
    for (const auto& p : packets) muxer.write(p);
    packets.clear();
    video::write_png((fs::path(tmp) / "labels" / video::frame_file_name(i)).string(), labels, false, 1);
    if (opt.preview_every > 0 && i % opt.preview_every == 0)
      write_preview((fs::path(tmp) / "preview" / video::frame_file_name(i)).string(), rgb, labels, boxes);

    boxes_out.images.push_back({.id = i + 1,
                                .frame_index = i,
                                .file_name = "labels/" + video::frame_file_name(i),
                                .width = opt.scene.width,
                                .height = opt.scene.height});
    int vehicles = 0, people = 0;
    for (const auto& b : boxes) {
      (b.class_id == kVehicle ? vehicles : people)++;
      boxes_out.annotations.push_back({.id = ann_id++,
                                       .image_id = i + 1,
                                       .category_id = b.class_id,
                                       .x = double(b.x),
                                       .y = double(b.y),
                                       .w = double(b.w),
                                       .h = double(b.h),
                                       .area = double(b.area),
                                       .track_id = b.track_id,
                                       .visibility = std::round(b.visibility * 1000) / 1000});
    }
    activity.push_back(std::round(scene.activity() * 1000) / 1000);
    counts.push_back({vehicles, people});
    progress.update(i + 1);
  }
  encoder.flush(&packets);
  for (const auto& p : packets) muxer.write(p);
  muxer.finish();
  progress.finish();

  Json legend = Json::array();
  for (const auto& c : class_legend()) {
    legend.push_back({{"id", c.id}, {"name", c.name}, {"color", {c.r, c.g, c.b}}});
    if (c.id == kVehicle || c.id == kPerson) boxes_out.categories.push_back({c.id, c.name, c.name});
  }
  boxes_out.info = {{"description", "vssoff synth " + opt.scene.preset + " seed " + std::to_string(opt.scene.seed)},
                    {"version", "1"}};
  std::string boxes_path = (fs::path(tmp) / "boxes.json").string();
  coco::write_dataset(boxes_path, boxes_out, false);

  std::string manifest_path = (fs::path(tmp) / "manifest.json").string();
  Json m = new_manifest("synth", kSynthManifestVersion);
  m["params"] = {{"preset", opt.scene.preset},     {"seed", opt.scene.seed},
                 {"width", opt.scene.width},       {"height", opt.scene.height},
                 {"fps_num", opt.scene.fps.num},   {"fps_den", opt.scene.fps.den},
                 {"frames", opt.frames},           {"noise_sigma", opt.scene.noise_sigma},
                 {"activity", opt.scene.activity}, {"video_qp", opt.video_qp},
                 {"x264_preset", opt.x264_preset}, {"segment_frames", opt.segment_frames}};
  m["legend"] = legend;
  m["ignore_label"] = kIgnore;
  m["labels_pattern"] = "labels/%06d.png";
  m["frame_activity"] = activity;
  m["frame_objects"] = counts;  // [vehicles, people] visible per frame
  m["x264"] = encoder.effective_params();
  add_sidecar(m, "video", manifest_path, video_path);
  add_sidecar(m, "boxes", manifest_path, boxes_path);
  write_manifest(manifest_path, m, false);

  SynthResult r;
  r.frames = opt.frames;
  r.video_bytes = file_size(video_path);
  dir.commit();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Paths in the returned manifest are relative, so it is valid after the rename.
  r.manifest = m;
  return r;
}

}  // namespace vssoff::synth
