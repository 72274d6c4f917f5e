// A small serial tool for tests/stencil/filters_opencv.py: applies one filter stage to raw
// pixels and writes raw pixels (and checks apply_filter against apply_filter_ref on the way).
//
// filter_tool IN OUT WIDTH HEIGHT TYPE BORDER SPEC
//   TYPE u8 | u16 | f32 (native byte order); BORDER padded (IN already holds the image grown by
//   filter_radius on every side) or a border mode name (reflect101, reflect, replicate,
//   constant (0), wrap) that the tool applies with grid::border_source. OUT gets WIDTH x HEIGHT.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/grid/border.hpp"
#include "tessera/stencil/filters.hpp"

using namespace tessera;

template <class T>
int run(const std::string& in_path, const std::string& out_path, gindex_t w, gindex_t h, const std::string& border,
        const stencil::FilterSpec& spec) {
    const int r = stencil::filter_radius<T>(spec);
    const gindex_t pw = w + 2 * r, ph = h + 2 * r;
    std::ifstream f(in_path, std::ios::binary);
    TESSERA_CHECK(f, "cannot open " << in_path);
    std::vector<T> raw(static_cast<std::size_t>(border == "padded" ? pw * ph : w * h));
    f.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size() * sizeof(T)));
    TESSERA_CHECK(f.gcount() == static_cast<std::streamsize>(raw.size() * sizeof(T)), in_path << " is too short");
    std::vector<T> padded(static_cast<std::size_t>(pw * ph));
    if (border == "padded") {
        padded = raw;
    } else {
        const grid::BorderMode mode = grid::parse_border_mode(border);
        for (gindex_t y = 0; y < ph; ++y)
            for (gindex_t x = 0; x < pw; ++x) {
                const gindex_t sx = grid::border_source(x - r, w, mode), sy = grid::border_source(y - r, h, mode);
                padded[static_cast<std::size_t>(y * pw + x)] =
                    sx < 0 || sy < 0 ? T{} : raw[static_cast<std::size_t>(sy * w + sx)];
            }
    }
    const Box<2> image{{0, 0}, {w, h}};
    ConstView<T, 2> in(padded.data(), image.grown(r), {1, pw});
    std::vector<T> out(static_cast<std::size_t>(w * h)), ref(out.size());
    stencil::FilterWorkspace ws;
    stencil::apply_filter<T>(spec, in, View<T, 2>(out.data(), image, {1, w}), image, ws);
    stencil::apply_filter_ref<T>(spec, in, View<T, 2>(ref.data(), image, {1, w}), image);
    for (std::size_t k = 0; k < out.size(); ++k)
        if (std::memcmp(&out[k], &ref[k], sizeof(T)) != 0) {
            std::cerr << "filter_tool: apply_filter differs from apply_filter_ref at pixel " << k << "\n";
            return 1;
        }
    std::ofstream o(out_path, std::ios::binary);
    o.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size() * sizeof(T)));
    TESSERA_CHECK(o, "cannot write " << out_path);
    return 0;
}

int main(int argc, char** argv) {
    if (argc != 8) {
        std::cerr << "usage: filter_tool IN OUT WIDTH HEIGHT u8|u16|f32 padded|BORDER SPEC\n";
        return 2;
    }
    try {
        const std::string type = argv[5];
        const gindex_t w = std::stoll(argv[3]), h = std::stoll(argv[4]);
        const stencil::FilterSpec spec = stencil::parse_filter(argv[7]);
        if (type == "u8") return run<std::uint8_t>(argv[1], argv[2], w, h, argv[6], spec);
        if (type == "u16") return run<std::uint16_t>(argv[1], argv[2], w, h, argv[6], spec);
        if (type == "f32") return run<float>(argv[1], argv[2], w, h, argv[6], spec);
        std::cerr << "filter_tool: unknown type " << type << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "filter_tool: " << e.what() << "\n";
        return 2;
    }
}
