// summary.json assembly and atomic writing.
#include "tessera/core/summary.hpp"

#include <fstream>

#include "tessera/core/timer.hpp"
#include "tessera/core/version.hpp"

namespace tessera {

nlohmann::json make_summary(const Runtime& runtime, const AppOptions& options) {
    nlohmann::json j;
    j["app"] = options.app();
    j["version"] = version();
    j["ranks"] = runtime.size();
    j["threads"] = runtime.threads();
    j["config"] = options.resolved();
    j["timers"] = timers_to_json(timer_report(runtime.world()));
    j["wall_seconds"] = runtime.elapsed();
    return j;
}

void write_json(const mpi::Comm& comm, const std::filesystem::path& path, const nlohmann::json& json) {
    collective_call(
        comm,
        [&] {
            if (comm.rank() != 0) return;
            const auto tmp = std::filesystem::path(path.string() + ".tmp");
            {
                std::ofstream out(tmp);
                out << json.dump(2) << '\n';
                out.close();
                if (!out) throw std::runtime_error("cannot write " + tmp.string());
            }
            std::error_code ec;
            std::filesystem::rename(tmp, path, ec);
            if (ec) throw std::runtime_error("cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message());
        },
        /*exit_code=*/1);
}

}  // namespace tessera
