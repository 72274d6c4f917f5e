// Test tool for tests/io/image_clients.py: converts an image file with io::read_image and
// io::write_image (the format of each side from its content / extension) and prints the
// input's info as "width height channels pixel format". Exit 1 with the error on stderr.
#include <cstdio>
#include <exception>

#include <tessera/io/image.hpp>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s INPUT OUTPUT\n", argv[0]);
        return 2;
    }
    try {
        const auto image = tessera::io::read_image(argv[1]);
        const auto& i = image.info;
        std::printf("%lld %lld %d %s %s\n", static_cast<long long>(i.width), static_cast<long long>(i.height), i.channels,
                    tessera::io::to_string(i.pixel), tessera::io::to_string(i.format));
        tessera::io::write_image(argv[2], image);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
