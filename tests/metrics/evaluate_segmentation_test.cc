#include "metrics/evaluate_segmentation.h"

#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/fs.h"
#include "test_util.h"
#include "video/picture.h"

namespace vssoff::metrics {
namespace {

void write_labels(const std::string& dir, int frames, int w, int h, uint8_t (*label)(int f, int x, int y)) {
  std::filesystem::create_directories(dir);
  for (int f = 0; f < frames; ++f) {
    video::Frame l;
    l.allocate(w, h, video::PixelFormat::kGray8);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) l.plane(0)[y * w + x] = label(f, x, y);
    char name[32];
    std::snprintf(name, sizeof name, "/%06d.png", f);
    video::write_png(dir + name, l, false);
  }
}

uint8_t truth(int, int x, int) { return x < 10 ? 0 : (x < 15 ? 5 : 1); }
uint8_t shifted(int f, int x, int y) { return f == 1 && x == 10 ? 0 : truth(f, x, y); }

TEST(EvaluateSegmentation, PerfectAndDegradedPredictions) {
  test::TempDir dir;
  write_labels(dir / "ref", 4, 20, 8, truth);
  write_labels(dir / "pred", 4, 20, 8, shifted);
  SegEvalOptions o;
  o.predicted = dir / "ref";
  o.reference = dir / "ref";
  o.num_classes = 6;
  EXPECT_DOUBLE_EQ(evaluate_segmentation(o).overall.mean_iou(), 1.0);

  o.predicted = dir / "pred";
  o.segment_frames = 2;
  o.output = dir / "report.json";
  o.frames_csv = dir / "frames.csv";
  SegEvalResult r = evaluate_segmentation(o);
  // Frame 1: one column (8 pixels) of class 5 predicted as 0.
  EXPECT_EQ(r.overall.count(5, 0), 8);
  EXPECT_DOUBLE_EQ(r.overall.iou(5), (4 * 40.0 - 8) / (4 * 40.0));
  EXPECT_DOUBLE_EQ(r.overall.iou(0), (4 * 80.0) / (4 * 80.0 + 8));
  EXPECT_DOUBLE_EQ(r.foreground.value(), (4 * 40.0 - 8) / (4 * 40.0));
  Json rep = read_manifest(dir / "report.json", "evaluation", kEvaluationVersion);
  ASSERT_EQ(rep["segments"].size(), 2u);
  EXPECT_DOUBLE_EQ(rep["segments"][1]["miou"].get<double>(), 1.0);  // frames 2, 3 are perfect
  EXPECT_LT(rep["segments"][0]["miou"].get<double>(), 1.0);
  EXPECT_TRUE(rep["overall"]["classes"][3]["iou"].is_null());  // class 3 in neither map
  EXPECT_TRUE(std::filesystem::exists(dir / "frames.csv"));
}

TEST(EvaluateSegmentation, MismatchesAreClearErrors) {
  test::TempDir dir;
  write_labels(dir / "ref", 4, 20, 8, truth);
  write_labels(dir / "few", 2, 20, 8, truth);
  write_labels(dir / "small", 4, 10, 8, truth);
  SegEvalOptions o;
  o.predicted = dir / "few";
  o.reference = dir / "ref";
  o.num_classes = 6;
  EXPECT_THROW(evaluate_segmentation(o), InputError);  // 2 vs 4 frames
  o.subset = true;
  EXPECT_EQ(evaluate_segmentation(o).frames, 2);
  o.predicted = dir / "small";
  try {
    evaluate_segmentation(o);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("is 10x8"), std::string::npos) << e.what();
  }
  o.predicted = dir / "ref";
  o.num_classes = 3;  // label 5 is not a class
  EXPECT_THROW(evaluate_segmentation(o), InputError);
  o.num_classes = 0;  // no legend anywhere
  EXPECT_THROW(evaluate_segmentation(o), UsageError);
  std::filesystem::create_directories(dir / "empty");
  o.predicted = dir / "empty";
  o.num_classes = 6;
  EXPECT_THROW(evaluate_segmentation(o), InputError);
}

TEST(OpenLabelSet, ReadsTheLegendAndRefusesClassIdsThatAreNoLabelValue) {
  // Found reading the code; the inputs are kept as seeds of the labels fuzz target
  // (testdata/fuzz/labels/crash-id-*.json). A legend id of -1 wrapped to SIZE_MAX and was
  // written past the end of the names, 4e12 ran out of memory, and 1e30 was cast to an
  // integer (undefined).
  test::TempDir dir;
  write_labels(dir / "seg/labels", 1, 4, 4, truth);
  auto manifest = [&](const std::string& id) {
    write_file_atomic(dir / "seg/manifest.json",
                      R"({"format": "vssoff.segmentation", "version": 1, "labels_pattern": "labels/%06d.png",
                          "legend": [{"id": 0, "name": "road"}, {"id": )" +
                          id + R"(, "name": "car"}]})",
                      true);
  };
  manifest("5");
  LabelSet set = open_label_set(dir / "seg");
  ASSERT_EQ(set.class_names.size(), 6u);
  EXPECT_EQ(set.class_names[5], "car");
  EXPECT_EQ(set.files.size(), 1u);
  for (const char* id : {"-1", "4000000000000", "1e30", "255", "\"5\""}) {
    manifest(id);
    EXPECT_THROW(open_label_set(dir / "seg"), InputError) << id;
  }
}

// A palette PNG (PASCAL VOC style) written by hand: 4x1 pixels with indices 0 1 2 5 and a
// palette whose colours are unrelated to the indices.
TEST(EvaluateSegmentation, PaletteLabelImagesAreReadAsIndices) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "pal");
  std::string cmd =
      "/usr/bin/python3 -c \"\nimport struct, zlib\n"
      "def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))\n"
      "png = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 4, 1, 8, 3, 0, 0, 0))\n"
      "png += chunk(b'PLTE', bytes([250, 0, 0, 0, 250, 0, 0, 0, 250, 9, 9, 9, 8, 8, 8, 200, 200, 200]))\n"
      "png += chunk(b'IDAT', zlib.compress(bytes([0, 0, 1, 2, 5]))) + chunk(b'IEND', b'')\n"
      "open('" +
      (dir / "pal/000000.png") + "', 'wb').write(png)\n\"";
  ASSERT_EQ(test::run(cmd), 0);
  video::Frame f = video::read_image(dir / "pal/000000.png", video::PixelFormat::kGray8);
  ASSERT_EQ(f.width, 4);
  EXPECT_EQ(std::vector<uint8_t>(f.data.begin(), f.data.end()), (std::vector<uint8_t>{0, 1, 2, 5}));
}

}  // namespace
}  // namespace vssoff::metrics
