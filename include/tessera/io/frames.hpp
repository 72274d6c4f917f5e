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
/// [frames, height, width, channels], uint8, uint16 or float32, chunked one frame per chunk.
inline constexpr const char* hdf5_frames_dataset = "frames";

enum class FrameSetKind { folder, glob, hdf5_stack };
const char* to_string(FrameSetKind kind) noexcept;

/// What a batch holds: its frames' names (files: the file names, in sorted order; a stack:
/// frame_000000 ...) and the common frame layout.
struct FrameSet {
    FrameSetKind kind = FrameSetKind::folder;
    std::filesystem::path source;      ///< the folder, the pattern, or the HDF5 file
    std::vector<std::filesystem::path> files;  ///< folder and glob: the frame files, sorted
    gindex_t count = 0;
    ImageInfo frame;                   ///< every frame's width, height, channels and pixel type
};

/// Local: whether `spec` names a batch: an existing folder, a pattern with * ? or [ in its
/// file name part, or an HDF5 file that holds /frames.
bool is_frame_set(const std::string& spec);

/// Local: lists a batch. Folders hold the files whose extension is an image format (other files
/// are ignored; hidden files too); a glob matches file names in one folder (*, ?, [...]); both
/// sorted by name. Reads every frame's header and throws tessera::Error naming the first file
/// whose size, channels or pixel type differs from the first frame's ("frames differ in
/// size: a.png is 64x48, b.png is 32x32"), when the batch is empty, or when a file cannot be
/// read.
FrameSet open_frame_set(const std::string& spec);

/// Local: reads frame `index` of the batch (any order, any rank). Throws tessera::Error naming
/// the file (or stack and index) when it cannot be read or differs from set.frame.
Image read_frame(const FrameSet& set, gindex_t index);

/// Local, on one rank: an HDF5 stack being written, frame by frame in any order. The file is
/// built as `<path>.partial` and renamed to `path` by commit(); a partial file left by a killed
/// run is reopened (resume = true) so the frames it holds are kept. Not copyable.
class FrameStackWriter {
public:
    /// Creates (or with resume, reopens when it exists and has the same shape and type)
    /// `<path>.partial`. Throws tessera::Error naming the path.
    FrameStackWriter(const std::filesystem::path& path, gindex_t count, const ImageInfo& frame,
                     bool resume);
    ~FrameStackWriter();
    FrameStackWriter(const FrameStackWriter&) = delete;
    FrameStackWriter& operator=(const FrameStackWriter&) = delete;

    /// Writes frame `index` (its layout must equal the stack's). Throws tessera::Error.
    void write(gindex_t index, const Image& frame);
    /// Flushes the file to disk (call before recording the frames as finished in a journal).
    void flush();
    /// Closes the file and renames it to `path`. Throws tessera::Error.
    void commit();
    const std::filesystem::path& partial_path() const noexcept { return partial_; }

private:
    std::filesystem::path path_, partial_;
    std::int64_t file_ = -1, dataset_ = -1;
    ImageInfo frame_;
    gindex_t count_;
};

}  // namespace tessera::io
