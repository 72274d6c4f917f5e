// Video files through FFmpeg's libraries: a demux + decode loop converting frames to 8-bit gray
// or RGB images, and an encode + mux loop writing into an AtomicFile's temporary. Every FFmpeg
// handle is owned by a unique_ptr with the library's own free function.
#include "tessera/io/video.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <mutex>
#include <optional>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/io/atomic_file.hpp"

namespace tessera::io {

namespace fs = std::filesystem;

namespace {

struct InputDeleter {
    void operator()(AVFormatContext* c) const noexcept { avformat_close_input(&c); }
};
// An output context owns its AVIO (opened by avio_open) unless the muxer writes no file.
struct OutputDeleter {
    void operator()(AVFormatContext* c) const noexcept {
        if (c->pb && !(c->oformat->flags & AVFMT_NOFILE)) avio_closep(&c->pb);
        avformat_free_context(c);
    }
};
struct CodecDeleter {
    void operator()(AVCodecContext* c) const noexcept { avcodec_free_context(&c); }
};
struct FrameDeleter {
    void operator()(AVFrame* f) const noexcept { av_frame_free(&f); }
};
struct PacketDeleter {
    void operator()(AVPacket* p) const noexcept { av_packet_free(&p); }
};
struct SwsDeleter {
    void operator()(SwsContext* s) const noexcept { sws_freeContext(s); }
};
using InputPtr = std::unique_ptr<AVFormatContext, InputDeleter>;
using OutputPtr = std::unique_ptr<AVFormatContext, OutputDeleter>;
using CodecPtr = std::unique_ptr<AVCodecContext, CodecDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;

// FFmpeg logs warnings for ordinary files (deprecated yuvj formats, x264's statistics); only
// its errors reach stderr. Its error codes still become text in our messages.
void quiet_ffmpeg() {
    static std::once_flag once;
    std::call_once(once, [] { av_log_set_level(AV_LOG_ERROR); });
}

std::string av_error(int code) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    if (av_strerror(code, text, sizeof text) < 0) return "FFmpeg error " + std::to_string(code);
    return text;
}

[[noreturn]] void video_error(const fs::path& path, const std::string& why) {
    throw Error("video " + path.string() + ": " + why, __FILE__, __LINE__);
}

[[noreturn]] void frame_error(const fs::path& path, gindex_t frame, const std::string& why) {
    video_error(path, "frame " + std::to_string(frame) + ": " + why);
}

std::string lower_extension(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

// The "file:" protocol, so that a name with a colon is never taken for another protocol.
std::string file_url(const fs::path& path) { return "file:" + path.string(); }

bool is_gray(AVPixelFormat format) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
    return d && d->nb_components <= 2 && !(d->flags & AV_PIX_FMT_FLAG_PAL);
}

bool is_rgb(AVPixelFormat format) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
    return d && (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL));
}

// Whether samples of `format` span 0..255 (JPEG range) rather than 16..235 (MPEG range).
// Untagged streams: YUV is MPEG range (what encoders write unless told), gray and RGB full.
bool full_range(AVPixelFormat format, AVColorRange range) {
    if (format == AV_PIX_FMT_YUVJ420P || format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P ||
        format == AV_PIX_FMT_YUVJ440P || format == AV_PIX_FMT_YUVJ411P)
        return true;
    if (range != AVCOL_RANGE_UNSPECIFIED) return range == AVCOL_RANGE_JPEG;
    return is_gray(format) || is_rgb(format);
}

// A converter between two pixel formats with explicit ranges and BT.601/709/... coefficients,
// so that 8-bit gray is full range on our side whatever swscale would assume for it.
SwsContext* converter(SwsContext* cached, int src_w, int src_h, AVPixelFormat src, bool src_full,
                      int dst_w, int dst_h, AVPixelFormat dst, bool dst_full, AVColorSpace space, int flags) {
    SwsContext* s = sws_getCachedContext(cached, src_w, src_h, src, dst_w, dst_h, dst, flags, nullptr, nullptr, nullptr);
    if (!s) return nullptr;
    const int* coefficients = sws_getCoefficients(space == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : space);
    sws_setColorspaceDetails(s, coefficients, src_full ? 1 : 0, coefficients, dst_full ? 1 : 0, 0, 1 << 16, 1 << 16);
    return s;
}

// A frame with buffers of FFmpeg's own alignment and padding: swscale's SIMD code reads (and
// writes) whole vectors past the end of a row, which a tightly packed Image does not allow.
FramePtr padded_frame(AVPixelFormat format, int width, int height) {
    FramePtr f(av_frame_alloc());
    if (!f) return nullptr;
    f->format = format;
    f->width = width;
    f->height = height;
    if (av_frame_get_buffer(f.get(), 0) < 0) return nullptr;
    // Zeroed padding: SIMD code and encoders read it, and the file must not depend on garbage.
    for (AVBufferRef* buf : f->buf)
        if (buf) std::memset(buf->data, 0, buf->size);
    return f;
}

// Decoding converts with swscale's default flags, the ones the ffmpeg tool and OpenCV use, so
// the frames are theirs (its unscaled YUV -> RGB path, with the nearest chroma sample).
// Encoding rounds accurately and bit-exactly (the same file on every CPU).
constexpr int decode_flags = SWS_BICUBIC;
constexpr int encode_flags = SWS_BICUBIC | SWS_ACCURATE_RND | SWS_BITEXACT;

// BT.601 luma of an RGB pixel, 14-bit fixed point (0.299, 0.587, 0.114), rounded.
inline std::uint8_t luma(const std::uint8_t* rgb) {
    return static_cast<std::uint8_t>((4899u * rgb[0] + 9617u * rgb[1] + 1868u * rgb[2] + 8192u) >> 14);
}

}  // namespace

bool is_video_path(const fs::path& path) {
    const std::string ext = lower_extension(path);
    return ext == ".mp4" || ext == ".mkv" || ext == ".avi" || ext == ".mov" || ext == ".nut" || ext == ".webm";
}

// ---------------------------------------------------------------------------------------------
// Reading.

struct VideoReader::State {
    fs::path path;
    int channels = 1;
    InputPtr format;
    CodecPtr codec;
    PacketPtr packet;
    FramePtr frame;
    SwsPtr sws;
    FramePtr converted;  // the frame in RGB24 or GRAY8, before it is copied out
    int stream = -1;
    VideoInfo info;
    gindex_t frames_read = 0;
    std::optional<VideoSegment> segment;  // only its frames are returned
    bool draining = false;  // the demuxer is exhausted and the decoder was sent its flush
    bool finished = false;
};

namespace {

// A demuxer opened on a file and the index of its video stream (a cover picture is not one).
struct OpenedInput {
    InputPtr format;
    int stream = -1;
};

OpenedInput open_input(const fs::path& path) {
    quiet_ffmpeg();
    std::error_code ec;
    if (fs::is_directory(path, ec)) video_error(path, "is a folder, not a video file");
    if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) == 0) video_error(path, "empty file, not a video");

    // Only the file itself: a playlist-like container must not reach for the network.
    AVDictionary* open_options = nullptr;
    av_dict_set(&open_options, "protocol_whitelist", "file", 0);
    AVFormatContext* raw = nullptr;
    int rc = avformat_open_input(&raw, file_url(path).c_str(), nullptr, &open_options);
    av_dict_free(&open_options);
    if (rc < 0) video_error(path, "cannot open: " + av_error(rc));
    OpenedInput in;
    in.format.reset(raw);
    // FFmpeg demuxes single pictures too (png_pipe, jpeg_pipe, image2, ...): they are images,
    // read through io/image.hpp, and one "frame" from them is more likely a mistake than a clip.
    const std::string demuxer = in.format->iformat->name;
    if (demuxer == "image2" || demuxer == "image2pipe" ||
        (demuxer.size() > 5 && demuxer.compare(demuxer.size() - 5, 5, "_pipe") == 0))
        video_error(path, "a still image (" + demuxer + "), not a video");
    if ((rc = avformat_find_stream_info(in.format.get(), nullptr)) < 0)
        video_error(path, "cannot read the stream headers: " + av_error(rc));

    in.stream = av_find_best_stream(in.format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    // A cover picture (an audio file's artwork) is a "video" stream of one still: not a video.
    const auto is_cover = [&](int k) { return (in.format->streams[k]->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0; };
    if (in.stream >= 0 && is_cover(in.stream)) {
        in.stream = -1;
        for (unsigned k = 0; k < in.format->nb_streams && in.stream < 0; ++k)
            if (in.format->streams[k]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !is_cover(static_cast<int>(k)))
                in.stream = static_cast<int>(k);
    }
    if (in.stream < 0) video_error(path, "holds no video stream (" + demuxer + ")");
    // Packets of the other streams are dropped by the demuxer, not read and thrown away.
    for (unsigned k = 0; k < in.format->nb_streams; ++k)
        if (static_cast<int>(k) != in.stream) in.format->streams[k]->discard = AVDISCARD_ALL;
    return in;
}

}  // namespace

std::vector<VideoSegment> merge_video_segments(const std::vector<VideoSegment>& segments, gindex_t min_frames) {
    TESSERA_CHECK(min_frames >= 1, "merge_video_segments: min_frames = " << min_frames << " must be at least 1");
    std::vector<VideoSegment> merged;
    for (const auto& s : segments) {
        if (!merged.empty() && merged.back().count < min_frames) {
            merged.back().count += s.count;
            merged.back().end_pts = s.end_pts;
        } else {
            merged.push_back(s);
        }
    }
    return merged;
}

std::vector<VideoSegment> video_segments(const fs::path& path, gindex_t min_frames) {
    if (min_frames < 1) video_error(path, "video_segments: min_frames = " + std::to_string(min_frames) + " must be at least 1");
    OpenedInput in = open_input(path);
    PacketPtr packet(av_packet_alloc());
    if (!packet) video_error(path, "out of memory");
    // Every packet of the stream is one frame: its timestamp, and the key frames' timestamps.
    std::vector<std::int64_t> shown, keys;
    bool timed = true;
    // Leading pictures: a frame stored after a key frame but shown before it (an open GOP).
    bool leading = false;
    for (;;) {
        const int rc = av_read_frame(in.format.get(), packet.get());
        if (rc == AVERROR_EOF) break;
        if (rc < 0) video_error(path, "cannot read packet " + std::to_string(shown.size()) + ": " + av_error(rc));
        if (packet->stream_index == in.stream && !(packet->flags & AV_PKT_FLAG_DISCARD)) {
            if (packet->pts == AV_NOPTS_VALUE) timed = false;
            shown.push_back(packet->pts);
            if (packet->flags & AV_PKT_FLAG_KEY) keys.push_back(packet->pts);
            else if (!keys.empty() && packet->pts < keys.back()) leading = true;
        }
        av_packet_unref(packet.get());
    }
    const auto n = static_cast<gindex_t>(shown.size());
    std::sort(shown.begin(), shown.end());
    if (!timed || std::adjacent_find(shown.begin(), shown.end()) != shown.end() || n == 0)
        return {VideoSegment{0, n}};
    // A segment starts at a key frame: its first frame is the key frame itself (frames shown
    // before it, even if stored after it, belong to the segment before).
    // With leading pictures, a decoder that starts at the segment's key frame lacks their
    // references, and FFmpeg's H.264 decoder then also withholds the frames after them: the
    // segment's decoder starts one key frame earlier and drops what comes before the segment.
    std::vector<VideoSegment> segments;
    VideoSegment current;  // the first one starts at the file's start, whatever comes first
    for (std::size_t k = 0; k < keys.size(); ++k) {
        const std::int64_t key = keys[k];
        const auto first = static_cast<gindex_t>(std::lower_bound(shown.begin(), shown.end(), key) - shown.begin());
        if (first <= current.first) continue;  // the first key frame, shown first
        current.count = first - current.first;
        current.end_pts = key;
        segments.push_back(current);
        const std::int64_t seek = !leading ? key : k > 0 ? keys[k - 1] : VideoSegment::no_seek;
        current = VideoSegment{first, 0, seek, key};
    }
    current.count = n - current.first;
    segments.push_back(current);
    return merge_video_segments(segments, min_frames);
}

VideoReader::VideoReader(const fs::path& path, int channels, const VideoSegment& segment)
    : VideoReader(path, channels) {
    State& s = *state_;
    if (segment.count < 0 || segment.first < 0)
        video_error(path, "segment of " + std::to_string(segment.count) + " frames from frame " +
                              std::to_string(segment.first) + ": first and count must not be negative");
    s.segment = segment;
    if (segment.seek_pts != VideoSegment::no_seek) {
        // The key frame at or before seek_pts: frames before the segment are decoded and dropped.
        const int rc = av_seek_frame(s.format.get(), s.stream, segment.seek_pts, AVSEEK_FLAG_BACKWARD);
        if (rc < 0) frame_error(s.path, segment.first, "cannot seek to its key frame: " + av_error(rc));
        avcodec_flush_buffers(s.codec.get());
        // The frames before the segment may lack references (they are dropped): the decoder's
        // complaints about them are not the user's concern, until the segment's first frame.
        s.codec->log_level_offset = AV_LOG_DEBUG;
    }
}

VideoReader::VideoReader(const fs::path& path, int channels) : state_(std::make_unique<State>()) {
    State& s = *state_;
    s.path = path;
    if (channels != 1 && channels != 3)
        video_error(path, "channels = " + std::to_string(channels) + ": reading gives 1 (gray) or 3 (RGB)");
    s.channels = channels;
    OpenedInput in = open_input(path);
    s.format = std::move(in.format);
    s.stream = in.stream;
    int rc = 0;
    const AVStream* st = s.format->streams[s.stream];
    const AVCodec* decoder = avcodec_find_decoder(st->codecpar->codec_id);
    if (!decoder) video_error(path, std::string("no decoder for its codec ") + avcodec_get_name(st->codecpar->codec_id));
    if (st->codecpar->width <= 0 || st->codecpar->height <= 0)
        video_error(path, "the video stream has no frame size (" + std::to_string(st->codecpar->width) + " x " +
                              std::to_string(st->codecpar->height) + ")");

    s.codec.reset(avcodec_alloc_context3(decoder));
    if (!s.codec) video_error(path, "out of memory for the decoder");
    if ((rc = avcodec_parameters_to_context(s.codec.get(), st->codecpar)) < 0)
        video_error(path, "bad codec parameters: " + av_error(rc));
    // One thread: each MPI rank owns its cores, and a decoder that spawns one thread per core
    // on every rank oversubscribes the node.
    s.codec->thread_count = 1;
    s.codec->pkt_timebase = st->time_base;
    if ((rc = avcodec_open2(s.codec.get(), decoder, nullptr)) < 0)
        video_error(path, std::string("cannot open the ") + decoder->name + " decoder: " + av_error(rc));
    s.packet.reset(av_packet_alloc());
    s.frame.reset(av_frame_alloc());
    if (!s.packet || !s.frame) video_error(path, "out of memory");

    s.info.width = st->codecpar->width;
    s.info.height = st->codecpar->height;
    s.info.frames = std::max<std::int64_t>(st->nb_frames, 0);
    const AVRational rate = av_guess_frame_rate(s.format.get(), const_cast<AVStream*>(st), nullptr);
    s.info.fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0;
    s.info.codec = avcodec_get_name(st->codecpar->codec_id);
    const char* pix = av_get_pix_fmt_name(static_cast<AVPixelFormat>(st->codecpar->format));
    s.info.pixel_format = pix ? pix : "";
}

VideoReader::~VideoReader() = default;
VideoReader::VideoReader(VideoReader&&) noexcept = default;
VideoReader& VideoReader::operator=(VideoReader&&) noexcept = default;

const VideoInfo& VideoReader::info() const noexcept {
    static const VideoInfo none;
    return state_ ? state_->info : none;
}
int VideoReader::channels() const noexcept { return state_ ? state_->channels : 0; }
gindex_t VideoReader::frames_read() const noexcept { return state_ ? state_->frames_read : 0; }

bool VideoReader::read(Image& out) {
    TESSERA_CHECK(state_, "VideoReader::read on a moved-from reader");
    State& s = *state_;
    if (s.finished) return false;
    // Frame numbers in messages count from the start of the video.
    const gindex_t number = (s.segment ? s.segment->first : 0) + s.frames_read;
    if (s.segment && s.frames_read == s.segment->count) {
        s.finished = true;
        return false;
    }
    for (;;) {
        int rc = avcodec_receive_frame(s.codec.get(), s.frame.get());
        if (rc == AVERROR_EOF) {
            s.finished = true;
            if (s.segment)
                frame_error(s.path, number, "the stream ends before the segment's last frame (" +
                                                std::to_string(s.segment->first + s.segment->count - 1) + ")");
            return false;
        }
        if (rc == 0 && s.segment) {  // frames of the neighbouring segments are dropped
            const std::int64_t pts = s.frame->pts != AV_NOPTS_VALUE ? s.frame->pts : s.frame->best_effort_timestamp;
            if (pts >= s.segment->end_pts)
                frame_error(s.path, number, "the decoder skipped it (its segment ends at frame " +
                                                std::to_string(s.segment->first + s.segment->count - 1) + ")");
            if (pts < s.segment->begin_pts) {
                av_frame_unref(s.frame.get());
                continue;
            }
            s.codec->log_level_offset = 0;
        }
        if (rc == 0) break;
        if (rc != AVERROR(EAGAIN) || s.draining) frame_error(s.path, number, av_error(rc));
        rc = av_read_frame(s.format.get(), s.packet.get());
        if (rc == AVERROR_EOF) {
            s.draining = true;
            rc = avcodec_send_packet(s.codec.get(), nullptr);
            if (rc < 0 && rc != AVERROR_EOF) frame_error(s.path, number, av_error(rc));
            continue;
        }
        if (rc < 0) frame_error(s.path, number, av_error(rc));
        if (s.packet->stream_index == s.stream) rc = avcodec_send_packet(s.codec.get(), s.packet.get());
        av_packet_unref(s.packet.get());
        // receive_frame said it needs input, so the decoder takes the packet (never EAGAIN).
        if (rc < 0) frame_error(s.path, number, av_error(rc));
    }

    const AVFrame* f = s.frame.get();
    const auto src = static_cast<AVPixelFormat>(f->format);
    // Gray frames of a colour video are the luma of the colours shown (RGB, then BT.601), as for
    // any colour picture: the Y plane alone differs where 4:2:0 chroma puts a pixel outside the
    // RGB cube and the shown colour is clipped.
    const bool via_rgb = s.channels == 1 && !is_gray(src);
    const AVPixelFormat dst = s.channels == 3 || via_rgb ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_GRAY8;
    // A stream whose frame size changes midway is scaled to the size it declared.
    const int w = static_cast<int>(s.info.width), h = static_cast<int>(s.info.height);
    SwsContext* sws = converter(s.sws.release(), f->width, f->height, src, full_range(src, f->color_range), w, h,
                                dst, true, f->colorspace, decode_flags);
    s.sws.reset(sws);
    if (!sws) {
        const char* name = av_get_pix_fmt_name(src);
        frame_error(s.path, number, std::string("cannot convert pixel format ") + (name ? name : "?") + " to " +
                                               av_get_pix_fmt_name(dst));
    }
    if (!s.converted || s.converted->format != dst) s.converted = padded_frame(dst, w, h);
    if (!s.converted) frame_error(s.path, number, "out of memory");
    const int rows = sws_scale(sws, f->data, f->linesize, 0, f->height, s.converted->data, s.converted->linesize);
    av_frame_unref(s.frame.get());
    if (rows != h) frame_error(s.path, number, "pixel conversion failed");

    const std::size_t row = static_cast<std::size_t>(w) * static_cast<std::size_t>(s.channels);
    out.info = ImageInfo{s.info.width, s.info.height, s.channels, PixelType::u8, out.info.format};
    out.bytes.resize(row * static_cast<std::size_t>(h));
    for (int j = 0; j < h; ++j) {
        const std::uint8_t* in = s.converted->data[0] + static_cast<std::ptrdiff_t>(j) * s.converted->linesize[0];
        std::uint8_t* line = out.bytes.data() + static_cast<std::size_t>(j) * row;
        if (via_rgb) {
            for (int i = 0; i < w; ++i) line[i] = luma(in + 3 * i);
        } else {
            std::memcpy(line, in, row);
        }
    }
    ++s.frames_read;
    return true;
}

// ---------------------------------------------------------------------------------------------
// Writing.

namespace {

// The encoder the extension implies (video.hpp's table), or the user's.
const AVCodec* choose_encoder(const fs::path& path, const std::string& ext, const std::string& requested) {
    if (!requested.empty()) {
        const AVCodec* c = avcodec_find_encoder_by_name(requested.c_str());
        if (!c) video_error(path, "no encoder named '" + requested + "' in this FFmpeg");
        if (c->type != AVMEDIA_TYPE_VIDEO) video_error(path, "encoder '" + requested + "' is not a video encoder");
        return c;
    }
    const char* name = nullptr;
    if (ext == ".mkv" || ext == ".nut") name = "ffv1";
    else if (ext == ".avi") name = "mjpeg";
    else if (ext == ".webm") name = "libvpx-vp9";
    else if (ext == ".mp4" || ext == ".mov") name = avcodec_find_encoder_by_name("libx264") ? "libx264" : "mpeg4";
    const AVCodec* c = name ? avcodec_find_encoder_by_name(name) : nullptr;
    if (!c) video_error(path, std::string("this FFmpeg has no ") + (name ? name : "?") + " encoder for " + ext);
    return c;
}

bool supports(const AVCodec* codec, AVPixelFormat format) {
    if (!codec->pix_fmts) return false;
    for (const AVPixelFormat* p = codec->pix_fmts; *p != AV_PIX_FMT_NONE; ++p)
        if (*p == format) return true;
    return false;
}

// Lossless encoders (ffv1) get a format that holds our samples exactly (gray as gray, RGB
// as a permutation of it), so the round trip is bitwise; lossy ones 4:2:0 YUV, which every
// player decodes (MJPEG in its full-range variant).
AVPixelFormat encoder_format(const AVCodec* codec, int channels) {
    const AVCodecDescriptor* d = avcodec_descriptor_get(codec->id);
    const bool lossless_only = d && (d->props & AV_CODEC_PROP_LOSSLESS) && !(d->props & AV_CODEC_PROP_LOSSY);
    const AVPixelFormat src = channels == 1 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
    if (lossless_only) {
        const AVPixelFormat exact[] = {AV_PIX_FMT_GRAY8};
        const AVPixelFormat exact_rgb[] = {AV_PIX_FMT_RGB24, AV_PIX_FMT_BGR24, AV_PIX_FMT_BGR0, AV_PIX_FMT_RGB0,
                                           AV_PIX_FMT_GBRP};
        if (channels == 1) {
            for (const auto f : exact)
                if (supports(codec, f)) return f;
        } else {
            for (const auto f : exact_rgb)
                if (supports(codec, f)) return f;
        }
    }
    if (codec->id == AV_CODEC_ID_MJPEG && supports(codec, AV_PIX_FMT_YUVJ420P)) return AV_PIX_FMT_YUVJ420P;
    if (supports(codec, AV_PIX_FMT_YUV420P)) return AV_PIX_FMT_YUV420P;
    if (!codec->pix_fmts) return src;
    return avcodec_find_best_pix_fmt_of_list(codec->pix_fmts, src, 0, nullptr);
}

}  // namespace

struct VideoWriter::State {
    fs::path path;
    std::int64_t width = 0, height = 0;
    int channels = 1;
    std::string codec_name;
    // Declared first, destroyed last: the muxer's AVIO is closed before the temporary goes.
    std::optional<AtomicFile> file;
    OutputPtr format;
    CodecPtr codec;
    AVStream* stream = nullptr;  // owned by `format`
    FramePtr input;  // the Image copied into padded rows for swscale
    FramePtr frame;  // in the encoder's pixel format
    PacketPtr packet;
    SwsPtr sws;
    gindex_t frames_written = 0;
    bool failed = false, committed = false;

    // Sends `f` (nullptr: flush) and muxes every packet the encoder returns.
    void encode(const AVFrame* f) {
        int rc = avcodec_send_frame(codec.get(), f);
        if (rc < 0) frame_error(path, frames_written, "encoding: " + av_error(rc));
        for (;;) {
            rc = avcodec_receive_packet(codec.get(), packet.get());
            if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
            if (rc < 0) frame_error(path, frames_written, "encoding: " + av_error(rc));
            av_packet_rescale_ts(packet.get(), codec->time_base, stream->time_base);
            packet->stream_index = stream->index;
            rc = av_interleaved_write_frame(format.get(), packet.get());  // takes the packet's data
            if (rc < 0) frame_error(path, frames_written, "writing: " + av_error(rc));
        }
    }
};

VideoWriter::VideoWriter(const fs::path& path, std::int64_t width, std::int64_t height, int channels,
                         const VideoWriterOptions& options)
    : state_(std::make_unique<State>()) {
    quiet_ffmpeg();
    State& s = *state_;
    s.path = path;
    s.width = width;
    s.height = height;
    s.channels = channels;
    const std::string ext = lower_extension(path);
    if (!is_video_path(path))
        video_error(path, "unknown video extension '" + path.extension().string() +
                              "' (.mp4 .mkv .avi .mov .nut .webm)");
    if (channels != 1 && channels != 3)
        video_error(path, "channels = " + std::to_string(channels) + ": videos are written from 1 (gray) or 3 (RGB)");
    // FFmpeg's sizes are ints; 16384 a side keeps every buffer size far from overflowing.
    if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
        video_error(path, "frame size " + std::to_string(width) + " x " + std::to_string(height) +
                              " (sides must be 1..16384)");
    if (!(options.fps > 0) || !std::isfinite(options.fps) || options.fps > 1e6)
        video_error(path, "fps = " + std::to_string(options.fps) + " must be positive (at most 1e6)");
    if (options.crf < 0) video_error(path, "crf = " + std::to_string(options.crf) + " must not be negative");
    const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) video_error(path, "the folder " + folder.string() + " does not exist");

    const AVCodec* encoder = choose_encoder(path, ext, options.codec);
    s.codec_name = encoder->name;
    const AVPixelFormat pix = encoder_format(encoder, channels);
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(pix);
    if (!desc) video_error(path, std::string("encoder ") + encoder->name + " has no usable pixel format");
    if (width % (1 << desc->log2_chroma_w) != 0 || height % (1 << desc->log2_chroma_h) != 0)
        video_error(path, "frame size " + std::to_string(width) + " x " + std::to_string(height) + ": " +
                              encoder->name + "'s pixel format " + desc->name + " needs even sides");

    AVFormatContext* raw = nullptr;
    // The muxer comes from the target's name: the temporary's name ends in .tmp.
    int rc = avformat_alloc_output_context2(&raw, nullptr, nullptr, path.filename().string().c_str());
    if (rc < 0 || !raw) video_error(path, "no muxer for " + ext + ": " + av_error(rc));
    s.format.reset(raw);
    if (avformat_query_codec(s.format->oformat, encoder->id, FF_COMPLIANCE_NORMAL) == 0)
        video_error(path, std::string("the ") + s.format->oformat->name + " container cannot hold " + encoder->name);

    s.codec.reset(avcodec_alloc_context3(encoder));
    if (!s.codec) video_error(path, "out of memory for the encoder");
    AVCodecContext* c = s.codec.get();
    c->width = static_cast<int>(width);
    c->height = static_cast<int>(height);
    c->pix_fmt = pix;
    const AVRational rate = av_d2q(options.fps, 1 << 20);
    c->framerate = rate;
    c->time_base = av_inv_q(rate);  // pts = frame number
    c->thread_count = 1;            // as for decoding: one rank's cores are its own
    c->color_range = full_range(pix, AVCOL_RANGE_UNSPECIFIED) ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    if (!is_rgb(pix) && !is_gray(pix)) c->colorspace = AVCOL_SPC_SMPTE170M;  // swscale's BT.601 below
    if (s.format->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (av_opt_find(c->priv_data, "crf", nullptr, 0, 0)) {
        if (options.crf > 0) av_opt_set_int(c->priv_data, "crf", options.crf, 0);
        c->bit_rate = 0;  // libvpx: constant quality only without a target bit rate
    } else {
        const AVCodecDescriptor* d = avcodec_descriptor_get(encoder->id);
        // Lossy encoders without CRF (mjpeg, mpeg4) default to 200 kb/s, which blurs frames
        // badly: use a fixed high quality instead.
        if (d && (d->props & AV_CODEC_PROP_LOSSY)) {
            c->flags |= AV_CODEC_FLAG_QSCALE;
            c->global_quality = FF_QP2LAMBDA * 2;
        }
    }
    if ((rc = avcodec_open2(c, encoder, nullptr)) < 0)
        video_error(path, std::string("cannot open the ") + encoder->name + " encoder: " + av_error(rc));

    s.stream = avformat_new_stream(s.format.get(), nullptr);
    if (!s.stream) video_error(path, "out of memory for the stream");
    s.stream->time_base = c->time_base;
    s.stream->avg_frame_rate = rate;
    if ((rc = avcodec_parameters_from_context(s.stream->codecpar, c)) < 0)
        video_error(path, "codec parameters: " + av_error(rc));

    s.frame = padded_frame(pix, c->width, c->height);
    s.packet.reset(av_packet_alloc());
    if (!s.frame || !s.packet) video_error(path, "out of memory");
    s.frame->color_range = c->color_range;
    s.frame->colorspace = c->colorspace;
    const AVPixelFormat src = channels == 1 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
    s.input = padded_frame(src, c->width, c->height);
    if (!s.input) video_error(path, "out of memory");
    s.sws.reset(converter(nullptr, c->width, c->height, src, true, c->width, c->height, pix,
                          c->color_range == AVCOL_RANGE_JPEG, c->colorspace, encode_flags));
    if (!s.sws) video_error(path, std::string("cannot convert ") + av_get_pix_fmt_name(src) + " to " + desc->name);

    try {
        s.file.emplace(path);
    } catch (const std::exception& e) {
        video_error(path, e.what());
    }
    if ((rc = avio_open(&s.format->pb, file_url(s.file->temporary()).c_str(), AVIO_FLAG_WRITE)) < 0)
        video_error(path, "cannot open " + s.file->temporary().string() + ": " + av_error(rc));
    if ((rc = avformat_write_header(s.format.get(), nullptr)) < 0)
        video_error(path, "cannot write the container header: " + av_error(rc));
}

VideoWriter::~VideoWriter() = default;
VideoWriter::VideoWriter(VideoWriter&&) noexcept = default;
VideoWriter& VideoWriter::operator=(VideoWriter&&) noexcept = default;

gindex_t VideoWriter::frames_written() const noexcept { return state_ ? state_->frames_written : 0; }

const std::string& VideoWriter::codec() const noexcept {
    static const std::string none;
    return state_ ? state_->codec_name : none;
}

void VideoWriter::write(const Image& image) {
    TESSERA_CHECK(state_, "VideoWriter::write on a moved-from writer");
    State& s = *state_;
    if (s.committed) frame_error(s.path, s.frames_written, "the video is already committed");
    if (s.failed) frame_error(s.path, s.frames_written, "an earlier frame failed; the video cannot be continued");
    const ImageInfo& i = image.info;
    if (i.width != s.width || i.height != s.height || i.channels != s.channels || i.pixel != PixelType::u8)
        frame_error(s.path, s.frames_written,
                    "image " + std::to_string(i.width) + " x " + std::to_string(i.height) + " x " +
                        std::to_string(i.channels) + " " + to_string(i.pixel) + ", the video takes " +
                        std::to_string(s.width) + " x " + std::to_string(s.height) + " x " +
                        std::to_string(s.channels) + " uint8");
    const std::size_t row = static_cast<std::size_t>(s.width) * static_cast<std::size_t>(s.channels);
    if (image.bytes.size() != row * static_cast<std::size_t>(s.height))
        frame_error(s.path, s.frames_written,
                    "the image holds " + std::to_string(image.bytes.size()) + " bytes, its size needs " +
                        std::to_string(row * static_cast<std::size_t>(s.height)));
    s.failed = true;  // until this frame is in
    // The encoder may still hold a reference to the previous frame's buffers.
    int rc = av_frame_make_writable(s.frame.get());
    if (rc < 0) frame_error(s.path, s.frames_written, "frame buffer: " + av_error(rc));
    for (std::int64_t j = 0; j < s.height; ++j)
        std::memcpy(s.input->data[0] + j * s.input->linesize[0], image.bytes.data() + static_cast<std::size_t>(j) * row,
                    row);
    if (sws_scale(s.sws.get(), s.input->data, s.input->linesize, 0, static_cast<int>(s.height), s.frame->data,
                  s.frame->linesize) != static_cast<int>(s.height))
        frame_error(s.path, s.frames_written, "pixel conversion failed");
    s.frame->pts = s.frames_written;
    s.encode(s.frame.get());
    ++s.frames_written;
    s.failed = false;
}

void VideoWriter::commit() {
    TESSERA_CHECK(state_, "VideoWriter::commit on a moved-from writer");
    State& s = *state_;
    if (s.committed) video_error(s.path, "already committed");
    if (s.failed) video_error(s.path, "cannot commit: an earlier frame failed");
    s.failed = true;
    s.encode(nullptr);
    int rc = av_write_trailer(s.format.get());
    if (rc < 0) video_error(s.path, "cannot write the container trailer: " + av_error(rc));
    if ((rc = avio_closep(&s.format->pb)) < 0) video_error(s.path, "cannot close the file: " + av_error(rc));
    try {
        s.file->commit();
    } catch (const std::exception& e) {
        video_error(s.path, e.what());
    }
    s.failed = false;
    s.committed = true;
}

}  // namespace tessera::io
