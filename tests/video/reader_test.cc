#include "video/reader.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/fs.h"
#include "test_util.h"
#include "video/inspect.h"
#include "video/prefetch.h"

namespace vssoff::video {
namespace {

uint64_t checksum(const Frame& f) {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t b : f.data) h = (h ^ b) * 1099511628211ull;
  return h;
}

struct Case {
  const char* name;
  int width, height;
  const char* extra;  // ffmpeg output options
  const char* source_format;
};

class ReaderFormats : public ::testing::TestWithParam<Case> {};

TEST_P(ReaderFormats, DecodesEveryFrameAtTheRightSize) {
  const Case& c = GetParam();
  test::TempDir dir;
  std::string path = dir / c.name;
  test::make_clip(path, c.width, c.height, 12, c.extra);
  std::string input = path;
  if (std::string(c.name).find('%') != std::string::npos) input = path;  // image pattern
  VideoReader reader(input);
  EXPECT_EQ(reader.info().width, c.width);
  EXPECT_EQ(reader.info().height, c.height);
  EXPECT_EQ(reader.info().pixel_format, c.source_format);
  Frame f;
  int n = 0;
  while (reader.read(&f)) {
    EXPECT_EQ(f.index, n);
    EXPECT_EQ(f.width, c.width);
    EXPECT_EQ(f.height, c.height);
    EXPECT_EQ(f.format, PixelFormat::kYuv420p);
    EXPECT_EQ(f.data.size(), size_t(c.width) * c.height + 2 * size_t((c.width + 1) / 2) * ((c.height + 1) / 2));
    ++n;
  }
  EXPECT_EQ(n, 12);
  // RGB output of the same input, resized.
  ReaderOptions ro;
  ro.format = PixelFormat::kRgb24;
  ro.width = 32;
  ro.height = 18;
  VideoReader rgb(input, ro);
  ASSERT_TRUE(rgb.read(&f));
  EXPECT_EQ(f.format, PixelFormat::kRgb24);
  EXPECT_EQ(f.data.size(), 32u * 18 * 3);
}

INSTANTIATE_TEST_SUITE_P(Inputs, ReaderFormats,
                         ::testing::Values(Case{"a.mp4", 64, 48, "-c:v libx264 -pix_fmt yuv420p", "yuv420p"},
                                           Case{"a.mkv", 64, 48, "-c:v libx264 -pix_fmt yuv420p", "yuv420p"},
                                           Case{"a.avi", 64, 48, "-c:v mpeg4", "yuv420p"},
                                           Case{"a.y4m", 64, 48, "-pix_fmt yuv420p", "yuv420p"},
                                           Case{"a.h264", 64, 48, "-c:v libx264 -pix_fmt yuv420p", "yuv420p"},
                                           Case{"frame_%03d.png", 64, 48, "", "rgb24"},
                                           Case{"odd.mkv", 97, 55, "-c:v ffv1 -pix_fmt yuv420p", "yuv420p"},
                                           Case{"y422.mkv", 64, 48, "-c:v ffv1 -pix_fmt yuv422p", "yuv422p"},
                                           Case{"y444.mkv", 64, 48, "-c:v libx264 -pix_fmt yuv444p", "yuv444p"},
                                           Case{"gray.mkv", 64, 48, "-c:v ffv1 -pix_fmt gray", "gray"},
                                           Case{"ten.mkv", 64, 48, "-c:v ffv1 -pix_fmt yuv420p10le", "yuv420p10le"}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string s = info.param.name;
                           for (char& ch : s)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return s;
                         });

TEST(Reader, PixelsMatchTheFfmpegCommandLine) {
  test::TempDir dir;
  test::make_clip(dir / "a.mp4", 64, 48, 5, "-c:v libx264 -pix_fmt yuv420p");
  ASSERT_EQ(test::run("ffmpeg -loglevel error -i '" + (dir / "a.mp4") + "' -f rawvideo -pix_fmt yuv420p '" +
                      (dir / "ref.yuv") + "'"),
            0);
  std::string ref = read_file(dir / "ref.yuv");
  VideoReader reader(dir / "a.mp4");
  Frame f;
  size_t offset = 0;
  while (reader.read(&f)) {
    ASSERT_LE(offset + f.data.size(), ref.size());
    EXPECT_EQ(0, std::memcmp(ref.data() + offset, f.data.data(), f.data.size())) << "frame " << f.index;
    offset += f.data.size();
  }
  EXPECT_EQ(offset, ref.size());
}

TEST(Reader, SeeksForwardAndBackward) {
  test::TempDir dir;
  for (const char* name : {"s.mp4", "s.h264"}) {
    test::make_clip(dir / name, 64, 48, 20, "-c:v libx264 -g 5 -bf 0");
    std::vector<uint64_t> sums;
    {
      VideoReader reader(dir / name);
      Frame f;
      while (reader.read(&f)) sums.push_back(checksum(f));
    }
    ASSERT_EQ(sums.size(), 20u) << name;
    VideoReader reader(dir / name);
    Frame f;
    for (int64_t target : {7, 3, 15, 0, 19}) {
      reader.seek(target);
      ASSERT_TRUE(reader.read(&f)) << name << " frame " << target;
      EXPECT_EQ(f.index, target) << name;
      EXPECT_EQ(checksum(f), sums[target]) << name << " frame " << target;
      ASSERT_TRUE(target == 19 || reader.read(&f));
      if (target != 19) {
        EXPECT_EQ(f.index, target + 1);
      }
    }
    // Past the end: at once when the header knows the count, else at the next read.
    EXPECT_THROW(
        {
          reader.seek(25);
          reader.read(&f);
        },
        InputError)
        << name;
  }
}

TEST(Reader, TimestampsFollowTheFrameRate) {
  test::TempDir dir;
  test::make_clip(dir / "t.mp4", 64, 48, 10, "-c:v libx264");
  VideoReader reader(dir / "t.mp4");
  EXPECT_EQ(reader.info().fps.value(), 25.0);
  EXPECT_EQ(reader.info().frame_count, 10);
  Frame f;
  while (reader.read(&f)) EXPECT_NEAR(f.time_s, f.index / 25.0, 1e-6);
}

void expect_input_error(const std::string& path, const std::string& fragment) {
  try {
    ReaderOptions strict;
    strict.strict_frame_count = true;
    VideoReader reader(path, strict);
    Frame f;
    while (reader.read(&f)) {
    }
    FAIL() << "no error for " << path;
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << "must name the file: " << msg;
    EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
  }
}

TEST(Reader, BadInputsAreClearErrors) {
  test::TempDir dir;
  expect_input_error(dir / "missing.mp4", "not found");
  write_file_atomic(dir / "empty.mp4", "", false);
  expect_input_error(dir / "empty.mp4", "empty");
  std::string noise(20000, '\0');
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 7919) ^ (i >> 3));
  write_file_atomic(dir / "noise.mp4", noise, false);
  expect_input_error(dir / "noise.mp4", "");

  // Truncated MP4 with the index first: the header promises 50 frames, the data stops early.
  test::make_clip(dir / "full.mp4", 160, 120, 50, "-c:v libx264 -movflags +faststart");
  std::string full = read_file(dir / "full.mp4");
  write_file_atomic(dir / "cut.mp4", full.substr(0, full.size() * 4 / 10), false);
  expect_input_error(dir / "cut.mp4", "header declares 50 frames");

  // An audio-only file has no video stream.
  ASSERT_EQ(test::run("ffmpeg -loglevel error -f lavfi -i sine=duration=0.2 '" + (dir / "a.wav") + "'"), 0);
  expect_input_error(dir / "a.wav", "no video stream");
}

TEST(Reader, HeaderThatLiesAboutTheFrameCount) {
  test::TempDir dir;
  test::make_clip(dir / "a.avi", 64, 48, 10, "-c:v mpeg4");
  std::string data = read_file(dir / "a.avi");
  // AVI: dwTotalFrames in 'avih' (offset 16 of its payload) and dwLength in 'strh' (offset 32).
  auto patch = [&](const char* tag, size_t offset) {
    size_t pos = data.find(tag);
    ASSERT_NE(pos, std::string::npos);
    uint32_t v = 40;
    std::memcpy(&data[pos + 8 + offset], &v, 4);
  };
  patch("avih", 16);
  patch("strh", 32);
  write_file_atomic(dir / "lies.avi", data, false);
  VideoReader probe(dir / "lies.avi");
  EXPECT_EQ(probe.info().frame_count, 40);  // FFmpeg believes the header
  expect_input_error(dir / "lies.avi", "header declares 40 frames but the stream ends after 10");
  VideoReader reader(dir / "lies.avi");  // the default reads what decodes
  Frame f;
  int n = 0;
  while (reader.read(&f)) ++n;
  EXPECT_EQ(n, 10);
  // A range that ends exactly at the last decodable frame is not a short stream.
  ReaderOptions strict;
  strict.strict_frame_count = true;
  FramePrefetcher exact(std::make_unique<VideoReader>(dir / "lies.avi", strict), 2, FrameRange{0, 10, 1});
  n = 0;
  while (exact.next(&f)) ++n;
  EXPECT_EQ(n, 10);
}

TEST(Reader, QpsFollowTheirFramesWithDecoderThreadsOnBFrameStreams) {
  // With frame threads FFmpeg's H.264 decoder attached some reordered pictures' QP tables
  // before it had decoded them: 4 to 14 frames of 100 came out with wrong QPs, different
  // on each run, while --threads 1 was exact.
  test::TempDir dir;
  test::make_clip(dir / "b.mp4", 320, 176, 100, "-c:v libx264 -bf 2 -crf 28");
  InspectOptions o;
  o.export_qp = true;
  o.frame_stats = true;
  o.threads = 1;
  InspectResult one = inspect_video(dir / "b.mp4", o);
  ASSERT_EQ(one.decoded_frames, 100);
  ASSERT_GT(one.frame_types['B'], 0);
  for (int threads : {2, 4}) {
    o.threads = threads;
    InspectResult many = inspect_video(dir / "b.mp4", o);
    ASSERT_EQ(many.qp.size(), one.qp.size());
    const size_t per_frame = static_cast<size_t>(one.mb_rows) * one.mb_cols;
    int wrong = 0;
    for (size_t f = 0; f < one.qp.size() / per_frame; ++f)
      wrong += !std::equal(one.qp.begin() + f * per_frame, one.qp.begin() + (f + 1) * per_frame,
                           many.qp.begin() + f * per_frame);
    EXPECT_EQ(wrong, 0) << threads << " threads: " << wrong << " of 100 frames with other QPs than 1 thread";
    for (size_t f = 0; f < one.frames.size(); ++f) EXPECT_EQ(many.frames[f].mean_qp, one.frames[f].mean_qp) << f;
  }
}

}  // namespace
}  // namespace vssoff::video
