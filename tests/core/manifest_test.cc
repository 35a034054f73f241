#include "core/manifest.h"

#include <fstream>

#include "core/error.h"
#include "core/fs.h"
#include "test_util.h"

namespace vssoff {
namespace {

TEST(Manifest, RoundTripWithProducerInputsAndSidecars) {
  test::TempDir dir;
  set_invocation("encode-roi", {"vssoff", "encode-roi", "in.mp4"});
  write_file_atomic(dir / "in.bin", "hello", false);
  write_file_atomic(dir / "payload.npy", "0123456789", false);
  Json m = new_manifest("thing", 2);
  m["params"]["qp"] = 30;
  add_input(m, "video", dir / "in.bin");
  add_sidecar(m, "payload", dir / "thing.json", dir / "payload.npy");
  write_manifest(dir / "thing.json", m, false);

  Json r = read_manifest(dir / "thing.json", "thing", 2);
  EXPECT_EQ(r["format"], "vssoff.thing");
  EXPECT_EQ(r["producer"]["command"], "encode-roi");
  EXPECT_EQ(r["producer"]["argv"][2], "in.mp4");
  EXPECT_EQ(r["params"]["qp"], 30);
  EXPECT_EQ(r["inputs"][0]["bytes"], 5);
  // sha256("hello")
  EXPECT_EQ(r["inputs"][0]["sha256"], "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(r["sidecars"]["payload"]["path"], "payload.npy");  // relative to the manifest
  EXPECT_EQ(sidecar_path(r, dir / "thing.json", "payload"), dir / "payload.npy");
}

// A hash started in the background is the file's; a file changed after it started (another
// size or time) is hashed again, so the manifest never records stale bytes.
TEST(Manifest, BackgroundHashesAreUsedOnlyForTheUnchangedFile) {
  test::TempDir dir;
  const std::string in = dir / "in.bin";
  write_file_atomic(in, std::string(1 << 20, 'a'), false);
  hash_input_in_background(in);
  Json m = new_manifest("thing", 1);
  add_input(m, "video", in);
  EXPECT_EQ(m["inputs"][0]["sha256"], sha256_file(in));

  hash_input_in_background(in);
  write_file_atomic(in, "changed", true);  // another size and time than when hashing began
  Json m2 = new_manifest("thing", 1);
  add_input(m2, "video", in);
  EXPECT_EQ(m2["inputs"][0]["bytes"], 7);
  EXPECT_EQ(m2["inputs"][0]["sha256"], sha256_file(in));
  EXPECT_NE(m2["inputs"][0]["sha256"], m["inputs"][0]["sha256"]);
}

TEST(Manifest, RejectsOtherKindsAndNewerVersionsNamingBoth) {
  test::TempDir dir;
  write_manifest(dir / "a.json", new_manifest("qpmap", 3), false);
  try {
    read_manifest(dir / "a.json", "qpmap", 1);
    FAIL();
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("version 3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(1)"), std::string::npos) << msg;
  }
  try {
    read_manifest(dir / "a.json", "calibrator", 1);
    FAIL();
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("vssoff.calibrator"), std::string::npos) << msg;
    EXPECT_NE(msg.find("vssoff.qpmap"), std::string::npos) << msg;
  }
}

TEST(Manifest, RejectsNonManifestsAndChangedSidecars) {
  test::TempDir dir;
  write_file_atomic(dir / "bad.json", "{not json", false);
  EXPECT_THROW(read_manifest(dir / "bad.json", "x", 1), InputError);
  write_file_atomic(dir / "plain.json", "{\"a\": 1}", false);
  EXPECT_THROW(read_manifest(dir / "plain.json", "x", 1), InputError);

  write_file_atomic(dir / "p.npy", "0123", false);
  Json m = new_manifest("x", 1);
  add_sidecar(m, "p", dir / "m.json", dir / "p.npy");
  write_file_atomic(dir / "p.npy", "012345", true);  // changed after the manifest was written
  EXPECT_THROW(sidecar_path(m, dir / "m.json", "p"), InputError);
  EXPECT_THROW(sidecar_path(m, dir / "m.json", "missing"), InputError);
}

// Defect: only the size was checked, so a file rewritten with other bytes of the same length
// (a regenerated clip, an edited NPY) passed as the artefact's own.
TEST(Manifest, SameSizeOtherContentIsRefusedBySha256) {
  test::TempDir dir;
  write_file_atomic(dir / "p.npy", "0123", false);
  write_file_atomic(dir / "video.mp4", "frames", false);
  Json m = new_manifest("x", 1);
  add_sidecar(m, "p", dir / "m.json", dir / "p.npy");
  add_input(m, "video", dir / "video.mp4");
  EXPECT_EQ(sidecar_path(m, dir / "m.json", "p"), dir / "p.npy");
  EXPECT_EQ(recorded_input(m, dir / "m.json", "video"), dir / "video.mp4");
  EXPECT_THROW(recorded_input(m, dir / "m.json", "boxes"), InputError);  // none recorded

  write_file_atomic(dir / "p.npy", "3210", true);
  write_file_atomic(dir / "video.mp4", "FRAMES", true);
  for (auto check : {+[](const Json&j, const std::string&mp) { sidecar_path(j, mp, "p"); },
                     +[](const Json&j, const std::string&mp) { recorded_input(j, mp, "video"); }}) {
    try {
      check(m, dir / "m.json");
      FAIL();
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("content differs from the sha256 recorded in " + std::string(dir / "m.json")),
                std::string::npos)
          << msg;
    }
  }
}

TEST(Manifest, NumbersTooLargeOrFloatsForIntegersAreInputErrors) {
  // Found by scripts/fuzz.sh (testdata/fuzz/modelcard/crash-number-overflow.json).
  test::TempDir dir;
  write_file_atomic(dir / "big.json", R"({"format": "vssoff.x", "version": 1, "n": 1e111111111111111})", true);
  EXPECT_THROW(read_manifest(dir / "big.json", "x", 1), InputError);
  write_file_atomic(dir / "f.json", R"({"format": "vssoff.x", "version": 1, "n": 1.5e29, "m": 7.0})", true);
  Json m = read_manifest(dir / "f.json", "x", 1);
  EXPECT_THROW(json_get<int64_t>(m, "n", dir / "f.json"), InputError);
  EXPECT_EQ(json_get<int>(m, "m", dir / "f.json"), 7);
}

// nlohmann's value("key", 0) casts a float to int with undefined behaviour; json_get with a fallback checks.
TEST(Manifest, OptionalIntegerFieldsAreCheckedLikeRequiredOnes) {
  const Json j = Json::parse(R"({"width": 1e30, "height": 72.0, "stride": -3.5})");
  EXPECT_THROW(json_get(j, "width", "card.json", 0), InputError);
  EXPECT_THROW(json_get(j, "stride", "card.json", 16), InputError);
  EXPECT_EQ(json_get(j, "height", "card.json", 0), 72);
  EXPECT_EQ(json_get(j, "absent", "card.json", 16), 16);
}

TEST(Manifest, IntegersMustFitTheirType) {
  // Found reading the new fuzz targets' readers: nlohmann casts a float to an integer (undefined
  // out of range, and 2^63 passed the old bound for int64) and wraps an integer that does not fit.
  const Json j = Json::parse(R"({"big": 9223372036854775808.0, "wide": 4294967297, "neg": -1,
                                 "u": 18446744073709551615, "flag": true, "a": [1, 2.0], "b": [1, 1e30]})");
  EXPECT_THROW(json_get<int64_t>(j, "big", "f"), InputError);
  EXPECT_THROW(json_get<int>(j, "wide", "f"), InputError);
  EXPECT_EQ(json_get<int64_t>(j, "wide", "f"), 4294967297);
  EXPECT_THROW(json_get<size_t>(j, "neg", "f"), InputError);
  EXPECT_THROW(json_get<int64_t>(j, "u", "f"), InputError);
  EXPECT_EQ(json_get<size_t>(j, "u", "f"), SIZE_MAX);
  EXPECT_THROW(json_get<int>(j, "flag", "f"), InputError);
  EXPECT_EQ(json_get<int>(j, "missing", "f", 3), 3);
  EXPECT_EQ(json_array_as<int>(j["a"], "a", "f"), (std::vector<int>{1, 2}));
  try {
    json_array_as<int>(j["b"], "b", "f.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("f.json: b[1] must be an integer"), std::string::npos) << e.what();
  }
  // A version that does not fit an int is not read as the one it wraps to (4294967297 -> 1),
  // nor a float sidecar size cast to an integer.
  test::TempDir dir;
  write_file_atomic(dir / "v.json", R"({"format": "vssoff.x", "version": 4294967297})", true);
  EXPECT_THROW(read_manifest(dir / "v.json", "x", 1), InputError);
  write_file_atomic(dir / "p.npy", "0123", false);
  Json m = new_manifest("x", 1);
  add_sidecar(m, "p", dir / "m.json", dir / "p.npy");
  m["sidecars"]["p"]["bytes"] = 1e300;
  EXPECT_THROW(sidecar_path(m, dir / "m.json", "p"), InputError);
}

}  // namespace
}  // namespace vssoff
