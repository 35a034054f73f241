#include "nn/model_card.h"

#include <fstream>

#include "core/error.h"
#include "core/fs.h"
#include "test_util.h"

namespace vssoff::nn {
namespace {

TEST(ModelCard, IntegersThatDoNotFitAreInputErrors) {
  // Found reading the model-card reader beside the new fuzz targets: class ids and input or
  // cost sizes were converted with nlohmann's plain cast, undefined for 1e30.
  test::TempDir dir;
  write_file_atomic(dir / "w.pt", "weights", true);
  ModelCard c;
  c.name = "m";
  c.architecture = "torchscript";
  c.classes = {"a", "b"};
  c.weights = "w.pt";
  write_model_card(dir / "m.json", c, true);
  const Json good = Json::parse(read_file(dir / "m.json"));
  EXPECT_EQ(read_model_card(dir / "m.json").classes.size(), 2u);
  for (const char* pointer : {"/classes/1/id", "/input/width", "/input/stride", "/cost/height"}) {
    Json m = good;
    m[Json::json_pointer(pointer)] = 1e30;
    write_file_atomic(dir / "bad.json", m.dump(), true);
    EXPECT_THROW(read_model_card(dir / "bad.json"), InputError) << pointer;
  }
}

}  // namespace
}  // namespace vssoff::nn
