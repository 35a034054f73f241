#include "accmpeg/cheap_model.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include "accmpeg/accgrad.h"
#include "accmpeg/qp_maps.h"
#include "core/error.h"
#include "core/manifest.h"
#include "core/npy.h"
#include "nn/runner.h"
#include "test_util.h"
#include "video/reader.h"

namespace vssoff::accmpeg {
namespace {

constexpr int kW = 160, kH = 96, kFrames = 15, kRows = kH / kMacroblock, kCols = kW / kMacroblock;

// An accgrad-like input where importance is a learnable pattern: each macroblock's
// "gradient" is its mean luma squared, so the brightest 20% are the important ones.
class CheapModel : public ::testing::Test {
 protected:
  void SetUp() override {
    vssoff::test::make_clip(dir / "clip.mp4", kW, kH, kFrames);
    video::ReaderOptions ro;
    ro.format = video::PixelFormat::kGray8;
    video::VideoReader reader(dir / "clip.mp4", ro);
    video::Frame f;
    std::vector<int64_t> frames;
    while (reader.read(&f)) {
      for (int r = 0; r < kRows; ++r)
        for (int c = 0; c < kCols; ++c) {
          double sum = 0;
          for (int y = 0; y < kMacroblock; ++y)
            for (int x = 0; x < kMacroblock; ++x)
              sum += f.plane(0)[(r * kMacroblock + y) * f.stride(0) + c * kMacroblock + x];
          double mean = sum / (kMacroblock * kMacroblock) / 255;
          grad.push_back(static_cast<float>(mean * mean));
        }
      frames.push_back(static_cast<int64_t>(frames.size()));
    }
    ASSERT_EQ(frames.size(), size_t(kFrames));
    const std::string npy = dir / "g.npy";
    write_npy(npy, NpyArray::from<float>({kFrames, kRows, kCols}, grad), true);
    Json m = new_manifest("accgrad", kAccGradVersion);
    m["params"] = {{"mode", "grad"}, {"macroblock", kMacroblock}, {"width", kW},
                   {"height", kH},   {"mb_rows", kRows},          {"mb_cols", kCols}};
    m["server_model"] = {{"name", "bright"}, {"weights_sha256", "0"}};
    m["frames"] = frames;
    add_input(m, "video", dir / "clip.mp4");
    add_sidecar(m, "accgrad", manifest_path_for(npy), npy);
    write_manifest(manifest_path_for(npy), m, true);
  }
  TrainCheapOptions options() {
    TrainCheapOptions o;
    o.accgrad = {dir / "g.npy"};
    o.output = dir / "cheap.json";
    o.width = 4;
    o.epochs = 25;
    o.patience = 25;
    o.batch = 4;
    o.lr = 1e-2;
    o.threads = 2;
    return o;
  }
  vssoff::test::TempDir dir;
  std::vector<float> grad;  // [frames x rows x cols]
};

// AUC of predicted importance on frames [first, kFrames) against the top-20% labels.
double auc_on(const ImportanceResult& r, const std::vector<float>& grad, int64_t first) {
  std::vector<float> scores(r.importance.begin(), r.importance.end());
  std::vector<uint8_t> labels;
  for (int64_t i = first; i < kFrames; ++i) {
    std::vector<uint8_t> l = importance_labels(grad.data() + i * kRows * kCols, kRows * kCols, 20, -1);
    labels.insert(labels.end(), l.begin(), l.end());
  }
  return roc_auc(scores, labels);
}

TEST_F(CheapModel, LearnsThatBrightMacroblocksMatterOnHeldOutFrames) {
  TrainCheapResult t = train_cheap_model(options());
  EXPECT_EQ(t.train_frames, 12);
  EXPECT_EQ(t.val_frames, 3);
  // Chance is 0.5; the network must clearly have learned the pattern.
  EXPECT_GE(t.val_auc, 0.8) << "held-out AUC";
  EXPECT_EQ(t.card["task"], "mb-importance");
  // predict_importance on the held-out frames: the grid's shape, and the same AUC.
  ImportanceOptions io;
  io.input = dir / "clip.mp4";
  io.model = dir / "cheap.json";
  io.frames = {12, 13, 14};
  io.threads = 2;
  ImportanceResult r = predict_importance(io);
  EXPECT_EQ(r.frames, io.frames);
  EXPECT_EQ(r.rows, kRows);
  EXPECT_EQ(r.cols, kCols);
  ASSERT_EQ(r.importance.size(), size_t(3 * kRows * kCols));
  ASSERT_EQ(r.relative.size(), r.importance.size());
  for (float p : r.importance) EXPECT_TRUE(p >= 0 && p <= 1) << p;
  EXPECT_NEAR(auc_on(r, grad, 12), t.val_auc, 0.02);
  EXPECT_THROW(train_cheap_model(options()), InputError);  // exists, no force
}

// With a sampling rule, predict_importance decodes once and scores what sampled_frames
// picks for the length it found: 15 frames in segments of 4 end with a 3-frame segment.
TEST_F(CheapModel, SamplesWhileDecodingWhatTheWholeVideoRuleSamples) {
  for (const std::string rule : {"ends", "first", "all"}) {
    ImportanceOptions io;
    io.input = dir / "clip.mp4";
    io.model = std::string(VSSOFF_SOURCE_DIR) + "/models/accmpeg-cheap-w24.json";
    io.sample = rule;
    io.segment_frames = 4;
    io.threads = 1;
    ImportanceResult r = predict_importance(io);
    EXPECT_EQ(r.frames_decoded, kFrames) << rule;
    EXPECT_EQ(r.frames, sampled_frames(kFrames, 4, rule)) << rule;
    EXPECT_EQ(r.importance.size(), r.frames.size() * kRows * kCols) << rule;
  }
}

// The shipped cheap model runs through cheapnet's TorchScript form (frozen, batch norm
// folded): the same outputs as the eager C++ module, which a differentiable runner keeps.
TEST(CheapNetRunner, TorchScriptFormGivesTheEagerOutputs) {
  const std::string model = std::string(VSSOFF_SOURCE_DIR) + "/models/accmpeg-cheap-w24.json";
  nn::RunnerOptions fast, eager;
  fast.threads = eager.threads = 2;
  eager.differentiable = true;
  nn::ModelRunner a(model, fast), b(model, eager);
  EXPECT_TRUE(a.optimised());
  EXPECT_FALSE(b.optimised());
  torch::manual_seed(4);
  torch::Tensor x = torch::rand({1, 3, 96, 160});
  torch::NoGradGuard no_grad;
  torch::Tensor ya = nn::dense_output(a.forward_frames(x, false), 1, "a");
  torch::Tensor yb = nn::dense_output(b.forward_frames(x, false), 1, "b");
  ASSERT_EQ(ya.sizes(), yb.sizes());
  EXPECT_LT((ya - yb).abs().max().item<float>(), 1e-3f * std::max(1.0f, yb.abs().max().item<float>()));
}

}  // namespace
}  // namespace vssoff::accmpeg
