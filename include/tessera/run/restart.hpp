// The restart finder: the newest checkpoint that verifies and belongs to this run's problem,
// with damaged ones set aside and named.
#pragma once

#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"
#include "tessera/io/checkpoint.hpp"

namespace tessera::run {

/// What a restart must match.
struct RestartRequest {
    std::string from;                 ///< "auto" (the newest in `directory` that verifies) or a path
    std::filesystem::path directory;  ///< where "auto" looks
    std::string app;                  ///< the checkpoint's app must be this one
    /// Every key of this object must have an equal value in the checkpoint's keys (JSON
    /// equality: numbers compare bit for bit, as JSON keeps doubles round-trip exact).
    nlohmann::json keys = nlohmann::json::object();
    gindex_t max_step = std::numeric_limits<gindex_t>::max();  ///< a checkpoint beyond is refused
};

/// The checkpoint a run continues from.
struct RestartPoint {
    std::filesystem::path path;
    io::CheckpointMeta meta;
};

/// What find_restart() found.
struct RestartSearch {
    std::optional<RestartPoint> found;               ///< empty: "auto" found no checkpoint at all
    std::vector<std::filesystem::path> rejected;     ///< newer checkpoints that did not verify
    std::vector<std::string> reasons;                ///< why, one per rejected file
};

/// Collective over `comm`. Opens the candidates (request.from, or under "auto" every
/// checkpoint in request.directory, newest first), checks each one's app, keys and step, and
/// calls `load(reader)` (collective) on the first that matches; it restores the state.
/// Under "auto" a damaged file (unopenable, truncated, failing a checksum while loading) is
/// skipped and listed in `rejected`; an explicit path that is damaged, and any sound
/// checkpoint of another problem, throw CollectiveError (exit 2) naming the file and the
/// first difference ("restart chk_000000120.h5: cells differs: the checkpoint has [64,48],
/// this run [32,48]"). When every candidate is damaged, throws CollectiveError (exit 2).
RestartSearch find_restart(const mpi::Comm& comm, const RestartRequest& request,
                           const std::function<void(io::CheckpointReader&)>& load);

/// Collective over `comm`: rank 0 renames each of `rejected` to <name>.corrupt (kept for a
/// post-mortem, never listed again) with a warning. Call once the run's input is known to be
/// valid (bad input leaves nothing changed).
void set_aside(const mpi::Comm& comm, const std::vector<std::filesystem::path>& rejected);

}  // namespace tessera::run
