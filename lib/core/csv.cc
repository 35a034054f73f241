#include "core/csv.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/error.h"
#include "core/fs.h"

namespace vssoff {
namespace {
std::string quote(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}
}  // namespace

CsvWriter::CsvWriter(std::vector<std::string> columns) : columns_(columns.size()) { add_row(columns); }

void CsvWriter::add_row(const std::vector<std::string>& values) {
  check<RuntimeError>(values.size() == columns_, "CSV row has ", values.size(), " fields, table has ", columns_,
                      " columns");
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) text_ += ',';
    text_ += quote(values[i]);
  }
  text_ += '\n';
}

void CsvWriter::write(const std::string& path, bool force) const { write_file_atomic(path, text_, force); }

std::string csv_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

size_t CsvTable::column(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return i;
  throw InputError(cat(path, ": no column \"", name, "\""));
}

double CsvTable::number(size_t row, const std::string& name) const {
  const std::string& s = rows.at(row).at(column(name));
  if (s == "nan") return NAN;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  check<InputError>(!s.empty() && end && *end == '\0', path, ": row ", row + 2, ", column \"", name,
                    "\": not a number: \"", s, "\"");
  return v;
}

int64_t CsvTable::integer(size_t row, const std::string& name) const {
  const std::string& s = rows.at(row).at(column(name));
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  check<InputError>(!s.empty() && ec == std::errc() && end == s.data() + s.size(), path, ": row ", row + 2,
                    ", column \"", name, "\": not a whole number: \"", s, "\"");
  return v;
}

CsvTable read_csv(const std::string& path) {
  std::string text = read_file(path);
  CsvTable t;
  t.path = path;
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool in_quotes = false, field_started = false;
  size_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
    } else if (c == '"' && !field_started) {
      in_quotes = field_started = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
      records.push_back(std::move(record));
      record.clear();
      ++line;
    } else {
      field += c;
      field_started = true;
    }
  }
  check<InputError>(!in_quotes, path, ": unterminated quoted field at line ", line);
  if (field_started || !record.empty()) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  check<InputError>(!records.empty(), path, ": empty CSV (no header row)");
  t.columns = std::move(records[0]);
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() == 1 && records[r][0].empty()) continue;  // blank line
    check<InputError>(records[r].size() == t.columns.size(), path, ": row ", r + 1, " has ", records[r].size(),
                      " fields, header has ", t.columns.size());
    t.rows.push_back(std::move(records[r]));
  }
  return t;
}

}  // namespace vssoff
