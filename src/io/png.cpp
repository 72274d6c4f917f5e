// PNG output: distributed sampling onto rank 0, a perceptual colormap, stb_image_write.
#include "tessera/io/png.hpp"

#include "tessera/io/atomic_file.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>

#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"

namespace tessera::io {

namespace {

// Anchor colours of matplotlib's "inferno" colormap, interpolated linearly.
constexpr unsigned char kInferno[9][3] = {{0, 0, 4},      {31, 12, 72},   {85, 15, 109},
                                          {136, 34, 106}, {186, 54, 85},  {227, 89, 51},
                                          {249, 140, 10}, {249, 201, 50}, {252, 255, 164}};

void colour(double t, unsigned char* rgb) {
    t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * 8.0;
    const int k = std::min(static_cast<int>(t), 7);
    const double f = t - k;
    for (int c = 0; c < 3; ++c)
        rgb[c] = static_cast<unsigned char>(std::lround((1 - f) * kInferno[k][c] + f * kInferno[k + 1][c]));
}

}  // namespace

void write_rgb_png(const std::filesystem::path& path, int width, int height, const unsigned char* rgb) {
    AtomicFile file(path);  // never half a picture, nor a stale one, under the final name
    const int ok = stbi_write_png(file.temporary().c_str(), width, height, 3, rgb, width * 3);
    TESSERA_CHECK(ok != 0, "cannot write PNG " << path.string());
    file.commit();
}

template <int Dim>
void write_png(const std::filesystem::path& path, const grid::Field<double, Dim>& field, int max_pixels) {
    ScopedTimer timer("io.png");
    const auto& comm = field.decomp().comm();
    const auto cells = field.decomp().global_cells();
    const gindex_t nx = cells[0], ny = cells[1];
    const gindex_t step = std::max<gindex_t>(1, (std::max(nx, ny) + max_pixels - 1) / max_pixels);
    const int w = static_cast<int>((nx + step - 1) / step), h = static_cast<int>((ny + step - 1) / step);
    const gindex_t k = Dim == 3 ? cells[Dim - 1] / 2 : 0;
    // Each pixel samples the cell nearest its centre; only its owner contributes a value.
    constexpr double none = -std::numeric_limits<double>::infinity();
    std::vector<double> px(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), none);
    const auto owned = field.owned_box();
    const auto v = field.view();
    const bool has_plane = Dim == 2 || (k >= owned.lo[Dim - 1] && k < owned.hi[Dim - 1]);
    if (has_plane) {
        for (int py = 0; py < h; ++py) {
            const gindex_t j = std::min(ny - 1, py * step + step / 2);
            if (j < owned.lo[1] || j >= owned.hi[1]) continue;
            for (int pxi = 0; pxi < w; ++pxi) {
                const gindex_t i = std::min(nx - 1, pxi * step + step / 2);
                if (i < owned.lo[0] || i >= owned.hi[0]) continue;
                double value;
                if constexpr (Dim == 2) value = v(i, j); else value = v(i, j, k);
                // Image row 0 is the top: y grows upwards.
                px[static_cast<std::size_t>(h - 1 - py) * static_cast<std::size_t>(w) + static_cast<std::size_t>(pxi)] = value;
            }
        }
    }
    if (comm.rank() == 0) {
        TESSERA_MPI_CALL(MPI_Reduce(MPI_IN_PLACE, px.data(), static_cast<int>(px.size()), MPI_DOUBLE, MPI_MAX, 0, comm.get()));
    } else {
        TESSERA_MPI_CALL(MPI_Reduce(px.data(), nullptr, static_cast<int>(px.size()), MPI_DOUBLE, MPI_MAX, 0, comm.get()));
    }
    collective_call(
        comm,
        [&] {
            if (comm.rank() != 0) return;
            double lo = std::numeric_limits<double>::infinity(), hi = -lo;
            for (double x : px)
                if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
            const double range = hi > lo ? hi - lo : 1.0;
            std::vector<unsigned char> rgb(px.size() * 3);
            for (std::size_t n = 0; n < px.size(); ++n) colour((px[n] - lo) / range, &rgb[3 * n]);
            write_rgb_png(path, w, h, rgb.data());
        },
        /*exit_code=*/1);
}

template void write_png<2>(const std::filesystem::path&, const grid::Field<double, 2>&, int);
template void write_png<3>(const std::filesystem::path&, const grid::Field<double, 3>&, int);

}  // namespace tessera::io
