// Atomic file replacement: unique temporary (O_EXCL | O_NOFOLLOW), fsync, rename, fsync dir.
#include "tessera/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace tessera::io {

namespace fs = std::filesystem;

namespace {

std::string os_error(const std::string& what, const fs::path& path) {
    return what + " " + path.string() + ": " + std::strerror(errno);
}

// Writes all of `data` to `fd`, retrying short writes and EINTR.
bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

void sync_path(const fs::path& path, bool directory) {
    const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) throw std::runtime_error(os_error("cannot open", path));
    const bool ok = ::fsync(fd) == 0;
    const std::string why = ok ? "" : os_error("cannot fsync", path);
    ::close(fd);
    if (!ok) throw std::runtime_error(why);
}

AtomicFile::AtomicFile(fs::path target) : target_(std::move(target)) {
    // A process-wide counter and the pid make the name unique among this host's writers;
    // O_EXCL makes sure of it (and refuses a symlink planted at the name).
    static std::atomic<unsigned> counter{0};
    for (int attempt = 0; attempt < 100; ++attempt) {
        temporary_ = target_.string() + "." + std::to_string(::getpid()) + "-" +
                     std::to_string(counter.fetch_add(1)) + ".tmp";
        const int fd = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0) {
            struct stat st {};
            if (::fstat(fd, &st) == 0) (void)::fchmod(fd, st.st_mode & ~mode_t{S_IWOTH} & 07777);
            ::close(fd);
            pending_ = true;
            return;
        }
        if (errno != EEXIST) throw std::runtime_error(os_error("cannot create", temporary_));
    }
    throw std::runtime_error("cannot create a temporary file beside " + target_.string());
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : target_(std::move(other.target_)), temporary_(std::move(other.temporary_)), pending_(other.pending_) {
    other.pending_ = false;
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() noexcept {
    if (!pending_) return;
    pending_ = false;
    std::error_code ec;
    fs::remove(temporary_, ec);
}

void AtomicFile::commit() {
    if (!pending_) throw std::logic_error("AtomicFile::commit: " + target_.string() + " already committed or discarded");
    try {
        sync_path(temporary_);
        if (std::rename(temporary_.c_str(), target_.c_str()) != 0)
            throw std::runtime_error(os_error("cannot rename " + temporary_.string() + " to", target_));
        pending_ = false;
        const fs::path dir = target_.has_parent_path() ? target_.parent_path() : fs::path(".");
        sync_path(dir, true);
    } catch (...) {
        discard();
        throw;
    }
}

void write_file_atomically(const fs::path& path, std::string_view text) {
    AtomicFile file(path);
    const int fd = ::open(file.temporary().c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(os_error("cannot open", file.temporary()));
    const bool ok = write_all(fd, text);
    const std::string why = ok ? "" : os_error("cannot write", path);
    ::close(fd);
    if (!ok) throw std::runtime_error(why);
    file.commit();
}

bool is_atomic_temporary(const fs::path& path) { return path.extension() == ".tmp"; }

}  // namespace tessera::io
