// App options: CLI11 on the command line plus `--config FILE.toml` with the same keys (the
// command line wins), the conventions every tessera app shares, and agreement over ranks.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tessera/core/error.hpp"
#include "tessera/core/mpi.hpp"

namespace tessera::run {

/// Options every app has (DESIGN.md section 7).
struct CommonOptions {
    std::filesystem::path output;  ///< --output DIR
    bool overwrite = false;        ///< --overwrite: allow writing into a non-empty DIR
    bool quiet = false;            ///< --quiet: errors and warnings only
    bool verbose = false;          ///< --verbose: extra detail
    bool benchmark = false;        ///< --benchmark: performance mode
    bool progress = false;         ///< --progress: print progress even when not on a terminal
    std::string config_file;       ///< --config FILE.toml
    std::filesystem::path trace;   ///< --trace DIR: record region events, write DIR/trace.json
};

/// An app's options. Add app-specific options to cli() (their long names are also the TOML
/// keys; subcommands map to TOML tables), then call parse().
class AppOptions {
public:
    /// `app` is the short name ("heat"); the default output directory is out/<app>.
    AppOptions(std::string app, std::string description);
    ~AppOptions();

    CLI::App& cli() noexcept { return *cli_; }
    const CommonOptions& common() const noexcept { return common_; }
    const std::string& app() const noexcept { return app_; }

    /// Collective over `comm`: parses argv (the same on every rank) and the TOML file named by
    /// --config. --help / --version print on rank 0 and throw ExitRequest{0}. An unknown key,
    /// a value of the wrong type or out of range, or an unreadable file throws CollectiveError
    /// (exit 2) naming the option or key, on every rank. Sets the log level and progress mode.
    /// With --trace DIR: checks that DIR can be made (nothing is created yet; a file where a
    /// folder is needed, an unwritable folder, or an existing DIR/trace.json without
    /// --overwrite throw CollectiveError "--trace: ...") and enables tracing (trace.hpp);
    /// make_summary() writes DIR/trace.json.
    void parse(const mpi::Comm& comm, int argc, char** argv);

    /// Local: records the effective value of option `key` when the app derives it after
    /// parsing (e.g. a default that depends on --dim); resolved() reports it instead.
    void record(const std::string& key, nlohmann::json value);
    /// Local: every option's effective value ({"cells": [64, 64], "alpha": 1.0, ...}).
    nlohmann::json resolved() const;
    /// Local: the effective options as `key = value` lines (TOML; reusable as --config).
    std::string resolved_toml() const;
    /// Collective over `comm`: prepare_output_dir() of the output folder, allowing a non-empty
    /// one with the overwrite option or `allow_existing` (a restart continues its folder);
    /// errors name this app's options.
    void prepare_output(const mpi::Comm& comm, bool allow_existing = false) const;

private:
    std::string app_;
    std::unique_ptr<CLI::App> cli_;
    CommonOptions common_;
    nlohmann::json recorded_ = nlohmann::json::object();
};

/// How an app's options are called in the library's messages: each pair maps a phrase of a
/// library message (CartDecomp: cells, heat: dt) to the option that supplied it (--cells,
/// --dt). The library names its own parameters; an app maps them once, where it parses.
using OptionNames = std::vector<std::pair<std::string, std::string>>;

/// Local: the command-line spelling of the option whose TOML key is `key` ("cells" -> two
/// dashes and "cells"): apps and the run layer build option names through it, so a key and
/// its option never drift apart.
std::string option_flag(std::string_view key);

/// Local: `message` with every occurrence of a phrase of `names` replaced by its option (the
/// longest phrase first); unchanged when none occurs.
std::string with_option_names(const OptionNames& names, const std::string& message);

/// Runs `body()` and rethrows a CollectiveError or tessera::Error it throws with the message
/// passed through with_option_names() (same exit code and failing rank). As collective as
/// `body`.
template <class F>
decltype(auto) translating_errors(const OptionNames& names, F&& body) {
    try {
        return body();
    } catch (const CollectiveError& e) {
        throw CollectiveError(with_option_names(names, e.what()), e.failing_rank(), e.exit_code());
    }
}

/// Collective over `comm`: makes `dir` ready for output. Throws CollectiveError (exit 2) when it
/// exists and is not empty unless `overwrite`, when it is a file, or when it cannot be created
/// ("output folder DIR: ...").
/// Call after every input check has passed, so bad input leaves nothing behind.
void prepare_output_dir(const mpi::Comm& comm, const std::filesystem::path& dir, bool overwrite);

/// Collective over `comm`: throws CollectiveError (exit 2) "trace folder DIR: ..." unless rank 0
/// could create `dir` and write `dir`/trace.json: a path component that exists and is not a
/// folder, a folder it cannot write in, or an existing trace.json unless `overwrite`. Creates
/// nothing (a probe file in the nearest existing folder is removed at once).
void check_trace_dir(const mpi::Comm& comm, const std::filesystem::path& dir, bool overwrite);

}  // namespace tessera::run
