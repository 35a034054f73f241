#include "core/fs.h"

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "test_util.h"

namespace vssoff {
namespace {

size_t count_entries(const std::string& dir) {
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) (void)e, ++n;
  return n;
}

TEST(AtomicOutput, UncommittedLeavesNothing) {
  test::TempDir dir;
  {
    AtomicOutput out(dir / "x.bin", false);
    std::ofstream(out.temp_path()) << "partial";
  }  // no commit: e.g. an exception during the work
  EXPECT_FALSE(std::filesystem::exists(dir / "x.bin"));
  EXPECT_EQ(count_entries(dir.path()), 0u);
}

TEST(AtomicOutput, ExistingOutputSurvivesFailureAndRefusal) {
  test::TempDir dir;
  write_file_atomic(dir / "x.bin", "old", false);
  EXPECT_THROW(write_file_atomic(dir / "x.bin", "new", false), InputError);
  {
    AtomicOutput out(dir / "x.bin", true);
    std::ofstream(out.temp_path()) << "half";
  }
  EXPECT_EQ(read_file(dir / "x.bin"), "old");
  write_file_atomic(dir / "x.bin", "new", true);
  EXPECT_EQ(read_file(dir / "x.bin"), "new");
  EXPECT_EQ(count_entries(dir.path()), 1u);
}

TEST(AtomicOutput, DirectoriesAreReplacedWhole) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "d");
  std::ofstream(dir / "d/old.txt") << "old";
  std::ofstream(dir / "d/manifest.json") << "{}";
  EXPECT_THROW(AtomicOutput(dir / "d", false, true), InputError);
  AtomicOutput out(dir / "d", true, true);
  std::ofstream(out.temp_path() + "/new.txt") << "new";
  out.commit();
  EXPECT_TRUE(std::filesystem::exists(dir / "d/new.txt"));
  EXPECT_FALSE(std::filesystem::exists(dir / "d/old.txt"));
  EXPECT_EQ(count_entries(dir.path()), 1u);
}

TEST(AtomicOutput, ForceNeverReplacesADirectoryThatIsNotAnOutput) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "home");
  std::ofstream(dir / "home/thesis.tex") << "precious";
  try {
    AtomicOutput out(dir / "home", true, true);
    FAIL() << "replaced a directory without a manifest";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not replacing directory " + (dir / "home")), std::string::npos) << e.what();
  }
  EXPECT_THROW(AtomicOutput(dir / "home", true, false), InputError);  // a file over a directory
  EXPECT_TRUE(std::filesystem::exists(dir / "home/thesis.tex"));
  EXPECT_EQ(count_entries(dir.path()), 1u);
}

TEST(Files, InputChecksNameThePath) {
  test::TempDir dir;
  write_file_atomic(dir / "empty", "", false);
  try {
    check_input_file(dir / "empty", "video");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(dir / "empty"), std::string::npos);
  }
  EXPECT_THROW(check_input_file(dir / "nope", "video"), InputError);
  EXPECT_THROW(check_input_file(dir.path(), "video"), InputError);
  EXPECT_THROW(check_output_path(dir / "no/such/dir/out.mp4", false), InputError);
}

TEST(Files, Sha256MatchesKnownDigest) {
  test::TempDir dir;
  write_file_atomic(dir / "abc", "abc", false);
  EXPECT_EQ(sha256_file(dir / "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace vssoff
