#include "video/y4m_writer.h"

#include "core/error.h"
#include "core/fs.h"

namespace vssoff::video {

Y4mWriter::Y4mWriter(const std::string& path, int width, int height, Rational fps, bool force)
    : out_(std::make_unique<AtomicOutput>(path, force)), width_(width), height_(height) {
  check<UsageError>(fps.valid(), "invalid frame rate for ", path);
  file_ = std::make_unique<OutputFile>(out_->temp_path());
  file_->write(cat("YUV4MPEG2 W", width, " H", height, " F", fps.num, ":", fps.den, " Ip A1:1 C420jpeg\n"));
}

Y4mWriter::~Y4mWriter() = default;

void Y4mWriter::write(const Frame& f) {
  check<RuntimeError>(f.format == PixelFormat::kYuv420p && f.width == width_ && f.height == height_,
                      "Y4mWriter: frame is ", f.width, "x", f.height, " ", pixel_format_name(f.format), ", stream is ",
                      width_, "x", height_, " yuv420p");
  file_->write("FRAME\n");
  file_->write(f.data.data(), f.data.size());
}

void Y4mWriter::finish() {
  file_->close();
  out_->commit();
}

}  // namespace vssoff::video
