// tessera-filter: image filter chains on the stencil engine, each rank filtering its own tile.
// Sample runs:  tessera-filter --input data/images/coffee.png --filter gaussian:sigma=2 --output blur.png
//               mpirun -np 4 tessera-filter --input big.h5 --filter gaussian --sigma 3 --filter sobel --output edges.h5
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <tessera/tessera.hpp>

#include "filter.hpp"

namespace filter_app {

// The kernel weights of --kernel: a file's text, or the option's own text.
static std::string kernel_text(const mpi::Comm& comm, const std::string& kernel) {
    if (kernel.empty()) return kernel;
    const bool looks_inline = kernel.find_first_not_of("0123456789+-.eE,; \t\n") == std::string::npos;
    if (looks_inline) return kernel;
    std::string text;
    bool ok = false;
    if (comm.rank() == 0) {
        std::ifstream in(kernel);
        if (in) {
            std::ostringstream ss;
            ss << in.rdbuf();
            text = ss.str();
            ok = true;
        }
    }
    TESSERA_CHECK_ALL(comm, mpi::bcast(comm, static_cast<int>(ok), 0) != 0,
                      "--kernel " << kernel << ": cannot read the file (and it is not a list of weights)");
    text = mpi::bcast(comm, text, 0);
    // Lines may end in comments (# ...): the weights are what precedes them.
    std::string weights;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        line = line.substr(0, line.find('#'));
        if (line.find_first_not_of(" \t\r") != std::string::npos) weights += line + "\n";
    }
    return weights;
}

// The chain: every stage parsed, validated, and kernel stages given their weights.
std::vector<stencil::FilterSpec> parse_chain(const mpi::Comm& comm, const FilterConfig& cfg) {
    const stencil::FilterDefaults defaults{cfg.sigma, cfg.radius};
    const std::string weights = kernel_text(comm, cfg.kernel);
    std::vector<stencil::FilterSpec> chain;
    for (const auto& text : cfg.filters) {
        stencil::FilterSpec spec;
        std::string error;
        try {
            spec = stencil::parse_filter(text, defaults);
            if (spec.kind == stencil::FilterKind::kernel && spec.kernel.empty()) {
                if (weights.empty()) {
                    error = "--filter " + text + ": a kernel stage needs values=... or --kernel";
                } else {
                    try {
                        stencil::parse_kernel_weights(weights, spec);
                    } catch (const Error& e) {
                        error = "--kernel " + cfg.kernel + ": " + e.what();
                    }
                }
            }
            if (error.empty()) stencil::validate(spec);
        } catch (const Error& e) {
            error = "--filter " + text + ": " + e.what();
        }
        TESSERA_CHECK_ALL(comm, error.empty(), error);
        chain.push_back(std::move(spec));
    }
    return chain;
}

// A stage's filter name ("gaussian" of "gaussian:sigma=2,radius=0"): its timer's label.
std::string stage_name(const stencil::FilterSpec& spec) {
    const std::string text = stencil::to_string(spec);
    return text.substr(0, text.find(':'));
}

}  // namespace filter_app

namespace {

using namespace tessera;
using namespace filter_app;
namespace fs = std::filesystem;

// How the library's messages name what this app's options supplied.
const run::OptionNames kOptionNames = {{"CartDecomp: procs", "--procs"}, {"CartDecomp: cells", "--input image size"}};

// Where the result goes: the image file and its summary.
struct OutputPlan {
    fs::path image, summary, folder;
    bool into_folder = false;
    io::ImageFormat format = io::ImageFormat::png;
};

// Decides and checks the output (collective through TESSERA_CHECK_ALL): nothing is created here.
OutputPlan plan_output(const mpi::Comm& comm, const FilterConfig& cfg, const io::ImageInfo& info) {
    const fs::path out = cfg.options.common().output;
    OutputPlan plan;
    const bool is_dir = fs::is_directory(out);
    if (!is_dir && out.has_extension()) {
        const auto format = io::format_from_extension(out);
        TESSERA_CHECK_ALL(comm, format.has_value(),
                          "--output " << out.string() << ": unknown image extension '" << out.extension().string()
                                      << "' (.png .jpg .jpeg .bmp .pgm .ppm .pnm .tif .tiff .h5 .hdf5)");
        plan.format = *format;
        plan.image = out;
        plan.summary = fs::path(out.string() + ".summary.json");
        const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
        TESSERA_CHECK_ALL(comm, fs::is_directory(parent),
                          "--output " << out.string() << ": folder " << parent.string() << " does not exist");
        TESSERA_CHECK_ALL(comm, cfg.options.common().overwrite || !fs::exists(out),
                          "--output " << out.string() << " exists (use --overwrite to replace it)");
    } else {
        plan.into_folder = true;
        plan.folder = out;
        const fs::path name = fs::path(cfg.input).filename();
        plan.image = out / name;
        plan.summary = out / "summary.json";
        plan.format = info.format;
    }
    TESSERA_CHECK_ALL(comm, io::can_store(plan.format, info.pixel, info.channels),
                      "--output " << plan.image.string() << ": " << io::to_string(plan.format) << " cannot store "
                                  << info.channels << "-channel " << io::to_string(info.pixel) << " pixels");
    return plan;
}

struct ChainResult {
    std::vector<double> stage_seconds;  // per stage, slowest rank, last run
    run::Repetitions reps;
    double seconds = 0;                 // one run of the chain (median in benchmark mode)
    std::uint64_t bytes_read = 0, bytes_written = 0;
};

// 2. Read, filter, write, for one pixel type.
template <class T>
ChainResult filter_image(const mpi::Comm& world, const FilterConfig& cfg, const io::ImageInfo& info,
                         const std::vector<stencil::FilterSpec>& chain, const OutputPlan& plan,
                         const grid::CartDecomp<2>& decomp) {
    int ghost = 0;
    for (const auto& s : chain) ghost = std::max(ghost, stencil::filter_radius<T>(s));
    const int channels = info.channels;
    const bool benchmark = cfg.options.common().benchmark;
    std::vector<grid::Field<T, 2>> a, b, input;
    for (int c = 0; c < channels; ++c) {
        a.emplace_back(decomp, ghost);
        b.emplace_back(decomp, ghost);
        if (benchmark) input.emplace_back(decomp, 0);
    }
    ChainResult result;
    {
        ScopedTimer t("filter.read");
        result.bytes_read = io::read_image_tiles<T>(cfg.input, info, a);
    }

    const grid::Border border{grid::parse_border_mode(cfg.border), cfg.border_value};
    std::map<int, grid::BorderExchange<T>> exchanges;  // one per ghost width, built once
    for (const auto& s : chain) {
        const int w = stencil::filter_radius<T>(s);
        if (!exchanges.count(w)) exchanges.emplace(w, grid::BorderExchange<T>(a[0], w, border));
    }
    stencil::FilterWorkspace workspace;
    const auto owned = decomp.owned_box();
    result.stage_seconds.assign(chain.size(), 0.0);
    run::Progress progress("filter", static_cast<gindex_t>(chain.size() * channels), "channel stages");
    auto run_chain = [&] {
        gindex_t done = 0;
        for (std::size_t s = 0; s < chain.size(); ++s) {
            const double t0 = MPI_Wtime();
            auto& ex = exchanges.at(stencil::filter_radius<T>(chain[s]));
            const std::string timer = "filter." + stage_name(chain[s]);
            for (int c = 0; c < channels; ++c) {
                {
                    ScopedTimer t("filter.halo");
                    ex.exchange(a[c]);
                }
                {
                    ScopedTimer t(timer);
                    stencil::apply_filter<T>(chain[s], a[c].view(), b[c].view(), owned, workspace);
                }
                a[c].swap(b[c]);
                progress.update(++done);
            }
            result.stage_seconds[s] = mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX);
        }
    };
    if (benchmark) {
        // Each repetition starts from the input (untimed copy) and is followed by a triad, so the
        // bandwidth bound is measured at the same moment as the rate.
        auto copy_owned = [&](std::vector<grid::Field<T, 2>>& from, std::vector<grid::Field<T, 2>>& to) {
            for (int c = 0; c < channels; ++c) {
                const auto src = from[c].view();
                auto dst = to[c].view();
                for (gindex_t j = owned.lo[1]; j < owned.hi[1]; ++j)
                    std::copy_n(&src(owned.lo[0], j), owned.extent(0), &dst(owned.lo[0], j));
            }
        };
        copy_owned(a, input);  // keep the pixels read, for every repetition to start from
        auto reset = [&] { copy_owned(input, a); };
        run::set_progress_mode(run::ProgressMode::never);
        result.reps = run::repeat(world, cfg.repetitions, reset, run_chain, true);
        result.seconds = result.reps.median_seconds();
    } else {
        world.barrier();
        const double t0 = MPI_Wtime();
        run_chain();
        result.seconds = mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX);
    }
    progress.finish();

    // Every check passed and the pixels were read: only now is anything created.
    if (plan.into_folder) run::prepare_output_dir(world, plan.folder, cfg.options.common().overwrite);
    {
        ScopedTimer t("filter.write");
        result.bytes_written = io::write_image_tiles<T>(plan.image, a);
    }
    return result;
}

std::string human_bytes(double bytes) {
    std::ostringstream s;
    s.precision(3);
    if (bytes >= 1 << 30) s << bytes / (1 << 30) << " GiB";
    else if (bytes >= 1 << 20) s << bytes / (1 << 20) << " MiB";
    else s << bytes / 1024 << " KiB";
    return s.str();
}

// Memory each rank needs for pixels: two fields per channel (three when benchmarking) and, for
// files that are not HDF5, the whole image decoded (or gathered) on rank 0.
void check_memory(const mpi::Comm& world, const FilterConfig& cfg, const io::ImageInfo& info,
                  const OutputPlan& plan, const grid::CartDecomp<2>& decomp, int ghost) {
    const double px = static_cast<double>(io::pixel_bytes(info.pixel)) * info.channels;
    const auto tile = decomp.owned_box().grown(ghost);
    const double fields = (cfg.options.common().benchmark ? 3.0 : 2.0) * static_cast<double>(tile.size()) * px;
    const double whole = static_cast<double>(info.width) * static_cast<double>(info.height) * px;
    const bool whole_in = info.format != io::ImageFormat::hdf5, whole_out = plan.format != io::ImageFormat::hdf5;
    const double mine = fields + (world.rank() == 0 && (whole_in || whole_out) ? whole : 0.0);
    check_node_memory(world, mine, "the " + std::to_string(info.width) + " x " + std::to_string(info.height) + " x " +
                                       std::to_string(info.channels) + " image");
    if (cfg.rank_memory_mb <= 0) return;
    const double budget = cfg.rank_memory_mb * 1024.0 * 1024.0;
    TESSERA_CHECK_ALL(world, !(world.rank() == 0 && whole_in && whole > budget),
                      "--rank-memory " << cfg.rank_memory_mb << ": decoding " << cfg.input << " needs the whole image ("
                                       << human_bytes(whole) << ") on one rank; an HDF5 input is read in tiles");
    TESSERA_CHECK_ALL(world, !(world.rank() == 0 && whole_out && whole > budget),
                      "--rank-memory " << cfg.rank_memory_mb << ": writing " << plan.image.string()
                                       << " gathers the whole image (" << human_bytes(whole)
                                       << ") on one rank; an HDF5 output is written in tiles");
    TESSERA_CHECK_ALL(world, fields <= budget,
                      "--rank-memory " << cfg.rank_memory_mb << ": rank " << world.rank() << "'s tile needs "
                                       << human_bytes(fields) << "; use more ranks");
}

int run_filter(Runtime& runtime, FilterConfig& cfg) {
    const auto& world = runtime.world();
    if (input_is_frames(cfg)) return run_frames(runtime, cfg);
    TESSERA_CHECK_ALL(world, !(cfg.mode == "tiles" && (cfg.input == "-" || fs::is_directory(cfg.input))),
                      "--mode tiles: --input " << cfg.input << " holds frames; tiles split one image (use --mode frames)");
    const io::ImageInfo info = io::read_image_info(world, cfg.input);
    const auto chain = parse_chain(world, cfg);
    const auto plan = plan_output(world, cfg, info);
    const std::array<int, 2> procs = cfg.procs.empty() ? std::array<int, 2>{0, 0}
                                                       : std::array<int, 2>{cfg.procs[0], cfg.procs[1]};
    const grid::CartDecomp<2> decomp = run::translating_errors(kOptionNames, [&] {
        return grid::CartDecomp<2>(world, {info.width, info.height}, {false, false}, procs);
    });
    int ghost = 0;
    for (const auto& s : chain) {
        ghost = std::max(ghost, with_pixel_type(info.pixel, [&](auto t) { return stencil::filter_radius<decltype(t)>(s); }));
    }
    check_memory(world, cfg, info, plan, decomp, ghost);

    std::vector<std::string> chain_text;
    for (const auto& s : chain) chain_text.push_back(stencil::to_string(s));
    log::info("tessera-filter ", version(), "\n", cfg.options.resolved_toml());
    log::info(runtime.layout_report(), "process grid: ", decomp.procs()[0], " x ", decomp.procs()[1], ", tile of rank 0: ",
              decomp.owned_box().extent(0), " x ", decomp.owned_box().extent(1), " pixels, ghost width ", ghost);
    {
        std::string c;
        for (const auto& s : chain_text) c += (c.empty() ? "" : " -> ") + s;
        log::info("input: ", cfg.input, ": ", info.width, " x ", info.height, ", ", info.channels, " channel(s) of ",
                  io::to_string(info.pixel), " (", io::to_string(info.format), ")\nchain: ",
                  c.empty() ? "(none: conversion only)" : c, "; border ", cfg.border);
    }

    const ChainResult r = with_pixel_type(info.pixel, [&](auto t) {
        return filter_image<decltype(t)>(world, cfg, info, chain, plan, decomp);
    });

    // 3. Report: the chain's rate in megapixels/s (pixels of the image, all channels, per second).
    const double pixels = static_cast<double>(info.width) * static_cast<double>(info.height);
    const double rate = r.seconds > 0 ? pixels / r.seconds : 0.0;
    double bytes_pp = 0;  // bytes per pixel the chain must move at least, all channels
    for (const auto& s : chain) {
        bytes_pp += info.channels *
                    with_pixel_type(info.pixel, [&](auto t) { return stencil::filter_bytes_per_pixel<decltype(t)>(s); });
    }
    log::info("wrote ", plan.image.string());
    if (!chain.empty()) {
        log::info("chain: ", r.seconds, " s", cfg.options.common().benchmark ? " (median of " + std::to_string(cfg.repetitions) + ")" : "",
                  ", ", rate * 1e-6, " megapixels/s");
        if (cfg.options.common().benchmark) {
            const double triad = r.reps.median_triad();
            const double bound = triad / bytes_pp;
            log::info("memory-bandwidth bound: ", bytes_pp, " bytes per pixel at the triad's ", triad * 1e-9,
                      " GB/s (same run) = ", bound * 1e-6, " megapixels/s; the chain reaches ",
                      100.0 * r.reps.median_ratio(pixels * bytes_pp), "% of it");
        }
    }
    log::info(run::timer_table(world));

    auto summary = run::make_summary(runtime, cfg.options);
    summary["chain"] = chain_text;
    summary["border"] = {{"mode", cfg.border}, {"value", cfg.border_value}};
    summary["input"] = {{"path", cfg.input},        {"width", info.width},
                        {"height", info.height},    {"channels", info.channels},
                        {"pixel", io::to_string(info.pixel)}, {"format", io::to_string(info.format)}};
    summary["output"] = {{"path", plan.image.string()}, {"format", io::to_string(plan.format)}};
    summary["grid"] = {decomp.procs()[0], decomp.procs()[1]};
    summary["ghost"] = ghost;
    summary["bytes_read"] = mpi::allgather(world, static_cast<unsigned long long>(r.bytes_read));
    summary["bytes_written"] = mpi::allgather(world, static_cast<unsigned long long>(r.bytes_written));
    summary["stage_seconds"] = r.stage_seconds;
    summary["rate"] = {{"value", rate}, {"unit", "pixels/s"}, {"seconds", r.seconds}};
    if (cfg.options.common().benchmark) {
        summary["rate"]["repetitions"] = r.reps.seconds;
        summary["bound"] = {{"bytes_per_pixel", bytes_pp},
                            {"triad_bytes_per_second", r.reps.median_triad()},
                            {"pixels_per_second", r.reps.median_triad() / bytes_pp},
                            {"fraction", r.reps.median_ratio(pixels * bytes_pp)}};
    }
    run::write_json(world, plan.summary, summary);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    tessera::Runtime runtime(argc, argv);
    return tessera::run_guarded(runtime, [&] {
        FilterConfig cfg;
        cfg.options.parse(runtime.world(), argc, argv);
        return run_filter(runtime, cfg);
    });
}
