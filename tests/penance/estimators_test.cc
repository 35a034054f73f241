#include "penance/estimators.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

#include "core/error.h"
#include "core/fs.h"
#include "hand_table.h"
#include "test_util.h"

namespace vssoff::penance {
namespace {

class Estimators3 : public ::testing::Test {
 protected:
  Estimators3() {
    test::write_file(dir / "video.mp4", "not a video");
    for (int k = 0; k < 3; ++k) {
      test::HandTable h;
      h.segments = 10;
      h.seed = 10 + k;
      h.video = dir / "video.mp4";
      test::write_hand_table(h, dir / ("t" + std::to_string(k) + ".csv"));
    }
  }
  TrainEstimatorsOptions options(const std::string& output) {
    TrainEstimatorsOptions o;
    o.tables = {dir / "t0.csv", dir / "t1.csv"};
    o.holdout = {dir / "t2.csv"};
    o.output = dir / output;
    o.cnn = false;
    return o;
  }
  vssoff::test::TempDir dir;
};

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

TEST_F(Estimators3, BitrateFitRecoversTheAnalyticFormAndTableBytesUseIt) {
  Estimators e = train_estimators(options("e.json"));
  ASSERT_EQ(e.rate.size(), 4u);
  for (size_t qi = 0; qi < 2; ++qi)
    for (size_t si = 0; si < 2; ++si)
      for (int k = 0; k < 5; ++k) EXPECT_NEAR(e.rate[qi * 2 + si][k], test::hand_rate(qi, si)[k], 0.02) << qi << si;
  // On the held-out table, within 1% of the true bytes (they were rounded to whole bytes).
  ProfileTable held = read_profile_table(dir / "t2.csv");
  std::vector<std::vector<double>> bytes = e.predict_table_bytes(held, /*cnn=*/false);
  ASSERT_EQ(bytes.size(), 10u);
  for (size_t s = 0; s < bytes.size(); ++s) {
    ASSERT_EQ(bytes[s].size(), 4u);
    for (size_t k = 0; k < 4; ++k) EXPECT_NEAR(bytes[s][k] / held.rows[s][k].bytes, 1, 0.01) << s << " " << k;
  }
  EXPECT_LT(estimator_errors(e, {held}).first, 0.01);
  EXPECT_THROW(e.predict_table_bytes(held, /*cnn=*/true), UsageError);  // trained without the CNN
}

TEST_F(Estimators3, AccuracyPredictionBeatsTheTrainingMeanOnAHeldOutTable) {
  Estimators e = train_estimators(options("e.json"));
  ASSERT_EQ(e.mean_accuracy.size(), 8u);
  ASSERT_FALSE(e.acc_stats.empty());
  EXPECT_EQ(e.stat_names[e.acc_stats[0]], "mean_max_prob");
  ProfileTable held = read_profile_table(dir / "t2.csv");
  // The truth: the next segment's accuracy of action b is base_b + 0.5 * mean_max_prob now.
  // Baseline: each action's mean training accuracy.
  double err = 0, base = 0;
  int n = 0;
  for (size_t s = 0; s + 1 < held.rows.size(); ++s)
    for (size_t a = 0; a < 8; ++a) {
      std::vector<double> p = e.predict_accuracy(held.rows[s][a].stats, int(a));
      ASSERT_EQ(p.size(), 8u);
      for (size_t b = 0; b < 8; ++b, ++n) {
        err += std::abs(p[b] - held.rows[s + 1][b].accuracy);
        base += std::abs(e.mean_accuracy[b] - held.rows[s + 1][b].accuracy);
      }
    }
  err /= n, base /= n;
  EXPECT_GT(base, 0.03);  // the task is not trivial
  EXPECT_LT(err, 0.3 * base) << "MAE " << err << ", training-mean baseline " << base;
  EXPECT_NEAR(estimator_errors(e, {held}).second, err, 1e-9);
  // Predictions stay in [0, 1] even far from the data.
  std::vector<double> wild(held.stat_names.size(), 50.0);
  for (double v : e.predict_accuracy(wild, 0)) EXPECT_TRUE(v >= 0 && v <= 1) << v;
}

TEST_F(Estimators3, CheckFitsRefusesTablesOfOtherActionsOrServerInput) {
  Estimators e = train_estimators(options("e.json"));
  test::HandTable other;
  other.qps = {26, 32};
  other.video = dir / "video.mp4";
  test::write_hand_table(other, dir / "other.csv");
  std::string msg = message_of([&] { e.check_fits(read_profile_table(dir / "other.csv")); });
  EXPECT_NE(msg.find("other.csv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("differs from the estimators'"), std::string::npos) << msg;
  test::HandTable orig;
  orig.server_input = "original";
  orig.video = dir / "video.mp4";
  test::write_hand_table(orig, dir / "orig.csv");
  msg = message_of([&] { e.check_fits(read_profile_table(dir / "orig.csv")); });
  EXPECT_NE(msg.find("original"), std::string::npos) << msg;
  EXPECT_NO_THROW(e.check_fits(read_profile_table(dir / "t2.csv")));
  // Training refuses a mix too, and leaves no output.
  TrainEstimatorsOptions o = options("mixed.json");
  o.tables.push_back(dir / "other.csv");
  EXPECT_THROW(train_estimators(o), InputError);
  EXPECT_FALSE(std::filesystem::exists(dir / "mixed.json"));
}

void expect_same(const Estimators& a, const Estimators& b) {
  EXPECT_EQ(a.models, b.models);
  EXPECT_EQ(a.qps, b.qps);
  EXPECT_EQ(a.scales, b.scales);
  EXPECT_EQ(a.actions, b.actions);
  EXPECT_EQ(a.stat_names, b.stat_names);
  EXPECT_EQ(a.acc_stats, b.acc_stats);
  EXPECT_EQ(a.ridge, b.ridge);
  ASSERT_EQ(a.rate.size(), b.rate.size());
  for (size_t i = 0; i < a.rate.size(); ++i)
    for (int k = 0; k < 5; ++k) EXPECT_DOUBLE_EQ(a.rate[i][k], b.rate[i][k]);
  ASSERT_EQ(a.acc_w.size(), b.acc_w.size());
  for (size_t f = 0; f < a.acc_w.size(); ++f)
    for (size_t k = 0; k < a.acc_w[f].size(); ++k) EXPECT_DOUBLE_EQ(a.acc_w[f][k], b.acc_w[f][k]);
  EXPECT_EQ(a.acc_sd, b.acc_sd);
  EXPECT_EQ(a.change_sd, b.change_sd);
}

TEST_F(Estimators3, RoundTripAndRefusesToOverwrite) {
  Estimators e = train_estimators(options("e.json"));
  Estimators r = read_estimators(dir / "e.json");
  expect_same(e, r);
  EXPECT_EQ(r.server_input, "sent");
  EXPECT_EQ(r.mean_accuracy, e.mean_accuracy);
  EXPECT_TRUE(r.cnn_weights.empty());
  EXPECT_THROW(train_estimators(options("e.json")), InputError);  // exists, no force
}

Json read_json(const std::string& path) { return Json::parse(std::ifstream(path)); }
void write_json(const std::string& path, const Json& j) { std::ofstream(path) << j.dump(1); }

TEST_F(Estimators3, ReadsVersion2FilesWithoutMeansOrServerInput) {
  Estimators e = train_estimators(options("e.json"));
  // Version 2 (estimators.h): no accuracy.mean; the first version 2 files had no
  // params.server_input either (tables before profile version 2 were "original").
  Json j = read_json(dir / "e.json");
  j["version"] = 2;
  j["accuracy"].erase("mean");
  j["accuracy"].erase("mean_form");
  j["params"].erase("server_input");
  write_json(dir / "v2.json", j);
  Estimators r = read_estimators(dir / "v2.json");
  expect_same(e, r);
  EXPECT_TRUE(r.mean_accuracy.empty());
  EXPECT_EQ(r.server_input, "original");
  // It predicts what the version 3 file predicts.
  ProfileTable held = read_profile_table(dir / "t2.csv");
  EXPECT_EQ(r.predict_accuracy(held.rows[3][5].stats, 5), e.predict_accuracy(held.rows[3][5].stats, 5));
}

TEST_F(Estimators3, Version1FilesAndNewerVersionsAreInputErrorsNamingTheFile) {
  train_estimators(options("e.json"));
  // Version 1 (before f9446a3): statistics + one-hot + 1 features, no error_sd / change_sd.
  // Its fields are not those of version 2: the reader refuses it by its version, saying what to do.
  Json j = read_json(dir / "e.json");
  j["version"] = 1;
  j["accuracy"] = {{"weights", std::vector<std::vector<double>>(10 + 8 + 1, std::vector<double>(8, 0.1))}};
  write_json(dir / "v1.json", j);
  std::string msg = message_of([&] { read_estimators(dir / "v1.json"); });
  EXPECT_NE(msg.find("v1.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no longer reads"), std::string::npos) << msg;
  EXPECT_NE(msg.find("train them again"), std::string::npos) << msg;
  // A newer version: refused, naming both versions.
  j = read_json(dir / "e.json");
  j["version"] = kEstimatorsVersion + 1;
  write_json(dir / "v4.json", j);
  msg = message_of([&] { read_estimators(dir / "v4.json"); });
  EXPECT_NE(msg.find("version " + std::to_string(kEstimatorsVersion + 1)), std::string::npos) << msg;
  EXPECT_NE(msg.find("(" + std::to_string(kEstimatorsVersion) + ")"), std::string::npos) << msg;
}

TEST(ProfileTableRead, ReadsVersion1TablesAsOriginalAndRefusesNewerOnes) {
  vssoff::test::TempDir dir;
  test::write_file(dir / "video.mp4", "x");
  test::HandTable h;
  h.video = dir / "video.mp4";
  h.version = 1;  // profile.h: version 1 tables lack params.server_input and were "original"
  test::write_hand_table(h, dir / "v1.csv");
  ProfileTable t = read_profile_table(dir / "v1.csv");
  EXPECT_EQ(t.server_input, "original");
  EXPECT_EQ(t.actions.size(), 8u);
  EXPECT_EQ(t.rows.size(), 6u);
  EXPECT_EQ(t.stat_names.size(), 10u);
  EXPECT_EQ(t.stat_names[0], "mean_max_prob");
  EXPECT_EQ(t.video, dir / "video.mp4");
  h.version = 2;
  test::write_hand_table(h, dir / "v2.csv");
  EXPECT_EQ(read_profile_table(dir / "v2.csv").server_input, "sent");
  h.version = kProfileVersion + 1;
  test::write_hand_table(h, dir / "v3.csv");
  std::string msg = message_of([&] { read_profile_table(dir / "v3.csv"); });
  EXPECT_NE(msg.find("version " + std::to_string(kProfileVersion + 1)), std::string::npos) << msg;
  EXPECT_NE(msg.find("(" + std::to_string(kProfileVersion) + ")"), std::string::npos) << msg;
}

TEST(ProfileTableRead, RefusesAShardOfATable) {
  vssoff::test::TempDir dir;
  test::write_file(dir / "video.mp4", "x");
  test::HandTable h;
  h.video = dir / "video.mp4";
  h.shard_index = 1, h.shard_count = 2;
  test::write_hand_table(h, dir / "shard.csv");
  std::string msg = message_of([&] { read_profile_table(dir / "shard.csv"); });
  EXPECT_NE(msg.find("profile-merge"), std::string::npos) << msg;
}

TEST(ProfileTableRead, SegmentCountsAndKeysTheTableCannotHoldAreInputErrors) {
  // Found reading the code; the inputs are kept as seeds of the profile fuzz target
  // (testdata/fuzz/profile/crash-segments-*.bin). A segment count of -1 escaped as
  // std::length_error, 10^15 ran out of memory before a row was read, and 1e300 (like a float
  // qp or frame count in the CSV) was cast to an integer, undefined.
  vssoff::test::TempDir dir;
  test::write_file(dir / "video.mp4", "x");
  test::HandTable h;
  h.video = dir / "video.mp4";
  test::write_hand_table(h, dir / "t.csv");
  const Json good = Json::parse(std::ifstream(dir / "t.csv.json"));
  for (const Json& segments : {Json(-1), Json(1000000000000000), Json(1e300), Json(7)}) {
    Json m = good;
    m["params"]["segments"] = segments;
    write_json(dir / "t.csv.json", m);
    const std::string msg = message_of([&] { read_profile_table(dir / "t.csv"); });
    EXPECT_NE(msg.find("segments"), std::string::npos) << segments << ": " << msg;
  }
  write_json(dir / "t.csv.json", good);
  std::ifstream in(dir / "t.csv");
  std::string csv((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  csv.replace(csv.find(",10,m0,"), 7, ",1e300,m0,");  // the first row's frames
  test::write_file(dir / "t.csv", csv);
  Json m = good;
  m["sidecars"]["table"]["bytes"] = csv.size();  // the manifest edited to match the table
  m["sidecars"]["table"]["sha256"] = sha256_file(dir / "t.csv");
  write_json(dir / "t.csv.json", m);
  const std::string msg = message_of([&] { read_profile_table(dir / "t.csv"); });
  EXPECT_NE(msg.find("\"frames\": not a whole number"), std::string::npos) << msg;
}

}  // namespace
}  // namespace vssoff::penance
