// Test tool for tests/io/video_clients.py: decodes a video with io::VideoReader into raw bytes,
// or encodes a known moving pattern with io::VideoWriter, so that FFmpeg's tools and OpenCV can
// check tessera's side.
//   video_tool dump INPUT CHANNELS OUTPUT.raw
//       frames one after another (height x width x channels bytes each); prints
//       "width height channels frames_read declared_frames fps codec pixel_format"
//   video_tool segments INPUT CHANNELS MIN_FRAMES OUTPUT.raw
//       io::video_segments, then each segment decoded by its own reader (last first, so
//       that no reader relies on another having run), written in frame order; prints
//       "segments frames" then "first count" per segment
//   video_tool write OUTPUT FRAMES WIDTH HEIGHT CHANNELS [CODEC]
//       frame k: pattern_value(i, j, c, k) below; prints the encoder used
// Exit 1 with the error on stderr, 2 on a usage error.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include <tessera/io/video.hpp>

namespace {

// A gradient moving two levels per frame and a checker square walking across the picture,
// channels offset from each other: every frame distinct, compressible by lossy codecs.
// tests/io/video_clients.py computes the same values.
unsigned char pattern_value(long i, long j, int c, long k) {
    const bool square = ((i + 4 * k) / 16 + j / 16) % 3 == 0;
    return static_cast<unsigned char>((i + j + 2 * k) % 100 + 30 * c + (square ? 60 : 0));
}

int usage(const char* argv0) {
    std::fprintf(stderr, "usage: %s dump INPUT CHANNELS OUTPUT.raw | segments INPUT CHANNELS MIN_FRAMES OUTPUT.raw | write OUTPUT FRAMES WIDTH HEIGHT CHANNELS [CODEC]\n",
                 argv0);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage(argv[0]);
    const std::string mode = argv[1];
    try {
        if (mode == "dump" && argc == 5) {
            tessera::io::VideoReader reader(argv[2], std::atoi(argv[3]));
            std::ofstream out(argv[4], std::ios::binary);
            tessera::io::Image frame;
            while (reader.read(frame))
                out.write(reinterpret_cast<const char*>(frame.bytes.data()), static_cast<std::streamsize>(frame.bytes.size()));
            if (!out) throw std::runtime_error(std::string("cannot write ") + argv[4]);
            const auto& i = reader.info();
            std::printf("%lld %lld %d %lld %lld %.6f %s %s\n", static_cast<long long>(i.width),
                        static_cast<long long>(i.height), reader.channels(), static_cast<long long>(reader.frames_read()),
                        static_cast<long long>(i.frames), i.fps, i.codec.c_str(), i.pixel_format.c_str());
            return 0;
        }
        if (mode == "segments" && argc == 6) {
            const int channels = std::atoi(argv[3]);
            const auto segments = tessera::io::video_segments(argv[2], std::atol(argv[4]));
            std::vector<std::vector<unsigned char>> decoded(segments.size());
            long long frames = 0;
            for (std::size_t k = segments.size(); k-- > 0;) {
                tessera::io::VideoReader reader(argv[2], channels, segments[k]);
                tessera::io::Image frame;
                while (reader.read(frame)) decoded[k].insert(decoded[k].end(), frame.bytes.begin(), frame.bytes.end());
                if (reader.frames_read() != segments[k].count)
                    throw std::runtime_error("segment " + std::to_string(k) + ": " + std::to_string(reader.frames_read()) +
                                             " frames read, " + std::to_string(segments[k].count) + " expected");
                frames += reader.frames_read();
            }
            std::ofstream out(argv[5], std::ios::binary);
            for (const auto& d : decoded) out.write(reinterpret_cast<const char*>(d.data()), static_cast<std::streamsize>(d.size()));
            if (!out) throw std::runtime_error(std::string("cannot write ") + argv[5]);
            std::printf("%zu %lld\n", segments.size(), frames);
            for (const auto& s : segments)
                std::printf("%lld %lld\n", static_cast<long long>(s.first), static_cast<long long>(s.count));
            return 0;
        }
        if (mode == "write" && (argc == 7 || argc == 8)) {
            const long frames = std::atol(argv[3]), w = std::atol(argv[4]), h = std::atol(argv[5]);
            const int c = std::atoi(argv[6]);
            tessera::io::VideoWriterOptions options;
            if (argc == 8) options.codec = argv[7];
            tessera::io::VideoWriter writer(argv[2], w, h, c, options);
            tessera::io::Image frame;
            frame.info = {w, h, c, tessera::io::PixelType::u8, tessera::io::ImageFormat::png};
            frame.bytes.resize(static_cast<std::size_t>(w * h * c));
            for (long k = 0; k < frames; ++k) {
                std::size_t n = 0;
                for (long j = 0; j < h; ++j)
                    for (long i = 0; i < w; ++i)
                        for (int ch = 0; ch < c; ++ch) frame.bytes[n++] = pattern_value(i, j, ch, k);
                writer.write(frame);
            }
            writer.commit();
            std::printf("%s\n", writer.codec().c_str());
            return 0;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return usage(argv[0]);
}
