#include "core/npy.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "core/fs.h"

namespace vssoff {
namespace {

struct DTypeInfo {
  DType type;
  char kind;
  int size;
};
constexpr DTypeInfo kDTypes[] = {{DType::kBool, 'b', 1}, {DType::kU8, 'u', 1},  {DType::kI8, 'i', 1},
                                 {DType::kU16, 'u', 2},  {DType::kI16, 'i', 2}, {DType::kU32, 'u', 4},
                                 {DType::kI32, 'i', 4},  {DType::kU64, 'u', 8}, {DType::kI64, 'i', 8},
                                 {DType::kF32, 'f', 4},  {DType::kF64, 'f', 8}};

const DTypeInfo& info(DType t) {
  for (const auto& d : kDTypes)
    if (d.type == t) return d;
  throw RuntimeError("unknown dtype");
}

// Returns the text of the value following 'key': in a Python dict literal.
std::string dict_value(const std::string& header, const std::string& key, const std::string& path) {
  std::string needle = "'" + key + "'";
  size_t pos = header.find(needle);
  if (pos == std::string::npos) throw InputError(cat(path, ": NPY header has no '", key, "': ", header));
  pos = header.find(':', pos + needle.size());
  if (pos == std::string::npos) throw InputError(cat(path, ": malformed NPY header: ", header));
  ++pos;
  while (pos < header.size() && std::isspace(static_cast<unsigned char>(header[pos]))) ++pos;
  size_t end = pos;
  if (pos < header.size() && header[pos] == '(') {
    end = header.find(')', pos);
    if (end == std::string::npos) throw InputError(cat(path, ": malformed NPY shape: ", header));
    return header.substr(pos, end - pos + 1);
  }
  if (pos < header.size() && (header[pos] == '\'' || header[pos] == '"')) {
    end = header.find(header[pos], pos + 1);
    if (end == std::string::npos) throw InputError(cat(path, ": malformed NPY header: ", header));
    return header.substr(pos + 1, end - pos - 1);
  }
  if (pos < header.size() && header[pos] == '[')
    throw InputError(cat(path, ": structured NPY dtypes are not supported: ", header));
  while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  std::string v = header.substr(pos, end - pos);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  return v;
}

std::vector<int64_t> parse_shape(const std::string& text, const std::string& path) {
  std::vector<int64_t> shape;
  std::string num;
  for (char c : text.substr(1)) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      num += c;
    } else if (c == ',' || c == ')') {
      // At most 15 digits: a dimension beyond 10^15 elements is no file this reader takes (and
      // stoll would throw out_of_range on 20 digits).
      check<InputError>(num.size() <= 15, path, ": NPY dimension ", num.substr(0, 24), " is out of range");
      if (!num.empty()) shape.push_back(std::stoll(num));
      num.clear();
    } else if (!std::isspace(static_cast<unsigned char>(c)) && c != 'L') {
      throw InputError(cat(path, ": invalid NPY shape ", text));
    }
  }
  return shape;
}

// The header (magic, version, length, dict) for an array, padded with spaces to at least
// min_bytes and to a multiple of 64 bytes.
std::string npy_header(DType dtype, const std::string& shape, size_t min_bytes) {
  char order = dtype == DType::kBool || dtype_size(dtype) == 1 ? '|' : '<';
  std::string dict = cat("{'descr': '", order, dtype_name(dtype), "', 'fortran_order': False, 'shape': ", shape, ", }");
  bool v2 = std::max(dict.size() + 11, min_bytes) > 65535;
  size_t prefix = v2 ? 12 : 10;
  size_t total = std::max((prefix + dict.size() + 1 + 63) / 64 * 64, min_bytes);
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  size_t len = dict.size();
  for (size_t i = 0; i < (v2 ? 4u : 2u); ++i) out += static_cast<char>((len >> (8 * i)) & 0xff);
  return out + dict;
}

void byteswap(std::vector<uint8_t>& bytes, int size) {
  for (size_t i = 0; i + size <= bytes.size(); i += size) std::reverse(&bytes[i], &bytes[i + size]);
}

}  // namespace

const char* dtype_name(DType t) {
  static const char* names[] = {"b1", "u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f4", "f8"};
  return names[static_cast<int>(t)];
}
int dtype_size(DType t) { return info(t).size; }

int64_t NpyArray::count() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string NpyArray::shape_string() const {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += cat(i ? ", " : "", shape[i]);
  if (shape.size() == 1) s += ",";
  return s + ")";
}

std::vector<double> NpyArray::to_double() const {
  std::vector<double> out(static_cast<size_t>(count()));
  const uint8_t* p = bytes.data();
  for (size_t i = 0; i < out.size(); ++i) {
    switch (dtype) {
#define VSSOFF_CASE(E, T)                          \
  case DType::E: {                                 \
    T v;                                           \
    std::memcpy(&v, p + i * sizeof(T), sizeof(T)); \
    out[i] = static_cast<double>(v);               \
    break;                                         \
  }
      VSSOFF_CASE(kBool, uint8_t)
      VSSOFF_CASE(kU8, uint8_t)
      VSSOFF_CASE(kI8, int8_t)
      VSSOFF_CASE(kU16, uint16_t)
      VSSOFF_CASE(kI16, int16_t)
      VSSOFF_CASE(kU32, uint32_t)
      VSSOFF_CASE(kI32, int32_t)
      VSSOFF_CASE(kU64, uint64_t)
      VSSOFF_CASE(kI64, int64_t)
      VSSOFF_CASE(kF32, float)
      VSSOFF_CASE(kF64, double)
#undef VSSOFF_CASE
    }
  }
  return out;
}

NpyArray read_npy(const std::string& path) {
  std::string data = read_file(path);
  static const char kMagic[] = "\x93NUMPY";
  check<InputError>(data.size() >= 10 && data.compare(0, 6, kMagic, 6) == 0, path, ": not an NPY file (bad magic)");
  int major = static_cast<uint8_t>(data[6]);
  check<InputError>(major >= 1 && major <= 3, path, ": unsupported NPY format version ", major, ".",
                    static_cast<int>(static_cast<uint8_t>(data[7])));
  size_t header_len, header_start;
  if (major == 1) {
    header_len = static_cast<uint8_t>(data[8]) | (static_cast<uint8_t>(data[9]) << 8);
    header_start = 10;
  } else {
    check<InputError>(data.size() >= 12, path, ": truncated NPY header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<uint8_t>(data[8 + i])) << (8 * i);
    header_start = 12;
  }
  check<InputError>(header_start + header_len <= data.size(), path, ": truncated NPY header (needs ", header_len,
                    " bytes)");
  std::string header = data.substr(header_start, header_len);

  std::string descr = dict_value(header, "descr", path);
  std::string fortran = dict_value(header, "fortran_order", path);
  std::string shape_text = dict_value(header, "shape", path);
  check<InputError>(descr.size() >= 3, path, ": unsupported NPY dtype '", descr, "'");
  char order = descr[0], kind = descr[1];
  int size = std::atoi(descr.c_str() + 2);
  check<InputError>(order == '<' || order == '>' || order == '|' || order == '=', path,
                    ": unsupported NPY byte order in dtype '", descr, "'");
  NpyArray a;
  bool found = false;
  for (const auto& d : kDTypes) {
    if (d.kind == kind && d.size == size) {
      a.dtype = d.type;
      found = true;
    }
  }
  check<InputError>(found, path, ": unsupported NPY dtype '", descr, "' (supported: b1 u1 i1 u2 i2 u4 i4 u8 i8 f4 f8)");
  check<InputError>(fortran == "False" || fortran == "True", path, ": invalid fortran_order ", fortran);
  if (shape_text.empty() || shape_text[0] != '(') throw InputError(cat(path, ": invalid NPY shape ", shape_text));
  a.shape = parse_shape(shape_text, path);

  // The element count, checked for overflow: dimensions whose product wraps must not pass the
  // size check below with a small payload.
  uint64_t elements = 1;
  for (int64_t d : a.shape)
    check<InputError>(
        !__builtin_mul_overflow(elements, static_cast<uint64_t>(d), &elements) && elements <= (uint64_t{1} << 50), path,
        ": NPY shape ", shape_text, " has too many elements");
  size_t payload = static_cast<size_t>(elements) * size;
  size_t offset = header_start + header_len;
  check<InputError>(data.size() - offset >= payload, path, ": truncated NPY data: shape ", a.shape_string(), " of ",
                    descr, " needs ", payload, " bytes, file has ", data.size() - offset);
  a.bytes.assign(data.begin() + offset, data.begin() + offset + payload);
  if (order == '>' && size > 1) byteswap(a.bytes, size);

  if (fortran == "True" && a.shape.size() > 1) {
    // Fortran order: the first index varies fastest. Reorder into C order.
    std::vector<uint8_t> c_order(a.bytes.size());
    size_t n = a.shape.size();
    std::vector<int64_t> idx(n, 0);
    for (int64_t c = 0; c < a.count(); ++c) {
      int64_t f = 0, stride = 1;
      for (size_t d = 0; d < n; ++d) {
        f += idx[d] * stride;
        stride *= a.shape[d];
      }
      std::memcpy(&c_order[c * size], &a.bytes[f * size], size);
      for (size_t d = n; d-- > 0;) {  // increment the C-order index (last fastest)
        if (++idx[d] < a.shape[d]) break;
        idx[d] = 0;
      }
    }
    a.bytes.swap(c_order);
  }
  return a;
}

void write_npy(const std::string& path, const NpyArray& a, bool force) {
  check<RuntimeError>(static_cast<int64_t>(a.bytes.size()) == a.count() * dtype_size(a.dtype), "write_npy(", path,
                      "): ", a.bytes.size(), " bytes do not match shape ", a.shape_string());
  AtomicOutput out(path, force);
  OutputFile f(out.temp_path());
  f.write(npy_header(a.dtype, a.shape_string(), 0));
  f.write(a.bytes.data(), a.bytes.size());
  f.close();
  out.commit();
}

NpyStreamWriter::NpyStreamWriter(const std::string& path, DType dtype, std::vector<int64_t> row_shape, bool force)
    : dtype_(dtype), row_shape_(std::move(row_shape)) {
  for (int64_t d : row_shape_) row_count_ *= d;
  NpyArray widest;  // the header's room: the first dimension at its largest
  widest.shape = {std::numeric_limits<int64_t>::max()};
  widest.shape.insert(widest.shape.end(), row_shape_.begin(), row_shape_.end());
  NpyArray empty = widest;
  empty.shape[0] = 0;
  const std::string header =
      npy_header(dtype_, empty.shape_string(), npy_header(dtype_, widest.shape_string(), 0).size());
  header_bytes_ = header.size();
  out_ = std::make_unique<AtomicOutput>(path, force);
  file_ = std::make_unique<OutputFile>(out_->temp_path());
  file_->write(header);  // an empty array until finish() says how many rows
}

NpyStreamWriter::~NpyStreamWriter() = default;

void NpyStreamWriter::append_bytes(const void* data, size_t count) {
  check<RuntimeError>(file_ != nullptr, "NpyStreamWriter: append after finish");
  check<RuntimeError>(row_count_ > 0 && count % static_cast<size_t>(row_count_) == 0, "NpyStreamWriter: ", count,
                      " values are not whole rows of ", row_count_);
  file_->write(data, count * dtype_size(dtype_));
  rows_ += static_cast<int64_t>(count) / row_count_;
}

void NpyStreamWriter::finish() {
  check<RuntimeError>(file_ != nullptr, "NpyStreamWriter: finish twice");
  NpyArray shape;
  shape.shape = {rows_};
  shape.shape.insert(shape.shape.end(), row_shape_.begin(), row_shape_.end());
  const std::string header = npy_header(dtype_, shape.shape_string(), header_bytes_);
  check<RuntimeError>(header.size() == header_bytes_, "NpyStreamWriter: header of ", shape.shape_string(),
                      " outgrew its room");
  file_->write_at(0, header.data(), header.size());
  file_->close();
  file_.reset();
  out_->commit();
}

}  // namespace vssoff
