// Test tool for tests/io/frames_clients.py: copies a batch of frames (folder, glob or HDF5
// stack, io::open_frame_set) into an HDF5 stack with io::FrameStackWriter, last frame first,
// flushing after each frame, and prints the batch as "kind count width height channels pixel".
//   --frames A:B   copy frames [A, B) only (default: all)
//   --resume       reopen OUTPUT.partial when it exists
//   --kill         end the process at once after the last flush (_Exit(3)): no commit, no
//                  destructor, no HDF5 close, as a killed run leaves the partial file
// Exit 1 with the error on stderr.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <tessera/io/frames.hpp>

int main(int argc, char** argv) {
    using namespace tessera;
    std::string input, output;
    gindex_t first = 0, last = -1;
    bool resume = false, kill = false;
    for (int a = 1; a < argc; ++a) {
        const std::string arg = argv[a];
        if (arg == "--resume") resume = true;
        else if (arg == "--kill") kill = true;
        else if (arg == "--frames" && a + 1 < argc) {
            const std::string range = argv[++a];
            first = std::stoll(range.substr(0, range.find(':')));
            last = std::stoll(range.substr(range.find(':') + 1));
        } else if (input.empty()) input = arg;
        else if (output.empty()) output = arg;
        else input.clear(), output.clear(), a = argc;
    }
    if (input.empty() || output.empty()) {
        std::fprintf(stderr, "usage: %s INPUT OUTPUT.h5 [--frames A:B] [--resume] [--kill]\n", argv[0]);
        return 2;
    }
    try {
        const auto set = io::open_frame_set(input);
        const auto& f = set.frame;
        std::printf("%s %lld %lld %lld %d %s\n", io::to_string(set.kind), static_cast<long long>(set.count),
                    static_cast<long long>(f.width), static_cast<long long>(f.height), f.channels, io::to_string(f.pixel));
        std::fflush(stdout);
        if (last < 0) last = set.count;
        io::FrameStackWriter writer(output, set.count, f, resume);
        for (gindex_t k = last - 1; k >= first; --k) {
            writer.write(k, io::read_frame(set, k));
            writer.flush();
        }
        if (kill) std::_Exit(3);
        writer.commit();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
