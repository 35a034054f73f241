#include "nn/segmenter.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/fs.h"
#include "nn/model_card.h"
#include "test_util.h"

namespace vssoff::nn {
namespace {

// TorchScript models exported by Debian's python3-torch: "stripes" returns 10 x its input,
// so with RGB in [0, 1] and no normalisation the label is the dominant colour channel.
void export_models(const std::string& dir) {
  std::string py = R"PY(
import sys, torch
d = sys.argv[1]
class Stripes(torch.nn.Module):
    def forward(self, x): return x * 10.0
class DictOut(torch.nn.Module):
    def forward(self, x): return {"out": x * 10.0, "aux": x}
class TupleOut(torch.nn.Module):
    def forward(self, x): return (x * 10.0, x)
class Flat(torch.nn.Module):
    def forward(self, x): return x.mean(dim=(2, 3))
class Fixed(torch.nn.Module):  # only works on 32x32 inputs
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3 * 32 * 32, 3 * 32 * 32)
    def forward(self, x): return self.fc(x.flatten(1)).view(x.shape[0], 3, 32, 32)
class NanOut(torch.nn.Module):  # NaN wherever a channel is bright
    def forward(self, x): return torch.where(x > 0.8, torch.full_like(x, float("nan")), x * 10.0)
class Conv(torch.nn.Module):  # stripes as a 1x1 convolution: weights that freezing folds
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 3, 1)
        with torch.no_grad():
            self.conv.weight.copy_(10.0 * torch.eye(3).view(3, 3, 1, 1))
            self.conv.bias.zero_()
    def forward(self, x): return self.conv(x)
class InfOut(torch.nn.Module):  # +inf everywhere
    def forward(self, x): return x * 10.0 + 1.0 / (x * 0.0)
ex = torch.rand(1, 3, 32, 32)
torch.jit.trace(NanOut(), ex).save(d + "/nan.pt")
torch.jit.trace(InfOut(), ex).save(d + "/inf.pt")
torch.jit.trace(Fixed(), ex).save(d + "/fixed.pt")
torch.jit.script(Conv().eval()).save(d + "/conv.pt")
torch.jit.trace(Stripes(), ex).save(d + "/stripes.pt")
torch.jit.script(DictOut()).save(d + "/dict.pt")
torch.jit.script(TupleOut()).save(d + "/tuple.pt")
torch.jit.trace(Flat(), ex).save(d + "/flat.pt")
)PY";
  write_file_atomic(dir + "/export.py", py, true);
  ASSERT_EQ(test::run("/usr/bin/python3 " + dir + "/export.py " + dir), 0);
}

void write_card(const std::string& path, const std::string& weights, int classes) {
  ModelCard c;
  c.name = "stripes";
  c.architecture = "torchscript";
  for (int k = 0; k < classes; ++k) c.classes.push_back("c" + std::to_string(k));
  c.mean = {0, 0, 0};
  c.std = {1, 1, 1};
  c.stride = 1;
  c.weights = weights;
  write_model_card(path, c, true);
}

video::Frame stripes(int w, int h) {
  video::Frame f;
  f.allocate(w, h, video::PixelFormat::kRgb24);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = f.plane(0) + (y * w + x) * 3;
      int band = x * 3 / w;
      p[0] = band == 0 ? 220 : 30;
      p[1] = band == 1 ? 220 : 30;
      p[2] = band == 2 ? 220 : 30;
    }
  return f;
}

class SegmenterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    export_models(dir_->path());
  }
  static void TearDownTestSuite() { delete dir_; }
  static test::TempDir* dir_;
};
test::TempDir* SegmenterTest::dir_ = nullptr;

TEST_F(SegmenterTest, LabelsAndStatsFromAKnownModelInEveryOutputForm) {
  for (const char* name : {"stripes.pt", "dict.pt", "tuple.pt"}) {
    write_card(*dir_ / (std::string(name) + ".json"), name, 3);
    Segmenter seg(*dir_ / name, {});
    EXPECT_EQ(seg.card().name, "stripes");
    video::Frame f = stripes(90, 20);
    std::vector<Segmentation> out = seg.run({&f, &f}, {0, 89});
    ASSERT_EQ(out.size(), 2u) << name;
    for (int x = 0; x < 90; ++x) ASSERT_EQ(out[1].labels[5 * 90 + x], x * 3 / 90) << name << " x " << x;
    const SoftmaxStats& st = out[0].stats;
    EXPECT_NEAR(st.class_share[0], 1.0 / 3, 1e-9);
    EXPECT_GT(st.mean_max_prob, 0.99);  // logits differ by 7.6: softmax is nearly one-hot
    EXPECT_LT(st.mean_norm_entropy, 0.05);
    EXPECT_EQ(st.frac_below_050, 0.0);
    ASSERT_EQ(out[0].logits.size(), 6u);                    // [C=3 x 2 samples]
    EXPECT_NEAR(out[0].logits[0], 220 / 255.0 * 10, 1e-4);  // class 0 at pixel 0 (red)
  }
}

// A server that runs on a downscaled frame reports labels at the camera's size.
TEST_F(SegmenterTest, LabelsAtARequestedSize) {
  write_card(*dir_ / "stripes.pt.json", "stripes.pt", 3);
  Segmenter seg(*dir_ / "stripes.pt", {});
  video::Frame small = stripes(45, 10);
  std::vector<Segmentation> out = seg.run({&small}, {}, 90, 20);
  ASSERT_EQ(out[0].labels.size(), 90u * 20);
  for (int x = 0; x < 90; ++x)
    if (x % 30 != 29 && x % 30 != 0) ASSERT_EQ(out[0].labels[7 * 90 + x], x * 3 / 90) << "x " << x;  // band edges blur
  EXPECT_THROW(seg.run({&small}, {}, 90, 0), RuntimeError);
}

// The one-pass kernel against the textbook definitions, in double precision.
TEST(SoftmaxStats, MatchesTheDefinitions) {
  const int C = 5, H = 7, W = 13;
  std::vector<float> logits(C * H * W);
  uint32_t state = 12345;
  for (float& v : logits) v = ((state = state * 1664525u + 1013904223u) >> 8) / float(1 << 24) * 8 - 4;
  std::vector<uint8_t> labels(H * W), conf(H * W);
  SoftmaxStats st;
  softmax_stats(logits.data(), C, H, W, labels.data(), conf.data(), &st);
  double maxp = 0, ent = 0, margin = 0, below07 = 0;
  std::vector<double> share(C, 0), confsum(C, 0);
  for (int i = 0; i < H * W; ++i) {
    std::vector<double> p(C);
    double s = 0;
    for (int c = 0; c < C; ++c) s += p[c] = std::exp(double(logits[c * H * W + i]));
    for (double& v : p) v /= s;
    std::vector<double> sorted = p;
    std::sort(sorted.rbegin(), sorted.rend());
    int arg = int(std::max_element(p.begin(), p.end()) - p.begin());
    ASSERT_EQ(labels[i], arg) << "pixel " << i;
    ASSERT_NEAR(conf[i], sorted[0] * 255, 0.51) << "pixel " << i;
    maxp += sorted[0];
    margin += sorted[0] - sorted[1];
    below07 += sorted[0] < 0.7;
    for (double v : p) ent -= v * std::log(v) / std::log(double(C));
    share[arg] += 1;
    confsum[arg] += sorted[0];
  }
  const double n = H * W;
  EXPECT_NEAR(st.mean_max_prob, maxp / n, 1e-6);
  EXPECT_NEAR(st.mean_norm_entropy, ent / n, 1e-6);
  EXPECT_NEAR(st.mean_margin, margin / n, 1e-6);
  EXPECT_NEAR(st.frac_below_070, below07 / n, 1e-12);
  for (int c = 0; c < C; ++c) {
    EXPECT_NEAR(st.class_share[c], share[c] / n, 1e-12);
    if (share[c] > 0)
      EXPECT_NEAR(st.class_confidence[c], confsum[c] / share[c], 1e-6);
    else
      EXPECT_TRUE(std::isnan(st.class_confidence[c]));
  }
}

TEST_F(SegmenterTest, NonFiniteLogitsAreAnErrorNamingTheModelAndTheFrame) {
  // They used to come out as label 0 everywhere, with exit 0 and no warning.
  write_card(*dir_ / "nan.json", "nan.pt", 3);
  write_card(*dir_ / "inf.json", "inf.pt", 3);
  video::Frame f = stripes(60, 20), g = stripes(60, 20);
  f.index = 7;
  g.index = 8;
  Segmenter nan(*dir_ / "nan.json", {});
  try {
    nan.run({&f, &g});
    FAIL() << "NaN logits accepted";
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("nan.pt"), std::string::npos) << msg;
    EXPECT_NE(msg.find("frame 7"), std::string::npos) << msg;
    EXPECT_NE(msg.find("1200 non-finite logits (1200 NaN"), std::string::npos) << msg;  // one bright channel per pixel
  }
  Segmenter inf(*dir_ / "inf.json", {});
  g.index = -1;
  try {
    inf.run({&g});
    FAIL() << "infinite logits accepted";
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("inf.pt"), std::string::npos) << msg;
    EXPECT_NE(msg.find("frame 0 of the batch"), std::string::npos) << msg;
    EXPECT_NE(msg.find("0 NaN, 3600 infinite"), std::string::npos) << msg;
  }
}

TEST_F(SegmenterTest, BareTorchScriptGetsTheAssumedCard) {
  std::filesystem::copy_file(*dir_ / "stripes.pt", *dir_ / "bare.pt",
                             std::filesystem::copy_options::overwrite_existing);
  Segmenter seg(*dir_ / "bare.pt", {});
  EXPECT_EQ(seg.card().architecture, "torchscript");
  EXPECT_EQ(seg.card().stride, 32);
  video::Frame f = stripes(90, 20);  // run at 96x32, labels back at 90x20
  std::vector<Segmentation> out = seg.run({&f});
  EXPECT_EQ(seg.num_classes(), 3);  // learnt from the output
  ASSERT_EQ(out[0].labels.size(), 90u * 20);
  for (uint8_t l : out[0].labels) ASSERT_LT(l, 3);
}

// Defect: a frozen TorchScript model kept float32 weights while its input went to bfloat16.
TEST_F(SegmenterTest, TorchScriptRunsInBfloat16) {
  if (!cpu_has_bf16()) GTEST_SKIP() << "this CPU has no native bfloat16";
  write_card(*dir_ / "conv.json", "conv.pt", 3);
  SegmenterOptions opt;
  opt.bf16 = true;
  Segmenter bf16(*dir_ / "conv.json", opt), fp32(*dir_ / "conv.json", {});
  EXPECT_TRUE(bf16.using_bf16());
  video::Frame f = stripes(90, 20);
  std::vector<Segmentation> a = bf16.run({&f}), b = fp32.run({&f});
  EXPECT_EQ(a[0].labels, b[0].labels);
  EXPECT_EQ(a[0].labels[0], 0);
  EXPECT_EQ(a[0].labels[89], 2);
}

TEST_F(SegmenterTest, ModelsThatDoNotFitAreClearErrors) {
  video::Frame f = stripes(64, 16);
  write_card(*dir_ / "flat.pt.json", "flat.pt", 3);
  Segmenter flat(*dir_ / "flat.pt", {});
  EXPECT_THROW(flat.run({&f}), InputError);  // [N, C] is not a segmentation map
  write_card(*dir_ / "five.json", "stripes.pt", 5);
  Segmenter five(*dir_ / "five.json", {});
  try {
    five.run({&f});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("outputs 3 classes, its card lists 5"), std::string::npos) << e.what();
  }
  write_card(*dir_ / "fixed.json", "fixed.pt", 3);
  Segmenter fixed(*dir_ / "fixed.json", {});
  video::Frame g = stripes(90, 20);  // 64x16 would have exactly 32x32 pixels and pass
  try {
    fixed.run({&g});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("fixed input size"), std::string::npos) << e.what();
  }
  ModelCard sized = read_model_card(*dir_ / "fixed.json");
  sized.input_width = sized.input_height = 32;
  sized.card_path.clear();
  write_model_card(*dir_ / "fixed32.json", sized, true);
  Segmenter fixed32(*dir_ / "fixed32.json", {});
  EXPECT_EQ(fixed32.run({&g})[0].labels.size(), 90u * 20);  // run at 32x32, labels at the frame size
  write_file_atomic(*dir_ / "junk.pt", "not a zip archive", true);
  EXPECT_THROW(Segmenter(*dir_ / "junk.pt", {}), InputError);
  EXPECT_THROW(Segmenter(*dir_ / "absent.pt", {}), InputError);
  write_card(*dir_ / "noweights.json", "absent.pt", 3);
  EXPECT_THROW(Segmenter(*dir_ / "noweights.json", {}), InputError);
}

}  // namespace
}  // namespace vssoff::nn
