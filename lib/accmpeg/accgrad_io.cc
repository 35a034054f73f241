// Reading accgrad outputs (torch-free; accgrad itself runs in the model plugin).
#include <filesystem>

#include "accmpeg/accgrad.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/npy.h"

namespace fs = std::filesystem;

namespace vssoff::accmpeg {

AccGrad read_accgrad(const std::string& path) {
  AccGrad a;
  const bool is_manifest = fs::path(path).extension() == ".json";
  const std::string manifest_path = is_manifest ? path : manifest_path_for(path);
  check_input_file(manifest_path, "accgrad manifest");
  read_artefact(manifest_path, [&] {
    a.manifest = read_manifest(manifest_path, "accgrad", kAccGradVersion);
    a.manifest_path = manifest_path;
    a.npy_path = sidecar_path(a.manifest, manifest_path, "accgrad");
    const Json& p = a.manifest.at("params");
    a.rows = json_get<int>(p, "mb_rows", manifest_path);
    a.cols = json_get<int>(p, "mb_cols", manifest_path);
    a.width = json_get<int>(p, "width", manifest_path);
    a.height = json_get<int>(p, "height", manifest_path);
    a.frame_indices = json_array_as<int64_t>(a.manifest.at("frames"), "\"frames\"", manifest_path);
    for (int64_t f : a.frame_indices)
      check<InputError>(f >= 0, manifest_path, ": frame index ", f, " in \"frames\" is negative");
    for (const Json& in : a.manifest.at("inputs"))
      if (in.at("role") == "video") a.video_path = in.at("path").get<std::string>();
    // What consumers (train-cheap-model, qpmap) check against: present and typed here.
    const Json& sm = a.manifest.at("server_model");
    a.server_model_name = sm.at("name").get<std::string>();
    a.server_weights_sha256 = sm.at("weights_sha256").get<std::string>();
    a.mode = json_get<std::string>(p, "mode", manifest_path);
    a.macroblock = json_get<int>(p, "macroblock", manifest_path);
  });
  NpyArray arr = read_npy(a.npy_path);
  const int64_t n = static_cast<int64_t>(a.frame_indices.size());
  check<InputError>(arr.shape == std::vector<int64_t>{n, a.rows, a.cols}, a.npy_path, ": shape ", arr.shape_string(),
                    ", its manifest says (", n, ", ", a.rows, ", ", a.cols, ")");
  for (double v : arr.to_double()) a.values.push_back(static_cast<float>(v));
  return a;
}

}  // namespace vssoff::accmpeg
