// tessera-filter on many frames: a batch (folder, glob, HDF5 stack) through the task queue, each
// frame one task filtered by one rank's threads; a video or a raw stream on standard input
// through an ordered stream (one decoder feeding every rank). Outputs leave in input order.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>

#include <tessera/io/frames.hpp>
#include <tessera/io/video.hpp>
#include <tessera/tasks/queue.hpp>
#include <tessera/tasks/stream.hpp>

#include "filter.hpp"

namespace filter_app {

namespace fs = std::filesystem;

namespace {

// Filters whole frames in one process: fields on a one-rank decomposition, built once for the
// frame size and reused for every frame (no allocation per frame).
template <class T>
class FrameFilter {
public:
    FrameFilter(const io::ImageInfo& frame, const std::vector<stencil::FilterSpec>& chain, const grid::Border& border)
        : self_(mpi::Comm::duplicate(MPI_COMM_SELF)),
          decomp_(self_, {frame.width, frame.height}, {false, false}), chain_(chain), channels_(frame.channels) {
        int ghost = 0;
        for (const auto& s : chain) ghost = std::max(ghost, stencil::filter_radius<T>(s));
        for (int c = 0; c < channels_; ++c) {
            a_.emplace_back(decomp_, ghost);
            b_.emplace_back(decomp_, ghost);
        }
        for (const auto& s : chain) {
            const int w = stencil::filter_radius<T>(s);
            if (!exchanges_.count(w)) exchanges_.emplace(w, grid::BorderExchange<T>(a_[0], w, border));
        }
    }

    // Local (the decomposition has one rank): `out` = the chain applied to `in`.
    void apply(const io::Image& in, io::Image& out) {
        const auto box = decomp_.owned_box();
        const auto width = box.extent(0), height = box.extent(1);
        const T* src = in.pixels<T>();
        // Rows are copied whole (one channel) or de-interleaved per channel: a copy loop with a
        // run-time stride would cost as much as the filter itself.
        for (int c = 0; c < channels_; ++c) {
            auto v = a_[c].view();
            for (gindex_t j = 0; j < height; ++j) {
                T* row = v.row(j);
                const T* from = src + j * width * channels_ + c;
                if (channels_ == 1) std::memcpy(row, from, static_cast<std::size_t>(width) * sizeof(T));
                else
                    for (gindex_t i = 0; i < width; ++i) row[i] = from[i * channels_];
            }
        }
        for (const auto& stage : chain_) {
            auto& ex = exchanges_.at(stencil::filter_radius<T>(stage));
            for (int c = 0; c < channels_; ++c) {
                ex.exchange(a_[c]);
                stencil::apply_filter<T>(stage, a_[c].view(), b_[c].view(), box, workspace_);
                a_[c].swap(b_[c]);
            }
        }
        out.info = in.info;
        out.bytes.resize(in.bytes.size());
        T* dst = out.pixels<T>();
        for (int c = 0; c < channels_; ++c) {
            const auto v = a_[c].view();
            for (gindex_t j = 0; j < height; ++j) {
                const T* row = v.row(j);
                T* to = dst + j * width * channels_ + c;
                if (channels_ == 1) std::memcpy(to, row, static_cast<std::size_t>(width) * sizeof(T));
                else
                    for (gindex_t i = 0; i < width; ++i) to[i * channels_] = row[i];
            }
        }
    }

private:
    mpi::Comm self_;
    grid::CartDecomp<2> decomp_;
    std::vector<stencil::FilterSpec> chain_;
    int channels_;
    std::vector<grid::Field<T, 2>> a_, b_;
    std::map<int, grid::BorderExchange<T>> exchanges_;
    stencil::FilterWorkspace workspace_;
};

// Any pixel type behind one interface.
using FrameFunction = std::function<void(const io::Image&, io::Image&)>;

FrameFunction make_frame_filter(const io::ImageInfo& frame, const std::vector<stencil::FilterSpec>& chain,
                                const grid::Border& border) {
    return with_pixel_type(frame.pixel, [&](auto t) -> FrameFunction {
        auto f = std::make_shared<FrameFilter<decltype(t)>>(frame, chain, border);
        return [f](const io::Image& in, io::Image& out) { f->apply(in, out); };
    });
}

// Frames up to this many values (pixels x channels) are filtered one per thread; above it a
// frame's filter alone keeps the rank's threads busy (docs/performance.md, frame batches).
constexpr std::int64_t kThreadPerFrameValues = std::int64_t{1024} * 1024;

enum class InputKind { batch, video, raw };
enum class OutputKind { folder, stack, video, raw };

struct FramePlan {
    InputKind input = InputKind::batch;
    OutputKind output = OutputKind::folder;
    fs::path out, summary, journal;
    io::ImageInfo frame;
    gindex_t count = 0;  // frames (0: unknown until the stream ends)
    std::vector<std::string> names;  // folder output: one file name per frame (batch input)
    std::string reason;              // why frames mode
    double fps = 0;                  // a video's frame rate (0: unknown)
    // A video: its key-frame segments (empty when it cannot be split), whether each task decodes
    // one of them, and why (or why not).
    std::vector<io::VideoSegment> segments;
    bool by_segments = false;
    std::string decoding;
};

// A task holds a segment's decoded frames until the writer takes them: at most this much.
constexpr std::int64_t kSegmentBytes = std::int64_t{256} << 20;
// Key-frame segments are joined until each worker has about this many (see choose_video_decoding).
constexpr gindex_t kSegmentsPerWorker = 16;

// Parses --size WxH.
std::array<std::int64_t, 2> parse_size(const mpi::Comm& comm, const std::string& size) {
    std::int64_t w = 0, h = 0;
    char x = 0, extra = 0;
    std::istringstream in(size);
    const bool ok = static_cast<bool>(in >> w >> x >> h) && (x == 'x' || x == 'X') && !(in >> extra) && w > 0 && h > 0;
    TESSERA_CHECK_ALL(comm, ok, "--size '" << size << "' must be WIDTHxHEIGHT with positive sides (e.g. 640x360)");
    return {w, h};
}

void bytes_to_image(const std::vector<std::byte>& bytes, const io::ImageInfo& info, io::Image& image) {
    image.info = info;
    image.bytes.resize(bytes.size());
    std::memcpy(image.bytes.data(), bytes.data(), bytes.size());
}

void image_to_bytes(const io::Image& image, std::vector<std::byte>& bytes) {
    bytes.resize(image.bytes.size());
    std::memcpy(bytes.data(), image.bytes.data(), image.bytes.size());
}

std::string frame_name(gindex_t index, const std::string& extension) {
    char name[64];
    std::snprintf(name, sizeof name, "frame_%06lld%s", static_cast<long long>(index), extension.c_str());
    return name;
}

// The writer of ordered outputs (rank 0): a stack, a video, standard output or a folder.
class OrderedOutput {
public:
    OrderedOutput(const FramePlan& plan, bool resume, double fps) : plan_(plan) {
        if (plan.output == OutputKind::stack)
            stack_.emplace(plan.out, plan.count, plan.frame, resume);
        if (plan.output == OutputKind::video) {
            io::VideoWriterOptions options;
            if (fps > 0) options.fps = fps;
            video_.emplace(plan.out, plan.frame.width, plan.frame.height, plan.frame.channels, options);
        }
    }
    void write(gindex_t index, const io::Image& frame) {
        switch (plan_.output) {
            case OutputKind::stack:
                stack_->write(index, frame);
                break;
            case OutputKind::video: video_->write(frame); break;
            case OutputKind::raw:
                if (std::fwrite(frame.bytes.data(), 1, frame.bytes.size(), stdout) != frame.bytes.size() ||
                    std::fflush(stdout) != 0)
                    throw std::runtime_error("standard output: cannot write frame " + std::to_string(index));
                break;
            case OutputKind::folder: {
                const auto name = plan_.names.empty() ? frame_name(index, ".png")
                                                      : plan_.names[static_cast<std::size_t>(index)];
                io::write_image(plan_.out / name, frame);
                break;
            }
        }
        ++written_;
    }
    // Makes the frames written so far durable (before the journal lists them).
    void flush() {
        if (stack_) stack_->flush();
    }
    void commit() {
        if (stack_) stack_->commit();
        if (video_) video_->commit();
    }
    gindex_t written() const noexcept { return written_; }
    std::string codec() const { return video_ ? video_->codec() : std::string(); }

private:
    const FramePlan& plan_;
    std::optional<io::FrameStackWriter> stack_;
    std::optional<io::VideoWriter> video_;
    gindex_t written_ = 0;
};

FramePlan plan_frames(const mpi::Comm& world, const FilterConfig& cfg) {
    FramePlan plan;
    const auto& common = cfg.options.common();
    // Input.
    if (cfg.input == "-") {
        plan.input = InputKind::raw;
        TESSERA_CHECK_ALL(world, !cfg.size.empty(), "--input -: raw frames need --size WxH (and --pixel)");
        const auto wh = parse_size(world, cfg.size);
        plan.frame.width = wh[0];
        plan.frame.height = wh[1];
        plan.frame.channels = cfg.pixel == "rgb24" ? 3 : 1;
        plan.frame.pixel = cfg.pixel == "gray16" ? io::PixelType::u16 : io::PixelType::u8;
        plan.reason = "raw frames on standard input";
    } else if (io::is_video_path(cfg.input) && !fs::is_directory(cfg.input)) {
        plan.input = InputKind::video;
        io::VideoInfo info;  // rank 0 opens the file (it alone decodes); the others learn its size
        collective_call(world, [&] {
            if (world.rank() != 0) return;
            TESSERA_CHECK(fs::exists(cfg.input), "--input " << cfg.input << ": no such file");
            info = io::VideoReader(cfg.input, 1).info();
            if (cfg.decode != "one") plan.segments = io::video_segments(cfg.input, 1);
        });
        // Every rank learns the segments: first, count, seek, begin, end timestamps.
        std::vector<std::int64_t> packed;
        for (const auto& g : plan.segments) packed.insert(packed.end(), {g.first, g.count, g.seek_pts, g.begin_pts, g.end_pts});
        const auto n_packed = mpi::bcast(world, static_cast<std::int64_t>(packed.size()), 0);
        packed.resize(static_cast<std::size_t>(n_packed));
        mpi::bcast(world, std::span<std::int64_t>(packed), 0);
        plan.segments.clear();
        for (std::size_t k = 0; k + 5 <= packed.size(); k += 5)
            plan.segments.push_back({packed[k], packed[k + 1], packed[k + 2], packed[k + 3], packed[k + 4]});
        plan.fps = mpi::bcast(world, info.fps, 0);
        std::int64_t shape[3] = {info.width, info.height, info.frames};
        mpi::bcast(world, std::span<std::int64_t>(shape, 3), 0);
        info.width = shape[0];
        info.height = shape[1];
        info.frames = shape[2];
        info.codec = mpi::bcast(world, info.codec, 0);
        plan.frame.width = info.width;
        plan.frame.height = info.height;
        plan.frame.channels = 1;  // decoded to gray (rgb with --pixel rgb24)
        if (cfg.pixel == "rgb24") plan.frame.channels = 3;
        TESSERA_CHECK_ALL(world, cfg.pixel != "gray16", "--pixel gray16: videos are decoded to 8-bit gray8 or rgb24");
        plan.count = info.frames;
        if (!plan.segments.empty()) {  // the packets counted: exact, where the container may not say
            plan.count = 0;
            for (const auto& g : plan.segments) plan.count += g.count;
        }
        plan.reason = "a video (" + info.codec + ", " + std::to_string(info.width) + " x " + std::to_string(info.height) + ")";
    } else {
        plan.input = InputKind::batch;
        const auto set = collective_call(world, [&] {
            try {
                return io::open_frame_set(cfg.input);
            } catch (const Error& e) {
                throw std::runtime_error(std::string("--input ") + cfg.input + ": " + e.what());
            }
        });
        plan.frame = set.frame;
        plan.count = set.count;
        for (const auto& f : set.files) plan.names.push_back(f.filename().string());
        if (set.files.empty())  // a stack: frames are numbered
            for (gindex_t i = 0; i < set.count; ++i) plan.names.push_back(frame_name(i, ".png"));
        plan.reason = "a batch of " + std::to_string(set.count) + " frames (" + io::to_string(set.kind) + ")";
    }
    // Output.
    const fs::path out = common.output;
    if (out == "-") {
        plan.output = OutputKind::raw;
        plan.summary = "";
    } else if (!fs::is_directory(out) && io::is_video_path(out)) {
        plan.output = OutputKind::video;
        plan.out = out;
        plan.summary = fs::path(out.string() + ".summary.json");
    } else if (!fs::is_directory(out) && out.has_extension() &&
               io::format_from_extension(out) == io::ImageFormat::hdf5) {
        plan.output = OutputKind::stack;
        plan.out = out;
        plan.summary = fs::path(out.string() + ".summary.json");
        plan.journal = fs::path(out.string() + ".journal");
    } else {
        TESSERA_CHECK_ALL(world, !out.has_extension() || fs::is_directory(out),
                          "--output " << out.string() << ": frames go to a folder, an HDF5 stack (.h5), a video "
                                      "(.mp4 .mkv .avi .mov .nut .webm) or - (standard output)");
        plan.output = OutputKind::folder;
        plan.out = out;
        plan.summary = out / "summary.json";
        plan.journal = out / "filter.journal";
        const auto format = plan.names.empty() ? io::ImageFormat::png : io::format_from_extension(plan.names[0]);
        TESSERA_CHECK_ALL(world, format && io::can_store(*format, plan.frame.pixel, plan.frame.channels),
                          "--output " << out.string() << ": the frames' format cannot store " << plan.frame.channels
                                      << "-channel " << io::to_string(plan.frame.pixel) << " pixels");
    }
    if (plan.output == OutputKind::video) {
        TESSERA_CHECK_ALL(world, plan.frame.pixel == io::PixelType::u8 && (plan.frame.channels == 1 || plan.frame.channels == 3),
                          "--output " << out.string() << ": a video stores 8-bit gray or RGB frames, these are "
                                      << plan.frame.channels << "-channel " << io::to_string(plan.frame.pixel));
    }
    const bool resumable = plan.input == InputKind::batch && (plan.output == OutputKind::folder || plan.output == OutputKind::stack);
    TESSERA_CHECK_ALL(world, !cfg.resume || resumable,
                      "--resume: only a batch (folder, glob, HDF5 stack) written to a folder or an HDF5 stack can resume");
    if (!cfg.resume && plan.output != OutputKind::raw && plan.output != OutputKind::folder) {
        TESSERA_CHECK_ALL(world, common.overwrite || !fs::exists(out),
                          "--output " << out.string() << " exists (use --overwrite to replace it)");
        const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
        TESSERA_CHECK_ALL(world, fs::is_directory(parent),
                          "--output " << out.string() << ": folder " << parent.string() << " does not exist");
    }
    return plan;
}

// How a rank's threads share a batch's frames: a frame each when there are several threads and
// frames are small, so that reading, copying and writing run in parallel too (a shared frame's
// threads split only the filter); large frames are split among the rank's threads.
tasks::Threads frame_threads(const FramePlan& plan) {
    const bool tasks_of_frames = plan.input == InputKind::batch || plan.by_segments;
    if (!tasks_of_frames || omp_get_max_threads() < 2) return tasks::Threads::inside_task;
    const std::int64_t values = plan.frame.width * plan.frame.height * plan.frame.channels;
    return values <= kThreadPerFrameValues ? tasks::Threads::one_per_thread : tasks::Threads::inside_task;
}

// A video: decoded by key-frame segments, each task decoding the frames it filters, or by one
// decoder on rank 0 feeding the ranks. Segments are joined so that each worker gets about sixteen
// (balance, against the cost of starting a decoder at a key frame).
void choose_video_decoding(const mpi::Comm& world, const FilterConfig& cfg, FramePlan& plan) {
    if (plan.input != InputKind::video) return;
    const auto one = [&](const std::string& why) {
        plan.by_segments = false;
        plan.decoding = "one decoder on rank 0 feeds the ranks (" + why + ")";
    };
    if (cfg.decode == "one") return one("--decode one");
    if (plan.segments.size() < 2)
        return one("the video cannot be split at key frames: one key frame, or packets without timestamps");
    const std::int64_t values = plan.frame.width * plan.frame.height * plan.frame.channels;
    const int threads = omp_get_max_threads();
    const gindex_t workers = world.size() * (threads > 1 && values <= kThreadPerFrameValues ? threads : 1);
    if (cfg.decode == "auto" && workers == 1) return one("one worker");
    const gindex_t per_segment = std::max<gindex_t>(1, (plan.count + kSegmentsPerWorker * workers - 1) / (kSegmentsPerWorker * workers));
    auto merged = io::merge_video_segments(plan.segments, per_segment);
    gindex_t largest = 0, smallest = plan.count;
    for (const auto& g : merged) {
        largest = std::max(largest, g.count);
        smallest = std::min(smallest, g.count);
    }
    const std::int64_t largest_bytes = largest * values;
    if (largest_bytes > kSegmentBytes)
        return one("its key-frame segments hold up to " + std::to_string(largest_bytes >> 20) +
                   " MiB of decoded frames, more than a task may hold (" + std::to_string(kSegmentBytes >> 20) + " MiB)");
    plan.segments = std::move(merged);
    plan.by_segments = true;
    plan.decoding = std::to_string(plan.segments.size()) + " key-frame segments of " + std::to_string(smallest) +
                    (smallest == largest ? "" : "-" + std::to_string(largest)) +
                    " frames, each decoded by the worker that filters it";
}

std::string fingerprint(const FilterConfig& cfg, const FramePlan& plan) {
    std::ostringstream s;
    s << cfg.input << '|' << plan.count << '|' << plan.frame.width << 'x' << plan.frame.height << 'x'
      << plan.frame.channels << '|' << cfg.border << '|' << cfg.border_value;
    for (const auto& f : cfg.filters) s << '|' << f;
    s << '|' << cfg.kernel;
    return std::to_string(std::hash<std::string>{}(s.str()));
}

}  // namespace

bool input_is_frames(const FilterConfig& cfg) {
    if (cfg.mode == "frames") return true;
    if (cfg.mode == "tiles") return false;
    if (cfg.input == "-") return true;
    if (fs::is_directory(cfg.input)) return true;
    if (io::is_video_path(cfg.input)) return true;
    return io::is_frame_set(cfg.input);
}

int run_frames(Runtime& runtime, FilterConfig& cfg) {
    const auto& world = runtime.world();
    const bool to_stdout = cfg.options.common().output == "-";
    if (to_stdout) {
        log::set_info_to_stderr(true);
        run::set_progress_mode(run::ProgressMode::never);
    }
    const auto chain = parse_chain(world, cfg);
    FramePlan plan = plan_frames(world, cfg);
    choose_video_decoding(world, cfg, plan);
    const grid::Border border{grid::parse_border_mode(cfg.border), cfg.border_value};
    log::info("tessera-filter ", version(), "\n", cfg.options.resolved_toml());
    std::string chain_text;
    for (const auto& s : chain) chain_text += (chain_text.empty() ? "" : " -> ") + stencil::to_string(s);
    const tasks::Threads threads = frame_threads(plan);
    log::info(runtime.layout_report(), "mode frames (", cfg.mode == "frames" ? "--mode frames" : "auto", ": ", plan.reason,
              "): every frame is one task on one rank, ",
              threads == tasks::Threads::one_per_thread
                  ? "one frame per thread (" + std::to_string(omp_get_max_threads()) + " at a time per rank)"
                  : "filtered by the rank's " + std::to_string(omp_get_max_threads()) + " thread(s)");
    if (!plan.decoding.empty()) log::info("video decoding: ", plan.decoding);
    log::info("frames: ", plan.frame.width, " x ", plan.frame.height, ", ", plan.frame.channels, " channel(s) of ",
              io::to_string(plan.frame.pixel), "; chain: ", chain_text.empty() ? "(none: conversion only)" : chain_text,
              "; border ", cfg.border);

    // Nothing is created before every input check has passed.
    if (plan.output == OutputKind::folder) cfg.options.prepare_output(world, cfg.resume);
    FrameFunction filter;  // built on first use (per rank)
    const auto filter_frame = [&](const io::Image& in, io::Image& out) {
        if (!filter) filter = make_frame_filter(plan.frame, chain, border);
        filter(in, out);
    };
    std::optional<run::Watchdog> watchdog;
    if (cfg.watchdog > 0) watchdog.emplace(cfg.watchdog, world.rank(), "frame");
    // The rate covers opening the output to closing it, every frame read, filtered and written.
    const double t0 = MPI_Wtime();
    std::optional<OrderedOutput> output;
    collective_call(world, [&] {
        if (world.rank() == 0 && plan.output != OutputKind::folder) output.emplace(plan, cfg.resume, plan.fps);
    });

    nlohmann::json summary;  // the common fields (timers, trace) join it after the frames
    summary["chain"] = [&] {
        std::vector<std::string> c;
        for (const auto& s : chain) c.push_back(stencil::to_string(s));
        return c;
    }();
    summary["mode"] = {{"mode", "frames"}, {"reason", plan.reason}};
    if (!plan.decoding.empty())
        summary["video_decoding"] = {{"segments", plan.by_segments ? plan.segments.size() : 0}, {"how", plan.decoding}};
    summary["frame"] = {{"width", plan.frame.width}, {"height", plan.frame.height},
                        {"channels", plan.frame.channels}, {"pixel", io::to_string(plan.frame.pixel)}};
    int exit_code = 0;
    if (plan.input == InputKind::batch) {
        // A batch: each frame one task; ranks read their own frames; folder outputs are written by
        // the rank that filtered the frame, ordered outputs by rank 0 in frame order.
        const io::FrameSet set = io::open_frame_set(cfg.input);
        // Per worker slot: a filter built for the frame size and the frames it reads and writes,
        // all reused from frame to frame (built here, on the main thread: a filter duplicates
        // MPI_COMM_SELF).
        struct Slot {
            FrameFunction filter;
            io::Image in, out;
        };
        std::vector<Slot> slots(static_cast<std::size_t>(threads == tasks::Threads::one_per_thread ? omp_get_max_threads() : 1));
        for (auto& slot : slots) slot.filter = make_frame_filter(plan.frame, chain, border);
        io::Image written;
        tasks::TaskOptions options;
        options.on_error = tasks::parse_on_error(cfg.on_error);
        options.journal = plan.journal;
        options.resume = cfg.resume;
        options.fingerprint = fingerprint(cfg, plan);
        if (watchdog) options.heartbeat = [&](gindex_t i) { watchdog->kick(i); };
        run::Progress progress("filter", plan.count, "frames");
        options.on_progress = [&](gindex_t done, gindex_t) { progress.update(done); };
        options.threads = threads;
        const bool own_files = plan.output == OutputKind::folder;
        // HDF5 is built without thread safety: with a thread per frame, every call that may
        // reach it (stack or .h5 frames read by the tasks, the stack written by rank 0's main
        // thread) holds this lock. Image codecs (libpng, libtiff, stb) run concurrently.
        std::mutex hdf5;
        const bool hdf5_in = set.kind == io::FrameSetKind::hdf5_stack || set.frame.format == io::ImageFormat::hdf5;
        const bool hdf5_out = plan.output == OutputKind::stack ||
                              (own_files && !plan.names.empty() &&
                               io::format_from_extension(plan.names[0]) == io::ImageFormat::hdf5);
        const auto maybe_locked = [&](bool uses_hdf5, auto&& io_call) {
            if (threads == tasks::Threads::one_per_thread && uses_hdf5) {
                std::lock_guard lock(hdf5);
                return io_call();
            }
            return io_call();
        };
        options.before_journal_save = [&] {
            if (output) maybe_locked(true, [&] { output->flush(); });
        };
        const auto report = run::translating_errors({{"task journal", "--resume: journal"}}, [&] {
            return tasks::run_tasks(
                world, plan.count,
                [&](tasks::TaskContext& ctx) {
                    auto& slot = slots[static_cast<std::size_t>(ctx.slot)];
                    slot.in = maybe_locked(hdf5_in, [&] { return io::read_frame(set, ctx.index); });
                    slot.filter(slot.in, slot.out);
                    if (own_files)
                        maybe_locked(hdf5_out, [&] {
                            io::write_image(plan.out / plan.names[static_cast<std::size_t>(ctx.index)], slot.out);
                        });
                    else image_to_bytes(slot.out, *ctx.result);
                },
                [&](gindex_t index, std::span<const std::byte> bytes) {
                    if (own_files) return;
                    written.info = plan.frame;
                    written.bytes.assign(reinterpret_cast<const unsigned char*>(bytes.data()),
                                         reinterpret_cast<const unsigned char*>(bytes.data()) + bytes.size());
                    maybe_locked(true, [&] { output->write(index, written); });
                },
                options,
                [&](const tasks::TaskFailure& f) {
                    log::warn("frame ", f.index, " (", own_files ? plan.names[static_cast<std::size_t>(f.index)] : frame_name(f.index, ""),
                                 ") failed on rank ", f.rank, ": ", f.message);
                });
        });
        progress.finish();
        if (report.ok() && world.rank() == 0 && output) output->commit();
        if (report.ok() && world.rank() == 0 && !plan.journal.empty()) fs::remove(plan.journal);
        world.barrier();
        nlohmann::json failures = nlohmann::json::array();
        for (const auto& f : report.failures)
            failures.push_back({{"index", f.index}, {"rank", f.rank}, {"message", f.message}});
        summary["tasks"] = {{"frames", plan.count}, {"skipped", report.skipped}, {"completed", report.completed},
                            {"not_run", report.not_run}, {"failed", failures}, {"stopped", report.stopped},
                            {"efficiency", report.efficiency},
                            {"busy_seconds", {{"min", report.busy_min}, {"avg", report.busy_avg}, {"max", report.busy_max}}}};
        if (report.skipped > 0) log::info("resumed: ", report.skipped, " frames finished earlier were skipped, ", report.completed, " ran now");
        if (!report.ok()) {
            log::warn(report.failures.size(), " frame(s) failed", report.stopped ? "; the queue stopped" : "",
                         "; ", report.skipped + report.completed, " frames are finished and kept",
                         plan.journal.empty() ? std::string() : " (listed in " + plan.journal.string() + "; --resume runs the rest)");
            exit_code = 1;
        }
    } else if (plan.by_segments) {
        // A video by key-frame segments: each task decodes one segment with its own decoder
        // (the same bits as one decoder of the whole file), filters its frames and hands them
        // to rank 0, which writes them in order.
        struct Slot {
            FrameFunction filter;
            io::Image decoded, out;
        };
        std::vector<Slot> slots(static_cast<std::size_t>(threads == tasks::Threads::one_per_thread ? omp_get_max_threads() : 1));
        for (auto& slot : slots) slot.filter = make_frame_filter(plan.frame, chain, border);
        const auto frame_bytes = static_cast<std::size_t>(plan.frame.width * plan.frame.height * plan.frame.channels);
        tasks::TaskOptions options;
        options.on_error = tasks::OnError::stop;  // a video with frames missing is of no use
        options.threads = threads;
        run::Progress progress("filter", plan.count, "frames");
        gindex_t written = 0;
        io::Image frame;
        const auto report = tasks::run_tasks(
            world, static_cast<gindex_t>(plan.segments.size()),
            [&](tasks::TaskContext& ctx) {
                auto& slot = slots[static_cast<std::size_t>(ctx.slot)];
                const auto& segment = plan.segments[static_cast<std::size_t>(ctx.index)];
                io::VideoReader reader(cfg.input, plan.frame.channels, segment);
                ctx.result->resize(static_cast<std::size_t>(segment.count) * frame_bytes);
                for (std::size_t k = 0; reader.read(slot.decoded); ++k) {
                    slot.filter(slot.decoded, slot.out);
                    std::memcpy(ctx.result->data() + k * frame_bytes, slot.out.bytes.data(), frame_bytes);
                    if (watchdog) watchdog->kick(segment.first + static_cast<gindex_t>(k));
                }
            },
            [&](gindex_t index, std::span<const std::byte> bytes) {
                const auto& segment = plan.segments[static_cast<std::size_t>(index)];
                frame.info = plan.frame;
                for (gindex_t k = 0; k < segment.count; ++k) {
                    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + static_cast<std::size_t>(k) * frame_bytes;
                    frame.bytes.assign(p, p + frame_bytes);
                    if (output) output->write(segment.first + k, frame);
                    else io::write_image(plan.out / frame_name(segment.first + k, ".png"), frame);
                }
                written += segment.count;
                progress.update(written);
            },
            options);
        progress.finish();
        // Every rank holds the same report: a segment that could not be decoded is bad input.
        TESSERA_CHECK_ALL(world, report.ok(), "--input " << cfg.input << ": " << report.failures.front().message);
        collective_call(world, [&] {
            if (world.rank() == 0 && output) output->commit();
        }, 1);
        summary["tasks"] = {{"segments", plan.segments.size()}, {"frames", plan.count}, {"efficiency", report.efficiency},
                            {"busy_seconds", {{"min", report.busy_min}, {"avg", report.busy_avg}, {"max", report.busy_max}}}};
    } else {
        // A video or raw stream: rank 0 decodes or reads, every rank filters, rank 0 writes.
        std::optional<io::VideoReader> video;
        if (world.rank() == 0 && plan.input == InputKind::video) video.emplace(cfg.input, plan.frame.channels);
        const std::size_t frame_bytes = static_cast<std::size_t>(plan.frame.width * plan.frame.height * plan.frame.channels) *
                                        io::pixel_bytes(plan.frame.pixel);
        io::Image decoded, in, out;
        const auto report = tasks::run_stream(
            world,
            [&](gindex_t index, std::vector<std::byte>& item) {
                if (video) {
                    if (!video->read(decoded)) return false;
                    image_to_bytes(decoded, item);
                    return true;
                }
                item.resize(frame_bytes);
                const std::size_t got = std::fread(item.data(), 1, frame_bytes, stdin);
                if (got == 0 && std::feof(stdin)) return false;
                if (got != frame_bytes)
                    throw std::runtime_error("--input -: standard input ends inside frame " + std::to_string(index) + " (" +
                                             std::to_string(got) + " of " + std::to_string(frame_bytes) + " bytes; --size " +
                                             cfg.size + " --pixel " + cfg.pixel + ")");
                return true;
            },
            [&](gindex_t index, const std::vector<std::byte>& item, std::vector<std::byte>& result) {
                bytes_to_image(item, plan.frame, in);
                filter_frame(in, out);
                image_to_bytes(out, result);
                if (watchdog) watchdog->kick(index);
            },
            [&](gindex_t index, const std::vector<std::byte>& result) {
                bytes_to_image(result, plan.frame, out);
                if (output) output->write(index, out);
                else io::write_image(plan.out / frame_name(index, ".png"), out);
            });
        collective_call(world, [&] {
            if (world.rank() == 0 && output) output->commit();
        }, 1);
        plan.count = report.items;
        summary["stream"] = {{"frames", report.items}, {"frames_per_second", report.items_per_second()},
                             {"latency_seconds", {{"p50", report.latency_p50}, {"p99", report.latency_p99}, {"max", report.latency_max}}}};
        log::info("stream: ", report.items, " frames, ", report.items_per_second(), " frames/s; latency per frame p50 ",
                  report.latency_p50 * 1e3, " ms, p99 ", report.latency_p99 * 1e3, " ms");
    }
    const double seconds = mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX);
    const double fps = seconds > 0 ? static_cast<double>(plan.count) / seconds : 0;
    if (exit_code == 0)
        log::info("wrote ", plan.count, " frames to ", plan.output == OutputKind::raw ? "standard output" : plan.out.string(),
                  " in ", seconds, " s: ", fps, " frames/s");
    log::info(run::timer_table(world));
    auto common = run::make_summary(runtime, cfg.options);
    common.update(summary);
    summary = std::move(common);
    summary["output"] = {{"path", plan.output == OutputKind::raw ? "-" : plan.out.string()}};
    summary["rate"] = {{"value", fps}, {"unit", "frames/s"}, {"seconds", seconds}};
    if (!plan.summary.empty()) run::write_json(world, plan.summary, summary);
    return exit_code;
}

}  // namespace filter_app
