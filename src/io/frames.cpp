// Batches of frames in one process: folders and glob patterns of image files, HDF5 stacks read
// one hyperslab per frame, and an HDF5 stack written frame by frame under `<path>.partial`.
#include "tessera/io/frames.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <sstream>
#include <system_error>

#include "image_detail.hpp"
#include "tessera/core/error.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/hdf5.hpp"

namespace tessera::io {

namespace fs = std::filesystem;
using detail::image_error;

const char* to_string(FrameSetKind kind) noexcept {
    switch (kind) {
    case FrameSetKind::folder: return "folder";
    case FrameSetKind::glob: return "glob";
    case FrameSetKind::hdf5_stack: return "HDF5 stack";
    }
    return "?";
}

namespace {

std::size_t frame_bytes(const ImageInfo& info) {
    return static_cast<std::size_t>(info.width) * static_cast<std::size_t>(info.height) *
           static_cast<std::size_t>(info.channels) * pixel_bytes(info.pixel);
}

bool same_layout(const ImageInfo& a, const ImageInfo& b) {
    return a.width == b.width && a.height == b.height && a.channels == b.channels && a.pixel == b.pixel;
}

std::string describe(const ImageInfo& info) {
    return std::to_string(info.width) + "x" + std::to_string(info.height) + ", " + std::to_string(info.channels) +
           " channel(s), " + to_string(info.pixel);
}

// The file-name part holds a wildcard of fnmatch(3); the folder part is taken literally.
bool has_wildcard(const fs::path& spec) {
    return spec.filename().string().find_first_of("*?[") != std::string::npos;
}

bool is_hidden(const fs::path& file) { return file.filename().string().rfind('.', 0) == 0; }

// Sorted by file name, byte by byte (std::string compares as unsigned char, like memcmp).
void sort_by_name(std::vector<fs::path>& files) {
    std::sort(files.begin(), files.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
}

// ---------------------------------------------------------------------------------------------
// HDF5 stacks: /frames [n, h, w] or [n, h, w, c].

std::vector<hsize_t> stack_dims(gindex_t count, const ImageInfo& frame) {
    std::vector<hsize_t> dims{static_cast<hsize_t>(count), static_cast<hsize_t>(frame.height),
                              static_cast<hsize_t>(frame.width)};
    if (frame.channels > 1) dims.push_back(static_cast<hsize_t>(frame.channels));
    return dims;
}

std::string shape_text(const std::vector<hsize_t>& dims) {
    std::ostringstream os;
    os << "(";
    for (std::size_t d = 0; d < dims.size(); ++d) os << (d ? ", " : "") << dims[d];
    os << ")";
    return os.str();
}

struct StackLayout {
    gindex_t count = 0;
    ImageInfo frame;
};

// Local (the dataset is open): the stack's frame count and frame layout, or throws naming
// `path` (a shape other than [n, h, w] or [n, h, w, 1..4], an unsupported pixel type, an
// implausible size).
StackLayout stack_layout(hid_t dataset, const fs::path& path) {
    StackLayout s;
    s.frame.format = ImageFormat::hdf5;
    s.frame.pixel = detail::h5_pixel_type(dataset, path, hdf5_frames_dataset);
    h5::Handle space(TESSERA_H5_CALL(H5Dget_space(dataset)), H5Sclose);
    const int rank = TESSERA_H5_CALL(H5Sget_simple_extent_ndims(space.get()));
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    TESSERA_H5_CALL(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr));
    if (rank < 3 || rank > 4 || (rank == 4 && (dims[3] < 1 || dims[3] > 4)) || dims[1] == 0 || dims[2] == 0)
        image_error(path, "dataset /frames has shape " + shape_text(dims) +
                              " (supported: [frames, height, width] or [frames, height, width, channels] with 1 to "
                              "4 channels)");
    if (dims[0] == 0) image_error(path, "dataset /frames holds no frames (an empty batch)");
    if (dims[0] > static_cast<hsize_t>(INT64_MAX) || dims[1] > static_cast<hsize_t>(INT_MAX) ||
        dims[2] > static_cast<hsize_t>(INT_MAX))
        image_error(path, "dataset /frames of shape " + shape_text(dims) + " is too large");
    s.count = static_cast<gindex_t>(dims[0]);
    s.frame.height = static_cast<std::int64_t>(dims[1]);
    s.frame.width = static_cast<std::int64_t>(dims[2]);
    s.frame.channels = rank == 4 ? static_cast<int>(dims[3]) : 1;
    detail::check_plausible(path, s.frame);
    return s;
}

// Selects the hyperslab of frame `index` in the stack's file space.
void select_frame(hid_t file_space, gindex_t index, const ImageInfo& frame) {
    std::vector<hsize_t> start(frame.channels > 1 ? 4 : 3, 0), count = stack_dims(1, frame);
    start[0] = static_cast<hsize_t>(index);
    TESSERA_H5_CALL(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr));
}

// Runs `body` and rethrows an error that does not name `path` already as "<path>: <what>"
// (HDF5's own messages do not name the file).
template <class F>
decltype(auto) naming(const fs::path& path, const std::string& context, F&& body) {
    try {
        return body();
    } catch (const Error& e) {
        const std::string what = e.what();
        if (what.rfind(path.string() + ": ", 0) == 0) throw;
        image_error(path, context + what);
    } catch (const std::bad_alloc&) {
        image_error(path, context + "not enough memory");
    } catch (const std::exception& e) {
        image_error(path, context + e.what());
    }
}

FrameSet open_stack(const fs::path& path) {
    detail::quiet_hdf5();
    if (H5Fis_hdf5(path.c_str()) == 0)
        image_error(path, "not a batch of frames (a folder, a pattern with * ? or [ in its file name, or an HDF5 "
                          "file with /frames)");
    return naming(path, "", [&] {
        auto file = h5::File::open(path, false);
        if (!h5::has_dataset(file, hdf5_frames_dataset))
            image_error(path, std::string("no dataset /frames (an HDF5 frame stack is /frames [frames, height, "
                                          "width(, channels)])") +
                                  (h5::has_dataset(file, hdf5_image_dataset) ? "; it holds /image, a single image"
                                                                             : ""));
        h5::Handle ds(TESSERA_H5_CALL(H5Dopen2(file.get(), hdf5_frames_dataset, H5P_DEFAULT)), H5Dclose);
        const StackLayout layout = stack_layout(ds.get(), path);
        FrameSet set;
        set.kind = FrameSetKind::hdf5_stack;
        set.source = path;
        set.count = layout.count;
        set.frame = layout.frame;
        return set;
    });
}

Image read_stack_frame(const FrameSet& set, gindex_t index) {
    const std::string context = "frame " + std::to_string(index) + ": ";
    return naming(set.source, context, [&] {
        auto file = h5::File::open(set.source, false);
        h5::Handle ds(TESSERA_H5_CALL(H5Dopen2(file.get(), hdf5_frames_dataset, H5P_DEFAULT)), H5Dclose);
        // The file may have been replaced since open_frame_set: its layout is checked again.
        const StackLayout now = stack_layout(ds.get(), set.source);
        if (now.count != set.count || !same_layout(now.frame, set.frame))
            image_error(set.source, context + "the stack changed since it was opened (now " +
                                        std::to_string(now.count) + " frames of " + describe(now.frame) + ", was " +
                                        std::to_string(set.count) + " of " + describe(set.frame) + ")");
        // As for HDF5 images: above 1 GiB a frame of a contiguous dataset must be in the file,
        // a chunked one (perhaps compressed) at most 4096 times smaller, so that a damaged
        // header does not make us allocate terabytes.
        h5::Handle dcpl(TESSERA_H5_CALL(H5Dget_create_plist(ds.get())), H5Pclose);
        const std::uint64_t ratio = H5Pget_layout(dcpl.get()) == H5D_CHUNKED ? 4096 : 1;
        std::error_code ec;
        const std::uint64_t file_size = fs::file_size(set.source, ec);
        const std::uint64_t bytes = frame_bytes(set.frame);
        if (!ec && bytes > std::max<std::uint64_t>(file_size * ratio, std::uint64_t{1} << 30))
            image_error(set.source, context + "truncated or corrupt stack (" + std::to_string(bytes) +
                                        " bytes per frame from a file of " + std::to_string(file_size) + ")");
        Image image{set.frame, {}};
        image.bytes.resize(bytes);
        h5::Handle file_space(TESSERA_H5_CALL(H5Dget_space(ds.get())), H5Sclose);
        select_frame(file_space.get(), index, set.frame);
        auto memory_space = h5::dataspace(stack_dims(1, set.frame));
        TESSERA_H5_CALL(H5Dread(ds.get(), detail::h5_memory_type(set.frame.pixel), memory_space.get(),
                                file_space.get(), H5P_DEFAULT, image.bytes.data()));
        ds.close();
        file.close();
        return image;
    });
}

// ---------------------------------------------------------------------------------------------
// Folders and globs.

std::vector<fs::path> list_folder(const fs::path& folder) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        std::error_code type_ec;
        if (is_hidden(p) || !format_from_extension(p) || !it->is_regular_file(type_ec)) continue;
        files.push_back(folder / p.filename());
    }
    if (ec) image_error(folder, "cannot list the folder: " + ec.message());
    if (files.empty())
        image_error(folder, "no image files in the folder (known extensions: .png .jpg .jpeg .bmp .pgm .ppm "
                            ".pnm .tif .tiff .h5 .hdf5)");
    sort_by_name(files);
    return files;
}

std::vector<fs::path> list_glob(const fs::path& spec) {
    const fs::path folder = spec.parent_path();
    const std::string pattern = spec.filename().string();
    std::vector<fs::path> files;
    std::error_code ec;
    // FNM_PERIOD: a leading dot must be matched by a dot in the pattern, as in the shell.
    for (fs::directory_iterator it(folder.empty() ? fs::path(".") : folder, ec), end; !ec && it != end;
         it.increment(ec)) {
        const std::string name = it->path().filename().string();
        std::error_code type_ec;
        if (::fnmatch(pattern.c_str(), name.c_str(), FNM_PERIOD) != 0 || !it->is_regular_file(type_ec)) continue;
        files.push_back(folder / name);
    }
    std::error_code exists_ec;
    const bool missing = !folder.empty() && !fs::is_directory(folder, exists_ec);
    if (ec && !missing) throw Error("cannot list the folder of " + spec.string() + ": " + ec.message(), __FILE__, __LINE__);
    if (files.empty()) {
        throw Error("no files match " + spec.string() +
                        (missing ? " (folder " + folder.string() + " does not exist)" : std::string()),
                    __FILE__, __LINE__);
    }
    sort_by_name(files);
    return files;
}

FrameSet open_files(FrameSetKind kind, const fs::path& source, std::vector<fs::path> files) {
    FrameSet set;
    set.kind = kind;
    set.source = source;
    set.frame = read_image_info(files.front());
    for (std::size_t k = 1; k < files.size(); ++k) {
        const ImageInfo info = read_image_info(files[k]);
        const auto& a = files.front().string();
        const auto& b = files[k].string();
        if (info.width != set.frame.width || info.height != set.frame.height)
            throw Error("frames differ in size: " + a + " is " + std::to_string(set.frame.width) + "x" +
                            std::to_string(set.frame.height) + ", " + b + " is " + std::to_string(info.width) + "x" +
                            std::to_string(info.height),
                        __FILE__, __LINE__);
        if (info.channels != set.frame.channels)
            throw Error("frames differ in channels: " + a + " has " + std::to_string(set.frame.channels) + ", " + b +
                            " has " + std::to_string(info.channels),
                        __FILE__, __LINE__);
        if (info.pixel != set.frame.pixel)
            throw Error("frames differ in pixel type: " + a + " is " + to_string(set.frame.pixel) + ", " + b + " is " +
                            to_string(info.pixel),
                        __FILE__, __LINE__);
    }
    set.count = static_cast<gindex_t>(files.size());
    set.files = std::move(files);
    return set;
}

// The HDF5 file `path` holds /frames (false for anything that cannot be opened as HDF5).
bool holds_frames(const fs::path& path) {
    try {
        auto file = h5::File::open(path, false);
        return h5::has_dataset(file, hdf5_frames_dataset);
    } catch (const Error&) {
        return false;
    }
}

}  // namespace

bool is_frame_set(const std::string& spec) {
    if (spec.empty()) return false;
    const fs::path p(spec);
    std::error_code ec;
    const auto status = fs::status(p, ec);
    if (fs::is_directory(status)) return true;
    if (fs::is_regular_file(status)) return holds_frames(p);
    return has_wildcard(p);
}

FrameSet open_frame_set(const std::string& spec) {
    if (spec.empty()) throw Error("no frames: the batch is an empty path", __FILE__, __LINE__);
    const fs::path p(spec);
    std::error_code ec;
    const auto status = fs::status(p, ec);
    // An existing file or folder is taken by its name even when the name holds * ? or [.
    if (fs::is_directory(status)) return open_files(FrameSetKind::folder, p, list_folder(p));
    if (fs::exists(status)) return open_stack(p);
    if (has_wildcard(p)) return open_files(FrameSetKind::glob, p, list_glob(p));
    image_error(p, "no such file or folder");
}

Image read_frame(const FrameSet& set, gindex_t index) {
    if (index < 0 || index >= set.count)
        image_error(set.source, "frame " + std::to_string(index) + " out of range (the batch holds " +
                                    std::to_string(set.count) + " frames)");
    if (set.kind == FrameSetKind::hdf5_stack) return read_stack_frame(set, index);
    const fs::path& file = set.files.at(static_cast<std::size_t>(index));
    Image image = read_image(file);
    if (!same_layout(image.info, set.frame))
        image_error(file, "the frame is " + describe(image.info) + ", the batch's frames are " + describe(set.frame) +
                              " (the file changed since the batch was opened)");
    return image;
}

// ---------------------------------------------------------------------------------------------
// FrameStackWriter. file_ and dataset_ are owned HDF5 identifiers (the public header does not
// include hdf5.h); the constructor builds them with RAII handles and takes its own reference
// (H5Iinc_ref) only once everything succeeded, so a failure part-way closes what was opened.

namespace {

// HDF5 chunks are limited to 4 GiB: a frame that large is chunked in bands of rows.
std::vector<hsize_t> chunk_dims(const ImageInfo& frame) {
    auto dims = stack_dims(1, frame);
    const std::uint64_t row = static_cast<std::uint64_t>(frame.width) * static_cast<std::uint64_t>(frame.channels) *
                              pixel_bytes(frame.pixel);
    const std::uint64_t limit = (std::uint64_t{1} << 32) - 1;
    dims[1] = std::max<hsize_t>(1, std::min<hsize_t>(dims[1], limit / row));
    return dims;
}

}  // namespace

FrameStackWriter::FrameStackWriter(const fs::path& path, gindex_t count, const ImageInfo& frame, bool resume)
    : path_(path), partial_(path.string() + ".partial"), frame_(frame), count_(count) {
    frame_.format = ImageFormat::hdf5;
    if (count < 1) image_error(path, "a frame stack needs at least one frame (count " + std::to_string(count) + ")");
    if (frame.width < 1 || frame.height < 1 || frame.channels < 1 || frame.channels > 4)
        image_error(path, "frames of " + describe(frame) + " (sizes must be positive, 1 to 4 channels)");
    detail::check_plausible(path, frame_);
    if (static_cast<std::uint64_t>(frame.width) * static_cast<std::uint64_t>(frame.channels) * pixel_bytes(frame.pixel) >=
        (std::uint64_t{1} << 32))
        image_error(path, "frame rows of more than 4 GiB cannot be stored (HDF5 chunks are at most 4 GiB)");
    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) image_error(path, "cannot write: folder " + dir.string() + " does not exist");
    if (fs::is_directory(path, ec)) image_error(path, "cannot write: a folder has that name");

    const auto dims = stack_dims(count, frame_);
    naming(partial_, "", [&] {
        std::optional<h5::File> file;
        h5::Handle ds;
        if (resume && fs::exists(partial_, ec)) {
            file.emplace(naming(partial_, "cannot resume: ", [&] { return h5::File::open(partial_, true); }));
            if (!h5::has_dataset(*file, hdf5_frames_dataset))
                image_error(partial_, "cannot resume: no dataset /frames (remove the file or run without resume)");
            ds = h5::Handle(TESSERA_H5_CALL(H5Dopen2(file->get(), hdf5_frames_dataset, H5P_DEFAULT)), H5Dclose);
            const StackLayout found = stack_layout(ds.get(), partial_);
            if (found.count != count || !same_layout(found.frame, frame_))
                image_error(partial_, "cannot resume: it holds " + std::to_string(found.count) + " frames of " +
                                          describe(found.frame) + ", this stack is " + std::to_string(count) +
                                          " frames of " + describe(frame_) +
                                          " (remove the file or run without resume)");
        } else {
            file.emplace(h5::File::create(partial_));
            auto space = h5::dataspace(dims);
            h5::Handle dcpl(TESSERA_H5_CALL(H5Pcreate(H5P_DATASET_CREATE)), H5Pclose);
            const auto chunk = chunk_dims(frame_);
            TESSERA_H5_CALL(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()));
            ds = h5::Handle(TESSERA_H5_CALL(H5Dcreate2(file->get(), hdf5_frames_dataset, detail::h5_file_type(frame_.pixel),
                                                       space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT)),
                            H5Dclose);
            h5::write_attribute(ds.get(), "frames", static_cast<long long>(count));
            TESSERA_H5_CALL(H5Fflush(file->get(), H5F_SCOPE_LOCAL));
            // The new file's name must survive a crash for a later resume to find it.
            sync_path(partial_);
            sync_path(dir, true);
        }
        TESSERA_H5_CALL(H5Iinc_ref(file->get()));
        file_ = file->get();
        TESSERA_H5_CALL(H5Iinc_ref(ds.get()));
        dataset_ = ds.get();
    });
}

FrameStackWriter::~FrameStackWriter() {
    // Uncommitted: close without throwing and leave `<path>.partial` for a resumed run.
    if (dataset_ >= 0) H5Dclose(dataset_);
    if (file_ >= 0) H5Fclose(file_);
}

void FrameStackWriter::write(gindex_t index, const Image& frame) {
    if (file_ < 0) image_error(path_, "cannot write frame " + std::to_string(index) + ": the stack is committed");
    if (index < 0 || index >= count_)
        image_error(partial_, "frame " + std::to_string(index) + " out of range (the stack holds " +
                                  std::to_string(count_) + " frames)");
    if (!same_layout(frame.info, frame_) || frame.bytes.size() != frame_bytes(frame_))
        image_error(partial_, "frame " + std::to_string(index) + " is " + describe(frame.info) + " in " +
                                  std::to_string(frame.bytes.size()) + " bytes, the stack's frames are " +
                                  describe(frame_));
    naming(partial_, "frame " + std::to_string(index) + ": ", [&] {
        h5::Handle file_space(TESSERA_H5_CALL(H5Dget_space(dataset_)), H5Sclose);
        select_frame(file_space.get(), index, frame_);
        auto memory_space = h5::dataspace(stack_dims(1, frame_));
        TESSERA_H5_CALL(H5Dwrite(dataset_, detail::h5_memory_type(frame_.pixel), memory_space.get(), file_space.get(),
                                 H5P_DEFAULT, frame.bytes.data()));
    });
}

void FrameStackWriter::flush() {
    if (file_ < 0) image_error(path_, "cannot flush: the stack is committed");
    naming(partial_, "", [&] {
        TESSERA_H5_CALL(H5Fflush(file_, H5F_SCOPE_LOCAL));
        sync_path(partial_);
    });
}

void FrameStackWriter::commit() {
    if (file_ < 0) image_error(path_, "cannot commit: the stack is committed already");
    naming(partial_, "", [&] {
        // The identifiers are closed (and forgotten) even when closing fails.
        h5::Handle ds(dataset_, H5Dclose), file(file_, H5Fclose);
        dataset_ = file_ = -1;
        ds.close();
        TESSERA_H5_CALL(H5Fflush(file.get(), H5F_SCOPE_LOCAL));
        file.close();
        sync_path(partial_);
    });
    if (std::rename(partial_.c_str(), path_.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        image_error(path_, "cannot rename " + partial_.string() + " to it: " + why);
    }
    try {
        sync_path(path_.has_parent_path() ? path_.parent_path() : fs::path("."), true);
    } catch (const std::exception& e) {
        throw Error(e.what(), __FILE__, __LINE__);
    }
}

}  // namespace tessera::io
