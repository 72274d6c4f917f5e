// tessera-mc ising --temperature START:STOP:COUNT: one lattice per temperature, each a task of
// the task queue on one rank (threads inside the task), rows delivered in order to rank 0,
// which keeps them as small files, then writes ising_sweep.csv and ising_sweep.png; a journal
// lets --resume skip the finished temperatures and still write the same bytes.
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <tessera/io/plot.hpp>
#include <tessera/montecarlo/ising.hpp>
#include <tessera/tasks/journal.hpp>
#include <tessera/tasks/queue.hpp>

#include "mc.hpp"

namespace mc {

namespace tm = tessera::montecarlo;
namespace fs = std::filesystem;
using tessera::gindex_t;

namespace {

// A number that fills the whole text (no spaces, no trailing characters).
std::optional<double> number(const std::string& text) {
    if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) return std::nullopt;
    return v;
}

Temperatures parse_local(const std::string& text) {
    const std::string usage = "expected T or START:STOP:COUNT (numbers START < STOP, an integer COUNT >= 2)";
    std::vector<std::string> parts;
    for (std::size_t from = 0;;) {
        const auto colon = text.find(':', from);
        parts.push_back(text.substr(from, colon == std::string::npos ? std::string::npos : colon - from));
        if (colon == std::string::npos) break;
        from = colon + 1;
    }
    Temperatures t;
    if (parts.size() == 1) {
        const auto v = number(text);
        if (!v) throw std::runtime_error("--temperature '" + text + "' is malformed: " + usage);
        t.values = {*v};  // the lattice checks that it is positive and finite
        return t;
    }
    const auto start = number(parts[0]), stop = parts.size() == 3 ? number(parts[1]) : std::nullopt;
    long long count = 0;
    const auto& c = parts.back();
    const bool count_ok = parts.size() == 3 && !c.empty() &&
                          std::from_chars(c.data(), c.data() + c.size(), count).ptr == c.data() + c.size();
    if (!start || !stop || !count_ok || !std::isfinite(*start) || !std::isfinite(*stop))
        throw std::runtime_error("--temperature '" + text + "' is malformed: " + usage);
    if (count < 2)
        throw std::runtime_error("--temperature " + text + ": COUNT must be at least 2 (both ends are included), got " +
                                 std::to_string(count));
    if (count > 1'000'000)
        throw std::runtime_error("--temperature " + text + ": COUNT must be at most 1000000, got " +
                                 std::to_string(count));
    if (*start == *stop)
        throw std::runtime_error("--temperature " + text + ": empty range (START must be below STOP)");
    if (*start > *stop)
        throw std::runtime_error("--temperature " + text + ": reversed range (START must be below STOP)");
    if (*start <= 0)
        throw std::runtime_error("--temperature " + text + ": temperatures must be positive (START > 0)");
    t.sweep = true;
    t.start = *start, t.stop = *stop, t.count = count;
    t.values.resize(static_cast<std::size_t>(count));
    for (long long i = 0; i < count; ++i)
        t.values[static_cast<std::size_t>(i)] = *start + (*stop - *start) * static_cast<double>(i) / static_cast<double>(count - 1);
    t.values.back() = *stop;  // exactly, whatever the rounding above
    return t;
}

// The columns of ising_sweep.csv (and of each finished temperature's tasks/T_*.csv).
constexpr const char* csv_header =
    "temperature,abs_magnetization,abs_magnetization_error,energy,energy_error,susceptibility,"
    "susceptibility_error,specific_heat,specific_heat_error,onsager_magnetization,onsager_energy\n";
constexpr std::size_t csv_columns = 11;

// One row, every number with %.17g: it reads back to the same double, so the bytes are those
// of the values.
std::string csv_row(double temperature, const tm::IsingEstimates& e) {
    const double values[csv_columns] = {temperature,
                                        e.abs_magnetization.value, e.abs_magnetization.std_error,
                                        e.energy.value, e.energy.std_error,
                                        e.susceptibility.value, e.susceptibility.std_error,
                                        e.specific_heat.value, e.specific_heat.std_error,
                                        tm::onsager_magnetization(temperature), tm::onsager_energy(temperature)};
    std::string row;
    char buf[40];
    for (std::size_t k = 0; k < csv_columns; ++k) {
        std::snprintf(buf, sizeof buf, "%.17g", values[k]);
        row += (k ? "," : "") + std::string(buf);
    }
    return row + "\n";
}

std::vector<double> parse_row(const std::string& row, const fs::path& from) {
    std::vector<double> v;
    std::stringstream in(row);
    for (std::string cell; std::getline(in, cell, ',');) {
        if (!cell.empty() && cell.back() == '\n') cell.pop_back();
        const auto x = number(cell);
        if (!x) break;
        v.push_back(*x);
    }
    if (v.size() != csv_columns || row.empty() || row.back() != '\n')
        throw std::runtime_error("row file " + from.string() + " is malformed (remove it and run without --resume)");
    return v;
}

// FNV-1a over the text: a stable fingerprint (std::hash is not specified across builds).
std::string fingerprint_of(const std::string& text) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
    char buf[32];
    std::snprintf(buf, sizeof buf, "ising-sweep-%016llx", static_cast<unsigned long long>(h));
    return buf;
}

fs::path row_path(const fs::path& dir, gindex_t index, gindex_t count) {
    const int width = std::max<int>(4, static_cast<int>(std::to_string(count - 1).size()));
    char buf[40];
    std::snprintf(buf, sizeof buf, "T_%0*lld.csv", width, static_cast<long long>(index));
    return dir / buf;
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Test hooks (as TESSERA_TEST_SLEEP_AFTER_CHECKPOINT in the library): a task that fails, and a
// pause in every task so that a test can kill a sweep half-way.
void test_hooks(gindex_t index) {
    if (const char* fail = std::getenv("TESSERA_TEST_FAIL_TASK"); fail && std::atoll(fail) == index)
        throw std::runtime_error("test hook: temperature " + std::to_string(index) + " fails");
    if (const char* pause = std::getenv("TESSERA_TEST_SLEEP_IN_TASK"))
        std::this_thread::sleep_for(std::chrono::duration<double>(std::atof(pause)));
}

// The four panels: |M| and E/site with Onsager's exact curves beside, chi and C; Tc marked.
std::vector<tessera::io::PlotPanel> sweep_panels(const std::vector<std::vector<double>>& rows,
                                                 const std::array<gindex_t, 2>& cells, const Temperatures& t) {
    const double tc = tm::onsager_critical_temperature();
    const std::string mc_label = "Monte Carlo " + std::to_string(cells[0]) + " x " + std::to_string(cells[1]);
    struct Quantity {
        const char* title;
        const char* y_label;
        std::size_t value, error;
        double (*exact)(double);
    };
    const Quantity quantities[4] = {
        {"|M| per site", "<|M|>", 1, 2, tm::onsager_magnetization},
        {"energy per site", "E / N", 3, 4, tm::onsager_energy},
        {"susceptibility per site", "chi = N Var|m| / T", 5, 6, nullptr},
        {"specific heat per site", "C = N Var(e) / T^2", 7, 8, nullptr},
    };
    std::vector<tessera::io::PlotPanel> panels;
    for (const auto& q : quantities) {
        tessera::io::PlotPanel p;
        p.title = q.title;
        p.x_label = "temperature T (J = k_B = 1)";
        p.y_label = q.y_label;
        p.has_x_marker = true;
        p.x_marker = tc;
        p.x_marker_label = "Tc = 2.269";
        if (q.exact) {
            tessera::io::PlotSeries exact;
            exact.label = "Onsager (exact, infinite lattice)";
            exact.markers = false;
            exact.rgb = 0x1f77b4;
            constexpr int n = 400;
            for (int i = 0; i <= n; ++i) {
                const double x = t.start + (t.stop - t.start) * i / n;
                exact.x.push_back(x);
                exact.y.push_back(q.exact(x));
            }
            if (tc > t.start && tc < t.stop) {  // the jump of |M| to 0 drawn at Tc itself
                const auto at = std::lower_bound(exact.x.begin(), exact.x.end(), tc) - exact.x.begin();
                exact.x.insert(exact.x.begin() + at, tc);
                exact.y.insert(exact.y.begin() + at, q.exact(std::nextafter(tc, 0.0)));
            }
            p.series.push_back(std::move(exact));
        }
        tessera::io::PlotSeries mc;
        mc.label = mc_label;
        mc.rgb = 0xd62728;
        for (const auto& r : rows) {
            mc.x.push_back(r[0]);
            mc.y.push_back(r[q.value]);
            mc.y_error.push_back(r[q.error]);
        }
        p.series.push_back(std::move(mc));
        panels.push_back(std::move(p));
    }
    return panels;
}

}  // namespace

Temperatures parse_temperatures(const tessera::mpi::Comm& comm, const std::string& text) {
    return tessera::collective_call(comm, [&] { return parse_local(text); });
}

int run_ising_sweep(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg,
                    const Temperatures& temps) {
    const auto& world = runtime.world();
    const auto& common = options.common();
    // 1. Input. Each temperature is one whole lattice on one rank: no process grid, and the
    //    journal replaces checkpoints.
    TESSERA_CHECK_ALL(world, cfg.cells.size() == 2, "--cells needs two values (NX NY), got " << cfg.cells.size());
    TESSERA_CHECK_ALL(world, cfg.procs == std::vector<int>({0, 0}),
                      "--procs does not apply to a sweep (each temperature runs on one rank)");
    const std::array<gindex_t, 2> cells{cfg.cells[0], cfg.cells[1]};
    TESSERA_CHECK_ALL(world, cells[0] >= 2 && cells[1] >= 2 && cells[0] % 2 == 0 && cells[1] % 2 == 0,
                      "--cells must be even and at least 2 on both axes (the checkerboard must close across the "
                      "periodic boundary), got " << cells[0] << " x " << cells[1]);
    TESSERA_CHECK_ALL(world, cfg.sweeps > 0, "--sweeps must be positive, got " << cfg.sweeps);
    TESSERA_CHECK_ALL(world, cfg.thermalize >= 0, "--thermalize must not be negative, got " << cfg.thermalize);
    TESSERA_CHECK_ALL(world, cfg.batches >= 2 && cfg.batches <= cfg.sweeps,
                      "--batches must be between 2 and --sweeps (" << cfg.sweeps << "), got " << cfg.batches);
    TESSERA_CHECK_ALL(world, cfg.restart.empty() && cfg.checkpoint_every == 0 && cfg.checkpoint_interval == 0 &&
                                 cfg.max_wall_time == 0,
                      "--restart, --checkpoint-every, --checkpoint-interval and --max-wall-time do not apply to a "
                      "sweep (it continues with --resume)");
    TESSERA_CHECK_ALL(world, std::isfinite(cfg.watchdog), "--watchdog: must be a finite number, got " << cfg.watchdog);
    const double sites = static_cast<double>(cells[0]) * static_cast<double>(cells[1]);
    tessera::check_node_memory(world, 8.0 * sites + 16.0 * cfg.sweeps,
                               "--cells " + std::to_string(cells[0]) + " " + std::to_string(cells[1]) +
                                   " (one lattice per rank)");
    const auto n = static_cast<gindex_t>(temps.values.size());
    const fs::path journal = common.output / "ising_sweep.journal", rows_dir = common.output / "tasks";
    tessera::tasks::TaskOptions topt;
    topt.threads = tessera::tasks::Threads::inside_task;
    topt.on_error = tessera::tasks::parse_on_error(cfg.on_error);  // CLI11 let only stop or continue through
    topt.journal = journal;
    topt.resume = cfg.resume;
    // Everything the rows depend on; the layout and the output folder do not count.
    topt.fingerprint = fingerprint_of(nlohmann::json{{"subcommand", "ising"},
                                                     {"cells", cfg.cells},
                                                     {"temperature", {temps.start, temps.stop, temps.count}},
                                                     {"sweeps", cfg.sweeps},
                                                     {"thermalize", cfg.thermalize},
                                                     {"batches", cfg.batches},
                                                     {"seed", cfg.seed}}
                                          .dump());
    // A resume needs the journal of the same sweep: checked before anything is written.
    std::vector<bool> finished_before(static_cast<std::size_t>(n), false);
    if (cfg.resume)
        tessera::collective_call(world, [&] {
            if (world.rank() != 0) return;
            if (!fs::exists(journal))
                throw std::runtime_error("--resume: no journal " + journal.string() +
                                         " (start the sweep without --resume)");
            const auto j = tessera::tasks::Journal::load(journal, n, topt.fingerprint);
            for (gindex_t k = 0; k < n; ++k) finished_before[static_cast<std::size_t>(k)] = j.finished(k);
        });
    tessera::log::info("sweep: ", n, " temperatures from ", temps.start, " to ", temps.stop, " (Tc = ",
                       tm::onsager_critical_temperature(), "), a ", cells[0], " x ", cells[1],
                       " lattice each, one rank per temperature, ", runtime.threads(), " thread(s) inside");

    // 2. Output: a fresh sweep starts with no rows; a resumed one keeps those of its journal.
    tessera::run::prepare_output_dir(world, common.output, common.overwrite || cfg.resume);
    tessera::collective_call(
        world,
        [&] {
            if (world.rank() != 0) return;
            if (!cfg.resume) fs::remove_all(rows_dir);
            fs::create_directories(rows_dir);
        },
        1);

    // 3. The tasks: temperature k on one rank, seeded by (--seed, k) only.
    const auto self = tessera::mpi::Comm::duplicate(MPI_COMM_SELF);
    tessera::run::Watchdog watchdog(cfg.watchdog, world.rank(), "temperature");
    tessera::run::Progress progress("ising sweep", n, "temperatures");
    topt.on_progress = [&](gindex_t done, gindex_t) { progress.update(done); };
    topt.heartbeat = [&](gindex_t index) { watchdog.kick(index); };
    const auto task = [&](tessera::tasks::TaskContext& ctx) {
        test_hooks(ctx.index);
        const double t = temps.values[static_cast<std::size_t>(ctx.index)];
        tm::IsingLattice lattice(self, cells, t, tm::derived_seed(cfg.seed, static_cast<std::uint64_t>(ctx.index)));
        const auto run = tm::run_ising(lattice, cfg.thermalize, cfg.sweeps);
        const auto row = csv_row(t, tm::ising_estimates(run.energy, run.abs_magnetization, lattice.sites(), t,
                                                        cfg.batches));
        const auto* bytes = reinterpret_cast<const std::byte*>(row.data());
        ctx.result->assign(bytes, bytes + row.size());
    };
    std::vector<bool> delivered(static_cast<std::size_t>(n), false);
    const auto on_result = [&](gindex_t index, std::span<const std::byte> bytes) {
        const std::string row(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        // The row reaches its file before the journal lists the temperature as finished.
        tessera::io::write_file_atomically(row_path(rows_dir, index, n), std::string(csv_header) + row);
        delivered[static_cast<std::size_t>(index)] = true;
        const auto v = parse_row(row, row_path(rows_dir, index, n));
        char buf[160];
        std::snprintf(buf, sizeof buf, "T = %.6g: |M| = %.6g +- %.2g, E = %.6g +- %.2g, chi = %.4g, C = %.4g", v[0],
                      v[1], v[2], v[3], v[4], v[5], v[7]);
        tessera::log::verbose(buf);
    };
    const auto on_failure = [&](const tessera::tasks::TaskFailure& f) {
        tessera::log::warn("temperature ", f.index, " (T = ", temps.values[static_cast<std::size_t>(f.index)],
                           ") failed on rank ", f.rank, ": ", f.message);
    };
    tessera::tasks::TaskReport report;
    {
        tessera::ScopedTimer timer("mc.ising.sweep");
        report = tessera::tasks::run_tasks(world, n, task, on_result, topt, on_failure);
    }
    progress.finish();

    // 4. The sweep's files, from the rows kept so far (this run's and those of earlier runs),
    //    on rank 0; a missing row is a failed or unrun temperature.
    std::vector<std::vector<double>> rows;
    std::string csv = csv_header;
    bool within = true;
    int compared = 0;
    tessera::collective_call(
        world,
        [&] {
            if (world.rank() != 0) return;
            for (gindex_t k = 0; k < n; ++k) {
                const auto i = static_cast<std::size_t>(k);
                if (!delivered[i] && !finished_before[i]) continue;
                const auto path = row_path(rows_dir, k, n);
                const auto text = read_text(path);
                if (text.compare(0, std::string(csv_header).size(), csv_header) != 0)
                    throw std::runtime_error("row file " + path.string() + " has no ising_sweep.csv header");
                const auto row = text.substr(std::string(csv_header).size());
                rows.push_back(parse_row(row, path));
                csv += row;
            }
            tessera::io::write_file_atomically(common.output / "ising_sweep.csv", csv);
            if (!rows.empty())
                tessera::io::write_plot_png(common.output / "ising_sweep.png", sweep_panels(rows, cells, temps));
            // The self-check of a single temperature at each one where Onsager applies, except |M|
            // above Tc: there a finite lattice keeps <|M|> ~ sqrt(chi T / N), and chi grows as
            // (T - Tc)^-7/4 towards Tc, beyond ising_allowance()'s 3/L up to about Tc + 0.5
            // (measured: 0.076 at T = 2.6 on 64 x 64, against 3/L = 0.047).
            const double tc = tm::onsager_critical_temperature();
            for (const auto& r : rows) {
                const auto allowance = tm::ising_allowance(cells, r[0]);
                if (!allowance) continue;
                ++compared;
                within = within && std::abs(r[3] - r[10]) <= check_sigmas * r[4] + allowance->energy &&
                         (r[0] > tc || std::abs(r[1] - r[9]) <= check_sigmas * r[2] + allowance->abs_magnetization);
            }
        },
        1);
    within = tessera::mpi::allreduce(world, within ? 1 : 0, MPI_MIN) == 1;

    // 5. Report.
    const double seconds = tessera::mpi::allreduce(world, report.seconds, MPI_MAX);
    const double updates = static_cast<double>(report.completed) * sites * (cfg.thermalize + cfg.sweeps);
    const double rate = seconds > 0 ? updates / seconds : 0.0;
    tessera::log::info("tasks: ", report.completed, " run, ", report.skipped, " skipped (finished before), ",
                       report.failures.size(), " failed, ", report.not_run, " not run; ", report.completed / std::max(seconds, 1e-9),
                       " temperatures/s, parallel efficiency ", report.efficiency);
    tessera::log::info("rate: ", rate, " site updates/s (", seconds, " s)");
    tessera::log::info("wrote ", (common.output / "ising_sweep.csv").string(), " and ",
                       (common.output / "ising_sweep.png").string());

    nlohmann::json failed = nlohmann::json::array();
    for (const auto& f : report.failures)
        failed.push_back({{"index", f.index},
                          {"temperature", temps.values[static_cast<std::size_t>(f.index)]},
                          {"rank", f.rank},
                          {"message", f.message}});
    const bool complete = report.ok() && report.skipped + report.completed == n;
    const bool passed = complete && within;
    std::string verdict = std::to_string(compared) + " temperature(s) at least 0.3 from Tc: energy (and |M| below Tc) "
                          "within " + std::to_string(int(check_sigmas)) + " batch-means errors of Onsager plus the "
                          "finite-size allowances of ising_allowance()";
    if (!complete) verdict = "the sweep is incomplete: " + std::to_string(report.failures.size()) + " failed, " +
                             std::to_string(report.not_run) + " not run (continue with --resume)";
    nlohmann::json fields;
    fields["subcommand"] = "ising";
    fields["sweep"] = {{"start", temps.start}, {"stop", temps.stop}, {"count", temps.count},
                       {"temperatures", temps.values}, {"csv", "ising_sweep.csv"}, {"png", "ising_sweep.png"},
                       {"journal", journal.filename().string()}, {"fingerprint", topt.fingerprint}};
    fields["tasks"] = {{"total", n},
                       {"completed", report.completed},
                       {"skipped", report.skipped},
                       {"not_run", report.not_run},
                       {"stopped", report.stopped},
                       {"on_error", tessera::tasks::to_string(topt.on_error)},
                       {"failed", failed},
                       {"busy_seconds", {{"min", report.busy_min}, {"avg", report.busy_avg}, {"max", report.busy_max}}},
                       {"efficiency", report.efficiency}};
    fields["completed"] = complete;
    fields["critical_temperature"] = tm::onsager_critical_temperature();
    fields["rate"] = {{"value", rate}, {"unit", "site-updates/s"}};

    tessera::log::info("check: ", passed ? "passed" : "FAILED", " (", verdict, ")");
    tessera::log::info(tessera::run::timer_table(world));
    auto summary = tessera::run::make_summary(runtime, options);
    summary.update(fields);
    summary["passed"] = passed;
    summary["check"] = {{"passed", passed}, {"criterion", verdict}};
    tessera::run::write_json(world, common.output / "summary.json", summary);
    return passed ? 0 : 1;
}

}  // namespace mc
