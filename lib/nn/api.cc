#include "nn/api.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "core/error.h"
#include "core/log.h"

namespace fs = std::filesystem;

namespace vssoff::nn {

namespace {

// dlopen's the plugin once; nullptr after a failed attempt.
void* plugin_handle() {
  static void* plugin = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("VSSOFF_NN_PLUGIN")) candidates.push_back(env);
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
      fs::path dir = exe.parent_path();
      for (fs::path p :
           {dir / "libvssoff_nn.so", dir / "../lib/libvssoff_nn.so", dir / "../lib/vssoff/libvssoff_nn.so"})
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
      auto entry = reinterpret_cast<const NnApi* (*)()>(dlsym(handle, "vssoff_nn_api"));
      if (!entry) {
        tried += "\n  " + path + " (no vssoff_nn_api)";
        continue;
      }
      const NnApi* candidate = entry();
      if (candidate->version != kNnApiVersion) {
        tried += cat("\n  ", path, " (API version ", candidate->version, ", this vssoff needs ", kNnApiVersion, ")");
        continue;
      }
      log_debug("loaded ", path);
      plugin = handle;
      return;
    }
    throw RuntimeError(cat("cannot load the model plugin libvssoff_nn.so; tried:", tried));
  });
  check<RuntimeError>(plugin != nullptr, "the model plugin libvssoff_nn.so failed to load earlier");
  return plugin;
}

}  // namespace

void* plugin_symbol(const char* name) {
  void* sym = dlsym(plugin_handle(), name);
  check<RuntimeError>(sym != nullptr, "the model plugin libvssoff_nn.so has no ", name, " (built from other sources?)");
  return sym;
}

const NnApi& nn_api() {
  static const NnApi& api = plugin_table<NnApi>("vssoff_nn_api", kNnApiVersion, "model");
  return api;
}

}  // namespace vssoff::nn
