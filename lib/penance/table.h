// Profile tables as rows of text (internal to lib/penance).
#pragma once

#include <string>
#include <vector>

namespace vssoff::penance {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

Table read_table(const std::string& path);  // InputError on a missing or malformed CSV

// Rows sorted by segment, model (in model_order), QP, then scale from the largest.
void sort_rows(std::vector<std::vector<std::string>>* rows, const std::vector<std::string>& model_order);

// Atomic, replacing an existing file.
void write_rows(const std::string& path, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

}  // namespace vssoff::penance
