// Profile tables as rows of text (internal to lib/penance).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/manifest.h"

namespace vssoff::penance {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

Table read_table(const std::string& path);  // InputError on a missing or malformed CSV

// profile --resume: the files an interrupted run leaves, OUT.partial (the table's rows so far,
// appended per finished segment) and OUT.partial.json (the run's settings, `key`). Appends the
// rows of the segments complete in `partial` (each with `actions` rows) to *rows and returns
// those segments. InputError when the partial table was made with another run key or other
// columns than `header`, or is malformed.
std::set<int64_t> read_complete_segments(const std::string& partial, const Json& key,
                                         const std::vector<std::string>& header, size_t actions,
                                         std::vector<std::vector<std::string>>* rows);

// Rows sorted by segment, model (in model_order), QP, then scale from the largest.
void sort_rows(std::vector<std::vector<std::string>>* rows, const std::vector<std::string>& model_order);

// Atomic, replacing an existing file.
void write_rows(const std::string& path, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

}  // namespace vssoff::penance
