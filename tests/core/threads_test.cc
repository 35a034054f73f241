#include "core/threads.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <cstdlib>
#include <string>

#include "core/error.h"

namespace vssoff {
namespace {

// Sets or clears VSSOFF_THREADS for one test.
class ThreadBudget : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv("VSSOFF_THREADS"); }
};

TEST_F(ThreadBudget, IsTheAffinityMaskUnlessTheEnvironmentSaysOtherwise) {
  unsetenv("VSSOFF_THREADS");
  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  EXPECT_EQ(thread_budget(), CPU_COUNT(&set));
  setenv("VSSOFF_THREADS", "3", 1);
  EXPECT_EQ(thread_budget(), 3);
  EXPECT_EQ(resolve_threads(0), 3);
  EXPECT_EQ(resolve_threads(5), 5);  // a stage's own --threads wins
}

TEST_F(ThreadBudget, FollowsTheAffinityMaskNotTheMachine) {
  unsetenv("VSSOFF_THREADS");
  cpu_set_t all, one;
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  CPU_ZERO(&one);
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &all)) {
      CPU_SET(c, &one);
      break;
    }
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  EXPECT_EQ(thread_budget(), 1);
  ASSERT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
}

TEST_F(ThreadBudget, ABadValueIsAUsageErrorNamingTheVariableAndValue) {
  for (const char* bad : {"0", "-2", "two", "4x", "1000"}) {
    setenv("VSSOFF_THREADS", bad, 1);
    try {
      thread_budget();
      FAIL() << bad;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("VSSOFF_THREADS"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace vssoff
