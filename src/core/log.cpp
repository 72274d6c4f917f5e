// Rank-0 logging.
#include "tessera/core/log.hpp"

#include <atomic>
#include <cstdio>
#include <iostream>

#include "tessera/core/error.hpp"

namespace tessera::log {

namespace {
std::atomic<Level> g_level{Level::normal};
std::atomic<bool> g_info_to_stderr{false};
}

void set_info_to_stderr(bool on) noexcept { g_info_to_stderr.store(on); }

void set_level(Level lvl) noexcept { g_level.store(lvl); }
Level level() noexcept { return g_level.load(); }

namespace detail {
void emit_info(const std::string& text) {
    if (world_rank() > 0) return;
    if (g_info_to_stderr.load())
        std::cerr << text << '\n' << std::flush;
    else
        std::cout << text << '\n' << std::flush;
}
void emit_warning(const std::string& text, bool any_rank) {
    if (!any_rank && world_rank() > 0) return;
    std::fflush(stdout);
    if (any_rank)
        std::cerr << "[rank " << world_rank() << "] warning: " << text << std::endl;
    else
        std::cerr << "warning: " << text << std::endl;
}
}  // namespace detail

}  // namespace tessera::log
