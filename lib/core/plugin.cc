#include "core/plugin.h"

#include <dlfcn.h>

#include <filesystem>
#include <map>
#include <mutex>

#include "core/error.h"
#include "core/log.h"
#include "vssoff_build_id.h"

namespace fs = std::filesystem;

namespace vssoff::plugin {
namespace {

struct Entry {
  const std::type_info* type;
  void* function;
};

struct Registry {
  std::recursive_mutex mutex;  // the plugin registers from inside dlopen, on this thread
  std::map<std::string, Entry> entries;
  std::string plugin_build;  // set by the plugin's registration
  bool load_tried = false;
  std::string load_error;
};

Registry& registry() {
  static Registry r;
  return r;
}

// dlopen's the plugin; its static initialisers register its entries. Called with the lock held.
void load_plugin(Registry& r) {
  r.load_tried = true;
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("VSSOFF_NN_PLUGIN")) candidates.push_back(env);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path dir = exe.parent_path();
    for (fs::path p : {dir / "libvssoff_nn.so", dir / "../lib/libvssoff_nn.so", dir / "../lib/vssoff/libvssoff_nn.so"})
      candidates.push_back(p.lexically_normal().string());
  }
  std::string tried;
  for (const std::string& path : candidates) {
    if (!fs::exists(path, ec)) {
      tried += "\n  " + path + " (absent)";
      continue;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      tried += "\n  " + path + " (" + dlerror() + ")";
      continue;
    }
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    const char* spin = std::getenv("GOMP_SPINCOUNT");
    log_debug("loaded ", path, "; OpenMP waiting: ",
              policy ? cat("OMP_WAIT_POLICY=", policy)
              : spin ? cat("GOMP_SPINCOUNT=", spin)
                     : "libgomp's default");
    return;
  }
  r.load_error = cat("cannot load the model plugin libvssoff_nn.so; tried:", tried);
}

}  // namespace

const char* build_id() { return VSSOFF_BUILD_ID; }

bool register_entry(const char* name, const std::type_info& type, void* function) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.entries[name] = {&type, function};
  return true;
}

bool register_build(const char* id) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.plugin_build = id;
  return true;
}

void* entry(const char* name, const std::type_info& type) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.entries.find(name);
  if (it == r.entries.end() && !r.load_tried) {
    load_plugin(r);
    it = r.entries.find(name);
  }
  check<RuntimeError>(r.load_error.empty() || it != r.entries.end(), r.load_error);
  check<RuntimeError>(r.plugin_build == build_id(), "the model plugin was built from other sources (build id ",
                      r.plugin_build.empty() ? "none" : r.plugin_build, ", this vssoff is ", build_id(),
                      "): rebuild both");
  check<RuntimeError>(it != r.entries.end(), "the model plugin has no entry point ", name);
  check<RuntimeError>(*it->second.type == type, "the model plugin's ", name, " has type ", it->second.type->name(),
                      ", this vssoff expects ", type.name(), " (rebuild both)");
  return it->second.function;
}

std::vector<std::string> entry_names() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, e] : r.entries) names.push_back(name);
  return names;
}

}  // namespace vssoff::plugin
