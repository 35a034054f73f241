#include "core/fs.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/log.h"

namespace fs = std::filesystem;

namespace vssoff {
namespace {

// The live temporaries of this process (absolute path -> final path), for the interrupt
// cleanup and for output_name(). Whoever adds, renames or removes a temporary holds the
// mutex around the change, so the cleanup thread never sees a half-done commit.
struct TempRegistry {
  std::mutex mutex;
  std::map<std::string, std::string> temps;
};

TempRegistry& registry() {
  // Never destroyed: the cleanup thread may still use it while exit() runs destructors.
  static TempRegistry* r = new TempRegistry;
  return *r;
}

std::string absolute_path(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  return ec ? path : p.lexically_normal().string();
}

// The temporary of `path` inside a live temporary directory, or "" if none holds it.
// Caller holds the registry mutex.
std::string enclosing_temp(const std::string& abs_path) {
  for (const auto& [temp, final] : registry().temps)
    if (abs_path.size() > temp.size() && abs_path.compare(0, temp.size(), temp) == 0 && abs_path[temp.size()] == '/')
      return temp;
  return "";
}

// The PID in a temporary's name ".NAME.tmp-PID-N" or ".NAME.tmp-PID-N.old", given the
// prefix ".NAME.tmp-"; 0 if `entry` is not one.
pid_t temp_owner(const std::string& entry, const std::string& prefix) {
  if (entry.compare(0, prefix.size(), prefix) != 0) return 0;
  std::string rest = entry.substr(prefix.size());
  if (rest.size() > 4 && rest.compare(rest.size() - 4, 4, ".old") == 0) rest.resize(rest.size() - 4);
  size_t dash = rest.find('-');
  auto digits = [](const std::string& s) {
    return !s.empty() && s.size() <= 10 && s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (dash == std::string::npos || !digits(rest.substr(0, dash)) || !digits(rest.substr(dash + 1))) return 0;
  long long pid = std::stoll(rest.substr(0, dash));
  return pid > 0 && pid <= 0x7fffffff ? static_cast<pid_t>(pid) : 0;
}

// Removes the temporaries of `final_path` left by processes that are no longer running
// (killed outright: no cleanup ran). kill(pid, 0) failing with ESRCH is the only proof of
// that taken: EPERM means a live process of another user, and our own PID is live. A PID
// reused since by an unrelated process keeps its temporary, which errs on the safe side.
void remove_stale_temporaries(const fs::path& final_path) {
  const std::string prefix = cat(".", final_path.filename().string(), ".tmp-");
  fs::path dir = final_path.parent_path().empty() ? fs::path(".") : final_path.parent_path();
  std::error_code ec;
  std::vector<std::string> removed;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string entry = it->path().filename().string();
    pid_t pid = temp_owner(entry, prefix);
    if (pid == 0 || pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code rm;
    fs::remove_all(it->path(), rm);
    if (!rm) removed.push_back(cat((final_path.parent_path() / entry).string(), " (process ", pid, ")"));
  }
  if (removed.empty()) return;
  std::string list;
  for (const std::string& r : removed) list += (list.empty() ? "" : ", ") + r;
  log_warn("removed ", removed.size() == 1 ? "a temporary" : cat(removed.size(), " temporaries"), " of ",
           final_path.string(), " left by a process that is no longer running: ", list);
}

[[noreturn]] void throw_write_error(const std::string& name, int err) {
  throw InputError(cat("cannot write ", name, ": ", std::strerror(err)));
}

// Interrupt cleanup. The handler only writes the signal's number to a pipe, which is
// async-signal-safe; a thread of its own reads it and does the cleanup as a normal thread.
// The removal cannot happen in the handler: a temporary may be a directory of thousands of
// files, and removing it needs std::filesystem (allocation, opendir), none of it safe there.
// Nor can the signals be blocked everywhere and taken with sigwait: libraries start threads
// before main (OpenBLAS does, at load), and one of those with the signal unblocked would
// take the default action, killing the process with nothing removed.
int interrupt_pipe[2] = {-1, -1};

extern "C" void on_interrupt(int signo) {
  const int saved = errno;
  const unsigned char byte = static_cast<unsigned char>(signo);
  [[maybe_unused]] ssize_t n = ::write(interrupt_pipe[1], &byte, 1);
  errno = saved;
}

// Waits for a signal's number on the pipe, removes every live temporary and ends the
// process by that signal.
//
// It takes the registry mutex and never gives it back: no AtomicOutput can then be created,
// committed or removed, so a commit is either complete (its temporary renamed into place)
// or not started, and a thread that fails because its temporary vanished blocks in its
// AtomicOutput's destructor instead of exiting with another status. A file opened under a
// registered name just before the first pass is caught by the second.
// Ends the process by the signal itself, so that a calling shell sees "killed by SIGINT"
// ($? = 130) and stops a script's loop as it would for any program, rather than carrying on
// after an exit(130).
[[noreturn]] void end_by_signal(int signo) {
  signal(signo, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, signo);
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  raise(signo);
  _exit(128 + signo);
}

std::mutex hook_mutex;
std::function<void(int)> interrupt_hook;
std::atomic<int> requested_signal{0};

void cleanup_on_signal() {
  unsigned char byte = 0;
  for (;;) {
    while (::read(interrupt_pipe[0], &byte, 1) != 1) {
    }
    std::function<void(int)> hook;
    {
      std::lock_guard<std::mutex> lock(hook_mutex);
      hook = interrupt_hook;
    }
    if (!hook || requested_signal.load() != 0) break;
    requested_signal = byte;  // the first signal asks the process to stop; a second ends it here
    log_info("interrupted by ", sigabbrev_np(byte) ? cat("SIG", sigabbrev_np(byte)) : cat("signal ", int(byte)),
             "; stopping (again to stop at once)");
    hook(byte);
  }
  const int signo = byte;
  TempRegistry& r = registry();
  r.mutex.lock();
  size_t removed = 0;
  for (int pass = 0; pass < 2; ++pass) {
    if (pass > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (const auto& [temp, final] : r.temps) {
      std::error_code ec;
      if (fs::remove_all(temp, ec) > 0 && pass == 0) ++removed;
    }
  }
  log_info("interrupted by ", sigabbrev_np(signo) ? cat("SIG", sigabbrev_np(signo)) : cat("signal ", signo),
           removed ? cat("; removed ", removed, removed == 1 ? " unfinished output" : " unfinished outputs") : "");
  end_by_signal(signo);
}

}  // namespace

void set_interrupt_hook(std::function<void(int)> hook) {
  std::lock_guard<std::mutex> lock(hook_mutex);
  interrupt_hook = std::move(hook);
}

int interrupt_requested() { return requested_signal.load(); }

void end_if_interrupted() {
  if (const int signo = requested_signal.load()) end_by_signal(signo);
}

void install_interrupt_cleanup() {
  // A full disk and a file-size limit then fail the same way: write() returns EFBIG.
  signal(SIGXFSZ, SIG_IGN);
  if (interrupt_pipe[0] >= 0 || pipe2(interrupt_pipe, O_CLOEXEC) != 0) return;
  // The handler must never block, even with the pipe full of repeated signals.
  fcntl(interrupt_pipe[1], F_SETFL, O_NONBLOCK);
  std::thread(cleanup_on_signal).detach();
  for (int s : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    if (sigaction(s, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sa.sa_flags = SA_RESTART;  // other threads' system calls carry on while the cleanup runs
    sigemptyset(&sa.sa_mask);
    sigaction(s, &sa, nullptr);
  }
}

std::string output_name(const std::string& path) {
  TempRegistry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::string name = path;
  // A temporary is named by its output, a path inside a temporary directory by its place in
  // the output; a file's temporary inside a directory's temporary takes both steps.
  for (int step = 0; step < 4; ++step) {
    const std::string abs = absolute_path(name);
    auto it = r.temps.find(abs);
    if (it != r.temps.end()) {
      name = it->second;
      continue;
    }
    const std::string temp = enclosing_temp(abs);
    if (temp.empty()) break;
    name = (fs::path(r.temps[temp]) / abs.substr(temp.size() + 1)).string();
  }
  return name;
}

void make_directories(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw InputError(cat("cannot create directory ", output_name(path), ": ", ec.message()));
}

void check_output_path(const std::string& path, bool force) {
  check<UsageError>(!path.empty(), "no output path given");
  std::error_code ec;
  if (fs::exists(path, ec) && !force) throw InputError(cat("output exists: ", path, " (use --force to overwrite)"));
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec))
    throw InputError(cat("output directory does not exist: ", parent.string(), " (for ", path, ")"));
}

void check_input_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  check<UsageError>(!path.empty(), "no ", what, " given");
  if (!fs::exists(path, ec)) throw InputError(cat(what, " not found: ", path));
  if (fs::is_directory(path, ec)) throw InputError(cat(what, " is a directory, not a file: ", path));
  if (fs::file_size(path, ec) == 0) throw InputError(cat(what, " is empty: ", path));
}

AtomicOutput::AtomicOutput(std::string final_path, bool force, bool is_dir)
    : final_path_(std::move(final_path)), force_(force), is_dir_(is_dir) {
  check_output_path(final_path_, force_);
  std::error_code ec0;
  if (fs::is_directory(final_path_, ec0)) {
    check<InputError>(is_dir_, "output ", final_path_, " is a directory; not replacing it with a file");
    check<InputError>(fs::exists(fs::path(final_path_) / "manifest.json", ec0), "not replacing directory ", final_path_,
                      ": it is not a vssoff output (no manifest.json); remove it or choose another -o");
  }
  static std::atomic<int> counter{0};
  fs::path p(final_path_);
  std::string name = cat(".", p.filename().string(), ".tmp-", getpid(), "-", counter++);
  temp_path_ = (p.parent_path() / name).string();
  registered_path_ = absolute_path(temp_path_);

  TempRegistry& r = registry();
  std::unique_lock<std::mutex> lock(r.mutex);
  // A file inside one of our own temporary directories (segment's labels/NNNNNN.png) has no
  // stale temporaries to look for, and scanning its directory for each would be quadratic.
  if (enclosing_temp(registered_path_).empty()) {
    lock.unlock();
    remove_stale_temporaries(p);
    lock.lock();
  }
  // Registered before it exists, so that it cannot exist unregistered.
  r.temps[registered_path_] = final_path_;
  if (is_dir_) {
    std::error_code ec;
    fs::create_directories(temp_path_, ec);
    if (ec) {
      r.temps.erase(registered_path_);
      lock.unlock();
      throw InputError(cat("cannot create ", output_name(final_path_), " (as ", temp_path_, "): ", ec.message()));
    }
  }
}

AtomicOutput::~AtomicOutput() {
  if (committed_) return;
  // Removed before it is unregistered: the cleanup thread may remove it too, never miss it.
  std::error_code ec;
  fs::remove_all(temp_path_, ec);
  std::lock_guard<std::mutex> lock(registry().mutex);
  registry().temps.erase(registered_path_);
}

void AtomicOutput::commit() {
  std::error_code ec;
  TempRegistry& r = registry();
  std::unique_lock<std::mutex> lock(r.mutex);
  check<RuntimeError>(fs::exists(temp_path_, ec), "nothing was written to ", final_path_);
  if (fs::exists(final_path_, ec)) {
    // Re-check: the output may have appeared while we were working.
    check<InputError>(force_, "output exists: ", final_path_, " (use --force to overwrite)");
    if (is_dir_ || fs::is_directory(final_path_, ec)) {
      // rename() cannot replace a non-empty directory: move the old one aside first. The old
      // one is then a temporary like any other, removed after the lock is released.
      std::string old = temp_path_ + ".old";
      fs::rename(final_path_, old, ec);
      if (ec) throw InputError(cat("cannot replace ", final_path_, ": ", ec.message()));
      fs::rename(temp_path_, final_path_, ec);
      if (ec) {
        fs::rename(old, final_path_);
        throw InputError(cat("cannot write ", final_path_, ": ", ec.message()));
      }
      committed_ = true;
      const std::string old_registered = registered_path_ + ".old";
      r.temps.erase(registered_path_);
      r.temps[old_registered] = final_path_;
      lock.unlock();
      fs::remove_all(old, ec);
      lock.lock();
      r.temps.erase(old_registered);
      return;
    }
  }
  fs::rename(temp_path_, final_path_, ec);
  if (ec) throw InputError(cat("cannot write ", final_path_, ": ", ec.message()));
  committed_ = true;
  r.temps.erase(registered_path_);
}

OutputFile::OutputFile(const std::string& path, bool append) : name_(output_name(path)) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0666);
  if (fd_ < 0) throw_write_error(name_, errno);
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void OutputFile::write(const void* data, size_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    ssize_t n = ::write(fd_, p, bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_write_error(name_, errno);
    p += n;
    bytes -= static_cast<size_t>(n);
  }
}

void OutputFile::write_at(uint64_t offset, const void* data, size_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    ssize_t n = ::pwrite(fd_, p, bytes, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_write_error(name_, errno);
    p += n;
    offset += static_cast<uint64_t>(n);
    bytes -= static_cast<size_t>(n);
  }
}

void OutputFile::close() {
  if (fd_ < 0) return;
  int fd = fd_;
  fd_ = -1;
  // close() reports what a network or quota file system could only find out at the end.
  if (::close(fd) != 0 && errno != EINTR) throw_write_error(name_, errno);
}

void write_file_atomic(const std::string& path, std::string_view data, bool force) {
  AtomicOutput out(path, force);
  OutputFile f(out.temp_path());
  f.write(data);
  f.close();
  out.commit();
}

void write_file_atomic_with(const std::string& path, bool force, const std::function<void(const std::string&)>& write) {
  AtomicOutput out(path, force);
  try {
    write(out.temp_path());
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    // Only the first line: a LibTorch error's what() goes on with a stack trace.
    const std::string what = e.what();
    throw InputError(cat("cannot write ", output_name(path), ": ", what.substr(0, what.find('\n'))));
  }
  out.commit();
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(cat("file not found: ", path));
  if (fs::is_directory(path, ec)) throw InputError(cat("is a directory, not a file: ", path));
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(cat("cannot open ", path));
  std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw InputError(cat("cannot read ", path));
  return data;
}

int64_t file_size(const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) throw InputError(cat("cannot stat ", path, ": ", ec.message()));
  return static_cast<int64_t>(size);
}

std::string sha256_file(const std::string& path, const std::atomic<bool>* cancel) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(cat("cannot open ", path));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  check<RuntimeError>(ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1, "cannot initialise SHA-256");
  std::string buf(1 << 16, '\0');
  while (f) {
    check<RuntimeError>(!cancel || !*cancel, "hashing ", path, ": cancelled");
    f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(f.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

}  // namespace vssoff
