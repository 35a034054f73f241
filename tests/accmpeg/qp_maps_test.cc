#include "accmpeg/qp_maps.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/fs.h"
#include "test_util.h"

namespace vssoff::accmpeg {
namespace {

TEST(ImportanceLabels, TopKAndThresholdAndZeroGradientsNeverImportant) {
  std::vector<float> g = {0.1f, 5, 3, 0, 0, 4, 0.2f, 1, 0, 2};
  std::vector<uint8_t> top = importance_labels(g.data(), 10, 30, -1);
  std::vector<uint8_t> want_top = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0};
  EXPECT_EQ(top, want_top);
  std::vector<uint8_t> want_thr = {0, 1, 1, 0, 0, 1, 0, 0, 0, 1};
  EXPECT_EQ(importance_labels(g.data(), 10, 30, 1.5), want_thr);
  std::vector<float> zero(10, 0.0f);
  for (uint8_t v : importance_labels(zero.data(), 10, 50, -1)) EXPECT_EQ(v, 0);
}

TEST(RocAuc, PerfectRandomAndTies) {
  EXPECT_DOUBLE_EQ(roc_auc({0.1f, 0.2f, 0.8f, 0.9f}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc({0.9f, 0.8f, 0.2f, 0.1f}, {0, 0, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(roc_auc({0.5f, 0.5f, 0.5f, 0.5f}, {0, 1, 0, 1}), 0.5);
  EXPECT_TRUE(std::isnan(roc_auc({0.1f, 0.2f}, {1, 1})));
}

TEST(SampledFrames, EndsFirstAll) {
  EXPECT_EQ(sampled_frames(25, 10, "ends"), (std::vector<int64_t>{0, 9, 10, 19, 20, 24}));
  EXPECT_EQ(sampled_frames(21, 10, "first"), (std::vector<int64_t>{0, 10, 20}));
  EXPECT_EQ(sampled_frames(21, 10, "ends"), (std::vector<int64_t>{0, 9, 10, 19, 20}));
  EXPECT_EQ(sampled_frames(3, 10, "all").size(), 3u);
  EXPECT_THROW(sampled_frames(3, 10, "middle"), UsageError);
}

// The per-frame rule that predict_importance applies while decoding picks exactly the frames
// of the whole-video rule, for every length and segment size (a last segment of one frame,
// segments of one frame), against a plain restatement of AccMPEG's rule.
TEST(SampledFrames, ThePerFrameRuleMatchesTheWholeVideoRule) {
  for (const std::string rule : {"ends", "first", "all"})
    for (int seg = 1; seg <= 12; ++seg)
      for (int64_t total = 0; total <= 40; ++total) {
        std::vector<int64_t> want;
        for (int64_t s = 0; s < total; s += seg) {
          const int64_t last = std::min<int64_t>(total, s + seg) - 1;
          for (int64_t i = s; i <= last; ++i)
            if (rule == "all" || i == s || (rule == "ends" && i == last)) want.push_back(i);
        }
        EXPECT_EQ(sampled_frames(total, seg, rule), want) << rule << " " << seg << " " << total;
        std::vector<int64_t> streamed;
        for (int64_t i = 0; i < total; ++i)
          if (is_sampled(i, i + 1 == total, seg, rule)) streamed.push_back(i);
        EXPECT_EQ(streamed, want) << rule << " " << seg << " " << total;
      }
  EXPECT_THROW(is_sampled(0, false, 0, "ends"), UsageError);
  EXPECT_THROW(is_sampled(0, false, 10, "middle"), UsageError);
}

// A 6x8 grid (96x128 pixels), two segments of 2 frames.
TEST(QpMapFromImportance, SegmentsAverageTheirFramesAndBordersStayHighQuality) {
  const int rows = 6, cols = 8, cells = rows * cols;
  std::vector<int64_t> frames = {0, 1, 2, 3};
  std::vector<float> imp(4 * cells, 0.0f);
  // Segment 0: a 3x3 block touching the top-left border, in frame 0 only.
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) imp[r * cols + c] = 1;
  // Segment 1: one isolated macroblock (removed by the opening) and a 3x3 block at the right edge.
  imp[2 * cells + 3 * cols + 1] = 1;
  for (int r = 2; r < 5; ++r)
    for (int c = 5; c < 8; ++c) imp[3 * cells + r * cols + c] = 1;
  QpMapParams p;
  p.segment_frames = 2;
  p.threshold = 0.25;  // segment means are 0.5 inside the blocks
  p.qp_hi = 25;
  p.qp_lo = 45;
  std::vector<float> seg;
  codec::QpMap map = qp_map_from_importance(frames, imp, rows, cols, 128, 96, 4, p, &seg);
  ASSERT_EQ(map.count, 2);
  EXPECT_FLOAT_EQ(seg[0], 0.5f);
  auto qp = [&](int s, int r, int c) { return int(map.qp[s * cells + r * cols + c]); };
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(qp(0, r, c), 25) << "corner block survives the opening at " << r << "," << c;
  EXPECT_EQ(qp(0, 4, 6), 45);
  EXPECT_EQ(qp(1, 3, 1), 45) << "an isolated macroblock is cleaned away";
  EXPECT_EQ(qp(1, 3, 7), 25) << "the right-edge block keeps its border column";
  // Dilation grows regions by one macroblock.
  p.dilate = 1;
  codec::QpMap grown = qp_map_from_importance(frames, imp, rows, cols, 128, 96, 4, p);
  EXPECT_EQ(int(grown.qp[3 * cols + 3]), 25);
  EXPECT_EQ(int(map.qp[3 * cols + 3]), 45);
  // A segment without a sampled frame is an error, and so is a grid for another size.
  EXPECT_THROW(qp_map_from_importance({0, 1}, std::vector<float>(imp.begin(), imp.begin() + 2 * cells), rows, cols, 128,
                                      96, 4, p),
               InputError);
  EXPECT_THROW(qp_map_from_importance(frames, imp, rows, cols, 160, 96, 4, p), InputError);
}

TEST(QpMapFromImportance, ANegativeFrameIndexIsAnInputError) {
  // Found reading the code; the input is a seed of the accgrad fuzz target
  // (testdata/fuzz/accgrad/crash-negative-frame.bin). Frame -25 of 10-frame segments fell in
  // segment -2, written before the start of the maps' buffer.
  const int cells = 6 * 8;
  QpMapParams p;
  p.segment_frames = 10;
  EXPECT_THROW(qp_map_from_importance({-25, 0}, std::vector<float>(2 * cells, 1.0f), 6, 8, 128, 96, 10, p), InputError);
}

TEST(QpMapFromBoxes, MacroblocksUnderBoxesOfTheSegment) {
  test::TempDir dir;
  std::string coco = R"({"images": [{"id": 1, "frame_index": 0, "width": 128, "height": 96},
                                    {"id": 2, "frame_index": 1, "width": 128, "height": 96}],
                         "annotations": [{"image_id": 2, "bbox": [20, 20, 10, 10], "category_id": 5}]})";
  write_file_atomic(dir / "boxes.json", coco, true);
  QpMapParams p;
  p.segment_frames = 1;
  p.qp_hi = 30;
  p.qp_lo = 51;
  codec::QpMap map = qp_map_from_boxes(dir / "boxes.json", 128, 96, 2, p, 0);
  ASSERT_EQ(map.count, 2);
  for (uint8_t q : std::vector<uint8_t>(map.qp.begin(), map.qp.begin() + 48)) EXPECT_EQ(q, 51);  // frame 0: no boxes
  EXPECT_EQ(map.qp[48 + 1 * 8 + 1], 30);  // pixels 20..30 lie in macroblock (1, 1)
  EXPECT_EQ(map.qp[48 + 1 * 8 + 2], 51);
  EXPECT_EQ(map.qp[48 + 2 * 8 + 1], 51);
  EXPECT_THROW(qp_map_from_boxes(dir / "boxes.json", 160, 96, 2, p, 0), InputError);  // boxes of another size
}

TEST(QpMapFromImportance, GradedQpFollowsLogImportanceWithinTheClamps) {
  const int rows = 2, cols = 4, cells = rows * cols;
  // Mean importance 1: QP qp_mean there, 3 QP lower per doubling, clamped to [qp_hi, qp_lo];
  // a zero sits 1000x below the mean and gets qp_lo.
  std::vector<float> imp = {1, 2, 4, 0.5f, 0, 0.875f, 0.125f, 0.5f};
  double sum = 0;
  for (float v : imp) sum += v;
  for (float& v : imp) v *= static_cast<float>(cells / sum);  // mean exactly 1
  QpMapParams p;
  p.segment_frames = 1;
  p.graded = 3;
  p.qp_mean = 36;
  p.qp_hi = 32;
  p.qp_lo = 44;
  codec::QpMap map = qp_map_from_importance({0}, imp, rows, cols, 64, 32, 1, p);
  for (int k = 0; k < cells; ++k) {
    const double want = imp[k] > 0 ? std::clamp(std::round(36 - 3 * std::log2(double(imp[k]))), 32.0, 44.0) : 44.0;
    EXPECT_EQ(int(map.qp[k]), int(want)) << "macroblock " << k << " of importance " << imp[k];
  }
  EXPECT_EQ(int(map.qp[4]), 44) << "zero importance: the lowest quality";
  EXPECT_EQ(int(*std::min_element(map.qp.begin(), map.qp.end())), 32) << "the most important is clamped at qp_hi";
  // No importance anywhere: the whole segment at qp_mean.
  codec::QpMap flat = qp_map_from_importance({0}, std::vector<float>(cells, 0.0f), rows, cols, 64, 32, 1, p);
  for (uint8_t q : flat.qp) EXPECT_EQ(int(q), 36);
  p.qp_mean = 50;
  EXPECT_THROW(p.check(), UsageError);
}

TEST(QpMapParams, QpZeroIsRefusedNamingWhy) {
  QpMapParams p;
  p.qp_hi = 0;  // one macroblock at QP 0 would make x264 encode every frame losslessly
  try {
    p.check();
    FAIL() << "qp-hi 0 accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("lossless"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("qp-hi 0"), std::string::npos) << e.what();
  }
  p.qp_hi = 1;
  EXPECT_NO_THROW(p.check());
}

}  // namespace
}  // namespace vssoff::accmpeg
