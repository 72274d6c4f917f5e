// Private helpers shared by image.cpp (serial files) and image_tiles.cpp (distributed I/O):
// the checks a write makes before it creates anything, and the HDF5 image dataset's layout.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tessera/io/hdf5.hpp"
#include "tessera/io/image.hpp"

namespace tessera::io::detail {

/// Local: the format `path` will be written in, after checking everything a write can check
/// before it creates a file: a known extension, can_store, positive sizes that fit the format,
/// an existing folder. Throws tessera::Error naming the path.
ImageFormat check_writable(const std::filesystem::path& path, const ImageInfo& info);

/// Local: throws tessera::Error naming `path` unless the sizes of `info` are plausible (sides
/// below 2^31, at most 64 TiB of pixels), so that no size computation overflows.
void check_plausible(const std::filesystem::path& path, const ImageInfo& info);

/// Local: "<path>: <why>" as a tessera::Error.
[[noreturn]] void image_error(const std::filesystem::path& path, const std::string& why);

/// The native (memory) HDF5 type of a pixel type, and the little-endian type stored in files.
hid_t h5_memory_type(PixelType pixel) noexcept;
hid_t h5_file_type(PixelType pixel) noexcept;

/// Dims (C order) of the HDF5 image dataset: [height, width] for one channel, else
/// [height, width, channels].
std::vector<hsize_t> h5_image_dims(const ImageInfo& info);

/// Collective over the file's communicator (local for a serial file): creates /image for
/// `info` with the HDF5 Image specification's attributes (CLASS, IMAGE_VERSION,
/// IMAGE_SUBCLASS, INTERLACE_MODE for colour). Returns the open dataset.
h5::Handle create_h5_image(const h5::File& file, const ImageInfo& info);

/// Local (the dataset is open): the pixel type of dataset `/name`, or throws tessera::Error
/// naming `path` for a type other than uint8, uint16 or float32.
PixelType h5_pixel_type(hid_t dataset, const std::filesystem::path& path, const char* name);

/// Local (the file is open): the ImageInfo of /image in `file`, or throws tessera::Error naming
/// `path` (no /image, a shape other than [h, w] or [h, w, 1..4], an unsupported pixel type).
ImageInfo h5_image_info(const h5::File& file, const std::filesystem::path& path);

}  // namespace tessera::io::detail
