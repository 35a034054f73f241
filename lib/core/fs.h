// Files: atomic writes, the no-overwrite rule, whole-file reads, hashing.
//
// Every output is written to a temporary name in the destination directory and renamed
// into place by commit(); an interrupted run leaves no half-written artefact and an
// existing output is never touched before the new one is complete. An output that
// already exists is refused (InputError) unless force is set.
//
// Temporaries are named ".NAME.tmp-PID-N" (PID: the writing process; ".NAME.tmp-PID-N.old"
// for a directory being replaced). Every live one is in a process-wide registry, so that:
//  - install_interrupt_cleanup() (called once by main) removes them all on SIGINT, SIGTERM
//    or SIGHUP, then ends the process by that signal (a shell reports 128 + signo: 130,
//    143, 129);
//  - a run that was killed outright (SIGKILL, a crash, power loss) leaves them behind, and
//    the next AtomicOutput for the same output removes those whose PID is no longer
//    running, with a warning naming them. A temporary of a live process (a concurrent
//    writer) is never touched.
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
// Thread-safe: several may be live at once, in one thread or several.
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
  std::string final_path_, temp_path_, registered_path_;
  bool force_, is_dir_, committed_ = false;
};

// Makes SIGINT, SIGTERM and SIGHUP remove every live AtomicOutput temporary and end the
// process by the same signal. A signal that was ignored at start (nohup's SIGHUP, SIGINT in
// a background job of a script) stays ignored. Call once, from main; the cleanup runs on a
// thread of its own, started here.
void install_interrupt_cleanup();

// Writes `data` to `path` atomically.
void write_file_atomic(const std::string& path, std::string_view data, bool force);

// Reads a whole file; InputError naming the path if it cannot.
std::string read_file(const std::string& path);

// Lowercase hex SHA-256 of a file's bytes.
std::string sha256_file(const std::string& path);

int64_t file_size(const std::string& path);

}  // namespace vssoff
