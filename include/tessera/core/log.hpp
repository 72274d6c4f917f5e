// Rank-0 logging with three levels (--quiet, default, --verbose) and per-rank warnings.
#pragma once

#include <sstream>
#include <string>

namespace tessera::log {

enum class Level { quiet = 0, normal = 1, verbose = 2 };

/// Local: sets the level for this process (apps set it from --quiet / --verbose).
void set_level(Level level) noexcept;
Level level() noexcept;
/// Local: sends info() and verbose() lines to stderr instead of stdout (for a program whose
/// standard output carries data, e.g. frames in a pipeline).
void set_info_to_stderr(bool on) noexcept;

namespace detail {
void emit_info(const std::string& text);
void emit_warning(const std::string& text, bool any_rank);
template <class... Args>
std::string concat(const Args&... args) {
    std::ostringstream os;
    (os << ... << args);
    return os.str();
}
}  // namespace detail

/// Local: a line on stdout from rank 0 unless --quiet. Arguments are streamed together.
template <class... Args>
void info(const Args&... args) {
    if (level() >= Level::normal) detail::emit_info(detail::concat(args...));
}
/// Local: a line on stdout from rank 0 with --verbose only.
template <class... Args>
void verbose(const Args&... args) {
    if (level() >= Level::verbose) detail::emit_info(detail::concat(args...));
}
/// Local: `warning: ...` on stderr from rank 0, even with --quiet. For conditions all ranks
/// share; use warn_rank for something only this rank saw.
template <class... Args>
void warn(const Args&... args) {
    detail::emit_warning(detail::concat(args...), false);
}
/// Local: `[rank r] warning: ...` on stderr from whichever rank calls it.
template <class... Args>
void warn_rank(const Args&... args) {
    detail::emit_warning(detail::concat(args...), true);
}

}  // namespace tessera::log
