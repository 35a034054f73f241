#include "nn/model_card.h"

#include "core/error.h"
#include "core/fs.h"
#include "test_util.h"

namespace vssoff::nn {
namespace {

// A card's optional integers (input size, stride, cost size) and class ids were read with a
// plain cast: a float out of range was undefined behaviour, a negative id wrapped around.
TEST(ModelCard, OutOfRangeNumbersAreInputErrorsNamingTheCard) {
  test::TempDir dir;
  write_file_atomic(dir / "m.pt", "weights", true);
  auto card = [&](const std::string& input, const std::string& classes) {
    return R"({"format": "vssoff.modelcard", "version": 1, "name": "m", "task": "segmentation", "architecture": "segnet",
               "arch_params": {"width": 4}, "classes": )" +
           classes + R"(, "input": {"mean": [0, 0, 0], "std": [1, 1, 1])" + input + R"(}, "weights": "m.pt"})";
  };
  const std::string ok_classes = R"([{"id": 0, "name": "a"}, {"id": 1, "name": "b"}])";
  write_file_atomic(dir / "ok.json", card(R"(, "width": 64, "height": 32.0)", ok_classes), true);
  EXPECT_EQ(read_model_card(dir / "ok.json").input_height, 32);
  for (const auto& [input, classes] :
       std::vector<std::pair<std::string, std::string>>{{R"(, "width": 1e30)", ok_classes},
                                                        {R"(, "stride": 2.5)", ok_classes},
                                                        {"", R"([{"id": -1, "name": "a"}])"},
                                                        {"", R"([{"id": 1e20, "name": "a"}])"}}) {
    write_file_atomic(dir / "bad.json", card(input, classes), true);
    try {
      read_model_card(dir / "bad.json");
      ADD_FAILURE() << input << classes;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace vssoff::nn
