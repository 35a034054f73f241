#include "core/coco.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/fs.h"
#include "test_util.h"

namespace vssoff::coco {
namespace {

TEST(Coco, DatasetRoundTripKeepsEveryFieldAndWholePixelsStayIntegers) {
  test::TempDir dir;
  Dataset d;
  d.info = {{"description", "t"}};
  d.images = {{.id = 1, .frame_index = 0, .file_name = "a.png", .width = 64, .height = 32},
              {.id = 7, .frame_index = 5, .width = 64, .height = 32}};
  d.annotations = {{.id = 1,
                    .image_id = 1,
                    .category_id = 5,
                    .x = 3,
                    .y = 4,
                    .w = 10,
                    .h = 6,
                    .area = 50,
                    .track_id = 9,
                    .visibility = 0.5},
                   {.id = 2, .image_id = 7, .category_id = 6, .x = 1.5, .y = 2, .w = 3, .h = 4}};
  d.categories = {{5, "vehicle", "vehicle"}, {6, "person", "person"}};
  write_dataset(dir / "d.json", d, false);
  EXPECT_NE(read_file(dir / "d.json").find("\"bbox\":[3,4,10,6]"), std::string::npos);
  EXPECT_THROW(write_dataset(dir / "d.json", d, false), Error);  // no overwrite without force
  Dataset r = read_dataset(dir / "d.json");
  ASSERT_EQ(r.annotations.size(), 2u);
  EXPECT_EQ(r.annotations[0].track_id, 9);
  EXPECT_DOUBLE_EQ(r.annotations[0].visibility, 0.5);
  EXPECT_DOUBLE_EQ(r.annotations[1].x, 1.5);
  EXPECT_DOUBLE_EQ(r.annotations[1].area, 12);  // w x h when not given
  EXPECT_EQ(r.frame_of(7), 5);
  EXPECT_EQ(r.frame_of(1), 0);
  EXPECT_EQ(r.categories[1].name, "person");
  EXPECT_EQ(r.info["description"], "t");
}

TEST(Coco, ResultsRoundTrip) {
  test::TempDir dir;
  write_results(dir / "r.json", {{.image_id = 3, .category_id = 5, .x = 1, .y = 2, .w = 3, .h = 4, .score = 0.25}},
                false);
  std::vector<Box> r = read_results(dir / "r.json");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].image_id, 3);
  EXPECT_DOUBLE_EQ(r[0].score, 0.25);
  EXPECT_DOUBLE_EQ(r[0].h, 4);
}

TEST(Coco, BadBoxesAreInputErrorsNamingTheFileAndEntry) {
  test::TempDir dir;
  auto expect_error = [&](const std::string& text, const std::string& fragment, bool results = false) {
    write_file_atomic(dir / "b.json", text, true);
    try {
      results ? (void)read_results(dir / "b.json") : (void)read_dataset(dir / "b.json");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(dir / "b.json"), std::string::npos) << e.what();
    }
  };
  const std::string img = R"("images": [{"id": 1}], )";
  expect_error("{" + img + R"("annotations": [{"image_id": 1, "category_id": 1, "bbox": [0, 0, -2, 3]}]})",
               "annotation 0: bbox needs finite numbers and w, h >= 0");
  expect_error("{" + img + R"("annotations": [{"image_id": 4, "category_id": 1, "bbox": [0, 0, 2, 3]}]})",
               "image_id 4 is not among the file's images");
  expect_error("{" + img + R"("annotations": [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 2]}]})",
               "bbox must be [x, y, w, h]");
  expect_error(R"({"images": [{"id": 1}, {"id": 1}], "annotations": []})", "image id 1 appears twice");
  expect_error(R"({"images": []})", "no \"annotations\" array");
  expect_error(R"({"annotations": [{"category_id": 1, "bbox": [0, 0, 2, 3]}]})", "image_id");
  expect_error("{not json", "not JSON");
  expect_error(R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 3]}])", "score", true);
  expect_error(R"({"a": 1})", "not a list of results", true);
  // Found by scripts/fuzz.sh (testdata/fuzz/coco/crash-float-image-id.json): a float where an
  // integer belongs was cast with undefined behaviour; and a number too large to parse.
  expect_error(R"({"annotations": [{"image_id": 1.33e29, "category_id": 1, "bbox": [0, 0, 2, 3]}]})",
               "\"image_id\" must be an integer");
  expect_error(R"({"annotations": [{"image_id": 1e111111111111111, "category_id": 1, "bbox": [0, 0, 2, 3]}]})",
               "not JSON");
}

}  // namespace
}  // namespace vssoff::coco
