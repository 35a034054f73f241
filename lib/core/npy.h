// NPY arrays (NumPy's .npy format, versions 1.0, 2.0 and 3.0), for large artefact payloads:
// QP maps, accuracy-gradient maps, logits samples.
//
// Reading accepts what numpy.save writes: little- or big-endian ('<', '>', '|', '='),
// C or Fortran order (Fortran arrays are transposed into C order on read), dtypes
// b1 u1 i1 u2 i2 u4 i4 u8 i8 f4 f8. Structured and object dtypes are refused.
// Writing produces version 1.0 (2.0 for huge headers), little-endian, C order, with the
// header padded to a multiple of 64 bytes, which numpy.load reads.
// Every error names the file and the offending value.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

namespace vssoff {

class AtomicOutput;
class OutputFile;

enum class DType { kBool, kU8, kI8, kU16, kI16, kU32, kI32, kU64, kI64, kF32, kF64 };

const char* dtype_name(DType t);  // numpy's kind+size: "u1", "f4", ...
int dtype_size(DType t);

template <typename T>
DType dtype_of();
template <>
inline DType dtype_of<uint8_t>() {
  return DType::kU8;
}
template <>
inline DType dtype_of<int8_t>() {
  return DType::kI8;
}
template <>
inline DType dtype_of<uint16_t>() {
  return DType::kU16;
}
template <>
inline DType dtype_of<int16_t>() {
  return DType::kI16;
}
template <>
inline DType dtype_of<uint32_t>() {
  return DType::kU32;
}
template <>
inline DType dtype_of<int32_t>() {
  return DType::kI32;
}
template <>
inline DType dtype_of<uint64_t>() {
  return DType::kU64;
}
template <>
inline DType dtype_of<int64_t>() {
  return DType::kI64;
}
template <>
inline DType dtype_of<float>() {
  return DType::kF32;
}
template <>
inline DType dtype_of<double>() {
  return DType::kF64;
}

struct NpyArray {
  DType dtype = DType::kU8;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;  // C order, native (little-endian) byte order

  int64_t count() const;
  std::string shape_string() const;  // "(3, 23, 40)"

  template <typename T>
  static NpyArray from(std::vector<int64_t> shape, const std::vector<T>& values) {
    NpyArray a;
    a.dtype = dtype_of<T>();
    a.shape = std::move(shape);
    check<RuntimeError>(a.count() == static_cast<int64_t>(values.size()), "NpyArray::from: shape ", a.shape_string(),
                        " does not hold ", values.size(), " values");
    a.bytes.resize(values.size() * sizeof(T));
    if (!values.empty()) std::memcpy(a.bytes.data(), values.data(), a.bytes.size());
    return a;
  }

  // All elements converted to double (exact for every supported integer below 2^53).
  std::vector<double> to_double() const;
};

// Throws InputError naming `path` on a bad magic, header, dtype, or truncated data.
NpyArray read_npy(const std::string& path);

// Atomic write; refuses to overwrite unless force.
void write_npy(const std::string& path, const NpyArray& array, bool force);

// Writes an NPY array whose first dimension grows as rows are appended, straight to disk,
// for payloads too large to hold in memory (segment's logit samples). The header goes first
// as a placeholder sized for the largest first dimension and is rewritten in place by
// finish() with the final one, so the row count need not be known up front. The file equals
// write_npy's for the same array whenever both headers need the same number of 64-byte
// blocks: always for up to three dimensions of up to 10 digits each.
// Atomic like write_npy: nothing is visible under `path` before finish(); write failures
// are InputErrors naming the file.
class NpyStreamWriter {
 public:
  // row_shape: the dimensions after the first, e.g. {C} for an [n, C] array.
  NpyStreamWriter(const std::string& path, DType dtype, std::vector<int64_t> row_shape, bool force);
  ~NpyStreamWriter();
  NpyStreamWriter(const NpyStreamWriter&) = delete;
  NpyStreamWriter& operator=(const NpyStreamWriter&) = delete;

  // Appends whole rows (values.size() a multiple of the row's element count) of the dtype.
  template <typename T>
  void append(const std::vector<T>& values) {
    check<RuntimeError>(dtype_of<T>() == dtype_, "NpyStreamWriter: appending ", dtype_name(dtype_of<T>()), " to a ",
                        dtype_name(dtype_), " array");
    append_bytes(values.data(), values.size());
  }
  int64_t rows() const { return rows_; }
  // Writes the header with the final shape and renames the file into place.
  void finish();

 private:
  void append_bytes(const void* data, size_t count);
  std::unique_ptr<AtomicOutput> out_;
  std::unique_ptr<OutputFile> file_;
  DType dtype_;
  std::vector<int64_t> row_shape_;
  int64_t row_count_ = 1, rows_ = 0;
  size_t header_bytes_ = 0;
};

}  // namespace vssoff
