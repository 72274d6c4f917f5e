// Images in and out: PNG, JPEG, BMP, PGM/PPM and TIFF files through stb, libpng and libtiff, and
// HDF5 images read and written in parallel, each rank its own tile.
//
// Pixel (i, j) is column i, row j, row 0 at the top of the picture. In memory a whole image
// keeps its channels interleaved (as the files do); distributed, a channel is one
// grid::Field<T, 2> over a CartDecomp<2> of {width, height} pixels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tessera/core/mpi.hpp"
#include "tessera/grid/field.hpp"

namespace tessera::io {

enum class PixelType { u8, u16, f32 };
const char* to_string(PixelType pixel) noexcept;
std::size_t pixel_bytes(PixelType pixel) noexcept;
template <class T>
constexpr PixelType pixel_type_of();  // std::uint8_t -> u8, std::uint16_t -> u16, float -> f32
template <>
constexpr PixelType pixel_type_of<std::uint8_t>() { return PixelType::u8; }
template <>
constexpr PixelType pixel_type_of<std::uint16_t>() { return PixelType::u16; }
template <>
constexpr PixelType pixel_type_of<float>() { return PixelType::f32; }

enum class ImageFormat { png, jpeg, bmp, pnm, tiff, hdf5 };
const char* to_string(ImageFormat format) noexcept;
/// The format a path's extension names (.png .jpg .jpeg .bmp .pgm .ppm .pnm .tif .tiff .h5
/// .hdf5, any case), or nullopt.
std::optional<ImageFormat> format_from_extension(const std::filesystem::path& path);
/// Whether `format` can store images of this pixel type and channel count (e.g. JPEG: u8 only).
/// PNG: u8, u16 with 1-4 channels. JPEG: u8 RGB only (stb_image_write stores gray as three
/// components, so a gray JPEG would come back as RGB). BMP: u8 with 1 (8-bit gray palette), 3 or
/// 4 channels. PGM/PPM: u8, u16 with 1 or 3. TIFF and HDF5: u8, u16, f32 with 1-4 channels.
bool can_store(ImageFormat format, PixelType pixel, int channels) noexcept;

struct ImageInfo {
    std::int64_t width = 0, height = 0;
    int channels = 1;  ///< 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA
    PixelType pixel = PixelType::u8;
    ImageFormat format = ImageFormat::png;
};

/// A whole image in one process's memory: rows top to bottom, channels interleaved.
struct Image {
    ImageInfo info;
    std::vector<unsigned char> bytes;  ///< width * height * channels * pixel_bytes
    template <class T>
    T* pixels() { return reinterpret_cast<T*>(bytes.data()); }
    template <class T>
    const T* pixels() const { return reinterpret_cast<const T*>(bytes.data()); }
};

/// HDF5 images are the dataset `/image` of shape [height, width] or [height, width, channels],
/// uint8, uint16 or float32, with the attributes of the HDF5 Image specification (CLASS IMAGE).
inline constexpr const char* hdf5_image_dataset = "image";

/// Local: reads only the header. The format comes from the file's content, not its name.
/// Throws tessera::Error naming the file when it cannot be opened, is not an image of a
/// supported format, is truncated or corrupt, or has an unsupported bit depth or pixel type.
/// Only what the header holds is checked here: a file cut short after it passes until read.
ImageInfo read_image_info(const std::filesystem::path& path);
/// Local: reads the whole image; throws as read_image_info does. Samples come as stored (no
/// gamma, colour profile or PGM maxval rescaling); palettes and PNG transparency chunks are
/// expanded to RGB(A); 1-, 2- and 4-bit gray PNGs to 8 bits. PNG CRCs are checked, a JPEG must
/// end with its end-of-image marker. TIFF: the first page, strips or tiles, any compression
/// libtiff decodes; 8/16-bit unsigned or 32-bit float samples, gray (1-2 samples) or RGB (3-4),
/// contiguous planes. Not thread-safe for HDF5 files (HDF5 is built without thread safety).
Image read_image(const std::filesystem::path& path);
/// Local: writes `image` in the format the extension names, atomically (a temporary renamed
/// into place: never a partial file). Throws tessera::Error naming the path when the extension
/// is unknown, the format cannot store the image (can_store), or the folder does not exist.
/// `image.info.format` is not used: the extension decides. PNG (deflate) and TIFF (no
/// compression) are lossless, JPEG is written at quality 95, 16-bit PGM/PPM with
/// maxval 65535, HDF5 as /image with the Image specification's attributes (2- and 4-channel
/// images as IMAGE_TRUECOLOR [h, w, c], pixel-interlaced).
void write_image(const std::filesystem::path& path, const Image& image);

/// Collective over `comm`: rank 0 reads the header; every rank returns it, or every rank throws
/// CollectiveError with rank 0's message.
ImageInfo read_image_info(const mpi::Comm& comm, const std::filesystem::path& path);

/// Collective over the fields' decomposition: fills the owned pixels of channels[c] for every
/// channel of the image (channels.size() == info.channels, T == info.pixel, the decomposition's
/// cells == {width, height}; CollectiveError otherwise). HDF5: each rank reads its own tile's
/// hyperslab and nothing else. Other formats: rank 0 decodes the whole image and sends each
/// rank its tile. Returns the bytes of pixel data this rank read from the file: its tile's
/// pixels x channels x pixel_bytes for HDF5; the whole image on rank 0 and 0 elsewhere for the
/// other formats (whose tiles must each fit one MPI message, under 2 GiB). Errors reading the
/// file are CollectiveError on every rank.
template <class T>
std::uint64_t read_image_tiles(const std::filesystem::path& path, const ImageInfo& info,
                               std::vector<grid::Field<T, 2>>& channels);

/// Collective over the fields' decomposition: writes the owned pixels of every channel as one
/// image, atomically. HDF5: each rank writes its own tile (collective MPI-IO). Other formats:
/// rank 0 gathers the tiles and encodes. Throws CollectiveError as write_image does (checked
/// before anything is written). Returns the bytes of pixel data this rank wrote (HDF5: its
/// tile; other formats: the whole image on rank 0, 0 elsewhere). `channels` must not be empty.
template <class T>
std::uint64_t write_image_tiles(const std::filesystem::path& path,
                                const std::vector<grid::Field<T, 2>>& channels);

}  // namespace tessera::io
