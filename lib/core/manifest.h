// Artefact manifests: the JSON that makes every vssoff output self-describing.
//
// Format (all kinds):
//   {
//     "format":   "vssoff.<kind>",            e.g. "vssoff.qpmap", "vssoff.encode"
//     "version":  <int>,                      bumped on any incompatible change
//     "producer": {"name": "vssoff", "version": "0.1.0", "commit": "<git>",
//                  "command": "<subcommand>", "argv": [...]},
//     "params":   {...},                      effective options that matter downstream
//     "inputs":   [{"role", "path", "bytes", "sha256"}, ...],
//     "sidecars": {"<name>": {"path" (relative to the manifest), "bytes", "sha256"}},
//     ...                                     the kind's own small payload
//   }
// The manifest of an artefact FILE is FILE.json (out.mp4 -> out.mp4.json); a directory
// artefact keeps it as DIR/manifest.json.
// Readers reject another kind, and a newer version, naming both.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"

namespace vssoff {

using Json = nlohmann::json;

// Records the running subcommand and argv for every manifest written afterwards.
void set_invocation(const std::string& command, const std::vector<std::string>& argv);

Json new_manifest(const std::string& kind, int version);

// Appends {"role", "path", "bytes", "sha256"} to "inputs".
void add_input(Json& manifest, const std::string& role, const std::string& path);

// Starts hashing an input on a background thread, so that the hash of a large video costs
// no wall time next to the work that reads it (hashing a 100 MB .y4m takes 0.08 s; the
// whole like-for-like encode about 0.7 s). add_input then takes the result, if the file's
// identity is unchanged (inode, size, modification and change time); otherwise it hashes
// again. The hashing thread runs at the lowest priority (nice 19).
void hash_input_in_background(const std::string& path);
// Waits for every hash started so. A program calls it before it returns from main (a hash
// still running while the libraries tear down at exit would crash in OpenSSL), after
// cancel_background_hashes() when it failed, so that an error does not wait for the hash of
// a large input.
void wait_for_background_hashes();
void cancel_background_hashes();

// Records a large payload file. `sidecar_path` is stored relative to the manifest's directory.
void add_sidecar(Json& manifest, const std::string& name, const std::string& manifest_path,
                 const std::string& sidecar_path);

void write_manifest(const std::string& path, const Json& manifest, bool force);

// Reads and checks "format" == "vssoff.<kind>" and version <= max_version.
Json read_manifest(const std::string& path, const std::string& kind, int max_version);

// Absolute-or-relative path of a sidecar, checked to exist with the recorded size and sha256.
std::string sidecar_path(const Json& manifest, const std::string& manifest_path, const std::string& name);

// Path of the input recorded under `role` (the first one), checked to exist with the recorded
// size and sha256: a step that goes back to an artefact's input (train-cheap-model to the
// video of its accuracy gradients) refuses one that changed since. InputError naming both.
std::string recorded_input(const Json& manifest, const std::string& manifest_path, const std::string& role);

inline std::string manifest_path_for(const std::string& artefact_path) { return artefact_path + ".json"; }

// A JSON value as T, InputError naming the file and `what` (a key, "frames[3]") when it is of
// another type. For an integer type the value must be a whole number that fits T, a float
// included: nlohmann converts with a plain cast, undefined for a float out of range and
// wrapping an integer that does not fit.
template <typename T>
T json_as(const Json& v, const std::string& what, const std::string& file);
// An array of such values.
template <typename T>
std::vector<T> json_array_as(const Json& v, const std::string& what, const std::string& file);

// Typed field access with errors that name the file and the key (json_as); the fallback
// version returns `fallback` when the key is absent.
template <typename T>
T json_get(const Json& j, const std::string& key, const std::string& file);
template <typename T>
T json_get(const Json& j, const std::string& key, const std::string& file, const T& fallback) {
  return j.contains(key) ? json_get<T>(j, key, file) : fallback;
}

// Every artefact reader runs its body through read_artefact(file, body): what a damaged
// artefact makes library code throw becomes InputError (exit 2) naming the file:
//   nlohmann::json exceptions (a missing key, named as the JSON library names it: "key
//   'ridge' not found"; a value of the wrong type), and std::invalid_argument and
//   std::out_of_range (std::stoll and friends on a corrupt number, .at() past the end).
// vssoff errors (already carrying their context) and anything else pass through unchanged.
// Returns what body returns.
[[noreturn]] void rethrow_as_input_error(const std::string& file);  // only inside a catch block
template <typename F>
auto read_artefact(const std::string& file, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Error&) {
    throw;
  } catch (...) {
    rethrow_as_input_error(file);
  }
}

}  // namespace vssoff
