#include "core/manifest.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <system_error>
#include <type_traits>
#include <utility>

#include "core/error.h"
#include "core/fs.h"
#include "core/version.h"

namespace fs = std::filesystem;

namespace vssoff {
namespace {
std::mutex g_mutex;
std::string g_command;
std::vector<std::string> g_argv;

// Hashes started by hash_input_in_background, with the file's identity when started: a file
// replaced or rewritten since (another inode, size, modification or change time; ctime also
// catches a copy that kept the old mtime) is hashed again.
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = -1;
  timespec mtime{}, ctime{};
  bool operator==(const FileId& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec;
  }
};
bool file_id(const std::string& path, FileId* id) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  *id = {st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
  return true;
}
struct PendingHash {
  FileId id;
  std::shared_future<std::string> sha256;
};
std::map<std::string, PendingHash> g_hashes;  // guarded by g_mutex
std::atomic<bool> g_cancel_hashes{false};

std::string hash_key(const std::string& path) {
  std::error_code ec;
  return fs::absolute(path, ec).lexically_normal().string();
}

std::string input_sha256(const std::string& path) {
  FileId now;
  std::shared_future<std::string> pending;
  if (file_id(path, &now)) {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_hashes.find(hash_key(path));
    if (it != g_hashes.end() && it->second.id == now) pending = it->second.sha256;
  }
  if (pending.valid()) {
    try {
      return pending.get();
    } catch (const std::exception&) {  // hashed again below, for the error of this moment
    }
  }
  return sha256_file(path);
}
}  // namespace

void cancel_background_hashes() { g_cancel_hashes = true; }

void wait_for_background_hashes() {
  std::vector<std::shared_future<std::string>> pending;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    for (auto& [path, h] : g_hashes) pending.push_back(h.sha256);
  }
  for (auto& f : pending) f.wait();
}

void hash_input_in_background(const std::string& path) {
  PendingHash h;
  if (!file_id(path, &h.id)) return;
  try {
    h.sha256 = std::async(std::launch::async, [path] {
                 // At the lowest priority: the hash takes the cores' idle time, not the work's.
                 setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
                 return sha256_file(path, &g_cancel_hashes);
               }).share();
  } catch (const std::system_error&) {  // no thread to be had: add_input hashes instead
    return;
  }
  PendingHash old;  // a previous hash of the same path ends outside the lock
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    PendingHash& slot = g_hashes[hash_key(path)];
    old = std::move(slot);
    slot = std::move(h);
  }
}

void set_invocation(const std::string& command, const std::vector<std::string>& argv) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_command = command;
  g_argv = argv;
}

Json new_manifest(const std::string& kind, int version) {
  std::lock_guard<std::mutex> lock(g_mutex);
  Json m;
  m["format"] = "vssoff." + kind;
  m["version"] = version;
  m["producer"] = {{"name", "vssoff"},
                   {"version", vssoff_version()},
                   {"commit", git_commit()},
                   {"command", g_command},
                   {"argv", g_argv}};
  m["params"] = Json::object();
  m["inputs"] = Json::array();
  m["sidecars"] = Json::object();
  return m;
}

void add_input(Json& manifest, const std::string& role, const std::string& path) {
  Json entry = {{"role", role}, {"path", path}};
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    entry["bytes"] = file_size(path);
    entry["sha256"] = input_sha256(path);
  }
  manifest["inputs"].push_back(entry);
}

void add_sidecar(Json& manifest, const std::string& name, const std::string& manifest_path,
                 const std::string& sidecar_path) {
  fs::path base = fs::absolute(manifest_path).parent_path();
  fs::path rel = fs::absolute(sidecar_path).lexically_relative(base);
  manifest["sidecars"][name] = {
      {"path", rel.string()}, {"bytes", file_size(sidecar_path)}, {"sha256", sha256_file(sidecar_path)}};
}

void write_manifest(const std::string& path, const Json& manifest, bool force) {
  write_file_atomic(path, manifest.dump(2) + "\n", force);
}

Json read_manifest(const std::string& path, const std::string& kind, int max_version) {
  std::string text = read_file(path);
  Json m;
  try {
    m = Json::parse(text);
  } catch (const Json::exception& e) {  // a parse error, or a number too large (out_of_range.406)
    throw InputError(cat(path, ": not valid JSON (", e.what(), ")"));
  }
  check<InputError>(m.is_object() && m.contains("format") && m["format"].is_string(), path,
                    ": not a vssoff manifest (no \"format\" field)");
  std::string want = "vssoff." + kind;
  std::string got = m["format"].get<std::string>();
  check<InputError>(got == want, path, ": expected a ", want, " artefact, got ", got);
  check<InputError>(m.contains("version") && m["version"].is_number_integer(), path,
                    ": manifest has no integer \"version\"");
  const int64_t version = json_get<int64_t>(m, "version", path);
  check<InputError>(version <= max_version, path, ": ", want, " version ", version,
                    " is newer than this vssoff reads (", max_version, "); upgrade vssoff or regenerate the artefact");
  check<InputError>(version >= 1, path, ": invalid version ", version);
  return m;
}

namespace {
// The size (cheap) and then the sha256 recorded in `entry`, where recorded.
void check_unchanged(const Json& entry, const std::string& path, const std::string& manifest_path) {
  if (entry.contains("bytes")) {
    const int64_t want = json_get<int64_t>(entry, "bytes", manifest_path), got = file_size(path);
    check<InputError>(want == got, path, ": size ", got, " bytes differs from the ", want, " recorded in ",
                      manifest_path, " (file changed after it was written?)");
  }
  if (entry.contains("sha256")) {
    const std::string want = json_get<std::string>(entry, "sha256", manifest_path), got = sha256_file(path);
    check<InputError>(want == got, path, ": content differs from the sha256 recorded in ", manifest_path,
                      " (file changed after it was written?): ", got.substr(0, 12), " is not ", want.substr(0, 12));
  }
}
}  // namespace

std::string sidecar_path(const Json& manifest, const std::string& manifest_path, const std::string& name) {
  check<InputError>(manifest.contains("sidecars") && manifest["sidecars"].contains(name), manifest_path,
                    ": manifest lists no sidecar \"", name, "\"");
  const Json& s = manifest["sidecars"][name];
  fs::path p = s.at("path").get<std::string>();
  if (p.is_relative()) p = fs::path(manifest_path).parent_path() / p;
  std::string path = p.lexically_normal().string();
  check_input_file(path, cat("sidecar \"", name, "\" of ", manifest_path));
  check_unchanged(s, path, manifest_path);
  return path;
}

std::string recorded_input(const Json& manifest, const std::string& manifest_path, const std::string& role) {
  for (const Json& in : manifest.at("inputs"))
    if (in.at("role") == role) {
      const std::string path = in.at("path").get<std::string>();
      check_input_file(path, cat(role, " of ", manifest_path));
      check_unchanged(in, path, manifest_path);
      return path;
    }
  throw InputError(cat(manifest_path, ": manifest records no input \"", role, "\""));
}

template <typename T>
T json_as(const Json& v, const std::string& what, const std::string& file) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    bool fits = false;
    if (v.is_number_unsigned()) {
      fits = std::in_range<T>(v.get<uint64_t>());
    } else if (v.is_number_integer()) {
      fits = std::in_range<T>(v.get<int64_t>());
    } else if (v.is_number_float()) {
      // T's range is [-2^digits, 2^digits) (signed) or [0, 2^digits), both bounds exact doubles.
      const double d = v.get<double>(), bound = std::ldexp(1.0, std::numeric_limits<T>::digits);
      fits = std::isfinite(d) && d == std::floor(d) && d >= (std::is_signed_v<T> ? -bound : 0.0) && d < bound;
      if (fits) return static_cast<T>(d);
    } else {
      throw InputError(cat(file, ": ", what, " must be an integer (got ", v.dump(), ")"));
    }
    check<InputError>(fits, file, ": ", what, " must be an integer in [", +std::numeric_limits<T>::min(), ", ",
                      +std::numeric_limits<T>::max(), "] (got ", v.dump(), ")");
    return v.get<T>();
  } else {
    try {
      return v.get<T>();
    } catch (const Json::exception&) {
      throw InputError(cat(file, ": ", what, " has the wrong type (", v.dump(), ")"));
    }
  }
}

template <typename T>
std::vector<T> json_array_as(const Json& v, const std::string& what, const std::string& file) {
  check<InputError>(v.is_array(), file, ": ", what, " must be an array (got ", v.dump(), ")");
  std::vector<T> out;
  for (size_t i = 0; i < v.size(); ++i) out.push_back(json_as<T>(v[i], cat(what, "[", i, "]"), file));
  return out;
}

template <typename T>
T json_get(const Json& j, const std::string& key, const std::string& file) {
  if (!j.contains(key)) throw InputError(cat(file, ": missing field \"", key, "\""));
  return json_as<T>(j.at(key), cat("field \"", key, "\""), file);
}

void rethrow_as_input_error(const std::string& file) {
  try {
    throw;
  } catch (const Json::exception& e) {
    std::string what = e.what();  // "[json.exception.out_of_range.403] key 'ridge' not found"
    if (what.rfind("[json.exception.", 0) == 0 && what.find("] ") != std::string::npos)
      what = what.substr(what.find("] ") + 2);
    throw InputError(cat(file, ": malformed (", what, ")"));
  } catch (const std::invalid_argument& e) {
    throw InputError(cat(file, ": malformed: a value is not a number (", e.what(), ")"));
  } catch (const std::out_of_range& e) {
    throw InputError(cat(file, ": malformed: a value is out of range (", e.what(), ")"));
  }
}

#define VSSOFF_JSON_TYPE(T)                                                                      \
  template T json_as<T>(const Json&, const std::string&, const std::string&);                    \
  template std::vector<T> json_array_as<T>(const Json&, const std::string&, const std::string&); \
  template T json_get<T>(const Json&, const std::string&, const std::string&);
VSSOFF_JSON_TYPE(int)
VSSOFF_JSON_TYPE(int64_t)
VSSOFF_JSON_TYPE(size_t)
VSSOFF_JSON_TYPE(double)
VSSOFF_JSON_TYPE(bool)
VSSOFF_JSON_TYPE(std::string)
#undef VSSOFF_JSON_TYPE

}  // namespace vssoff
