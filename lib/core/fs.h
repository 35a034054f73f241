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
//
// Write failures (a full disk, a quota, a file-size limit, a read-only file system, an I/O
// error) are InputErrors (exit 2) that name the output and errno's reason.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
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
// process by the same signal; makes SIGXFSZ ignored, so that a file-size limit (ulimit -f)
// is a write error like a full disk rather than a kill. A signal that was ignored at start
// (nohup's SIGHUP, SIGINT in a background job of a script) stays ignored. Call once, from
// main; the cleanup runs on a thread of its own, started here.
void install_interrupt_cleanup();

// For the processes that stop gracefully (serve, link, replay): the first interrupting
// signal calls `hook` (on the cleanup thread; it should only ask the process to stop)
// instead of ending the process, which then finishes its outputs, returns, and ends by the
// signal in end_if_interrupted() (main calls it last). A second signal does the usual
// cleanup and ends the process at once. An empty hook restores the usual behaviour.
void set_interrupt_hook(std::function<void(int)> hook);
int interrupt_requested();  // the signal that asked to stop, 0 if none

// set_interrupt_hook for a scope: the hook is removed however the scope ends.
class InterruptHook {
 public:
  explicit InterruptHook(std::function<void(int)> hook) { set_interrupt_hook(std::move(hook)); }
  ~InterruptHook() { set_interrupt_hook(nullptr); }
  InterruptHook(const InterruptHook&) = delete;
  InterruptHook& operator=(const InterruptHook&) = delete;
};
void end_if_interrupted();  // ends the process by that signal, if there was one

// What errors call a path: a path inside a live temporary directory is named by where it
// will be once committed ("seg/logits.npy", not "seg/.seg.tmp-123-0/logits.npy").
std::string output_name(const std::string& path);

// create_directories, with an InputError naming the directory (by output_name) on failure.
void make_directories(const std::string& path);

// An output file written with POSIX calls, so that a failure can name errno's reason.
// Every failure is an InputError "cannot write NAME: REASON" (NAME = output_name(path)).
class OutputFile {
 public:
  // Creates or truncates `path`; with append, opens it for appending (creating it).
  explicit OutputFile(const std::string& path, bool append = false);
  ~OutputFile();  // closes without reporting: call close() to learn of a failure
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(const void* data, size_t bytes);
  void write(std::string_view text) { write(text.data(), text.size()); }
  // Writes at an offset without moving the end (to fill in a header written as a placeholder).
  void write_at(uint64_t offset, const void* data, size_t bytes);
  void close();

 private:
  int fd_ = -1;
  std::string name_;
};

// Writes `data` to `path` atomically.
void write_file_atomic(const std::string& path, std::string_view data, bool force);

// For a writer of its own that takes a path and throws on failure (torch::save, whose
// c10::Error on a full disk would otherwise be a runtime error): runs write(temporary path)
// and commits. Its exceptions, other than vssoff errors and bad_alloc, become InputErrors
// "cannot write PATH: <its first line>".
void write_file_atomic_with(const std::string& path, bool force, const std::function<void(const std::string&)>& write);

// Reads a whole file; InputError naming the path if it cannot.
std::string read_file(const std::string& path);

// Lowercase hex SHA-256 of a file's bytes. RuntimeError "cancelled" as soon as *cancel is
// set (checked between 64 KiB blocks).
std::string sha256_file(const std::string& path, const std::atomic<bool>* cancel = nullptr);

int64_t file_size(const std::string& path);

}  // namespace vssoff
