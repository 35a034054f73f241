#include "core/csv.h"

#include <cmath>

#include "core/error.h"
#include "core/fs.h"
#include "test_util.h"

namespace vssoff {
namespace {

TEST(Csv, RoundTripWithQuotingAndNumbers) {
  test::TempDir dir;
  CsvWriter w({"name", "value", "note"});
  w.add_row({"a", csv_number(0.1), "plain"});
  w.add_row({"b,c", csv_number(1e-300), "say \"hi\"\nthere"});
  w.add_row({"nan", csv_number(NAN), ""});
  w.write(dir / "t.csv", false);
  CsvTable t = read_csv(dir / "t.csv");
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[1][0], "b,c");
  EXPECT_EQ(t.rows[1][2], "say \"hi\"\nthere");
  EXPECT_EQ(t.number(0, "value"), 0.1);
  EXPECT_EQ(t.number(1, "value"), 1e-300);
  EXPECT_TRUE(std::isnan(t.number(2, "value")));
  EXPECT_EQ(t.rows[2][2], "");
}

TEST(Csv, BadTablesAreClearErrors) {
  test::TempDir dir;
  write_file_atomic(dir / "ragged.csv", "a,b\n1,2\n3\n", false);
  EXPECT_THROW(read_csv(dir / "ragged.csv"), InputError);
  write_file_atomic(dir / "quote.csv", "a\n\"open\n", false);
  EXPECT_THROW(read_csv(dir / "quote.csv"), InputError);
  write_file_atomic(dir / "ok.csv", "a,b\r\n1,x\r\n", false);
  CsvTable t = read_csv(dir / "ok.csv");
  EXPECT_THROW(t.number(0, "b"), InputError);
  EXPECT_THROW(t.column("c"), InputError);
  EXPECT_EQ(t.number(0, "a"), 1);
}

}  // namespace
}  // namespace vssoff
