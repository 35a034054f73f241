// Helpers shared by the unit tests: a temporary directory per test, running commands,
// and generating small inputs with the ffmpeg command line.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace vssoff::test {

// A fresh directory, removed when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vssoff-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs a shell command; returns its exit status.
inline int run(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Writes a test clip with ffmpeg's testsrc2 (moving, textured).
inline void make_clip(const std::string& path, int width, int height, int frames, const std::string& extra = "") {
  // testsrc2 rounds odd sizes down: render even, then scale to the exact size.
  std::string cmd = "ffmpeg -loglevel error -y -f lavfi -i testsrc2=size=" + std::to_string(width + 1) + "x" +
                    std::to_string(height + 1) + ":rate=25 -vf scale=" + std::to_string(width) + ":" +
                    std::to_string(height) + " -frames:v " + std::to_string(frames) + " " + extra + " '" + path + "'";
  ASSERT_EQ(run(cmd), 0) << cmd;
}

}  // namespace vssoff::test
