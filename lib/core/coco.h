// COCO JSON, the one reader and writer of boxes in vssoff (ground truth, detections, regions
// of interest). Two forms, as pycocotools has them:
//  - dataset form: {"info", "images": [{"id", "file_name", "width", "height", and vssoff's
//    "frame_index"}], "annotations": [{"id", "image_id", "category_id", "bbox": [x, y, w, h],
//    "area", "iscrowd", and vssoff's "track_id" and "visibility"}], "categories": [{"id",
//    "name", "supercategory"}]};
//  - results form: a list of {"image_id", "category_id", "bbox", "score"}.
// Boxes are in pixels of the image, x and y its top-left corner. An image's frame index is
// its "frame_index" when given, else its id - 1 (vssoff writes ids = frame + 1).
//
// Reading checks what a consumer relies on and names the file, the entry and the value
// (InputError): bbox four finite numbers with w, h >= 0; image ids unique; when the file
// lists images, every box's image_id among them; a score in results. Writing is atomic and
// refuses to overwrite without force; integral numbers are written as integers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/manifest.h"

namespace vssoff::coco {

struct Image {
  int64_t id = 0;
  int64_t frame_index = -1;  // -1: not given (the frame is then id - 1)
  std::string file_name;
  int width = 0, height = 0;  // 0: not given
  int64_t frame() const { return frame_index >= 0 ? frame_index : id - 1; }
};

struct Box {
  int64_t id = 0;  // annotation id (dataset form); 0 in results
  int64_t image_id = 0;
  int category_id = 0;
  double x = 0, y = 0, w = 0, h = 0;
  double score = -1;  // results form; -1 in ground truth
  double area = -1;   // dataset form; -1: not given (w x h)
  int iscrowd = 0;
  int64_t track_id = -1;   // vssoff: stable object id across frames; -1: none
  double visibility = -1;  // vssoff: visible share of the object; -1: not given
};

struct Category {
  int id = 0;
  std::string name, supercategory;
};

struct Dataset {
  Json info = Json::object();
  std::vector<Image> images;
  std::vector<Box> annotations;
  std::vector<Category> categories;
  // The frame index of an image id (images listed, or id - 1 when the file lists none).
  int64_t frame_of(int64_t image_id) const;
};

Dataset read_dataset(const std::string& path);
void write_dataset(const std::string& path, const Dataset& dataset, bool force);

std::vector<Box> read_results(const std::string& path);
void write_results(const std::string& path, const std::vector<Box>& boxes, bool force);

}  // namespace vssoff::coco
