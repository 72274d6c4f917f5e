// Batches of frames: a folder of images, a glob pattern, or an HDF5 stack [frames, height,
// width(, channels)], read one frame at a time by any rank; and frame outputs (a folder with
// the inputs' names, an HDF5 stack) written in any order and kept across a resumed run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tessera/core/types.hpp"
#include "tessera/io/image.hpp"

namespace tessera::io {

/// HDF5 frame stacks are the dataset `/frames` of shape [frames, height, width] or
/// [frames, height, width, channels] (channels 1 to 4, interleaved as in Image), uint8, uint16
/// or float32. FrameStackWriter chunks it one frame per chunk (frames over 4 GiB: bands of
/// rows) and writes the frame count as the dataset's attribute `frames`; h5py reads it as
/// `f["frames"][k]`.
inline constexpr const char* hdf5_frames_dataset = "frames";

enum class FrameSetKind { folder, glob, hdf5_stack };
const char* to_string(FrameSetKind kind) noexcept;

/// What a batch holds: its frame files (folder and glob, in sorted order; a stack has none: its
/// frames are indices 0 .. count-1 of /frames) and the common frame layout.
struct FrameSet {
    FrameSetKind kind = FrameSetKind::folder;
    std::filesystem::path source;      ///< the folder, the pattern, or the HDF5 file
    std::vector<std::filesystem::path> files;  ///< folder and glob: the frame files, sorted
    gindex_t count = 0;
    ImageInfo frame;                   ///< every frame's width, height, channels and pixel type
                                       ///< (format: the first file's; a stack: hdf5)
};

/// Local: whether `spec` names a batch: an existing folder, a pattern with * ? or [ in its
/// file name part (that names no existing file), or an HDF5 file that holds /frames (an HDF5
/// image, /image alone, is not a batch). Never throws: unreadable files are not batches.
bool is_frame_set(const std::string& spec);

/// Local: lists a batch. Folders hold the regular files whose extension format_from_extension
/// knows (other files are ignored; hidden files too; .h5/.hdf5 files are read as HDF5 images,
/// /image); a glob matches file names in one folder with fnmatch(3) (*, ?, [...]; a leading dot
/// only by a dot; the folder part is literal; every regular file that matches is a frame);
/// both sorted by file name, byte by byte. An existing file or folder is taken by its name
/// even when the name holds * ? or [. Files are named as `spec` names them
/// (`frames/a.png`). Reads every frame's header and throws tessera::Error naming the first
/// frame and the first file whose size, channels or pixel type differs from it ("frames
/// differ in size: frames/a.png is 64x48, frames/b.png is 32x32"), when the batch is empty
/// ("no files match frames/*.png"), when a file cannot be read, or when an HDF5 file has no
/// /frames or one of another rank or pixel type.
FrameSet open_frame_set(const std::string& spec);

/// Local: reads frame `index` of the batch (any order, any rank): the whole file, or one
/// hyperslab of the stack (the file is opened and closed per call). Throws tessera::Error
/// naming the file (or stack and index) when the index is out of range, the file cannot be
/// read, or it differs from set.frame. Not thread-safe for HDF5 (built without thread safety).
Image read_frame(const FrameSet& set, gindex_t index);

/// Local, on one rank: an HDF5 stack being written, frame by frame in any order. The file is
/// built as `<path>.partial` and renamed to `path` by commit() (replacing a file there: refusing
/// to overwrite is the caller's choice). Destroyed without commit() (an error, a stop), it
/// closes the file and leaves `<path>.partial` in place, with every frame written so far: a
/// run that resumes (resume = true) reopens it and keeps them. Which frames are finished is the
/// caller's to record (a journal, after flush()); frames never written read as 0. Not copyable.
class FrameStackWriter {
public:
    /// Creates `<path>.partial` (truncating one that exists), or with resume reopens it when it
    /// exists. Throws tessera::Error naming the path when count < 1, the frame layout is not
    /// storable, the folder does not exist, or a partial file to resume is not HDF5 or holds a
    /// stack of another shape or pixel type (frame.format is ignored).
    FrameStackWriter(const std::filesystem::path& path, gindex_t count, const ImageInfo& frame,
                     bool resume);
    ~FrameStackWriter();
    FrameStackWriter(const FrameStackWriter&) = delete;
    FrameStackWriter& operator=(const FrameStackWriter&) = delete;

    /// Writes frame `index` (its layout must equal the stack's; index in [0, count)), again if
    /// it was written before. Throws tessera::Error naming the partial file.
    void write(gindex_t index, const Image& frame);
    /// Flushes HDF5's buffers and fsyncs the file: the frames written so far survive a crash
    /// (call before recording them as finished in a journal). Throws tessera::Error.
    void flush();
    /// Closes the file, fsyncs it, renames it to `path` and fsyncs the folder. Throws
    /// tessera::Error (the partial file is then kept, closed); afterwards write, flush and
    /// commit throw.
    void commit();
    const std::filesystem::path& partial_path() const noexcept { return partial_; }

private:
    std::filesystem::path path_, partial_;
    std::int64_t file_ = -1, dataset_ = -1;
    ImageInfo frame_;
    gindex_t count_;
};

}  // namespace tessera::io
