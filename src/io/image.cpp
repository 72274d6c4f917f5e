// Image files in one process: the format read from the content (magic bytes), decoders for PNG
// (libpng), JPEG and BMP (stb_image), PGM/PPM (here), TIFF (libtiff) and HDF5 images, and
// encoders for each, every write atomic (a temporary renamed into place).
#include "tessera/io/image.hpp"

#include <fcntl.h>
#include <png.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <csetjmp>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <sstream>

// stb_image decodes JPEG and BMP only (PNG goes through libpng, which checks CRCs and notices
// truncation; PGM/PPM is parsed here). STB_IMAGE_STATIC keeps its symbols in this file.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#include <stb/stb_image.h>
// png.cpp compiles stb_image_write with STB_IMAGE_WRITE_STATIC, so its functions are private
// to that file; this file needs the JPEG and BMP writers and compiles its own static copy.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>

#include "image_detail.hpp"
#include "tessera/core/error.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/hdf5.hpp"

namespace tessera::io {

namespace fs = std::filesystem;
using detail::image_error;

const char* to_string(PixelType pixel) noexcept {
    switch (pixel) {
    case PixelType::u8: return "uint8";
    case PixelType::u16: return "uint16";
    case PixelType::f32: return "float32";
    }
    return "?";
}

std::size_t pixel_bytes(PixelType pixel) noexcept {
    switch (pixel) {
    case PixelType::u8: return 1;
    case PixelType::u16: return 2;
    case PixelType::f32: return 4;
    }
    return 0;
}

const char* to_string(ImageFormat format) noexcept {
    switch (format) {
    case ImageFormat::png: return "PNG";
    case ImageFormat::jpeg: return "JPEG";
    case ImageFormat::bmp: return "BMP";
    case ImageFormat::pnm: return "PGM/PPM";
    case ImageFormat::tiff: return "TIFF";
    case ImageFormat::hdf5: return "HDF5";
    }
    return "?";
}

std::optional<ImageFormat> format_from_extension(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".png") return ImageFormat::png;
    if (ext == ".jpg" || ext == ".jpeg") return ImageFormat::jpeg;
    if (ext == ".bmp") return ImageFormat::bmp;
    if (ext == ".pgm" || ext == ".ppm" || ext == ".pnm") return ImageFormat::pnm;
    if (ext == ".tif" || ext == ".tiff") return ImageFormat::tiff;
    if (ext == ".h5" || ext == ".hdf5") return ImageFormat::hdf5;
    return std::nullopt;
}

bool can_store(ImageFormat format, PixelType pixel, int channels) noexcept {
    if (channels < 1 || channels > 4) return false;
    switch (format) {
    case ImageFormat::png: return pixel != PixelType::f32;
    // stb_image_write stores every JPEG as three components (gray as RGB), so a gray image
    // would read back as RGB: JPEG takes RGB only.
    case ImageFormat::jpeg: return pixel == PixelType::u8 && channels == 3;
    case ImageFormat::bmp: return pixel == PixelType::u8 && channels != 2;
    case ImageFormat::pnm: return pixel != PixelType::f32 && (channels == 1 || channels == 3);
    case ImageFormat::tiff: return true;
    case ImageFormat::hdf5: return true;
    }
    return false;
}

namespace detail {

void image_error(const fs::path& path, const std::string& why) {
    throw Error(path.string() + ": " + why, __FILE__, __LINE__);
}

ImageFormat check_writable(const fs::path& path, const ImageInfo& info) {
    const auto format = format_from_extension(path);
    if (!format)
        image_error(path, "unknown image extension '" + path.extension().string() +
                              "' (known: .png .jpg .jpeg .bmp .pgm .ppm .pnm .tif .tiff .h5 .hdf5)");
    if (!can_store(*format, info.pixel, info.channels)) {
        std::ostringstream os;
        os << to_string(*format) << " cannot store " << to_string(info.pixel) << " images with " << info.channels
           << " channel(s) (";
        switch (*format) {
        case ImageFormat::png: os << "PNG: uint8 or uint16, 1 to 4 channels"; break;
        case ImageFormat::jpeg: os << "JPEG: uint8 RGB, 3 channels; gray images: PNG"; break;
        case ImageFormat::bmp: os << "BMP: uint8, 1, 3 or 4 channels"; break;
        case ImageFormat::pnm: os << "PGM/PPM: uint8 or uint16, 1 or 3 channels"; break;
        default: os << to_string(*format) << ": 1 to 4 channels"; break;
        }
        os << ")";
        image_error(path, os.str());
    }
    if (info.width <= 0 || info.height <= 0)
        image_error(path, "image of " + std::to_string(info.width) + " x " + std::to_string(info.height) +
                              " pixels: sizes must be positive");
    // stb and the BMP header take ints; JPEG stores 16-bit sizes; PNG and TIFF 32-bit ones.
    const std::int64_t limit = *format == ImageFormat::jpeg ? 65535
                               : *format == ImageFormat::hdf5 ? std::numeric_limits<std::int64_t>::max()
                                                              : std::int64_t{INT_MAX};
    if (info.width > limit || info.height > limit)
        image_error(path, std::string(to_string(*format)) + " cannot store images wider or taller than " +
                              std::to_string(limit) + " pixels");
    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) image_error(path, "cannot write: folder " + dir.string() + " does not exist");
    return *format;
}

void check_plausible(const fs::path& path, const ImageInfo& info) {
    // Sizes come from headers that may be damaged: bound them before anything is allocated, so
    // that no size computation can overflow (sides below 2^31, at most 64 TiB of pixels).
    constexpr std::uint64_t max_bytes = std::uint64_t{1} << 46;
    const bool sides = info.width >= 1 && info.height >= 1 && info.width <= INT_MAX && info.height <= INT_MAX;
    const std::uint64_t per_pixel = static_cast<std::uint64_t>(info.channels) * pixel_bytes(info.pixel);
    if (!sides || info.channels < 1 || info.channels > 4 ||
        static_cast<std::uint64_t>(info.width) * static_cast<std::uint64_t>(info.height) > max_bytes / per_pixel)
        image_error(path, "corrupt image header (" + std::to_string(info.width) + " x " + std::to_string(info.height) +
                              " pixels, " + std::to_string(info.channels) + " channel(s))");
}

hid_t h5_memory_type(PixelType pixel) noexcept {
    switch (pixel) {
    case PixelType::u8: return H5T_NATIVE_UINT8;
    case PixelType::u16: return H5T_NATIVE_UINT16;
    case PixelType::f32: return H5T_NATIVE_FLOAT;
    }
    return H5I_INVALID_HID;
}

hid_t h5_file_type(PixelType pixel) noexcept {
    switch (pixel) {
    case PixelType::u8: return H5T_STD_U8LE;
    case PixelType::u16: return H5T_STD_U16LE;
    case PixelType::f32: return H5T_IEEE_F32LE;
    }
    return H5I_INVALID_HID;
}

std::vector<hsize_t> h5_image_dims(const ImageInfo& info) {
    std::vector<hsize_t> dims{static_cast<hsize_t>(info.height), static_cast<hsize_t>(info.width)};
    if (info.channels > 1) dims.push_back(static_cast<hsize_t>(info.channels));
    return dims;
}

namespace {
// A scalar, null-terminated ASCII string attribute, as the HDF5 Image specification (and its
// H5IM library, through H5LTset_attribute_string) writes them.
void write_spec_string(hid_t obj, const char* name, const std::string& value) {
    h5::Handle type(TESSERA_H5_CALL(H5Tcopy(H5T_C_S1)), H5Tclose);
    TESSERA_H5_CALL(H5Tset_size(type.get(), value.size() + 1));
    TESSERA_H5_CALL(H5Tset_strpad(type.get(), H5T_STR_NULLTERM));
    h5::Handle space(TESSERA_H5_CALL(H5Screate(H5S_SCALAR)), H5Sclose);
    h5::Handle attr(TESSERA_H5_CALL(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT)),
                    H5Aclose);
    TESSERA_H5_CALL(H5Awrite(attr.get(), type.get(), value.c_str()));
    attr.close();
}
}  // namespace

h5::Handle create_h5_image(const h5::File& file, const ImageInfo& info) {
    auto space = h5::dataspace(h5_image_dims(info));
    h5::Handle ds(TESSERA_H5_CALL(H5Dcreate2(file.get(), hdf5_image_dataset, h5_file_type(info.pixel), space.get(),
                                             H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)),
                  H5Dclose);
    write_spec_string(ds.get(), "CLASS", "IMAGE");
    write_spec_string(ds.get(), "IMAGE_VERSION", "1.2");
    // The specification knows grayscale [h, w] and true colour [h, w, 3]; gray + alpha and
    // RGBA are stored as [h, w, c] the same way, pixel-interleaved.
    if (info.channels == 1) {
        write_spec_string(ds.get(), "IMAGE_SUBCLASS", "IMAGE_GRAYSCALE");
    } else {
        write_spec_string(ds.get(), "IMAGE_SUBCLASS", "IMAGE_TRUECOLOR");
        write_spec_string(ds.get(), "INTERLACE_MODE", "INTERLACE_PIXEL");
    }
    return ds;
}

PixelType h5_pixel_type(hid_t dataset, const fs::path& path, const char* name) {
    h5::Handle type(TESSERA_H5_CALL(H5Dget_type(dataset)), H5Tclose);
    const H5T_class_t cls = H5Tget_class(type.get());
    const std::size_t size = H5Tget_size(type.get());
    std::string found;
    if (cls == H5T_INTEGER) {
        const bool is_signed = H5Tget_sign(type.get()) != H5T_SGN_NONE;
        if (!is_signed && size == 1) return PixelType::u8;
        if (!is_signed && size == 2) return PixelType::u16;
        found = (is_signed ? "int" : "uint") + std::to_string(8 * size);
    } else if (cls == H5T_FLOAT) {
        if (size == 4) return PixelType::f32;
        found = "float" + std::to_string(8 * size);
    } else {
        found = cls == H5T_STRING ? "string" : cls == H5T_COMPOUND ? "compound" : cls == H5T_ENUM ? "enum" : "non-numeric";
    }
    image_error(path, std::string("dataset /") + name + " has pixel type " + found +
                          " (supported: uint8, uint16, float32)");
}

ImageInfo h5_image_info(const h5::File& file, const fs::path& path) {
    if (!h5::has_dataset(file, hdf5_image_dataset)) image_error(path, "no dataset /image (an HDF5 image is /image)");
    h5::Handle ds(TESSERA_H5_CALL(H5Dopen2(file.get(), hdf5_image_dataset, H5P_DEFAULT)), H5Dclose);
    ImageInfo info;
    info.format = ImageFormat::hdf5;
    info.pixel = h5_pixel_type(ds.get(), path, hdf5_image_dataset);
    const auto dims = h5::dataset_dims(file, hdf5_image_dataset);
    if (dims.size() < 2 || dims.size() > 3 || (dims.size() == 3 && (dims[2] < 1 || dims[2] > 4)) || dims[0] == 0 ||
        dims[1] == 0) {
        std::ostringstream os;
        os << "dataset /image has shape (";
        for (std::size_t d = 0; d < dims.size(); ++d) os << (d ? ", " : "") << dims[d];
        os << ") (supported: [height, width] or [height, width, channels] with 1 to 4 channels)";
        image_error(path, os.str());
    }
    info.height = static_cast<std::int64_t>(dims[0]);
    info.width = static_cast<std::int64_t>(dims[1]);
    info.channels = dims.size() == 3 ? static_cast<int>(dims[2]) : 1;
    if (dims[0] > static_cast<hsize_t>(INT_MAX) || dims[1] > static_cast<hsize_t>(INT_MAX))
        image_error(path, "dataset /image of " + std::to_string(dims[1]) + " x " + std::to_string(dims[0]) +
                              " pixels is too large (sides up to 2^31 - 1)");
    check_plausible(path, info);
    return info;
}

}  // namespace detail

namespace {

std::size_t image_size(const ImageInfo& info) {
    return static_cast<std::size_t>(info.width) * static_cast<std::size_t>(info.height) *
           static_cast<std::size_t>(info.channels) * pixel_bytes(info.pixel);
}

// ---------------------------------------------------------------------------------------------
// Input: an open file read by offset, so decoders read what they need (headers only for info).

class InputFile {
public:
    explicit InputFile(const fs::path& path) : path_(path) {
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) image_error(path, std::string("cannot open: ") + std::strerror(errno));
        struct stat st {};
        if (::fstat(fd_, &st) != 0) {
            const std::string why = std::strerror(errno);
            ::close(fd_);
            image_error(path, "cannot open: " + why);
        }
        if (S_ISDIR(st.st_mode)) {
            ::close(fd_);
            image_error(path, "cannot open: Is a directory");
        }
        size_ = static_cast<std::uint64_t>(st.st_size);
    }
    ~InputFile() { ::close(fd_); }
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    const fs::path& path() const noexcept { return path_; }
    std::uint64_t size() const noexcept { return size_; }
    /// Reads exactly n bytes at `offset`; false at the end of the file or on an error.
    bool read_at(std::uint64_t offset, void* out, std::size_t n) const noexcept {
        auto* p = static_cast<char*>(out);
        while (n > 0) {
            const ssize_t got = ::pread(fd_, p, n, static_cast<off_t>(offset));
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) return false;
            p += got;
            n -= static_cast<std::size_t>(got);
            offset += static_cast<std::uint64_t>(got);
        }
        return true;
    }
    /// The first min(n, size) bytes.
    std::string prefix(std::size_t n) const {
        std::string s(static_cast<std::size_t>(std::min<std::uint64_t>(n, size_)), '\0');
        if (!read_at(0, s.data(), s.size())) image_error(path_, std::string("cannot read: ") + std::strerror(errno));
        return s;
    }
    std::string all() const { return prefix(static_cast<std::size_t>(size_)); }

private:
    fs::path path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

constexpr unsigned char kPngMagic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr unsigned char kHdf5Magic[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

bool starts_with(const std::string& s, const void* magic, std::size_t n) {
    return s.size() >= n && std::memcmp(s.data(), magic, n) == 0;
}

// The format the file's first bytes announce. An HDF5 file may start after a user block of
// 512, 1024, 2048... bytes; its signature is looked for there too.
std::optional<ImageFormat> sniff(const InputFile& f) {
    const std::string head = f.prefix(16);
    if (starts_with(head, kPngMagic, 8)) return ImageFormat::png;
    if (starts_with(head, "\xff\xd8\xff", 3)) return ImageFormat::jpeg;
    if (starts_with(head, "BM", 2)) return ImageFormat::bmp;
    if (head.size() >= 3 && head[0] == 'P' && head[1] >= '1' && head[1] <= '7' && std::isspace(static_cast<unsigned char>(head[2])))
        return ImageFormat::pnm;
    if (starts_with(head, "II*\0", 4) || starts_with(head, "MM\0*", 4) || starts_with(head, "II+\0", 4) ||
        starts_with(head, "MM\0+", 4))
        return ImageFormat::tiff;
    for (std::uint64_t at = 0; at + 8 <= f.size(); at = at == 0 ? 512 : 2 * at) {
        unsigned char sig[8];
        if (f.read_at(at, sig, 8) && std::memcmp(sig, kHdf5Magic, 8) == 0) return ImageFormat::hdf5;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// PNG through libpng. Its errors longjmp out of the library; the functions that call
// setjmp keep only trivially destructible locals, so the jump skips no destructor. Every CRC
// is checked (critical and ancillary chunks alike): a damaged file is an error, not a warning.

struct PngContext {
    const InputFile* file = nullptr;
    std::uint64_t pos = 0;
    std::string* out = nullptr;  // encoder's output
    bool out_of_memory = false;
    char error[256] = {};
};

void png_on_error(png_structp png, png_const_charp message) {
    auto* ctx = static_cast<PngContext*>(png_get_error_ptr(png));
    std::snprintf(ctx->error, sizeof ctx->error, "%s", message ? message : "libpng error");
    png_longjmp(png, 1);
}
void png_on_warning(png_structp, png_const_charp) {}

void png_read_bytes(png_structp png, png_bytep out, size_t n) {
    auto* ctx = static_cast<PngContext*>(png_get_io_ptr(png));
    if (!ctx->file->read_at(ctx->pos, out, n)) png_error(png, "unexpected end of file");
    ctx->pos += n;
}

struct PngDecoded {
    ImageInfo info;
    std::vector<unsigned char> bytes;
    std::vector<png_bytep> rows;
};

bool png_decode(PngContext& ctx, bool header_only, PngDecoded& out) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, png_on_error, png_on_warning);
    if (!png) return false;
    png_infop pinfo = png_create_info_struct(png);
    if (!pinfo) {
        png_destroy_read_struct(&png, nullptr, nullptr);
        return false;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &pinfo, nullptr);
        return false;
    }
    png_set_read_fn(png, &ctx, png_read_bytes);
    png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
    png_read_info(png, pinfo);
    const int color = png_get_color_type(png, pinfo);
    const int depth = png_get_bit_depth(png, pinfo);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, pinfo, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (depth == 16) png_set_swap(png);  // PNG stores big-endian samples; this host wants its own order
    png_set_interlace_handling(png);
    png_read_update_info(png, pinfo);
    out.info.format = ImageFormat::png;
    out.info.width = png_get_image_width(png, pinfo);
    out.info.height = png_get_image_height(png, pinfo);
    out.info.channels = png_get_channels(png, pinfo);
    out.info.pixel = png_get_bit_depth(png, pinfo) == 16 ? PixelType::u16 : PixelType::u8;
    if (!header_only) {
        const std::size_t rowbytes = png_get_rowbytes(png, pinfo);
        const auto h = static_cast<std::size_t>(out.info.height);
        bool allocated = true;
        try {
            out.bytes.resize(rowbytes * h);
            out.rows.resize(h);
        } catch (const std::bad_alloc&) {
            allocated = false;
        }
        if (!allocated) png_error(png, "out of memory");
        for (std::size_t j = 0; j < h; ++j) out.rows[j] = out.bytes.data() + j * rowbytes;
        png_read_image(png, out.rows.data());
        png_read_end(png, nullptr);  // the rest of the stream: trailing CRCs and IEND
    }
    png_destroy_read_struct(&png, &pinfo, nullptr);
    return true;
}

Image read_png(const InputFile& f, bool header_only) {
    PngContext ctx;
    ctx.file = &f;
    PngDecoded out;
    if (!png_decode(ctx, header_only, out)) image_error(f.path(), std::string("truncated or corrupt PNG (") + ctx.error + ")");
    return Image{out.info, std::move(out.bytes)};
}

void png_write_bytes(png_structp png, png_bytep data, size_t n) {
    auto* ctx = static_cast<PngContext*>(png_get_io_ptr(png));
    try {
        ctx->out->append(reinterpret_cast<const char*>(data), n);
    } catch (const std::bad_alloc&) {
        ctx->out_of_memory = true;
    }
    if (ctx->out_of_memory) png_error(png, "out of memory");
}
void png_flush_bytes(png_structp) {}

bool png_encode(const Image& image, PngContext& ctx) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, png_on_error, png_on_warning);
    if (!png) return false;
    png_infop pinfo = png_create_info_struct(png);
    if (!pinfo) {
        png_destroy_write_struct(&png, nullptr);
        return false;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &pinfo);
        return false;
    }
    png_set_write_fn(png, &ctx, png_write_bytes, png_flush_bytes);
    static constexpr int kColor[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                      PNG_COLOR_TYPE_RGB_ALPHA};
    const int depth = image.info.pixel == PixelType::u16 ? 16 : 8;
    png_set_IHDR(png, pinfo, static_cast<png_uint_32>(image.info.width), static_cast<png_uint_32>(image.info.height),
                 depth, kColor[image.info.channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, pinfo);
    if (depth == 16) png_set_swap(png);  // rows in memory are in host order, PNG's big-endian
    const std::size_t row = static_cast<std::size_t>(image.info.width) * static_cast<std::size_t>(image.info.channels) *
                            pixel_bytes(image.info.pixel);
    for (std::int64_t j = 0; j < image.info.height; ++j)
        png_write_row(png, image.bytes.data() + static_cast<std::size_t>(j) * row);
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &pinfo);
    return true;
}

void write_png_file(const fs::path& path, const Image& image) {
    std::string encoded;
    PngContext ctx;
    ctx.out = &encoded;
    if (!png_encode(image, ctx)) image_error(path, std::string("cannot encode PNG: ") + ctx.error);
    write_file_atomically(path, encoded);
}

// ---------------------------------------------------------------------------------------------
// JPEG and BMP through stb_image, which fills missing data with zeros rather than failing: the
// checks for a complete file are made here first.

struct StbReader {
    const InputFile* file;
    std::uint64_t pos = 0;
};
int stb_read(void* user, char* data, int size) {
    auto* r = static_cast<StbReader*>(user);
    const auto n = static_cast<std::size_t>(
        std::min<std::uint64_t>(static_cast<std::uint64_t>(size), r->file->size() - std::min(r->pos, r->file->size())));
    if (n > 0 && !r->file->read_at(r->pos, data, n)) return 0;
    r->pos += n;
    return static_cast<int>(n);
}
void stb_skip(void* user, int n) {
    auto* r = static_cast<StbReader*>(user);
    if (n < 0 && static_cast<std::uint64_t>(-n) > r->pos) r->pos = 0;
    else r->pos = static_cast<std::uint64_t>(static_cast<std::int64_t>(r->pos) + n);
}
int stb_eof(void* user) {
    auto* r = static_cast<StbReader*>(user);
    return r->pos >= r->file->size();
}
const stbi_io_callbacks kStbCallbacks = {stb_read, stb_skip, stb_eof};

std::string stb_reason() {
    const char* why = stbi_failure_reason();
    return why ? why : "stb_image failed";
}

// A complete JPEG has an end-of-image marker after its last start-of-scan marker (entropy-coded
// data stuffs every 0xFF byte, so neither marker can appear inside it; thumbnails in EXIF come
// before the main image's scans).
bool jpeg_complete(const std::string& data) {
    if (data.size() < 4) return false;
    std::size_t last_sos = std::string::npos;
    for (std::size_t k = data.size() - 1; k-- > 0;) {
        if (static_cast<unsigned char>(data[k]) == 0xff && static_cast<unsigned char>(data[k + 1]) == 0xda) {
            last_sos = k;
            break;
        }
    }
    if (last_sos == std::string::npos) return false;
    for (std::size_t k = last_sos + 2; k + 1 < data.size(); ++k)
        if (static_cast<unsigned char>(data[k]) == 0xff && static_cast<unsigned char>(data[k + 1]) == 0xd9) return true;
    return false;
}

// Walks the JPEG's marker segments and checks each Huffman table (DHT) holds at most 256
// codes: stb_image 2.27 writes past its tables on more (its 2.28 checks this itself).
bool jpeg_tables_ok(const std::string& data) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(data[k]); };
    std::size_t pos = 2;
    while (pos + 1 < data.size()) {
        if (byte(pos) != 0xff) return false;
        const unsigned char marker = byte(pos + 1);
        if (marker == 0xff) {  // fill byte
            ++pos;
            continue;
        }
        if (marker == 0xd9) return true;
        if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
            pos += 2;
            continue;
        }
        if (pos + 4 > data.size()) return false;
        const std::size_t len = (std::size_t{byte(pos + 2)} << 8) | byte(pos + 3);
        if (len < 2 || pos + 2 + len > data.size()) return false;
        if (marker == 0xc4) {
            for (std::size_t t = pos + 4; t < pos + 2 + len;) {
                if (t + 17 > pos + 2 + len) return false;
                std::size_t codes = 0;
                for (std::size_t k = 1; k <= 16; ++k) codes += byte(t + k);
                if (codes > 256) return false;
                t += 17 + codes;
            }
        }
        pos += 2 + len;
        if (marker == 0xda) {  // entropy-coded data up to the next marker (0xFF 0x00 is a byte)
            while (pos + 1 < data.size() &&
                   !(byte(pos) == 0xff && byte(pos + 1) != 0 && !(byte(pos + 1) >= 0xd0 && byte(pos + 1) <= 0xd7)))
                ++pos;
        }
    }
    return false;
}

Image stb_decode(const InputFile& f, const std::string& data, ImageInfo info, const char* format) {
    int w = 0, h = 0, n = 0;
    stbi_uc* px = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(data.data()), static_cast<int>(data.size()),
                                        &w, &h, &n, info.channels);
    if (!px) image_error(f.path(), std::string("truncated or corrupt ") + format + " (" + stb_reason() + ")");
    std::unique_ptr<stbi_uc, void (*)(void*)> owned(px, stbi_image_free);
    info.width = w;
    info.height = h;
    Image image{info, {}};
    image.bytes.assign(px, px + image_size(info));
    return image;
}

Image read_jpeg(const InputFile& f, bool header_only) {
    StbReader reader{&f};
    int w = 0, h = 0, n = 0;
    if (!stbi_info_from_callbacks(&kStbCallbacks, &reader, &w, &h, &n))
        image_error(f.path(), std::string("truncated or corrupt JPEG (") + stb_reason() + ")");
    ImageInfo info{w, h, n >= 3 ? 3 : 1, PixelType::u8, ImageFormat::jpeg};
    if (header_only) return Image{info, {}};
    if (f.size() > static_cast<std::uint64_t>(INT_MAX)) image_error(f.path(), "JPEG files over 2 GiB are not supported");
    const std::string data = f.all();
    if (!jpeg_complete(data)) image_error(f.path(), "truncated or corrupt JPEG (no end-of-image marker after the last scan)");
    if (!jpeg_tables_ok(data)) image_error(f.path(), "truncated or corrupt JPEG (bad marker segment or Huffman table)");
    return stb_decode(f, data, info, "JPEG");
}

std::uint32_t le32(const std::string& s, std::size_t at) {
    std::uint32_t v = 0;
    for (int k = 3; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(k)]);
    return v;
}
std::uint16_t le16(const std::string& s, std::size_t at) {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(s[at]) | (static_cast<unsigned char>(s[at + 1]) << 8));
}

// BMP: the header says how many bytes of pixels follow; a file shorter than that is truncated.
// An 8-bit (or smaller) palette of grays only is one channel, as the BMPs written here are.
Image read_bmp(const InputFile& f, bool header_only) {
    const std::string head = f.prefix(14 + 124 + 4 * 256);
    if (head.size() < 26) image_error(f.path(), "truncated or corrupt BMP (header cut short)");
    const std::uint32_t offbits = le32(head, 10), dib = le32(head, 14);
    std::int64_t w = 0, h = 0;
    std::uint32_t bpp = 0, compression = 0, size_image = 0, colors = 0, entry = 4;
    if (dib == 12) {
        w = le16(head, 18);
        h = le16(head, 20);
        bpp = le16(head, 24);
        entry = 3;
    } else if (dib >= 40 && head.size() >= 54) {
        w = static_cast<std::int32_t>(le32(head, 18));
        h = static_cast<std::int32_t>(le32(head, 22));
        bpp = le16(head, 28);
        compression = le32(head, 30);
        size_image = le32(head, 34);
        colors = le32(head, 46);
    } else {
        image_error(f.path(), "truncated or corrupt BMP (unknown header of " + std::to_string(dib) + " bytes)");
    }
    h = h < 0 ? -h : h;
    if (w <= 0 || h <= 0 || bpp == 0 || bpp > 32)
        image_error(f.path(), "truncated or corrupt BMP (" + std::to_string(w) + " x " + std::to_string(h) + " pixels, " +
                                  std::to_string(bpp) + " bits per pixel)");
    detail::check_plausible(f.path(), ImageInfo{w, h, 4, PixelType::u8, ImageFormat::bmp});
    std::uint64_t data = 0;
    if (compression == 0 || compression == 3 || compression == 6) {
        data = (static_cast<std::uint64_t>(w) * bpp + 31) / 32 * 4 * static_cast<std::uint64_t>(h);  // < 2^50
    } else if (compression == 1 || compression == 2) {
        data = size_image;  // run-length encoded: the header's byte count
    } else {
        image_error(f.path(), "BMP compression " + std::to_string(compression) + " is not supported");
    }
    if (offbits < 14 + dib || std::uint64_t{offbits} + data > f.size())
        image_error(f.path(), "truncated or corrupt BMP (the header promises " + std::to_string(std::uint64_t{offbits} + data) +
                                  " bytes, the file has " + std::to_string(f.size()) + ")");
    int channels = 3;
    if (bpp <= 8) {
        const std::uint32_t n = colors > 0 && colors <= (1u << bpp) ? colors : 1u << bpp;
        const std::size_t at = 14 + dib;
        bool gray = at + n * entry <= head.size();
        for (std::uint32_t k = 0; gray && k < n; ++k) {
            const std::size_t e = at + k * entry;
            gray = head[e] == head[e + 1] && head[e + 1] == head[e + 2];
        }
        if (gray) channels = 1;
    } else {
        StbReader reader{&f};
        int iw = 0, ih = 0, n = 0;
        if (!stbi_info_from_callbacks(&kStbCallbacks, &reader, &iw, &ih, &n))
            image_error(f.path(), std::string("truncated or corrupt BMP (") + stb_reason() + ")");
        channels = n == 4 ? 4 : 3;
    }
    ImageInfo info{w, h, channels, PixelType::u8, ImageFormat::bmp};
    if (header_only) return Image{info, {}};
    if (f.size() > static_cast<std::uint64_t>(INT_MAX)) image_error(f.path(), "BMP files over 2 GiB are not supported");
    return stb_decode(f, f.all(), info, "BMP");
}

// stb_image_write's output callback: appends to a std::string (stb cannot report a failure, so
// an allocation failure is remembered and reported after it returns).
struct StbOut {
    std::string data;
    bool failed = false;
};
void stb_write(void* context, void* data, int size) {
    auto* out = static_cast<StbOut*>(context);
    try {
        out->data.append(static_cast<const char*>(data), static_cast<std::size_t>(size));
    } catch (const std::bad_alloc&) {
        out->failed = true;
    }
}

void put_le(std::string& s, std::uint32_t v, int bytes) {
    for (int k = 0; k < bytes; ++k) s.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
}

// A one-channel BMP as 8 bits per pixel with a gray palette (stb writes gray as 24-bit RGB).
std::string encode_gray_bmp(const Image& image) {
    const auto w = static_cast<std::uint32_t>(image.info.width), h = static_cast<std::uint32_t>(image.info.height);
    const std::uint32_t stride = (w + 3) / 4 * 4, offbits = 14 + 40 + 1024;
    std::string s;
    s.reserve(offbits + std::size_t{stride} * h);
    s += "BM";
    put_le(s, offbits + stride * h, 4);
    put_le(s, 0, 4);
    put_le(s, offbits, 4);
    put_le(s, 40, 4);
    put_le(s, w, 4);
    put_le(s, h, 4);  // positive: rows bottom to top
    put_le(s, 1, 2);
    put_le(s, 8, 2);
    put_le(s, 0, 4);  // BI_RGB
    put_le(s, stride * h, 4);
    put_le(s, 2835, 4);  // 72 dpi
    put_le(s, 2835, 4);
    put_le(s, 256, 4);
    put_le(s, 0, 4);
    for (std::uint32_t k = 0; k < 256; ++k) put_le(s, k | (k << 8) | (k << 16), 4);
    for (std::uint32_t j = h; j-- > 0;) {
        s.append(reinterpret_cast<const char*>(image.bytes.data()) + std::size_t{j} * w, w);
        s.append(stride - w, '\0');
    }
    return s;
}

void write_stb_file(const fs::path& path, const Image& image, ImageFormat format) {
    if (format == ImageFormat::bmp && image.info.channels == 1) {
        write_file_atomically(path, encode_gray_bmp(image));
        return;
    }
    StbOut out;
    const int w = static_cast<int>(image.info.width), h = static_cast<int>(image.info.height), c = image.info.channels;
    const int ok = format == ImageFormat::jpeg ? stbi_write_jpg_to_func(stb_write, &out, w, h, c, image.bytes.data(), 95)
                                               : stbi_write_bmp_to_func(stb_write, &out, w, h, c, image.bytes.data());
    if (!ok || out.failed) image_error(path, std::string("cannot encode ") + to_string(format));
    write_file_atomically(path, out.data);
}

// ---------------------------------------------------------------------------------------------
// PGM/PPM: binary P5 (gray) and P6 (RGB), maxval up to 65535 (two bytes, big-endian, above 255).
// Samples are returned as stored, not rescaled to the full range.

struct PnmHeader {
    int channels = 1;
    std::int64_t width = 0, height = 0, maxval = 0;
    std::size_t data = 0;  // offset of the pixels
};

PnmHeader parse_pnm(const InputFile& f, const std::string& s) {
    if (s[1] != '5' && s[1] != '6')
        image_error(f.path(), std::string("PNM variant P") + s[1] + " is not supported (supported: binary P5 PGM, P6 PPM)");
    PnmHeader hdr;
    hdr.channels = s[1] == '5' ? 1 : 3;
    std::size_t at = 2;
    std::int64_t values[3] = {};
    for (auto& v : values) {
        while (at < s.size() && (std::isspace(static_cast<unsigned char>(s[at])) || s[at] == '#')) {
            if (s[at] == '#') while (at < s.size() && s[at] != '\n' && s[at] != '\r') ++at;
            else ++at;
        }
        if (at >= s.size() || !std::isdigit(static_cast<unsigned char>(s[at])))
            image_error(f.path(), "truncated or corrupt PGM/PPM header");
        while (at < s.size() && std::isdigit(static_cast<unsigned char>(s[at])) && v < (std::int64_t{1} << 40))
            v = 10 * v + (s[at++] - '0');
    }
    if (at >= s.size() || !std::isspace(static_cast<unsigned char>(s[at])))
        image_error(f.path(), "truncated or corrupt PGM/PPM header");
    hdr.width = values[0];
    hdr.height = values[1];
    hdr.maxval = values[2];
    hdr.data = at + 1;
    if (hdr.width <= 0 || hdr.height <= 0 || hdr.width > INT_MAX || hdr.height > INT_MAX || hdr.maxval <= 0 ||
        hdr.maxval > 65535)
        image_error(f.path(), "corrupt PGM/PPM header (" + std::to_string(hdr.width) + " x " + std::to_string(hdr.height) +
                                  ", maxval " + std::to_string(hdr.maxval) + ")");
    return hdr;
}

Image read_pnm(const InputFile& f, bool header_only) {
    const PnmHeader hdr = parse_pnm(f, f.prefix(64 * 1024));
    ImageInfo info{hdr.width, hdr.height, hdr.channels, hdr.maxval > 255 ? PixelType::u16 : PixelType::u8,
                   ImageFormat::pnm};
    detail::check_plausible(f.path(), info);
    const std::size_t bytes = image_size(info);
    if (hdr.data + bytes > f.size())
        image_error(f.path(), "truncated PGM/PPM (" + std::to_string(bytes) + " bytes of pixels expected, " +
                                  std::to_string(f.size() - std::min<std::uint64_t>(f.size(), hdr.data)) + " present)");
    Image image{info, {}};
    if (header_only) return image;
    image.bytes.resize(bytes);
    if (!f.read_at(hdr.data, image.bytes.data(), bytes)) image_error(f.path(), "truncated PGM/PPM");
    if (info.pixel == PixelType::u16)
        for (std::size_t k = 0; k < bytes; k += 2) std::swap(image.bytes[k], image.bytes[k + 1]);  // big-endian
    return image;
}

void write_pnm_file(const fs::path& path, const Image& image) {
    const bool wide = image.info.pixel == PixelType::u16;
    std::string s = std::string(image.info.channels == 1 ? "P5\n" : "P6\n") + std::to_string(image.info.width) + " " +
                    std::to_string(image.info.height) + "\n" + (wide ? "65535" : "255") + "\n";
    const std::size_t header = s.size();
    s.append(reinterpret_cast<const char*>(image.bytes.data()), image.bytes.size());
    if (wide)
        for (std::size_t k = header; k < s.size(); k += 2) std::swap(s[k], s[k + 1]);
    write_file_atomically(path, s);
}

// ---------------------------------------------------------------------------------------------
// TIFF through libtiff, with per-file error and warning handlers (libtiff 4.5's TIFFOpenExt):
// the first error message is kept for the exception, nothing is printed.

struct TiffMessages {
    std::string first;
};
int tiff_on_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
    auto* m = static_cast<TiffMessages*>(user);
    if (m->first.empty()) {
        char text[512];
        std::vsnprintf(text, sizeof text, fmt, ap);
        m->first = (module ? std::string(module) + ": " : std::string()) + text;
    }
    return 1;
}
int tiff_on_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

struct TiffHandle {
    TIFF* tif = nullptr;
    TiffMessages messages;
    TiffHandle(const fs::path& path, const char* mode) {
        TIFFOpenOptions* opts = TIFFOpenOptionsAlloc();
        TIFFOpenOptionsSetErrorHandlerExtR(opts, tiff_on_error, &messages);
        TIFFOpenOptionsSetWarningHandlerExtR(opts, tiff_on_warning, nullptr);
        tif = TIFFOpenExt(path.c_str(), mode, opts);
        TIFFOpenOptionsFree(opts);
    }
    ~TiffHandle() {
        if (tif) TIFFClose(tif);
    }
    TiffHandle(const TiffHandle&) = delete;
    TiffHandle& operator=(const TiffHandle&) = delete;
    std::string why() const { return messages.first.empty() ? std::string("libtiff error") : messages.first; }
};

Image read_tiff(const InputFile& f, bool header_only) {
    TiffHandle t(f.path(), "r");
    if (!t.tif) image_error(f.path(), "truncated or corrupt TIFF (" + t.why() + ")");
    std::uint32_t w = 0, h = 0;
    std::uint16_t spp = 1, bps = 1, format = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG, photometric = 0;
    if (!TIFFGetField(t.tif, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(t.tif, TIFFTAG_IMAGELENGTH, &h) || w == 0 || h == 0)
        image_error(f.path(), "corrupt TIFF (no image size)");
    TIFFGetFieldDefaulted(t.tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(t.tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(t.tif, TIFFTAG_SAMPLEFORMAT, &format);
    TIFFGetFieldDefaulted(t.tif, TIFFTAG_PLANARCONFIG, &planar);
    if (!TIFFGetField(t.tif, TIFFTAG_PHOTOMETRIC, &photometric)) photometric = spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
    ImageInfo info{w, h, spp, PixelType::u8, ImageFormat::tiff};
    if (bps == 8 && format == SAMPLEFORMAT_UINT) info.pixel = PixelType::u8;
    else if (bps == 16 && format == SAMPLEFORMAT_UINT) info.pixel = PixelType::u16;
    else if (bps == 32 && format == SAMPLEFORMAT_IEEEFP) info.pixel = PixelType::f32;
    else
        image_error(f.path(), "TIFF with " + std::to_string(bps) + "-bit " +
                                  (format == SAMPLEFORMAT_INT ? "signed" : format == SAMPLEFORMAT_IEEEFP ? "float" : "unsigned") +
                                  " samples is not supported (supported: 8- or 16-bit unsigned, 32-bit float)");
    if (spp < 1 || spp > 4)
        image_error(f.path(), "TIFF with " + std::to_string(spp) + " samples per pixel is not supported (supported: 1 to 4)");
    if (planar != PLANARCONFIG_CONTIG)
        image_error(f.path(), "TIFF with separate colour planes is not supported (supported: contiguous, PlanarConfiguration 1)");
    if (!(photometric == PHOTOMETRIC_MINISBLACK && spp <= 2) && !(photometric == PHOTOMETRIC_RGB && spp >= 3))
        image_error(f.path(), "TIFF photometric interpretation " + std::to_string(photometric) + " with " +
                                  std::to_string(spp) + " samples is not supported (supported: grayscale with 1 or 2 "
                                  "samples, RGB with 3 or 4)");
    detail::check_plausible(f.path(), info);
    Image image{info, {}};
    if (header_only) return image;
    // A damaged header must not make us allocate (and zero) terabytes: above 1 GiB, uncompressed
    // pixels must be in the file, compressed ones at most 4096 times smaller (beyond what
    // deflate or LZW reach).
    std::uint16_t compression = COMPRESSION_NONE;
    TIFFGetFieldDefaulted(t.tif, TIFFTAG_COMPRESSION, &compression);
    const std::uint64_t ratio = compression == COMPRESSION_NONE ? 1 : 4096;
    if (image_size(info) > std::max<std::uint64_t>(f.size() * ratio, std::uint64_t{1} << 30))
        image_error(f.path(), "truncated or corrupt TIFF (" + std::to_string(image_size(info)) +
                                  " bytes of pixels from a file of " + std::to_string(f.size()) + ")");
    image.bytes.resize(image_size(info));
    const std::size_t row = static_cast<std::size_t>(w) * spp * pixel_bytes(info.pixel);
    auto fail = [&] { image_error(f.path(), "truncated or corrupt TIFF (" + t.why() + ")"); };
    if (TIFFIsTiled(t.tif)) {
        std::uint32_t tw = 0, th = 0;
        TIFFGetField(t.tif, TIFFTAG_TILEWIDTH, &tw);
        TIFFGetField(t.tif, TIFFTAG_TILELENGTH, &th);
        if (tw == 0 || th == 0) fail();
        std::vector<unsigned char> tile(static_cast<std::size_t>(TIFFTileSize(t.tif)));
        const std::size_t tile_row = static_cast<std::size_t>(tw) * spp * pixel_bytes(info.pixel);
        for (std::uint32_t y = 0; y < h; y += th)
            for (std::uint32_t x = 0; x < w; x += tw) {
                if (TIFFReadTile(t.tif, tile.data(), x, y, 0, 0) < 0) fail();
                const std::size_t bytes = static_cast<std::size_t>(std::min(tw, w - x)) * spp * pixel_bytes(info.pixel);
                for (std::uint32_t j = y; j < std::min(h, y + th); ++j)
                    std::memcpy(image.bytes.data() + j * row + x * spp * pixel_bytes(info.pixel),
                                tile.data() + (j - y) * tile_row, bytes);
            }
    } else {
        if (static_cast<std::size_t>(TIFFScanlineSize64(t.tif)) != row) fail();
        for (std::uint32_t j = 0; j < h; ++j)
            if (TIFFReadScanline(t.tif, image.bytes.data() + j * row, j, 0) < 0) fail();
    }
    if (!t.messages.first.empty()) fail();
    return image;
}

void write_tiff_file(const fs::path& path, const Image& image) {
    AtomicFile file(path);
    {
        // Classic TIFF addresses 4 GiB; larger images need BigTIFF ("w8").
        const bool big = image.bytes.size() > (std::size_t{3} << 30);
        TiffHandle t(file.temporary(), big ? "w8" : "w");
        if (!t.tif) image_error(path, "cannot write TIFF (" + t.why() + ")");
        const auto w = static_cast<std::uint32_t>(image.info.width), h = static_cast<std::uint32_t>(image.info.height);
        const auto spp = static_cast<std::uint16_t>(image.info.channels);
        const auto bytes = pixel_bytes(image.info.pixel);
        TIFFSetField(t.tif, TIFFTAG_IMAGEWIDTH, w);
        TIFFSetField(t.tif, TIFFTAG_IMAGELENGTH, h);
        TIFFSetField(t.tif, TIFFTAG_SAMPLESPERPIXEL, spp);
        TIFFSetField(t.tif, TIFFTAG_BITSPERSAMPLE, static_cast<std::uint16_t>(8 * bytes));
        TIFFSetField(t.tif, TIFFTAG_SAMPLEFORMAT,
                     static_cast<std::uint16_t>(image.info.pixel == PixelType::f32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT));
        TIFFSetField(t.tif, TIFFTAG_PLANARCONFIG, static_cast<std::uint16_t>(PLANARCONFIG_CONTIG));
        TIFFSetField(t.tif, TIFFTAG_PHOTOMETRIC,
                     static_cast<std::uint16_t>(spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK));
        TIFFSetField(t.tif, TIFFTAG_COMPRESSION, static_cast<std::uint16_t>(COMPRESSION_NONE));
        if (spp == 2 || spp == 4) {
            const std::uint16_t extra[1] = {EXTRASAMPLE_UNASSALPHA};
            TIFFSetField(t.tif, TIFFTAG_EXTRASAMPLES, std::uint16_t{1}, extra);
        }
        TIFFSetField(t.tif, TIFFTAG_ROWSPERSTRIP, TIFFDefaultStripSize(t.tif, 0));
        const std::size_t row = std::size_t{w} * spp * bytes;
        std::vector<unsigned char> line(row);  // TIFFWriteScanline may modify its buffer
        for (std::uint32_t j = 0; j < h; ++j) {
            std::memcpy(line.data(), image.bytes.data() + j * row, row);
            if (TIFFWriteScanline(t.tif, line.data(), j, 0) < 0) image_error(path, "cannot write TIFF (" + t.why() + ")");
        }
        if (!TIFFFlush(t.tif) || !t.messages.first.empty()) image_error(path, "cannot write TIFF (" + t.why() + ")");
    }
    file.commit();
}

// ---------------------------------------------------------------------------------------------
// HDF5 images, one process (serial driver).

Image read_hdf5(const InputFile& f, bool header_only) {
    try {
        auto file = h5::File::open(f.path(), false);
        Image image{detail::h5_image_info(file, f.path()), {}};
        if (header_only) return image;
        h5::Handle ds(TESSERA_H5_CALL(H5Dopen2(file.get(), hdf5_image_dataset, H5P_DEFAULT)), H5Dclose);
        // As for TIFF: above 1 GiB, the pixels of a contiguous dataset must be in the file,
        // chunked ones (perhaps compressed) at most 4096 times smaller.
        h5::Handle dcpl(TESSERA_H5_CALL(H5Dget_create_plist(ds.get())), H5Pclose);
        const std::uint64_t ratio = H5Pget_layout(dcpl.get()) == H5D_CHUNKED ? 4096 : 1;
        if (image_size(image.info) > std::max<std::uint64_t>(f.size() * ratio, std::uint64_t{1} << 30))
            image_error(f.path(), "truncated or corrupt HDF5 image (" + std::to_string(image_size(image.info)) +
                                      " bytes of pixels from a file of " + std::to_string(f.size()) + ")");
        image.bytes.resize(image_size(image.info));
        TESSERA_H5_CALL(H5Dread(ds.get(), detail::h5_memory_type(image.info.pixel), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                image.bytes.data()));
        ds.close();
        file.close();
        return image;
    } catch (const Error& e) {
        const std::string what = e.what();
        if (what.rfind(f.path().string() + ": ", 0) == 0) throw;
        image_error(f.path(), "truncated or corrupt HDF5 image (" + what + ")");
    }
}

void write_hdf5_file(const fs::path& path, const Image& image) {
    AtomicFile atomic(path);
    try {
        auto file = h5::File::create(atomic.temporary());
        auto ds = detail::create_h5_image(file, image.info);
        TESSERA_H5_CALL(H5Dwrite(ds.get(), detail::h5_memory_type(image.info.pixel), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                 image.bytes.data()));
        ds.close();
        file.close();
    } catch (const Error& e) {
        image_error(path, std::string("cannot write HDF5 image: ") + e.what());
    }
    atomic.commit();
}

Image decode(const fs::path& path, bool header_only) {
    InputFile f(path);
    if (f.size() == 0) image_error(path, "empty file, not an image");
    const auto format = sniff(f);
    if (!format) image_error(path, "not an image in a supported format (PNG, JPEG, BMP, PGM/PPM, TIFF, HDF5)");
    try {
        switch (*format) {
        case ImageFormat::png: return read_png(f, header_only);
        case ImageFormat::jpeg: return read_jpeg(f, header_only);
        case ImageFormat::bmp: return read_bmp(f, header_only);
        case ImageFormat::pnm: return read_pnm(f, header_only);
        case ImageFormat::tiff: return read_tiff(f, header_only);
        case ImageFormat::hdf5: return read_hdf5(f, header_only);
        }
    } catch (const std::bad_alloc&) {
        image_error(path, "not enough memory to read the image");
    }
    image_error(path, "unknown format");
}

}  // namespace

ImageInfo read_image_info(const fs::path& path) { return decode(path, true).info; }

Image read_image(const fs::path& path) { return decode(path, false); }

void write_image(const fs::path& path, const Image& image) {
    const ImageFormat format = detail::check_writable(path, image.info);
    if (image.bytes.size() != image_size(image.info))
        image_error(path, "the image holds " + std::to_string(image.bytes.size()) + " bytes, its size needs " +
                              std::to_string(image_size(image.info)));
    try {
        switch (format) {
        case ImageFormat::png: write_png_file(path, image); break;
        case ImageFormat::jpeg:
        case ImageFormat::bmp: write_stb_file(path, image, format); break;
        case ImageFormat::pnm: write_pnm_file(path, image); break;
        case ImageFormat::tiff: write_tiff_file(path, image); break;
        case ImageFormat::hdf5: write_hdf5_file(path, image); break;
        }
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        // AtomicFile's errors (a full disk, no permission) name the path already.
        throw Error(e.what(), __FILE__, __LINE__);
    }
}

}  // namespace tessera::io
