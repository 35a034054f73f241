#include <filesystem>

#include "accmpeg/accgrad.h"
#include "core/error.h"
#include "core/manifest.h"
#include "core/npy.h"
#include "test_util.h"

namespace vssoff::accmpeg {
namespace {

// What accgrad writes for 2 sampled frames of a 64x48 video (3x4 macroblocks), with `frames`.
std::string write_accgrad(const test::TempDir& dir, const Json& frames) {
  const std::string npy = dir / "g.npy";
  write_npy(npy, NpyArray::from<float>({2, 3, 4}, std::vector<float>(24, 0.5f)), true);
  Json m = new_manifest("accgrad", kAccGradVersion);
  m["params"] = {{"mode", "grad"}, {"macroblock", 16}, {"width", 64}, {"height", 48}, {"mb_rows", 3}, {"mb_cols", 4}};
  m["server_model"] = {{"name", "segnet-tiny"}, {"weights_sha256", "ab"}};
  m["frames"] = frames;
  add_input(m, "video", dir / "video.mp4");
  add_sidecar(m, "accgrad", npy + ".json", npy);
  write_manifest(npy + ".json", m, true);
  return npy;
}

TEST(ReadAccGrad, ReadsWhatAccgradWrites) {
  test::TempDir dir;
  AccGrad g = read_accgrad(write_accgrad(dir, {0, 5}));
  EXPECT_EQ(g.frame_indices, (std::vector<int64_t>{0, 5}));
  EXPECT_EQ(g.rows, 3);
  EXPECT_EQ(g.cols, 4);
  EXPECT_EQ(g.values.size(), 24u);
  EXPECT_EQ(g.server_model_name, "segnet-tiny");
}

TEST(ReadAccGrad, NegativeOrNonIntegerFrameIndicesAreInputErrors) {
  // Found reading the code; the inputs are kept as seeds of the accgrad fuzz target
  // (testdata/fuzz/accgrad/crash-*.bin). A negative index reached qpmap's segment averaging,
  // which wrote before its buffer, and 1e30 was cast to an integer (undefined).
  test::TempDir dir;
  for (const Json& frames : {Json{-25, 5}, Json{0, 1e30}, Json{0, 2.5}}) {
    try {
      read_accgrad(write_accgrad(dir, frames));
      ADD_FAILURE() << frames;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("\"frames\""), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace vssoff::accmpeg
