#include "core/plugin.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace vssoff::plugin::test {

int twice(int x) { return 2 * x; }
double half(double x) { return x / 2; }

}  // namespace vssoff::plugin::test

// This test binary does not link the plugin: it registers its own entries and build id.
VSSOFF_PLUGIN_ENTRY(vssoff::plugin::test::twice);

namespace vssoff::plugin {
namespace {

TEST(Plugin, EntriesAreFoundByNameAndTypeOnceTheBuildMatches) {
  // No plugin build registered yet: refused, naming both ids.
  try {
    entry("vssoff::plugin::test::twice", typeid(decltype(test::twice)));
    FAIL() << "an entry without a matching plugin build was returned";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("rebuild both"), std::string::npos) << e.what();
  }
  register_build("0123456789abcdef");
  EXPECT_THROW(entry("vssoff::plugin::test::twice", typeid(decltype(test::twice))), RuntimeError);

  register_build(build_id());
  EXPECT_EQ(VSSOFF_PLUGIN_CALL(vssoff::plugin::test::twice)(21), 42);
  // A caller whose declaration has another type is refused, not handed a wrong pointer.
  try {
    entry("vssoff::plugin::test::twice", typeid(decltype(test::half)));
    FAIL() << "an entry of another type was returned";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("expects"), std::string::npos) << e.what();
  }
  EXPECT_THROW(entry("vssoff::plugin::test::absent", typeid(decltype(test::twice))), RuntimeError);
  const std::vector<std::string> names = entry_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "vssoff::plugin::test::twice"), names.end());
}

}  // namespace
}  // namespace vssoff::plugin
