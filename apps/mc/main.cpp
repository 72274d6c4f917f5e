// tessera-mc: Monte Carlo with reproducible parallel random numbers and error bars.
// Every estimate has the same bits on any number of ranks and threads.
// Sample runs:  mpirun -np 2 tessera-mc pi --samples 100000000
//               mpirun -np 2 tessera-mc option --style asian --payoff put --antithetic
//               mpirun -np 2 tessera-mc ep --class A
//               mpirun -np 4 tessera-mc ising --cells 128 128 --temperature 1.5
//               mpirun -np 4 tessera-mc ising --cells 32 32 --temperature 1.0:3.5:26
//               tessera-mc --config data/mc/option.toml
//               mpirun -np 4 tessera-mc pi --samples 10000000000 --checkpoint-interval 600 --restart auto
#include <cstdlib>

#include "mc.hpp"

namespace {

// Registers the options of every subcommand (their long names are also the TOML keys, in a
// table named after the subcommand).
void add_options(tessera::run::AppOptions& options, mc::Config& cfg) {
    auto& app = options.cli();
    app.require_subcommand(1, 1);
    app.add_option("--seed", cfg.seed, "Seed: sample s draws from the Philox stream (seed, s)");

    auto* pi = app.add_subcommand("pi", "Quarter-disc estimate of pi")->fallthrough();
    pi->add_option("--samples", cfg.samples, "Number of samples");
    mc::add_loop_options(*pi, cfg, "waves (of " + std::to_string(mc::wave_size) + " blocks of samples)");

    auto* opt = app.add_subcommand("option", "European or Asian option under Black-Scholes")->fallthrough();
    opt->add_option("--samples", cfg.samples, "Number of paths (antithetic pairs with --antithetic)");
    opt->add_option("--style", cfg.style, "european or asian (arithmetic average)")
        ->check(CLI::IsMember({"european", "asian"}));
    opt->add_option("--payoff", cfg.payoff, "call or put")->check(CLI::IsMember({"call", "put"}));
    opt->add_option("--spot", cfg.spot, "Initial stock price S0");
    opt->add_option("--strike", cfg.strike, "Strike K");
    opt->add_option("--rate", cfg.rate, "Risk-free rate r (continuous)");
    opt->add_option("--volatility", cfg.volatility, "Volatility sigma");
    opt->add_option("--maturity", cfg.maturity, "Maturity T in years");
    opt->add_option("--monitoring", cfg.monitoring, "Asian: number of equally spaced averaging dates");
    opt->add_flag("--antithetic", cfg.antithetic, "Antithetic variates (pair each path with its mirror)");
    mc::add_loop_options(*opt, cfg, "waves (of " + std::to_string(mc::wave_size) + " blocks of paths)");

    auto* ep = app.add_subcommand("ep", "NAS Parallel Benchmarks EP kernel, verified")->fallthrough();
    ep->add_option("--class", cfg.ep_class, "Problem class: S, W, A, B, C or D");
    mc::add_loop_options(*ep, cfg, "waves (of " + std::to_string(mc::wave_size) + " batches of 2^16 pairs)");

    auto* ising = app.add_subcommand("ising", "2D Ising model, checkerboard Metropolis")->fallthrough();
    ising->add_option("--cells", cfg.cells, "Lattice size NX NY (even)")->expected(2);
    ising->add_option("--procs", cfg.procs, "Process grid PX PY (0: let MPI choose)")->expected(2);
    ising->add_option("--temperature", cfg.temperature,
                      "Temperature T (J = k_B = 1), or a sweep START:STOP:COUNT: COUNT evenly spaced temperatures, "
                      "both ends included, one lattice per rank at a time (writes ising_sweep.csv and .png)");
    ising->add_option("--sweeps", cfg.sweeps, "Measured sweeps");
    ising->add_option("--thermalize", cfg.thermalize, "Sweeps discarded before measuring");
    ising->add_option("--batches", cfg.batches, "Batches for the batch-means errors");
    ising->add_flag("--resume", cfg.resume,
                    "Sweep: skip the temperatures that OUTPUT/ising_sweep.journal lists as finished (same options)");
    ising->add_option("--on-error", cfg.on_error,
                      "Sweep: after a failed temperature, stop (no new ones start) or continue; exit 1 either way")
        ->check(CLI::IsMember({"stop", "continue"}));
    mc::add_loop_options(*ising, cfg, "sweeps");
}

}  // namespace

int main(int argc, char** argv) {
    tessera::Runtime runtime(argc, argv);                  // 1. MPI + OpenMP
    return tessera::run_guarded(runtime, [&] {
        tessera::run::AppOptions options("mc", "Monte Carlo with reproducible parallel random numbers");
        mc::Config cfg;
        add_options(options, cfg);
        options.parse(runtime.world(), argc, argv);         // 2. same argv on all ranks
        const auto& app = options.cli();
        // A single --temperature stays a number in the resolved configuration (summary.json).
        if (app.got_subcommand("ising") && cfg.temperature.find(':') == std::string::npos) {
            char* end = nullptr;
            const double t = std::strtod(cfg.temperature.c_str(), &end);
            if (!cfg.temperature.empty() && *end == '\0') options.record("ising.temperature", t);
        }
        tessera::log::info("tessera-mc ", tessera::version(), "\n", options.resolved_toml());
        tessera::log::info(runtime.layout_report());
        // 3. check, restart or start, run wave by wave (or sweep by sweep), 4. report
        if (app.got_subcommand("pi")) return mc::run_pi(runtime, options, cfg);
        if (app.got_subcommand("option")) return mc::run_option(runtime, options, cfg);
        if (app.got_subcommand("ep")) return mc::run_ep(runtime, options, cfg);
        return mc::run_ising(runtime, options, cfg);
    });
}
