// Video files in and out through FFmpeg's libraries (libavformat, libavcodec, libswscale):
// frames decoded to 8-bit gray or RGB images, and images encoded in order into a new file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "tessera/core/types.hpp"
#include "tessera/io/image.hpp"

namespace tessera::io {

/// Local: whether the extension names a video container tessera writes and reads
/// (.mp4 .mkv .avi .mov .nut .webm, any case). Reading accepts any file FFmpeg can demux.
bool is_video_path(const std::filesystem::path& path);

struct VideoInfo {
    std::int64_t width = 0, height = 0;
    /// Frames the container declares (0 when it does not say; reading then tells).
    gindex_t frames = 0;
    double fps = 0;              ///< average frame rate (frames per second)
    std::string codec;           ///< FFmpeg's codec name, e.g. "h264", "ffv1"
    std::string pixel_format;    ///< the stream's pixel format, e.g. "yuv420p", "gray"
};

/// A run of consecutive frames (presentation order) that one decoder can produce on its own,
/// starting from a key frame: segments let several decoders share one video.
struct VideoSegment {
    gindex_t first = 0;  ///< index of the segment's first frame in the video
    gindex_t count = 0;  ///< frames in the segment
    /// Where its decoder starts: the key frame's timestamp (stream time base), or
    /// no_seek for the first segment, decoded from the start of the file.
    std::int64_t seek_pts = no_seek;
    /// Frames with begin_pts <= timestamp < end_pts belong to the segment.
    std::int64_t begin_pts = std::numeric_limits<std::int64_t>::min();
    std::int64_t end_pts = std::numeric_limits<std::int64_t>::max();
    static constexpr std::int64_t no_seek = std::numeric_limits<std::int64_t>::min();
};

/// Local. Splits the best video stream of `path` into segments of at least `min_frames` frames
/// (the last may be shorter) that start at key frames, by reading its packets (nothing is
/// decoded). A frame shown before the key frame that starts a segment but stored after it (an
/// open GOP's leading picture) belongs to the segment before, whose decoder carries on past
/// that key frame to reach it. A video whose packets lack timestamps, or whose timestamps
/// repeat, is one segment. The counts add up to the video's frames. Throws tessera::Error
/// naming the file, as VideoReader does, and when min_frames < 1.
std::vector<VideoSegment> video_segments(const std::filesystem::path& path, gindex_t min_frames);

/// Local. Joins consecutive segments (from video_segments of one file) into segments of at
/// least `min_frames` frames (the last may be shorter); each still starts where its first part
/// did. Throws tessera::Error when min_frames < 1.
std::vector<VideoSegment> merge_video_segments(const std::vector<VideoSegment>& segments, gindex_t min_frames);

/// Local. Decodes the best video stream of a file, frame by frame, in presentation order,
/// converted (libswscale) to 8-bit gray (channels = 1) or RGB (channels = 3) images.
/// Not copyable; movable.
class VideoReader {
public:
    /// Opens `path` and its decoder. Throws tessera::Error naming the file when it cannot be
    /// opened, holds no video stream, or its codec has no decoder; channels must be 1 or 3.
    VideoReader(const std::filesystem::path& path, int channels);
    /// Opens `path` for one segment (from video_segments of the same file): read() gives its
    /// `count` frames, the same bits as a reader of the whole file gives for those frames,
    /// then false. Throws tessera::Error naming the file and frame when the segment's frames
    /// cannot all be decoded.
    VideoReader(const std::filesystem::path& path, int channels, const VideoSegment& segment);
    ~VideoReader();
    VideoReader(VideoReader&&) noexcept;
    VideoReader& operator=(VideoReader&&) noexcept;

    const VideoInfo& info() const noexcept;
    int channels() const noexcept;
    /// Decodes the next frame into `frame` (resized to width x height x channels, u8).
    /// Returns false at the end of the stream. Throws tessera::Error naming the file and the
    /// frame number when the data cannot be decoded.
    bool read(Image& frame);
    /// Frames returned by read() so far (in this segment, for a segment's reader).
    gindex_t frames_read() const noexcept;

private:
    struct State;
    std::unique_ptr<State> state_;
};

struct VideoWriterOptions {
    double fps = 25;
    /// FFmpeg encoder name; empty: by extension (.mkv .nut: ffv1, lossless; .avi: mjpeg;
    /// .mp4 .mov: libx264 when present, else mpeg4; .webm: libvpx-vp9).
    std::string codec;
    /// Quality for lossy encoders (libx264's CRF; smaller is better). 0: the encoder's default.
    int crf = 18;
};

/// Local. Encodes frames (all width x height, 8-bit, channels 1 or 3) in the order given into a
/// temporary beside `path`; commit() flushes the encoder, writes the trailer and renames the
/// file into place. Destroyed uncommitted (an error on the way), the temporary is removed and
/// `path` is untouched. Not copyable; movable.
class VideoWriter {
public:
    /// Throws tessera::Error naming `path` when the container or encoder is not available, the
    /// size is not positive (or odd where the encoder's pixel format needs even sides), or the
    /// folder does not exist.
    VideoWriter(const std::filesystem::path& path, std::int64_t width, std::int64_t height,
                int channels, const VideoWriterOptions& options = {});
    ~VideoWriter();
    VideoWriter(VideoWriter&&) noexcept;
    VideoWriter& operator=(VideoWriter&&) noexcept;

    /// Encodes one frame (its info must match the writer's size, channels and u8). Throws
    /// tessera::Error naming the path and frame number.
    void write(const Image& frame);
    gindex_t frames_written() const noexcept;
    /// Flushes, finishes the file and renames it into place. Throws tessera::Error.
    void commit();
    /// The encoder actually used (e.g. "libx264", "ffv1").
    const std::string& codec() const noexcept;

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace tessera::io
