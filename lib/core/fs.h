// Files: atomic writes, the no-overwrite rule, whole-file reads, hashing.
//
// Every output is written to a temporary name in the destination directory and renamed
// into place by commit(); an interrupted run leaves no half-written artefact and an
// existing output is never touched before the new one is complete. An output that
// already exists is refused (InputError) unless force is set.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vssoff {

// Throws InputError if `path` exists and !force, or if its directory does not exist.
void check_output_path(const std::string& path, bool force);

// Throws InputError naming the path if it does not exist, is a directory, or is empty
// (empty files are never valid inputs here).
void check_input_file(const std::string& path, const std::string& what);

// A file (or directory, with is_dir) being written under a temporary name.
// The destructor removes the temporary if commit() was not called.
// With force, an existing directory is replaced only if it is a vssoff output (it holds a
// manifest.json); any other directory, or a directory where a file is to be written, is
// refused (InputError naming it) so that --force never deletes unrelated files.
class AtomicOutput {
 public:
  AtomicOutput(std::string final_path, bool force, bool is_dir = false);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& temp_path() const { return temp_path_; }
  const std::string& final_path() const { return final_path_; }
  // Renames the temporary into place (replacing an existing output only if force).
  void commit();

 private:
  std::string final_path_, temp_path_;
  bool force_, is_dir_, committed_ = false;
};

// Writes `data` to `path` atomically.
void write_file_atomic(const std::string& path, std::string_view data, bool force);

// Reads a whole file; InputError naming the path if it cannot.
std::string read_file(const std::string& path);

// Lowercase hex SHA-256 of a file's bytes.
std::string sha256_file(const std::string& path);

int64_t file_size(const std::string& path);

}  // namespace vssoff
