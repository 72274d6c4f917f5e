// Atomic replacement of a file: write a uniquely named temporary beside it, flush it to disk,
// rename it over the target and flush the directory, so a reader (or a restart after a crash)
// sees the old file or the new one, never half of one. Checkpoints, XDMF sidecars, final
// outputs and summary.json all go through here.
#pragma once

#include <filesystem>
#include <string_view>

namespace tessera::io {

/// Local. Reserves a new temporary file beside `target` (`<target>.<pid>-<n>.tmp`, created with
/// O_CREAT | O_EXCL | O_NOFOLLOW, so it is never an existing file or a symlink; mode 0666 less
/// the umask and less write permission for others). Write it by its name (temporary()), then
/// commit(). If the object is destroyed uncommitted (an error on the way), the temporary is
/// removed and the target is untouched. Throws std::runtime_error naming the path and the
/// system's reason.
class AtomicFile {
public:
    explicit AtomicFile(std::filesystem::path target);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&&) = delete;

    const std::filesystem::path& target() const noexcept { return target_; }
    const std::filesystem::path& temporary() const noexcept { return temporary_; }

    /// Local: fsyncs the temporary, renames it to target() and fsyncs the directory.
    /// Throws std::runtime_error naming the path on failure (the temporary is then removed).
    void commit();
    /// Local: removes the temporary now (no-op once committed or discarded).
    void discard() noexcept;

private:
    std::filesystem::path target_, temporary_;
    bool pending_ = false;
};

/// Local: writes `text` to `path` through an AtomicFile. Throws std::runtime_error naming the
/// path and the reason (a full disk, a missing folder, no permission).
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

/// Local: flushes `path` (a file, or with `directory` a folder) to stable storage. Throws
/// std::runtime_error naming the path.
void sync_path(const std::filesystem::path& path, bool directory = false);

/// Local: true for names that AtomicFile gives its temporaries (`*.tmp`), which a crashed
/// writer may leave behind.
bool is_atomic_temporary(const std::filesystem::path& path);

}  // namespace tessera::io
