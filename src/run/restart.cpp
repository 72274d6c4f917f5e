// The restart finder: candidates newest first, damaged ones skipped, other problems refused.
#include "tessera/run/restart.hpp"

#include <sstream>

#include "tessera/core/error.hpp"
#include "tessera/core/log.hpp"
#include "tessera/core/timer.hpp"

namespace tessera::run {

namespace fs = std::filesystem;

namespace {

// Collective: throws CollectiveError (exit 2) naming the first way in which the checkpoint
// at `path` belongs to another problem.
void check_compatible(const mpi::Comm& comm, const RestartRequest& request, const io::CheckpointMeta& meta,
                      const fs::path& path) {
    collective_call(comm, [&] {
        const std::string where = "restart " + path.string() + ": ";
        if (meta.app != request.app)
            throw std::runtime_error(where + "written by '" + meta.app + "', not '" + request.app + "'");
        nlohmann::json theirs = nlohmann::json::object();
        if (!meta.keys.empty()) {
            try {
                theirs = nlohmann::json::parse(meta.keys);
            } catch (const std::exception&) {
                throw std::runtime_error(where + "its compatibility keys are not valid JSON");
            }
        }
        for (const auto& [key, ours] : request.keys.items()) {
            const auto t = theirs.contains(key) ? theirs[key] : nlohmann::json();
            if (t != ours)
                throw std::runtime_error(where + key + " differs: the checkpoint has " + t.dump() + ", this run " +
                                         ours.dump());
        }
        if (meta.step > request.max_step)
            throw std::runtime_error(where + "the checkpoint is at step " + std::to_string(meta.step) +
                                     ", beyond this run's " + std::to_string(request.max_step) + " steps");
    });
}

}  // namespace

RestartSearch find_restart(const mpi::Comm& comm, const RestartRequest& request,
                           const std::function<void(io::CheckpointReader&)>& load) {
    ScopedTimer timer("run.restart");
    const bool automatic = request.from == "auto";
    std::vector<fs::path> candidates;
    if (automatic) {
        // Rank 0 decides what exists, so every rank walks the same list.
        std::string names;
        if (comm.rank() == 0)
            for (const auto& c : io::list_checkpoints(request.directory)) names += c.string() + "\n";
        names = mpi::bcast(comm, names, 0);
        std::istringstream in(names);
        for (std::string line; std::getline(in, line);) candidates.emplace_back(line);
    } else {
        candidates.emplace_back(request.from);
    }
    RestartSearch search;
    for (const auto& path : candidates) {
        std::optional<io::CheckpointReader> reader;
        std::string damage;
        try {
            reader.emplace(comm, path);
        } catch (const CollectiveError& e) {
            if (!automatic) throw;
            damage = e.what();
        }
        if (damage.empty()) {
            check_compatible(comm, request, reader->meta(), path);
            try {
                load(*reader);
                reader->close();
            } catch (const CollectiveError& e) {
                if (!automatic) throw;
                damage = e.what();
            }
        }
        if (!damage.empty()) {
            log::warn("checkpoint ", path.string(), " is unusable (", damage, "); falling back to an older one");
            search.rejected.push_back(path);
            search.reasons.push_back(damage);
            continue;
        }
        search.found = RestartPoint{path, reader->meta()};
        return search;
    }
    TESSERA_CHECK_ALL(comm, candidates.empty(),
                      "restart auto: none of the " << candidates.size() << " checkpoints in "
                                                   << request.directory.string() << " verifies (newest: "
                                                   << (search.reasons.empty() ? "" : search.reasons.front()) << ")");
    return search;
}

void set_aside(const mpi::Comm& comm, const std::vector<fs::path>& rejected) {
    collective_call(comm, [&] {
        if (comm.rank() != 0) return;
        for (const auto& r : rejected) {
            std::error_code ec;
            fs::rename(r, r.string() + ".corrupt", ec);
            if (!ec) log::warn("moved ", r.string(), " to ", r.filename().string(), ".corrupt");
        }
    });
}

}  // namespace tessera::run
