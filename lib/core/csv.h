// CSV tables (RFC 4180: comma-separated, a header row, fields quoted when they hold a
// comma, quote or newline), read by pandas, gnuplot and spreadsheets alike.
// Every table that is an artefact also gets a manifest (TABLE.csv.json).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vssoff {

class CsvWriter {
 public:
  explicit CsvWriter(std::vector<std::string> columns);
  // Values are formatted by the caller (use csv_number for doubles); size must match columns.
  void add_row(const std::vector<std::string>& values);
  const std::string& text() const { return text_; }
  void write(const std::string& path, bool force) const;  // atomic

 private:
  size_t columns_;
  std::string text_;
};

// Shortest text that reads back to the same double ("nan" and "inf" as pandas writes them).
std::string csv_number(double v);

struct CsvTable {
  std::string path;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;

  // Column index; InputError naming the file and the column if absent.
  size_t column(const std::string& name) const;
  // rows[row][column(name)] parsed as a number; InputError naming file, row and value if not.
  double number(size_t row, const std::string& name) const;
  // The same for a whole number (a frame or segment index): InputError unless it is one.
  int64_t integer(size_t row, const std::string& name) const;
};

// InputError on a missing file, a row with the wrong field count, or an unterminated quote.
CsvTable read_csv(const std::string& path);

}  // namespace vssoff
