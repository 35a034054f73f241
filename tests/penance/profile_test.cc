#include "penance/profile.h"

#include <filesystem>

#include "core/error.h"
#include "penance/estimators.h"
#include "synth_clip.h"
#include "test_util.h"

namespace vssoff::penance {
namespace {

// profile on a 2-segment synthetic clip with the zoo's smallest model, which is also the
// accuracy reference (no ground truth given).
TEST(Profile, RowsPerSegmentAndActionBytesFallWithQpReferenceActionNearOne) {
  vssoff::test::TempDir dir;
  vssoff::test::synth_clip(dir / "clip", 128, 80, 8);
  ProfileOptions o;
  o.input = dir / "clip/video.mp4";
  o.output = dir / "t.csv";
  o.models = {std::string(VSSOFF_SOURCE_DIR) + "/models/segnet-tiny.json"};
  o.qps = {18, 30, 44};
  o.scales = {1.0, 0.5};
  o.segment_frames = 4;
  o.acc_frames = 2;
  o.threads = 2;
  ProfileResult r = profile(o);
  EXPECT_EQ(r.segments, 2);
  EXPECT_EQ(r.rows, 2 * 3 * 2);
  ProfileTable t = read_profile_table(dir / "t.csv");
  ASSERT_EQ(t.rows.size(), 2u);
  ASSERT_EQ(t.actions.size(), 6u);  // segnet-tiny x 3 QPs x 2 scales, QP-major
  EXPECT_EQ(t.server_input, "sent");
  for (size_t s = 0; s < 2; ++s) {
    EXPECT_EQ(t.frames[s], 4);
    for (size_t si = 0; si < 2; ++si)
      for (size_t qi = 0; qi + 1 < 3; ++qi)
        EXPECT_GT(t.rows[s][qi * 2 + si].bytes, t.rows[s][(qi + 1) * 2 + si].bytes) << "segment " << s;
    for (size_t qi = 0; qi < 3; ++qi) EXPECT_GT(t.rows[s][qi * 2].bytes, t.rows[s][qi * 2 + 1].bytes);  // scale
    // The reference model on frames at QP 18 and full size is close to its own answer on the
    // originals (0.78 measured on segment 0: a tiny model at 128x80); at QP 44 and half size less so.
    EXPECT_GT(t.rows[s][0].accuracy, 0.7) << "segment " << s;
    EXPECT_LT(t.rows[s][5].accuracy, t.rows[s][0].accuracy);
    // Half-size frames cost a quarter of the GFLOPs (server input "sent").
    EXPECT_NEAR(t.rows[s][1].gflops, t.rows[s][0].gflops / 4, 1e-6 * t.rows[s][0].gflops);
    EXPECT_GT(t.intra[s], 0);
    EXPECT_GT(t.probe26[s], t.probe38[s]);
  }
  EXPECT_THROW(profile(o), InputError);  // exists, no force
}

}  // namespace
}  // namespace vssoff::penance
