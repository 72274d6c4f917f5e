// PNG pictures of distributed fields (2D, or the mid-plane of a 3D field).
#pragma once

#include <filesystem>

#include "tessera/grid/field.hpp"

namespace tessera::io {

/// Collective over the field's decomposition: samples the field (2D, or the k = nz/2 plane of
/// 3D) on at most `max_pixels` per side, colours it with a perceptual colormap between the
/// sampled minimum and maximum, and writes an 8-bit RGB PNG from rank 0 (y axis up).
template <int Dim>
void write_png(const std::filesystem::path& path, const grid::Field<double, Dim>& field,
               int max_pixels = 1024);

/// Local: writes an RGB image (row 0 at the top) to `path`; throws tessera::Error on failure.
void write_rgb_png(const std::filesystem::path& path, int width, int height,
                   const unsigned char* rgb);

}  // namespace tessera::io
