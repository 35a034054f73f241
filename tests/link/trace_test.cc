#include "link/trace.h"

#include "core/error.h"
#include "core/fs.h"
#include "test_util.h"

namespace vssoff::link {
namespace {

TEST(BandwidthTrace, CsvIsAStepFunction) {
  test::TempDir dir;
  write_file_atomic(dir / "t.csv", "time_s,kbps\n0,1000\n2,3000\n4,3000\n", true);
  BandwidthTrace t = read_trace(dir / "t.csv");
  EXPECT_DOUBLE_EQ(t.duration_s, 4);
  EXPECT_DOUBLE_EQ(t.mean_kbps(0, 1), 1000);
  EXPECT_DOUBLE_EQ(t.mean_kbps(1, 3), 2000);
  EXPECT_DOUBLE_EQ(t.mean_kbps(2.5, 4), 3000);
  EXPECT_DOUBLE_EQ(t.mean_kbps(3, 5), 1500);  // nothing past the end
}

TEST(BandwidthTrace, MahimahiCountsDeliveryOpportunities) {
  test::TempDir dir;
  std::string text;
  for (int ms = 1; ms <= 2000; ms += 4) text += std::to_string(ms) + "\n";  // one 1500-byte packet per 4 ms: 3 Mbit/s
  write_file_atomic(dir / "t.mahimahi", text, true);
  BandwidthTrace t = read_trace(dir / "t.mahimahi");
  EXPECT_NEAR(t.mean_kbps(0, 1), 3000, 1);
  EXPECT_NEAR(t.duration_s, 1.997, 1e-9);
}

TEST(BandwidthTrace, BadTracesAreInputErrors) {
  test::TempDir dir;
  write_file_atomic(dir / "a.csv", "time_s,kbps\n0,1000\n0,2000\n", true);
  EXPECT_THROW(read_trace(dir / "a.csv"), InputError);  // time does not increase
  write_file_atomic(dir / "b.csv", "time_s,kbps\n1,1000\n2,2000\n", true);
  EXPECT_THROW(read_trace(dir / "b.csv"), InputError);  // does not start at 0
  write_file_atomic(dir / "c.mahimahi", "10\n5\n", true);
  EXPECT_THROW(read_trace(dir / "c.mahimahi"), InputError);  // goes back in time
  write_file_atomic(dir / "d.mahimahi", "10\nfast\n", true);
  EXPECT_THROW(read_trace(dir / "d.mahimahi"), InputError);
  EXPECT_THROW(read_trace(dir / "none.csv"), InputError);
}

}  // namespace
}  // namespace vssoff::link
