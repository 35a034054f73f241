#include "core/fs.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

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

// A PID that is no longer running: a child that has exited and been reaped.
pid_t dead_pid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

// A run killed outright leaves its temporaries; the next write of the same output removes
// those whose process is gone, and nothing else (issue 14, defect 10).
TEST(AtomicOutput, StaleTemporariesOfDeadProcessesAreRemovedLiveOnesKept) {
  test::TempDir dir;
  const pid_t dead = dead_pid(), live = getppid();
  const std::string stale_file = dir / cat(".out.bin.tmp-", dead, "-0");
  const std::string stale_old = dir / cat(".out.bin.tmp-", dead, "-4.old");
  const std::string kept[] = {dir / cat(".out.bin.tmp-", live, "-0"),    // a concurrent writer
                              dir / cat(".other.bin.tmp-", dead, "-0"),  // another output's
                              dir / ".out.bin.tmp-x-0", dir / cat(".out.bin.tmp-", dead, "-0.bak")};
  std::ofstream(stale_file) << "half";
  std::filesystem::create_directories(stale_old + "/labels");
  for (const std::string& k : kept) std::ofstream(k) << "keep";
  write_file_atomic(dir / "out.bin", "new", false);
  EXPECT_FALSE(std::filesystem::exists(stale_file));
  EXPECT_FALSE(std::filesystem::exists(stale_old));
  for (const std::string& k : kept) EXPECT_TRUE(std::filesystem::exists(k)) << k;
  EXPECT_EQ(read_file(dir / "out.bin"), "new");
}

TEST(Files, PathsInsideATemporaryDirectoryAreNamedByTheirOutput) {
  test::TempDir dir;
  AtomicOutput out(dir / "seg", false, true);
  EXPECT_EQ(output_name(out.temp_path() + "/labels/000001.png"), dir / "seg/labels/000001.png");
  EXPECT_EQ(output_name(out.temp_path()), dir / "seg");
  EXPECT_EQ(output_name(dir / "elsewhere.txt"), dir / "elsewhere.txt");
  AtomicOutput inner(out.temp_path() + "/logits.npy", false);
  EXPECT_EQ(output_name(inner.temp_path()), dir / "seg/logits.npy");
}

// A full disk is an I/O error (exit 2) naming the file and the reason (issue 14, defect 8).
TEST(Files, WriteFailuresNameTheFileAndTheReason) {
  try {
    OutputFile f("/dev/full");
    f.write("data that does not fit");
    f.close();
    FAIL() << "a write to /dev/full succeeded";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write /dev/full: No space left on device");
  }
  test::TempDir dir;
  try {
    write_file_atomic_with(dir / "w.pt", false,
                           [](const std::string&) { throw std::runtime_error("file write failed\nat"); });
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write " + (dir / "w.pt") + ": file write failed");
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
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
