#include "nn/runner.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.h"
#include "core/fs.h"
#include "test_util.h"

namespace vssoff::nn {
namespace {

// TorchScript files made by Debian's python3-torch, one per output form the runner unpacks.
void export_models(const std::string& dir) {
  std::string py = R"PY(
import sys, torch
from typing import Dict, List, Tuple
d = sys.argv[1]
class Dets(torch.nn.Module):  # torchvision's form: one dict per image
    def forward(self, x) -> List[Dict[str, torch.Tensor]]:
        out: List[Dict[str, torch.Tensor]] = []
        for i in range(x.shape[0]):
            m = x[i].mean()
            out.append({"boxes": torch.stack([m, m, m + 1, m + 2]).view(1, 4).repeat(i + 1, 1),
                        "scores": torch.full([i + 1], 0.5), "labels": torch.arange(i + 1)})
        return out
class Scripted(torch.nn.Module):  # torchvision's scripted detectors: (losses, detections)
    def __init__(self):
        super().__init__()
        self.dets = Dets()
    def forward(self, x) -> Tuple[Dict[str, torch.Tensor], List[Dict[str, torch.Tensor]]]:
        return ({}, self.dets(x))
class Triple(torch.nn.Module):  # boxes, scores, labels of one image
    def forward(self, x):
        return (torch.tensor([[1.0, 2.0, 3.0, 4.0]]), torch.tensor([0.9]), torch.tensor([2]))
class Broken(torch.nn.Module):
    def forward(self, x) -> List[Dict[str, torch.Tensor]]:
        return [{"boxes": torch.zeros(2, 4), "scores": torch.zeros(3), "labels": torch.zeros(2)}]
class Plain(torch.nn.Module):
    def forward(self, x): return x * 2.0
torch.jit.script(Dets()).save(d + "/dets.pt")
torch.jit.script(Scripted()).save(d + "/scripted.pt")
torch.jit.script(Triple()).save(d + "/triple.pt")
torch.jit.script(Broken()).save(d + "/broken.pt")
torch.jit.script(Plain()).save(d + "/plain.pt")
)PY";
  write_file_atomic(dir + "/export.py", py, true);
  ASSERT_EQ(test::run("/usr/bin/python3 " + dir + "/export.py " + dir), 0);
}

ModelCard card(const std::string& weights, const std::string& task = "detection") {
  ModelCard c;
  c.name = "m";
  c.task = task;
  c.architecture = "torchscript";
  c.mean = {0, 0, 0};
  c.std = {1, 1, 1};
  c.stride = 1;
  c.weights = weights;
  return c;
}

class RunnerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    export_models(dir_->path());
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string path(const std::string& name) { return *dir_ / name; }
  static test::TempDir* dir_;
};
test::TempDir* RunnerTest::dir_ = nullptr;

TEST_F(RunnerTest, DetectionOutputsInEveryForm) {
  torch::Tensor x = torch::full({2, 3, 8, 8}, 0.25f);
  for (const char* file : {"dets.pt", "scripted.pt"}) {
    ModelRunner runner(card(path(file)), RunnerOptions{});
    std::vector<Detections> d = detection_output(runner.forward_frames(x), file);
    ASSERT_EQ(d.size(), 2u) << file;
    EXPECT_EQ(d[0].boxes.size(0), 1) << file;
    EXPECT_EQ(d[1].boxes.size(0), 2) << file;
    EXPECT_FLOAT_EQ(d[1].boxes[1][3].item<float>(), 2.25f) << file;  // mean 0.25 + 2
    EXPECT_EQ(d[1].labels[1].item<int64_t>(), 1) << file;
    EXPECT_EQ(d[1].labels.scalar_type(), torch::kLong) << file;
  }
  ModelRunner triple(card(path("triple.pt")), RunnerOptions{});
  std::vector<Detections> t = detection_output(triple.forward_frames(x), "triple");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_FLOAT_EQ(t[0].scores[0].item<float>(), 0.9f);
  EXPECT_EQ(t[0].labels[0].item<int64_t>(), 2);
  ModelRunner broken(card(path("broken.pt")), RunnerOptions{});
  EXPECT_THROW(detection_output(broken.forward_frames(x), "broken"), InputError);
  // A dense model is not a detector, and a detector is not dense.
  ModelRunner plain(card(path("plain.pt"), "segmentation"), RunnerOptions{});
  EXPECT_THROW(detection_output(plain.forward_frames(x), "plain"), InputError);
  EXPECT_THROW(dense_output(triple.forward_frames(x), 2, "triple"), InputError);
  torch::Tensor dense = dense_output(plain.forward_frames(x), 2, "plain");
  EXPECT_FLOAT_EQ(dense[1][2][3][4].item<float>(), 0.5f);
}

TEST_F(RunnerTest, LoadersAreRegisteredByTheirDomainsAndUnknownOnesNamed) {
  std::vector<std::string> names = loader_names();
  for (const char* arch : {"torchscript", "segnet", "cheapnet"})
    EXPECT_NE(std::find(names.begin(), names.end(), arch), names.end()) << arch;
  ModelCard c = card(path("plain.pt"));
  c.architecture = "resnet-from-mars";
  try {
    ModelRunner runner(c, RunnerOptions{});
    FAIL() << "an unknown architecture was loaded";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown architecture \"resnet-from-mars\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cheapnet"), std::string::npos) << e.what();
  }
}

TEST_F(RunnerTest, DevicesAndThreadsAreChecked) {
  RunnerOptions o;
  o.device = "tpu";
  EXPECT_THROW(o.check(), UsageError);
  o.device = "auto";
  ModelRunner runner(card(path("plain.pt")), o);
  if (!torch::cuda::is_available()) {
    EXPECT_TRUE(runner.device().is_cpu());
    o.device = "cuda";
    EXPECT_THROW(ModelRunner(card(path("plain.pt")), o), UsageError);
  }
  o.device = "cpu";
  o.threads = 300;
  EXPECT_THROW(ModelRunner(card(path("plain.pt")), o), UsageError);
}

TEST_F(RunnerTest, DifferentiableRunnerPassesGradientsToTheInputOnly) {
  RunnerOptions o;
  o.differentiable = true;
  ModelRunner runner(card(path("plain.pt"), "segmentation"), o);
  torch::Tensor x = torch::rand({1, 3, 4, 4}).requires_grad_(true);
  dense_output(runner.forward_frames(x), 1, "plain").sum().backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_FLOAT_EQ(x.grad()[0][1][2][3].item<float>(), 2.0f);  // d(2x)/dx with mean 0, std 1
}

// The built-in segnet runs through its TorchScript form (frozen, batch norm folded): the
// same logits as the eager C++ module, which a differentiable runner keeps.
TEST(BuiltInRunner, SegnetsTorchScriptFormGivesTheEagerLogits) {
  for (const char* name : {"segnet-tiny", "segnet-w10"}) {
    const std::string model = std::string(VSSOFF_SOURCE_DIR) + "/models/" + name + ".json";
    RunnerOptions fast, eager;
    fast.threads = eager.threads = 2;
    eager.differentiable = true;
    ModelRunner a(model, fast), b(model, eager);
    EXPECT_TRUE(a.optimised()) << name;
    EXPECT_FALSE(b.optimised()) << name;
    torch::manual_seed(3);
    torch::Tensor x = torch::rand({2, 3, 72, 120});
    torch::NoGradGuard no_grad;
    torch::Tensor ya = dense_output(a.forward_frames(x), 2, name), yb = dense_output(b.forward_frames(x), 2, name);
    ASSERT_EQ(ya.sizes(), yb.sizes()) << name;
    EXPECT_LT((ya - yb).abs().max().item<float>(), 1e-3f * std::max(1.0f, yb.abs().max().item<float>())) << name;
  }
}

}  // namespace
}  // namespace vssoff::nn
