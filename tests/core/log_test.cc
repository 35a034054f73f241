#include "core/log.h"

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace vssoff {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

class Log : public ::testing::Test {
 protected:
  void SetUp() override { set_log_prefix("vssoff test"); }
  void TearDown() override {
    set_log_level(LogLevel::kInfo);
    set_log_prefix("vssoff");
    unsetenv("VSSOFF_PROGRESS_SECONDS");
  }
};

TEST_F(Log, LevelsFilterAndLinesCarryThePrefixAndTag) {
  set_log_level(LogLevel::kQuiet);
  testing::internal::CaptureStderr();
  log_info("info ", 1);
  log_debug("debug ", 1);
  log_warn("warn ", 1);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "vssoff test: warning: warn 1\n");
  set_log_level(LogLevel::kInfo);
  testing::internal::CaptureStderr();
  log_info("info ", 2);
  log_debug("debug ", 2);
  log_warn("warn ", 2);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "vssoff test: info 2\nvssoff test: warning: warn 2\n");
  set_log_level(LogLevel::kDebug);
  EXPECT_EQ(log_level(), LogLevel::kDebug);
  testing::internal::CaptureStderr();
  log_debug("debug ", 3);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "vssoff test: debug: debug 3\n");
}

TEST_F(Log, ProgressToANonTerminalIsPeriodicPlainLines) {
  setenv("VSSOFF_PROGRESS_SECONDS", "0.05", 1);
  testing::internal::CaptureStderr();  // stderr is a file now, not a terminal
  {
    Progress p("counted", 30, "items");
    p.set_detail("loss 0.5");
    for (int i = 1; i <= 30; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      p.update(i);
    }
  }  // the destructor finishes
  const std::string text = testing::internal::GetCapturedStderr();
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_EQ(text.find('\033'), std::string::npos) << text;
  std::vector<std::string> lines = lines_of(text);
  // 0.3 s of updates at one line per 0.05 s: a few periodic lines, not one per update.
  ASSERT_GE(lines.size(), 3u) << text;
  EXPECT_LE(lines.size(), 8u) << text;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i].rfind("vssoff test: counted ", 0), 0u) << lines[i];
    EXPECT_NE(lines[i].find("/30 items ("), std::string::npos) << lines[i];
    EXPECT_NE(lines[i].find("items/s, ETA "), std::string::npos) << lines[i];
    EXPECT_NE(lines[i].find(", loss 0.5"), std::string::npos) << lines[i];
  }
  EXPECT_EQ(lines.back().rfind("vssoff test: counted 30 items in ", 0), 0u) << lines.back();
}

TEST_F(Log, QuietShowsNoProgressAndUnknownTotalsHaveNoEta) {
  setenv("VSSOFF_PROGRESS_SECONDS", "0", 1);
  set_log_level(LogLevel::kQuiet);
  testing::internal::CaptureStderr();
  {
    Progress p("counted", 3);
    p.update(1);
    p.finish();
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  set_log_level(LogLevel::kInfo);
  testing::internal::CaptureStderr();
  {
    Progress p("read", -1, "packets");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    p.update(7);
  }
  std::vector<std::string> lines = lines_of(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].rfind("vssoff test: read 7 packets, ", 0), 0u) << lines[0];
  EXPECT_EQ(lines[0].find("ETA"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1].rfind("vssoff test: read 7 packets in ", 0), 0u) << lines[1];
}

}  // namespace
}  // namespace vssoff
