// Profile tables as rows of text: reading, ordering, writing, merging shards (torch-free).
#include "penance/table.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "core/csv.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/manifest.h"
#include "penance/profile.h"

namespace fs = std::filesystem;

namespace vssoff::penance {

Table read_table(const std::string& path) {
  Table t;
  CsvTable csv = read_csv(path);
  // sort_rows and the resume logic read the key columns by position, as profile writes them,
  // and parse them as numbers.
  const std::vector<std::string> key = {"segment", "first_frame", "frames", "model", "qp", "scale"};
  check<InputError>(csv.columns.size() >= key.size() && std::equal(key.begin(), key.end(), csv.columns.begin()), path,
                    ": not a profile table (its columns must begin with segment,first_frame,frames,model,qp,scale)");
  for (size_t r = 0; r < csv.rows.size(); ++r) {
    csv.integer(r, "segment");
    check<InputError>(std::in_range<int>(csv.integer(r, "qp")), path, ": row ", r + 2, ": qp out of range");
    const double scale = csv.number(r, "scale");
    check<InputError>(scale > 0 && scale <= 1, path, ": row ", r + 2, ": scale ", scale, " is not in (0, 1]");
  }
  t.header = csv.columns;
  t.rows = std::move(csv.rows);
  return t;
}

std::set<int64_t> read_complete_segments(const std::string& partial, const Json& key,
                                         const std::vector<std::string>& header, size_t actions,
                                         std::vector<std::vector<std::string>>* rows) {
  const std::string partial_key = partial + ".json";
  if (fs::exists(partial_key)) {
    Json before = Json::parse(read_file(partial_key), nullptr, false);
    check<InputError>(before.is_object(), partial_key,
                      ": not a settings record; delete it and the partial table, or pass --force");
    for (auto& [k, v] : key.items())
      check<InputError>(before.value(k, Json()) == v, partial, ": made with another ", k, " (",
                        before.value(k, Json()).dump(), ", this run ", v.dump(),
                        "); run with those settings, or pass --force to start over");
  }
  Table t = read_table(partial);  // segment, qp and scale checked to be numbers
  check<InputError>(t.header == header, partial, ": its columns differ from this run's (other models or classes?)");
  std::map<int64_t, size_t> per_segment;
  read_artefact(partial, [&] {
    for (auto& r : t.rows) ++per_segment[std::stoll(r[0])];
    for (auto& r : t.rows)
      if (per_segment[std::stoll(r[0])] == actions) rows->push_back(r);
  });
  std::set<int64_t> done;
  for (auto [s, n] : per_segment)
    if (n == actions) done.insert(s);
  return done;
}

// Rows sorted by segment, model order, QP, scale (all numeric except the model).
void sort_rows(std::vector<std::vector<std::string>>* rows, const std::vector<std::string>& model_order) {
  std::map<std::string, size_t> rank;
  for (size_t i = 0; i < model_order.size(); ++i) rank[model_order[i]] = i;
  std::stable_sort(rows->begin(), rows->end(), [&](const auto& a, const auto& b) {
    auto key = [&](const std::vector<std::string>& r) {
      // read_table checked the numbers; strtod, unlike stod, takes 1e-400 (0) as it read it.
      return std::make_tuple(std::strtoll(r[0].c_str(), nullptr, 10), rank[r[3]],
                             std::strtol(r[4].c_str(), nullptr, 10), -std::strtod(r[5].c_str(), nullptr));
    };
    return key(a) < key(b);
  });
}

void write_rows(const std::string& path, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  CsvWriter w(header);
  for (const auto& r : rows) w.add_row(r);
  w.write(path, true);
}

void parse_shard(const std::string& text, int* index, int* count) {
  int i = -1, n = -1;
  char slash = 0, extra = 0;
  int got = std::sscanf(text.c_str(), "%d%c%d%c", &i, &slash, &n, &extra);
  check<UsageError>(got == 3 && slash == '/' && n >= 1 && i >= 0 && i < n, "shard must be i/n with 0 <= i < n (got \"",
                    text, "\")");
  *index = i;
  *count = n;
}

void profile_merge(const std::vector<std::string>& tables, const std::string& output, bool force) {
  check<UsageError>(tables.size() >= 1, "give the shard tables to merge");
  check<UsageError>(fs::path(output).extension() == ".csv", "output must end in .csv (got ", output, ")");
  const std::string manifest_path = manifest_path_for(output);
  check_output_path(output, force);
  check_output_path(manifest_path, force);
  Json first, merged_models;
  std::vector<std::string> header, names;
  std::vector<std::vector<std::string>> rows;
  std::set<int64_t> segments;
  // Measured ms per frame, averaged over shards: (model, scale index or -1 for all) -> (sum, shards).
  std::map<std::pair<std::string, int>, std::pair<double, int>> ms;
  for (const std::string& path : tables) {
    const std::string mp = manifest_path_for(path);
    check_input_file(mp, "profile manifest");
    read_artefact(mp, [&] {
      Json m = read_manifest(mp, "profile", kProfileVersion);
      Json p = m.at("params");
      if (first.is_null()) {
        first = m;
        merged_models = p["models"];
        for (const auto& model : p["models"]) names.push_back(model.at("name").get<std::string>());
      } else {
        auto without_timing = [](Json params) {  // measured ms differ between shards
          for (auto& model : params["models"]) model.erase("ms_per_frame"), model.erase("ms_per_frame_by_scale");
          return params;
        };
        check<InputError>(without_timing(first.at("params")) == without_timing(p), path,
                          ": made with other parameters than ", tables[0], " (models, QPs, scales, ",
                          "segments or reference differ)");
        auto sha = [](const Json& mm) {
          for (const auto& in : mm.at("inputs"))
            if (in.at("role") == "video") return in.value("sha256", std::string());
          return std::string();
        };
        check<InputError>(sha(m) == sha(first), path, ": profiled another video than ", tables[0]);
      }
      for (const auto& model : p["models"]) {
        const std::string name = model.at("name").get<std::string>();
        auto add = [&](int si, const Json& v) {
          if (v.is_null()) return;
          auto& e = ms[{name, si}];
          e.first += v.get<double>();
          e.second += 1;
        };
        add(-1, model.value("ms_per_frame", Json()));  // a shard may lack a measurement
        const Json by_scale = model.value("ms_per_frame_by_scale", Json::array());
        for (size_t si = 0; si < by_scale.size(); ++si) add(static_cast<int>(si), by_scale[si]);
      }
      Table t = read_table(sidecar_path(m, mp, "table"));
      if (header.empty()) header = t.header;
      check<InputError>(t.header == header, path, ": its columns differ from ", tables[0]);
      std::set<int64_t> mine;
      for (auto& r : t.rows) mine.insert(std::stoll(r[0]));
      for (int64_t s : mine)
        check<InputError>(segments.insert(s).second, path, ": segment ", s,
                          " is also in another table (overlapping shards)");
      rows.insert(rows.end(), t.rows.begin(), t.rows.end());
    });
  }
  const int64_t want = read_artefact(manifest_path_for(tables[0]), [&] {
    return json_get<int64_t>(first.at("params"), "segments", manifest_path_for(tables[0]));
  });
  for (int64_t s = 0; s < want; ++s)
    check<InputError>(segments.count(s), "segment ", s, " of ", want, " is in none of the tables (a shard is missing)");
  sort_rows(&rows, names);
  Json m = first;
  for (auto& model : merged_models) {
    auto mean = [&](int si) {
      auto it = ms.find({model["name"].get<std::string>(), si});
      return it == ms.end() ? Json(nullptr) : Json(it->second.first / it->second.second);
    };
    model["ms_per_frame"] = mean(-1);
    if (model.contains("ms_per_frame_by_scale"))
      for (size_t si = 0; si < model["ms_per_frame_by_scale"].size(); ++si)
        model["ms_per_frame_by_scale"][si] = mean(static_cast<int>(si));
  }
  m["params"]["models"] = merged_models;
  m["shard"] = {{"index", 0}, {"count", 1}, {"merged_from", tables}};
  m["producer"] = new_manifest("profile", kProfileVersion)["producer"];
  m.erase("sidecars");
  m["sidecars"] = Json::object();
  write_rows(output, header, rows);
  add_sidecar(m, "table", manifest_path, output);
  write_manifest(manifest_path, m, force);
}

}  // namespace vssoff::penance
