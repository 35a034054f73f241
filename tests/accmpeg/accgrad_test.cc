#include "accmpeg/accgrad.h"

#include <filesystem>

#include "accmpeg/cheap_model.h"
#include "core/error.h"
#include "core/fs.h"
#include "nn/model_card.h"
#include "nn/runner.h"
#include "nn/segmenter.h"
#include "test_util.h"

namespace vssoff::accmpeg {
namespace {

// A TorchScript model that only looks at the left half of the frame: the right half's
// logits are constant, so its accuracy gradient must be exactly zero.
void export_left_half(const std::string& dir) {
  std::string py = R"PY(
import sys, torch
class LeftHalf(torch.nn.Module):
    def forward(self, x):
        w = x.shape[3]
        mask = torch.zeros_like(x)
        mask[:, :, :, : w // 2] = 1.0
        return torch.cat([x * mask * 10.0, torch.zeros_like(x[:, :1])], 1)
torch.jit.script(LeftHalf()).save(sys.argv[1] + "/left.pt")
)PY";
  write_file_atomic(dir + "/export.py", py, true);
  ASSERT_EQ(test::run("/usr/bin/python3 " + dir + "/export.py " + dir), 0);
  nn::ModelCard c;
  c.name = "left-half";
  c.architecture = "torchscript";
  c.classes = {"r", "g", "b", "none"};
  c.mean = {0, 0, 0};
  c.std = {1, 1, 1};
  c.stride = 1;
  c.weights = "left.pt";
  write_model_card(dir + "/left.json", c, true);
}

video::Frame noise_frame(int w, int h, uint32_t seed) {
  video::Frame f;
  f.allocate(w, h, video::PixelFormat::kRgb24);
  for (auto& v : f.data) v = static_cast<uint8_t>((seed = seed * 1664525u + 1013904223u) >> 24);
  return f;
}

TEST(AccuracyGradient, ZeroWhereTheModelDoesNotLookAndTaylorZeroWithoutChange) {
  test::TempDir dir;
  export_left_half(dir.path());
  nn::RunnerOptions ro;
  ro.differentiable = true;
  ro.threads = 1;
  nn::ModelRunner seg(dir / "left.json", ro);
  video::Frame f = noise_frame(72, 40, 7);  // 3 x 5 macroblocks (the last column and row partial)
  std::vector<float> g = accuracy_gradient(seg, f, nullptr, 16);
  ASSERT_EQ(g.size(), 15u);
  for (int r = 0; r < 3; ++r) {
    EXPECT_GT(g[r * 5 + 0], 0) << r;
    EXPECT_GT(g[r * 5 + 1], 0) << r;
    EXPECT_EQ(g[r * 5 + 3], 0) << r;  // pixels 48..63: right half
    EXPECT_EQ(g[r * 5 + 4], 0) << r;
  }
  for (float v : accuracy_gradient(seg, f, &f, 16)) EXPECT_EQ(v, 0);  // high == low: nothing to gain
  video::Frame low = noise_frame(72, 40, 8);
  std::vector<float> t = accuracy_gradient(seg, f, &low, 16);
  EXPECT_GT(t[0], 0);
  EXPECT_EQ(t[4], 0);
  // An inference-only runner refuses.
  nn::ModelRunner plain(dir / "left.json", nn::RunnerOptions{});
  EXPECT_THROW(accuracy_gradient(plain, f, nullptr, 16), RuntimeError);
}

}  // namespace
}  // namespace vssoff::accmpeg
