#include "core/coco.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "core/error.h"
#include "core/fs.h"

namespace vssoff::coco {
namespace {

Json number(double v) {  // integral values as integers: boxes of whole pixels stay "[3,4,5,6]"
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15) return static_cast<int64_t>(v);
  return v;
}

Json parse(const std::string& path) {
  check_input_file(path, "COCO JSON");
  try {
    return Json::parse(read_file(path));
  } catch (const Json::exception& e) {
    throw InputError(cat(path, ": not JSON: ", e.what()));
  }
}

// An integer field: nlohmann converts a float to an integer with a plain cast, undefined out of
// range, so floats are checked first.
int64_t integer(const Json& j, const char* key, const std::string& where) {
  const Json& v = j.at(key);
  if (v.is_number_float()) {
    const double d = v.get<double>();
    check<InputError>(std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15, where, ": \"", key,
                      "\" must be an integer (got ", v.dump(), ")");
    return static_cast<int64_t>(d);
  }
  return v.get<int64_t>();
}

int64_t integer_or(const Json& j, const char* key, int64_t fallback, const std::string& where) {
  return j.contains(key) ? integer(j, key, where) : fallback;
}

Box read_box(const Json& a, const std::string& path, size_t index, bool result) {
  const std::string where = cat(path, ": ", result ? "result " : "annotation ", index);
  Box b;
  b.id = integer_or(a, "id", 0, where);
  b.image_id = integer(a, "image_id", where);
  const int64_t category = integer(a, "category_id", where);
  check<InputError>(category >= 0 && category <= std::numeric_limits<int>::max(), where, ": category_id ", category,
                    " is out of range");
  b.category_id = static_cast<int>(category);
  const Json& bbox = a.at("bbox");
  check<InputError>(bbox.is_array() && bbox.size() == 4, where, ": bbox must be [x, y, w, h] (got ", bbox.dump(), ")");
  b.x = bbox[0].get<double>(), b.y = bbox[1].get<double>(), b.w = bbox[2].get<double>(), b.h = bbox[3].get<double>();
  check<InputError>(
      std::isfinite(b.x) && std::isfinite(b.y) && std::isfinite(b.w) && std::isfinite(b.h) && b.w >= 0 && b.h >= 0,
      where, ": bbox needs finite numbers and w, h >= 0 (got ", bbox.dump(), ")");
  if (result) {
    b.score = a.at("score").get<double>();
    check<InputError>(std::isfinite(b.score), where, ": score must be a finite number");
  }
  b.area = a.value("area", -1.0);
  b.iscrowd = integer_or(a, "iscrowd", 0, where) != 0;
  b.track_id = integer_or(a, "track_id", -1, where);
  b.visibility = a.value("visibility", -1.0);
  return b;
}

}  // namespace

int64_t Dataset::frame_of(int64_t image_id) const {
  // vssoff's own files list image id k at position k - 1: look there first.
  if (image_id >= 1 && image_id <= static_cast<int64_t>(images.size()) && images[image_id - 1].id == image_id)
    return images[image_id - 1].frame();
  for (const Image& im : images)
    if (im.id == image_id) return im.frame();
  return image_id - 1;
}

Dataset read_dataset(const std::string& path) {
  Json j = parse(path);
  return read_artefact(path, [&] {
    check<InputError>(j.is_object() && j.contains("annotations") && j["annotations"].is_array(), path,
                      ": no \"annotations\" array (COCO dataset form expected)");
    Dataset d;
    d.info = j.value("info", Json::object());
    std::set<int64_t> ids;
    for (const Json& im : j.value("images", Json::array())) {
      Image i;
      const std::string where = cat(path, ": image");
      i.id = integer(im, "id", where);
      i.frame_index = integer_or(im, "frame_index", -1, where);
      i.file_name = im.value("file_name", "");
      const int64_t width = integer_or(im, "width", 0, where), height = integer_or(im, "height", 0, where);
      check<InputError>(width >= 0 && height >= 0 && width <= 1 << 16 && height <= 1 << 16, where, " ", i.id, ": size ",
                        width, "x", height, " is out of range");
      i.width = static_cast<int>(width), i.height = static_cast<int>(height);
      check<InputError>(ids.insert(i.id).second, path, ": image id ", i.id, " appears twice");
      d.images.push_back(i);
    }
    const Json& anns = j["annotations"];
    for (size_t k = 0; k < anns.size(); ++k) {
      Box b = read_box(anns[k], path, k, false);
      check<InputError>(ids.empty() || ids.count(b.image_id), path, ": annotation ", k, ": image_id ", b.image_id,
                        " is not among the file's images");
      d.annotations.push_back(b);
    }
    for (const Json& c : j.value("categories", Json::array()))
      d.categories.push_back({static_cast<int>(std::clamp<int64_t>(integer(c, "id", path + ": category"), -1, 1 << 30)),
                              c.value("name", ""), c.value("supercategory", "")});
    return d;
  });
}

void write_dataset(const std::string& path, const Dataset& d, bool force) {
  Json images = Json::array(), annotations = Json::array(), categories = Json::array();
  for (const Image& i : d.images) {
    Json im = {{"id", i.id}};
    if (i.frame_index >= 0) im["frame_index"] = i.frame_index;
    if (!i.file_name.empty()) im["file_name"] = i.file_name;
    if (i.width > 0) im["width"] = i.width, im["height"] = i.height;
    images.push_back(im);
  }
  for (const Box& b : d.annotations) {
    Json a = {{"id", b.id},
              {"image_id", b.image_id},
              {"category_id", b.category_id},
              {"bbox", {number(b.x), number(b.y), number(b.w), number(b.h)}},
              {"area", number(b.area >= 0 ? b.area : b.w * b.h)},
              {"iscrowd", b.iscrowd}};
    if (b.track_id >= 0) a["track_id"] = b.track_id;
    if (b.visibility >= 0) a["visibility"] = b.visibility;
    annotations.push_back(a);
  }
  for (const Category& c : d.categories)
    categories.push_back({{"id", c.id}, {"name", c.name}, {"supercategory", c.supercategory}});
  Json j = {{"info", d.info}, {"images", images}, {"annotations", annotations}, {"categories", categories}};
  write_file_atomic(path, j.dump(), force);
}

std::vector<Box> read_results(const std::string& path) {
  Json j = parse(path);
  return read_artefact(path, [&] {
    check<InputError>(j.is_array(), path, ": not a list of results (COCO results form expected)");
    std::vector<Box> boxes;
    for (size_t k = 0; k < j.size(); ++k) boxes.push_back(read_box(j[k], path, k, true));
    return boxes;
  });
}

void write_results(const std::string& path, const std::vector<Box>& boxes, bool force) {
  Json j = Json::array();
  for (const Box& b : boxes)
    j.push_back({{"image_id", b.image_id},
                 {"category_id", b.category_id},
                 {"bbox", {number(b.x), number(b.y), number(b.w), number(b.h)}},
                 {"score", b.score}});
  write_file_atomic(path, j.dump(), force);
}

}  // namespace vssoff::coco
