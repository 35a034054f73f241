#include "penance/table.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "core/error.h"
#include "core/fs.h"
#include "hand_table.h"
#include "penance/estimators.h"
#include "penance/profile.h"
#include "test_util.h"

namespace vssoff::penance {
namespace {

std::string slurp(const std::string& path) {
  std::ostringstream s;
  s << std::ifstream(path).rdbuf();
  return s.str();
}

std::string merge_error(const std::vector<std::string>& tables, const std::string& output) {
  try {
    profile_merge(tables, output, false);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

// Rewrites a table's manifest with `edit`, and its CSV with `csv` when given (the size its
// manifest records follows).
void edit_table(const std::string& table, const std::function<void(Json&)>& edit, const std::string& csv = "") {
  Json m = Json::parse(slurp(table + ".json"));
  if (!csv.empty()) {
    test::write_file(table, csv);
    m["sidecars"]["table"]["bytes"] = csv.size();           // the manifest edited to match the table,
    m["sidecars"]["table"]["sha256"] = sha256_file(table);  // so that the table's own checks run
  }
  edit(m);
  test::write_file(table + ".json", m.dump());
}

class Shards : public ::testing::Test {
 protected:
  Shards() {
    test::write_file(dir / "video.mp4", "video");
    base.video = dir / "video.mp4";
    test::write_hand_table(base, dir / "one.csv");
    for (int i = 0; i < 3; ++i) write_shard(i, 3, dir / ("s" + std::to_string(i) + ".csv"));
  }
  void write_shard(int i, int n, const std::string& path, test::HandTable h) {
    h.shard_index = i, h.shard_count = n;
    h.ms_per_frame = 1 + i;  // measured times differ between shards
    test::write_hand_table(h, path);
  }
  void write_shard(int i, int n, const std::string& path) { write_shard(i, n, path, base); }
  vssoff::test::TempDir dir;
  test::HandTable base;  // 6 segments
};

TEST_F(Shards, MergedShardsEqualOneTable) {
  profile_merge({dir / "s2.csv", dir / "s0.csv", dir / "s1.csv"}, dir / "merged.csv", false);
  EXPECT_EQ(slurp(dir / "merged.csv"), slurp(dir / "one.csv"));
  Json m = Json::parse(std::ifstream(dir / "merged.csv.json"));
  EXPECT_EQ(m["shard"]["count"], 1);
  EXPECT_EQ(m["shard"]["merged_from"].size(), 3u);
  EXPECT_DOUBLE_EQ(m["params"]["models"][0]["ms_per_frame"].get<double>(), 2.0);  // mean of 1, 2, 3
  EXPECT_DOUBLE_EQ(m["params"]["models"][1]["ms_per_frame_by_scale"][1].get<double>(), 1.0);
  ProfileTable merged = read_profile_table(dir / "merged.csv"), one = read_profile_table(dir / "one.csv");
  ASSERT_EQ(merged.rows.size(), one.rows.size());
  for (size_t s = 0; s < one.rows.size(); ++s)
    for (size_t a = 0; a < one.actions.size(); ++a) {
      EXPECT_EQ(merged.rows[s][a].bytes, one.rows[s][a].bytes);
      EXPECT_EQ(merged.rows[s][a].stats, one.rows[s][a].stats);
    }
  // No overwrite without force.
  EXPECT_THROW(profile_merge({dir / "s0.csv", dir / "s1.csv", dir / "s2.csv"}, dir / "merged.csv", false), InputError);
  EXPECT_NO_THROW(profile_merge({dir / "s0.csv", dir / "s1.csv", dir / "s2.csv"}, dir / "merged.csv", true));
}

TEST_F(Shards, MismatchedMissingOrOverlappingShardsAreRefused) {
  std::string msg = merge_error({dir / "s0.csv", dir / "s1.csv"}, dir / "x.csv");
  EXPECT_NE(msg.find("segment 2 of 6 is in none"), std::string::npos) << msg;
  write_shard(0, 2, dir / "h0.csv");  // segments 0, 2, 4 overlap s0's 0 and s2's 2
  msg = merge_error({dir / "s1.csv", dir / "h0.csv", dir / "s0.csv"}, dir / "x.csv");
  EXPECT_NE(msg.find("overlapping"), std::string::npos) << msg;
  test::HandTable other = base;
  other.qps = {26, 32};
  write_shard(1, 3, dir / "q1.csv", other);
  msg = merge_error({dir / "s0.csv", dir / "q1.csv", dir / "s2.csv"}, dir / "x.csv");
  EXPECT_NE(msg.find("q1.csv: made with other parameters than"), std::string::npos) << msg;
  test::write_file(dir / "other.mp4", "another video");
  other = base;
  other.video = dir / "other.mp4";
  write_shard(1, 3, dir / "v1.csv", other);
  msg = merge_error({dir / "s0.csv", dir / "v1.csv", dir / "s2.csv"}, dir / "x.csv");
  EXPECT_NE(msg.find("profiled another video"), std::string::npos) << msg;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir / "x.csv.json"));
  EXPECT_THROW(profile_merge({dir / "s0.csv"}, dir / "x.txt", false), UsageError);
}

TEST_F(Shards, MergesVersion1ShardsAndRefusesNewerOnes) {
  test::HandTable v1 = base;
  v1.version = 1;
  for (int i = 0; i < 2; ++i) write_shard(i, 2, dir / ("old" + std::to_string(i) + ".csv"), v1);
  profile_merge({dir / "old0.csv", dir / "old1.csv"}, dir / "old.csv", false);
  EXPECT_EQ(slurp(dir / "old.csv"), slurp(dir / "one.csv"));
  EXPECT_EQ(read_profile_table(dir / "old.csv").server_input, "original");
  test::HandTable v3 = base;
  v3.version = kProfileVersion + 1;
  write_shard(1, 2, dir / "new1.csv", v3);
  write_shard(0, 2, dir / "new0.csv");
  std::string msg = merge_error({dir / "new0.csv", dir / "new1.csv"}, dir / "x.csv");
  EXPECT_NE(msg.find("version " + std::to_string(kProfileVersion + 1)), std::string::npos) << msg;
  EXPECT_NE(msg.find("(" + std::to_string(kProfileVersion) + ")"), std::string::npos) << msg;
}

TEST_F(Shards, AShardWithoutATimingMergesWithoutIt) {
  // Found by fuzzing (testdata/fuzz/profile/crash-missing-ms-per-frame.bin): a model without
  // "ms_per_frame" was read past the end of its JSON object (a use after free under ASan).
  edit_table(dir / "s0.csv", [](Json& m) { m["params"]["models"][0].erase("ms_per_frame"); });
  profile_merge({dir / "s0.csv", dir / "s1.csv", dir / "s2.csv"}, dir / "merged.csv", false);
  Json m = Json::parse(slurp(dir / "merged.csv.json"));
  EXPECT_DOUBLE_EQ(m["params"]["models"][0]["ms_per_frame"].get<double>(), 2.5);  // mean of s1's 2 and s2's 3
  EXPECT_DOUBLE_EQ(m["params"]["models"][1]["ms_per_frame"].get<double>(), 2.0);
}

TEST_F(Shards, TablesWithOtherKeyColumnsOrOutOfRangeKeysAreInputErrors) {
  // Found reading the merge's code: it sorts rows by the key columns' positions,
  // so a table with other columns was read past the end of its rows, and a scale of 1e-400
  // escaped std::stod as std::out_of_range (exit 3, not 2).
  edit_table(
      dir / "one.csv", [](Json&) {}, "segment,qp,scale\n0,26,1\n");
  std::string msg = merge_error({dir / "one.csv"}, dir / "x.csv");
  EXPECT_NE(msg.find("not a profile table"), std::string::npos) << msg;
  std::string table = slurp(dir / "s0.csv");
  table.replace(table.find(",26,0.5,"), 8, ",26,1e-400,");
  edit_table(
      dir / "s0.csv", [](Json&) {}, table);
  msg = merge_error({dir / "s0.csv", dir / "s1.csv", dir / "s2.csv"}, dir / "x.csv");
  EXPECT_NE(msg.find("scale"), std::string::npos) << msg;
  table.replace(table.find(",1e-400,"), 8, ",0.5,").replace(table.find(",26,"), 4, ",99999999999,");
  edit_table(
      dir / "s0.csv", [](Json&) {}, table);
  msg = merge_error({dir / "s0.csv", dir / "s1.csv", dir / "s2.csv"}, dir / "x.csv");
  EXPECT_NE(msg.find("qp out of range"), std::string::npos) << msg;
}

TEST(ParseShard, AcceptsIOverNAndNamesWhatIsWrong) {
  int i = -1, n = -1;
  parse_shard("2/3", &i, &n);
  EXPECT_EQ(i, 2);
  EXPECT_EQ(n, 3);
  for (const char* bad : {"3/3", "1", "-1/2", "1/2x", "a/b"}) EXPECT_THROW(parse_shard(bad, &i, &n), UsageError) << bad;
}

}  // namespace
}  // namespace vssoff::penance
