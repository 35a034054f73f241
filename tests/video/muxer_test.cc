#include "video/muxer.h"

#include <filesystem>

#include "codec/x264_encoder.h"
#include "core/error.h"
#include "test_util.h"
#include "video/reader.h"

namespace vssoff::video {
namespace {

void encode_gray_ramp(const std::string& path, int frames) {
  codec::EncoderOptions eo;
  eo.gop_frames = 4;
  eo.repeat_headers = H264Muxer::container_for(path) == "h264";
  codec::H264Encoder enc(64, 48, {25, 1}, eo);
  H264Muxer mux(path, 64, 48, {25, 1}, enc.headers(), false);
  Frame f;
  f.allocate(64, 48, PixelFormat::kYuv420p);
  std::vector<EncodedPacket> pkts;
  for (int i = 0; i < frames; ++i) {
    for (size_t k = 0; k < f.data.size(); ++k) f.data[k] = static_cast<uint8_t>(k * 3 + i * 5);
    f.index = i;
    enc.encode(f, nullptr, &pkts);
  }
  enc.flush(&pkts);
  for (const auto& p : pkts) mux.write(p);
  mux.finish();
}

TEST(Muxer, WritesMp4MkvAndRawStreamsThatReadBack) {
  test::TempDir dir;
  for (const char* name : {"a.mp4", "a.mkv", "a.h264"}) {
    encode_gray_ramp(dir / name, 9);
    VideoReader reader(dir / name);
    Frame f;
    int n = 0;
    while (reader.read(&f)) ++n;
    EXPECT_EQ(n, 9) << name;
    EXPECT_EQ(reader.info().codec, "h264") << name;
  }
}

TEST(Muxer, UnknownExtensionAndUnfinishedOutput) {
  test::TempDir dir;
  EXPECT_THROW(H264Muxer::container_for("x.webm"), UsageError);
  { H264Muxer mux(dir / "x.mp4", 64, 48, {25, 1}, {}, false); }  // destroyed without finish(): nothing appears
  EXPECT_FALSE(std::filesystem::exists(dir / "x.mp4"));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace vssoff::video
