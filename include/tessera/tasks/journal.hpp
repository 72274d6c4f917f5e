// The journal of a task queue: which tasks of a run have finished, kept in a small text file
// that is replaced atomically, so a run that crashes or is killed resumes where it stood.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/core/types.hpp"

namespace tessera::tasks {

/// The finished tasks of one run of n_tasks tasks, as sorted disjoint index ranges. Local.
/// File format (text): `tessera-task-journal 1`, `tasks N`, `fingerprint F`, `done 0-41,45,47-50`.
class Journal {
public:
    Journal(gindex_t n_tasks, std::string fingerprint);

    /// Local: reads `path`. Throws tessera::Error naming the path when it is missing or
    /// malformed, when its task count is not `n_tasks` or its fingerprint not `fingerprint`.
    static Journal load(const std::filesystem::path& path, gindex_t n_tasks,
                        const std::string& fingerprint);

    bool finished(gindex_t index) const noexcept;
    void mark_finished(gindex_t index);
    gindex_t n_finished() const noexcept { return n_finished_; }
    gindex_t n_tasks() const noexcept { return n_tasks_; }
    const std::string& fingerprint() const noexcept { return fingerprint_; }
    /// Local: marks the tasks of `ranges` (as ranges() writes them) finished. Throws
    /// tessera::Error when the text is malformed or names a task outside [0, n_tasks).
    void mark_ranges(std::string_view ranges);
    /// The finished indices as text, e.g. "0-41,45" ("none" when empty).
    std::string ranges() const;

    /// Local: writes the journal to `path` atomically (temporary, fsync, rename). Throws
    /// std::runtime_error naming the path.
    void save(const std::filesystem::path& path) const;

private:
    gindex_t n_tasks_;
    std::string fingerprint_;
    std::vector<bool> finished_;
    gindex_t n_finished_ = 0;
};

}  // namespace tessera::tasks
