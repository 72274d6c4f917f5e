// tessera-filter's parts shared by the single-image path (main.cpp) and the frame paths
// (frames.cpp: batches through the task queue, videos and raw streams).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <tessera/tessera.hpp>

namespace filter_app {

using namespace tessera;

// Options.
struct FilterConfig {
    std::string input;
    std::vector<std::string> filters;
    double sigma = 1.0;
    int radius = 1;
    std::string border = "reflect101";
    double border_value = 0.0;
    std::string kernel;
    std::vector<int> procs;
    int repetitions = 5;
    double rank_memory_mb = 0.0;
    std::string mode = "auto";     // frames | tiles | auto
    std::string size;              // WxH of raw frames on standard input
    std::string pixel = "gray8";   // gray8 | rgb24 | gray16 of raw frames
    bool resume = false;
    std::string on_error = "stop";
    std::string decode = "auto";   // segments | one | auto (videos)
    double watchdog = 0.0;
    run::AppOptions options{"filter", "Image filter chains (Gaussian, box, Sobel, Laplacian, unsharp, median, "
                                      "your own kernel) on images split over MPI ranks and OpenMP threads"};

    FilterConfig() {
        auto& c = options.cli();
        c.add_option("--input", input, "Input image (PNG, JPEG, BMP, PGM/PPM, TIFF, HDF5 /image), or frames: a folder "
                                       "of images, a glob ('shots/*.png'), an HDF5 stack (/frames), a video file, or - "
                                       "(raw frames on standard input, with --size and --pixel)")->required();
        c.add_option("--filter", filters,
                     "A stage of the chain, repeatable, applied in order: NAME or NAME:key=value,... "
                     "(no --filter: the image is only converted)");
        c.add_option("--sigma", sigma, "Default sigma of gaussian and unsharp stages")->check(CLI::PositiveNumber);
        c.add_option("--radius", radius, "Default radius of box and median stages")->check(CLI::Range(1, 15));
        c.add_option("--border", border, "Border mode: reflect101 (gfedcb|abcdefgh|gfedcba), reflect, replicate, "
                                         "constant or wrap (OpenCV's meanings)")
            ->check(CLI::IsMember({"reflect101", "reflect", "replicate", "constant", "wrap"}));
        c.add_option("--border-value", border_value, "Pixel value beyond the edges for --border constant");
        c.add_option("--kernel", kernel, "Weights of kernel stages without values=: a text file, or inline rows "
                                         "separated by ';' (\"0 1 0; 1 -4 1; 0 1 0\")");
        c.add_option("--procs", procs, "Process grid PX PY (0 = choose)")->expected(2);
        c.add_option("--repetitions", repetitions, "Timed repetitions of the chain in --benchmark mode")
            ->check(CLI::Range(1, 1000));
        c.add_option("--rank-memory", rank_memory_mb,
                     "Memory one rank may use for pixels, in MiB (0: no limit beyond the node's memory)")
            ->check(CLI::NonNegativeNumber);
        c.add_option("--mode", mode, "frames: every frame is one task of the task queue (batches, videos, streams); "
                                     "tiles: one image split over the ranks; auto: frames for a batch, tiles for one image")
            ->check(CLI::IsMember({"frames", "tiles", "auto"}));
        c.add_option("--size", size, "WxH of the raw frames of --input - (standard input)");
        c.add_option("--pixel", pixel, "Pixel format of raw frames: gray8, rgb24 or gray16")
            ->check(CLI::IsMember({"gray8", "rgb24", "gray16"}));
        c.add_option("--decode", decode, "How a video is decoded: segments (every worker decodes the key-frame segments "
                                         "it filters), one (rank 0's decoder feeds the ranks), auto (segments when the "
                                         "video has several and there are several workers)")
            ->check(CLI::IsMember({"segments", "one", "auto"}));
        c.add_flag("--resume", resume, "Skip the frames a killed or failed batch run finished (its journal in the output)");
        c.add_option("--on-error", on_error, "When a frame fails: stop (no new frames; exit 1) or continue (exit 1 at the end)")
            ->check(CLI::IsMember({"stop", "continue"}));
        c.add_option("--watchdog", watchdog, "End the job when no frame finishes for S seconds (0: off)")
            ->check(CLI::NonNegativeNumber);
        c.footer("Filters (parameters and defaults):\n" + stencil::describe_filters() +
                 "\n--output: a file whose extension names the format (.png .jpg .bmp .pgm .ppm .tif .h5), written with "
                 "FILE.summary.json beside it, or a folder (default out/filter) that receives the image under the "
                 "input's name and summary.json.\nFrames (--input a folder, glob, HDF5 stack, video or -): --output "
                 "a folder (one image per frame, the inputs' names), an HDF5 stack (.h5), a video (.mp4 .mkv .avi) or - "
                 "(raw frames on standard output); the frames leave in input order.\nExit codes: 0 done; 1 runtime failure; 2 usage or input error "
                 "(nothing written). See docs/filter.md.");
    }
};


// Calls f(T{}) with the C++ type of `pixel`.
template <class F>
decltype(auto) with_pixel_type(io::PixelType pixel, F&& f) {
    switch (pixel) {
        case io::PixelType::u8: return f(std::uint8_t{});
        case io::PixelType::u16: return f(std::uint16_t{});
        case io::PixelType::f32: break;
    }
    return f(float{});
}


/// Collective: the chain of --filter stages, parsed and validated (kernel stages get --kernel's weights).
std::vector<stencil::FilterSpec> parse_chain(const mpi::Comm& comm, const FilterConfig& cfg);
/// A stage's filter name ("gaussian" of "gaussian:sigma=2,radius=0"): its timer's label.
std::string stage_name(const stencil::FilterSpec& spec);
/// Whether --input names frames (a folder, a glob, an HDF5 stack, a video, or - for a stream)
/// rather than one image.
bool input_is_frames(const FilterConfig& cfg);
/// Collective: filters frames (through the task queue, or a stream); returns the exit code.
int run_frames(Runtime& runtime, FilterConfig& cfg);

}  // namespace filter_app
