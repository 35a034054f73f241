#include "react/detections.h"

#include <cmath>
#include <filesystem>
#include <set>

#include "core/fs.h"

namespace vssoff::react {

namespace fs = std::filesystem;

DetectionsArtefact read_detections(const std::string& dir) {
  DetectionsArtefact a;
  a.dir = dir;
  a.manifest_path = (fs::path(dir) / "manifest.json").string();
  a.results_path = (fs::path(dir) / "detections.json").string();
  check<InputError>(fs::is_directory(dir), dir, ": not a detections directory (made by vssoff detect)");
  a.manifest = read_manifest(a.manifest_path, "detections", kDetectionsVersion);
  const std::string& mp = a.manifest_path;
  read_artefact(mp, [&] {
    const Json& m = a.manifest;
    const Json params = m.value("params", Json::object());
    a.model_name = json_get<std::string>(params, "model_name", mp, "");
    a.every = json_get<int>(params, "every", mp, 0);
    const Json& v = m.at("video");
    a.width = json_get<int>(v, "width", mp);
    a.height = json_get<int>(v, "height", mp);
    a.video_frames = json_get<int64_t>(v, "frames", mp);
    const std::vector<int> fps = json_array_as<int>(v.at("fps"), "video.fps", mp);
    check<InputError>(fps.size() == 2 && fps[0] > 0 && fps[1] > 0, mp, ": video.fps must be [num, den] > 0 (got ",
                      v.at("fps").dump(), ")");
    a.fps = {fps[0], fps[1]};
    check<InputError>(a.width > 0 && a.height > 0 && a.video_frames > 0, mp, ": bad video block ", v.dump());
    for (const Json& in : m.at("inputs"))
      if (in.value("role", "") == "video") {
        a.video_path = json_get<std::string>(in, "path", mp);
        a.video_sha256 = json_get<std::string>(in, "sha256", mp);
        break;
      }
    check<InputError>(!a.video_sha256.empty(), mp, ": no \"video\" input with a sha256 among \"inputs\"");
    std::set<int> ids;
    for (const Json& c : m.at("categories")) {
      coco::Category cat_{json_get<int>(c, "id", mp), json_get<std::string>(c, "name", mp), ""};
      check<InputError>(ids.insert(cat_.id).second, mp, ": category id ", cat_.id, " listed twice");
      a.categories.push_back(cat_);
    }
    const std::vector<int64_t> frames = json_array_as<int64_t>(m.at("frames"), "frames", mp);
    for (int64_t f : frames) {
      check<InputError>(f >= 0 && f < a.video_frames, mp, ": frame ", f, " does not exist (the video has ",
                        a.video_frames, " frames)");
      a.frames[f];
    }
    const std::vector<coco::Box> boxes = coco::read_results(a.results_path);
    const std::string& rp = a.results_path;
    for (size_t k = 0; k < boxes.size(); ++k) {
      const coco::Box& b = boxes[k];
      const int64_t f = b.image_id - 1;
      check<InputError>(f >= 0 && f < a.video_frames, rp, ": result ", k, ": image_id ", b.image_id, " is frame ", f,
                        ", which does not exist (the video has ", a.video_frames, " frames)");
      auto it = a.frames.find(f);
      check<InputError>(it != a.frames.end(), rp, ": result ", k, ": frame ", f, " is not among the frames ", mp,
                        " says the detector ran on");
      check<InputError>(ids.count(b.category_id), rp, ": result ", k, ": unknown category_id ", b.category_id,
                        " (not in the categories of ", mp, ")");
      constexpr double kSlack = 0.5;
      check<InputError>(b.w > 0 && b.h > 0, rp, ": result ", k, ": box of non-positive size [", b.x, ", ", b.y, ", ",
                        b.w, ", ", b.h, "]");
      check<InputError>(
          b.x >= -kSlack && b.y >= -kSlack && b.x + b.w <= a.width + kSlack && b.y + b.h <= a.height + kSlack, rp,
          ": result ", k, ": box [", b.x, ", ", b.y, ", ", b.w, ", ", b.h, "] is outside the ", a.width, "x", a.height,
          " image");
      check<InputError>(std::isfinite(b.score), rp, ": result ", k, ": score is not finite");
      it->second.push_back({b.category_id, {b.x, b.y, b.w, b.h}, b.score});
    }
  });
  return a;
}

void write_detections(const std::string& dir, Json manifest,
                      const std::map<int64_t, std::vector<Detection>>& per_frame) {
  std::vector<coco::Box> boxes;
  Json frames = Json::array();
  for (const auto& [f, dets] : per_frame) {
    frames.push_back(f);
    for (const Detection& d : dets) {
      coco::Box b;
      b.image_id = f + 1;
      b.category_id = d.category_id;
      b.x = d.box.x, b.y = d.box.y, b.w = d.box.w, b.h = d.box.h;
      b.score = d.score;
      boxes.push_back(b);
    }
  }
  manifest["frames"] = std::move(frames);
  coco::write_results((fs::path(dir) / "detections.json").string(), boxes, false);
  write_manifest((fs::path(dir) / "manifest.json").string(), manifest, false);
}

}  // namespace vssoff::react
