// tessera-mc's subcommands, their configuration and the reporting they share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <tessera/tessera.hpp>

namespace mc {

/// Every option of every subcommand (DESIGN.md section 7); subcommands read their own.
struct Config {
    std::uint64_t seed = 2024;
    tessera::gindex_t samples = 1'000'000;
    // option
    std::string style = "european", payoff = "call";
    double spot = 100.0, strike = 100.0, rate = 0.05, volatility = 0.2, maturity = 1.0;
    int monitoring = 12;
    bool antithetic = false;
    // ep
    std::string ep_class = "S";
    // ising
    std::vector<tessera::gindex_t> cells{64, 64};
    std::vector<int> procs{0, 0};
    double temperature = 1.5;
    int sweeps = 2000, thermalize = 500, batches = 20;
};

/// Collective over runtime.world(): each subcommand checks its input (CollectiveError, exit 2,
/// naming the option), prepares the output directory, runs, reports and writes summary.json.
/// Returns 0 when its self-check passes, 1 otherwise.
int run_pi(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg);
int run_option(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg);
int run_ep(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg);
int run_ising(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg);

/// How far from a reference an estimate may be, in standard errors, before the self-check
/// fails: generous, so a correct run fails about once in 1.7 million.
inline constexpr double check_sigmas = 5.0;

/// Local (prints on rank 0): `label: value +- stderr (95% CI [lo, hi])` and, with a
/// reference, its value and the distance in standard errors.
void print_estimate(const std::string& label, const tessera::montecarlo::Estimate& e,
                    std::optional<double> reference);
/// Local (prints on rank 0): the convergence table with error * sqrt(N), which should stay flat.
void print_convergence(const std::vector<tessera::montecarlo::ConvergenceRow>& rows);
/// Local: {"estimate", "stderr", "ci95", "reference", "distance"} of an estimate.
nlohmann::json estimate_json(const tessera::montecarlo::Estimate& e, std::optional<double> reference);
/// Local: the convergence table as [{"samples", "estimate", "stderr"}, ...].
nlohmann::json convergence_json(const std::vector<tessera::montecarlo::ConvergenceRow>& rows);
/// Collective: prints the verdict and the timer table, writes <output>/summary.json from
/// make_summary() plus `fields` and "check", and returns the exit code (0 passed, 1 failed).
int finish(tessera::Runtime& runtime, const tessera::run::AppOptions& options, nlohmann::json fields,
           bool passed, const std::string& verdict);

}  // namespace mc
