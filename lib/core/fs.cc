#include "core/fs.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/error.h"

namespace fs = std::filesystem;

namespace vssoff {

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
  if (is_dir_) {
    std::error_code ec;
    fs::create_directories(temp_path_, ec);
    if (ec) throw InputError(cat("cannot create directory ", temp_path_, ": ", ec.message()));
  }
}

AtomicOutput::~AtomicOutput() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(temp_path_, ec);
}

void AtomicOutput::commit() {
  std::error_code ec;
  check<RuntimeError>(fs::exists(temp_path_, ec), "nothing was written to ", final_path_);
  if (fs::exists(final_path_, ec)) {
    // Re-check: the output may have appeared while we were working.
    check<InputError>(force_, "output exists: ", final_path_, " (use --force to overwrite)");
    if (is_dir_ || fs::is_directory(final_path_, ec)) {
      // rename() cannot replace a non-empty directory: move the old one aside first.
      std::string old = temp_path_ + ".old";
      fs::rename(final_path_, old, ec);
      if (ec) throw InputError(cat("cannot replace ", final_path_, ": ", ec.message()));
      fs::rename(temp_path_, final_path_, ec);
      if (ec) {
        fs::rename(old, final_path_);
        throw InputError(cat("cannot write ", final_path_, ": ", ec.message()));
      }
      fs::remove_all(old, ec);
      committed_ = true;
      return;
    }
  }
  fs::rename(temp_path_, final_path_, ec);
  if (ec) throw InputError(cat("cannot write ", final_path_, ": ", ec.message()));
  committed_ = true;
}

void write_file_atomic(const std::string& path, std::string_view data, bool force) {
  AtomicOutput out(path, force);
  {
    std::ofstream f(out.temp_path(), std::ios::binary);
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
    f.flush();
    if (!f) throw InputError(cat("cannot write ", path, " (disk full or no permission?)"));
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

std::string sha256_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(cat("cannot open ", path));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  check<RuntimeError>(ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1, "cannot initialise SHA-256");
  std::string buf(1 << 16, '\0');
  while (f) {
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
