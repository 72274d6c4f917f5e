// Image border modes (border_source) and the BorderExchange that fills ghosts across ranks.
#include "tessera/grid/border.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <type_traits>

#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"

namespace tessera::grid {

BorderMode parse_border_mode(const std::string& name) {
    if (name == "reflect101") return BorderMode::reflect101;
    if (name == "reflect") return BorderMode::reflect;
    if (name == "replicate") return BorderMode::replicate;
    if (name == "constant") return BorderMode::constant;
    if (name == "wrap") return BorderMode::wrap;
    TESSERA_CHECK(false, "unknown border mode '" << name
                                                 << "' (reflect101, reflect, replicate, constant or wrap)");
    return BorderMode::reflect101;
}

const char* to_string(BorderMode mode) noexcept {
    switch (mode) {
        case BorderMode::reflect101: return "reflect101";
        case BorderMode::reflect: return "reflect";
        case BorderMode::replicate: return "replicate";
        case BorderMode::constant: return "constant";
        case BorderMode::wrap: return "wrap";
    }
    return "?";
}

gindex_t border_source(gindex_t g, gindex_t n, BorderMode mode) noexcept {
    if (g >= 0 && g < n) return g;
    switch (mode) {
        case BorderMode::constant: return -1;
        case BorderMode::replicate: return g < 0 ? 0 : n - 1;
        case BorderMode::wrap: return ((g % n) + n) % n;
        case BorderMode::reflect:
        case BorderMode::reflect101: {
            if (n == 1) return 0;
            // Reflection is periodic with period 2n (reflect) or 2n - 2 (reflect101).
            const gindex_t delta = mode == BorderMode::reflect101 ? 1 : 0;
            const gindex_t period = 2 * n - 2 * delta;
            gindex_t p = ((g % period) + period) % period;
            if (p >= n) p = period - p - (1 - delta);
            return p;
        }
    }
    return -1;
}

// ---- BorderExchange ----
//
// Every rank derives, from the decomposition alone, which cells every other rank needs, so the
// plan has no handshake: for each ghost index g of a receiving rank, s = border_source(g, n)
// names the source cell, and the owner of s (in the same process row for axis 0, the same
// process column for axis 1) sends it. Both sides enumerate the receiver's ghosts in the same
// order (increasing global index), so the message layout needs no index lists on
// the wire. One message per peer and phase; persistent requests and buffers are built once.

namespace {

// Tags of the two phases, away from HaloExchange's direction tags (0..26) on the same
// communicator.
constexpr int kTagAxis0 = 100;
constexpr int kTagAxis1 = 101;

// Column packing of large tiles is worth a thread team; small ones are not.
constexpr gindex_t kThreadedCopy = 1 << 15;

// Process coordinate (along an axis of n cells split into `parts` blocks as split_range does)
// that owns cell s.
int owner_of(gindex_t s, gindex_t n, int parts) {
    const gindex_t q = n / parts, r = n % parts, big = r * (q + 1);
    return static_cast<int>(s < big ? s / (q + 1) : r + (s - big) / q);
}

// The ghost indices of a block [lo, hi), `w` deep on each side, in the order both ends of a
// message use.
std::vector<gindex_t> ghost_indices(gindex_t lo, gindex_t hi, int w) {
    std::vector<gindex_t> g;
    for (gindex_t i = lo - w; i < lo; ++i) g.push_back(i);
    for (gindex_t i = hi; i < hi + w; ++i) g.push_back(i);
    return g;
}

// The constant border value as a pixel: rounded and saturated for integer pixels, as OpenCV's
// saturate_cast does for its border value.
template <class T>
T constant_as(double v) {
    if constexpr (std::is_integral_v<T>) {
        if (!(v == v)) return T{0};  // NaN
        const double lo = static_cast<double>(std::numeric_limits<T>::min());
        const double hi = static_cast<double>(std::numeric_limits<T>::max());
        return static_cast<T>(std::clamp(std::nearbyint(v), lo, hi));
    } else {
        return static_cast<T>(v);
    }
}

template <class T>
std::span<unsigned char> bytes(std::vector<T>& buf) {
    return {reinterpret_cast<unsigned char*>(buf.data()), buf.size() * sizeof(T)};
}

}  // namespace

template <class T>
struct BorderExchange<T>::Impl {
    // What this rank exchanges with one peer in one phase. Phase 1 indices are columns as
    // offsets from the storage box's first column; phase 2 indices are global rows.
    struct Link {
        int peer = MPI_PROC_NULL;
        std::vector<gindex_t> send_idx, recv_idx;  // sources this rank sends, ghosts it receives
        std::vector<T> send_buf, recv_buf;
    };
    struct Phase {
        std::vector<Link> links;
        std::vector<std::array<gindex_t, 2>> local;  // {source, ghost}, both on this rank
        std::vector<gindex_t> constant;              // ghosts set to the constant value
        mpi::PersistentRequests requests;
    };
    Phase axis0, axis1;
    gindex_t col0 = 0;               // storage box's first column (phase 1 offsets are from it)
    gindex_t rows_lo = 0, rows = 0;  // owned rows: phase 1's rows
    gindex_t cols_lo = 0, cols = 0;  // owned columns widened by the width: phase 2's row length
    T constant{};
    std::size_t bytes_sent = 0;
};

namespace {

// Builds one phase's plan along `axis` (0: columns within this process row, 1: rows within
// this process column). `to_index` maps a global index to the index stored in the plan.
template <class Phase, class ToIndex>
void plan_axis(const CartDecomp<2>& decomp, int axis, int width, BorderMode mode, Phase& phase,
               ToIndex to_index) {
    const gindex_t n = decomp.global_cells()[axis];
    const int parts = decomp.procs()[axis];
    const auto me = decomp.coords();
    std::vector<int> link_of(static_cast<std::size_t>(parts), -1);
    auto link = [&](int p) -> auto& {
        auto& l = link_of[static_cast<std::size_t>(p)];
        if (l < 0) {
            l = static_cast<int>(phase.links.size());
            auto coords = me;
            coords[static_cast<std::size_t>(axis)] = p;
            phase.links.emplace_back();
            phase.links.back().peer = decomp.comm().rank_at(coords);
        }
        return phase.links[static_cast<std::size_t>(l)];
    };
    const int mine = me[static_cast<std::size_t>(axis)];
    for (int p = 0; p < parts; ++p) {
        auto coords = me;
        coords[static_cast<std::size_t>(axis)] = p;
        const auto box = decomp.owned_box_at(coords);
        for (const gindex_t g : ghost_indices(box.lo[axis], box.hi[axis], width)) {
            const gindex_t s = border_source(g, n, mode);
            const int owner = s < 0 ? -1 : owner_of(s, n, parts);
            if (p == mine) {
                if (s < 0) phase.constant.push_back(to_index(g));
                else if (owner == mine) phase.local.push_back({to_index(s), to_index(g)});
                else link(owner).recv_idx.push_back(to_index(g));
            } else if (owner == mine) {
                link(p).send_idx.push_back(to_index(s));
            }
        }
    }
}

}  // namespace

template <class T>
BorderExchange<T>::BorderExchange(const Field<T, 2>& like, int width, const Border& border)
    : decomp_(&like.decomp()), ghost_(like.ghost()), width_(width), border_(border),
      impl_(std::make_shared<Impl>()) {
    const auto& comm = decomp_->comm();
    TESSERA_CHECK_ALL(comm, width >= 0 && width <= like.ghost(),
                      "border width " << width << " must be between 0 and the ghost width "
                                      << like.ghost());
    auto& im = *impl_;
    const auto& owned = decomp_->owned_box();
    im.col0 = owned.lo[0] - ghost_;
    im.rows_lo = owned.lo[1];
    im.rows = owned.extent(1);
    im.cols_lo = owned.lo[0] - width;
    im.cols = owned.extent(0) + 2 * width;
    im.constant = constant_as<T>(border.value);
    if (width == 0) return;

    plan_axis(*decomp_, 0, width, border.mode, im.axis0, [&](gindex_t i) { return i - im.col0; });
    plan_axis(*decomp_, 1, width, border.mode, im.axis1, [](gindex_t j) { return j; });

    bool fits = true;  // MPI counts are int: each message must stay below 2 GiB
    auto size_buffers = [&](typename Impl::Phase& phase, gindex_t per_index, int tag) {
        for (auto& l : phase.links) {
            l.send_buf.resize(l.send_idx.size() * static_cast<std::size_t>(per_index));
            l.recv_buf.resize(l.recv_idx.size() * static_cast<std::size_t>(per_index));
            constexpr std::size_t max_bytes = std::numeric_limits<int>::max();
            fits = fits && l.send_buf.size() * sizeof(T) <= max_bytes &&
                   l.recv_buf.size() * sizeof(T) <= max_bytes;
            if (!fits) continue;
            if (!l.recv_buf.empty()) phase.requests.recv_init(comm, bytes(l.recv_buf), l.peer, tag);
            if (!l.send_buf.empty()) {
                phase.requests.send_init(comm, std::span<const unsigned char>(bytes(l.send_buf)),
                                         l.peer, tag);
                im.bytes_sent += l.send_buf.size() * sizeof(T);
            }
        }
    };
    size_buffers(im.axis0, im.rows, kTagAxis0);
    size_buffers(im.axis1, im.cols, kTagAxis1);
    TESSERA_CHECK_ALL(comm, fits,
                      "BorderExchange: a message of rank " << comm.rank()
                                                           << " exceeds 2 GiB; use more ranks");
}

template <class T>
std::size_t BorderExchange<T>::bytes_sent() const noexcept {
    return impl_->bytes_sent;
}

template <class T>
void BorderExchange<T>::exchange(Field<T, 2>& field) {
    TESSERA_CHECK(&field.decomp() == decomp_ && field.ghost() == ghost_,
                  "BorderExchange used with a field of another decomposition or ghost width");
    if (width_ == 0) return;
    auto& im = *impl_;
    for (const auto* ph : {&im.axis0, &im.axis1})  // counted under the caller's region
        for (const auto& l : ph->links)
            if (!l.send_buf.empty()) count_message(l.peer, l.send_buf.size() * sizeof(T));
    ScopedTimer timer("grid.border.exchange");
    auto v = field.view();
    const T c = im.constant;

    // Phase 1, axis 0: ghost columns of the owned rows.
    {
        auto& ph = im.axis0;
        auto row = [&](gindex_t r) { return &v(im.col0, im.rows_lo + r); };
        for (auto& l : ph.links) {
            const std::size_t k = l.send_idx.size();
            if (k == 0) continue;
            const gindex_t* idx = l.send_idx.data();
            T* buf = l.send_buf.data();
#pragma omp parallel for schedule(static) if (im.rows * static_cast<gindex_t>(k) > kThreadedCopy)
            for (gindex_t r = 0; r < im.rows; ++r) {
                const T* src = row(r);
                T* out = buf + static_cast<std::size_t>(r) * k;
                for (std::size_t q = 0; q < k; ++q) out[q] = src[idx[q]];
            }
        }
        ph.requests.start();
        if (!ph.local.empty() || !ph.constant.empty()) {
            for (gindex_t r = 0; r < im.rows; ++r) {
                T* p = row(r);
                for (const auto& [s, g] : ph.local) p[g] = p[s];
                for (const gindex_t g : ph.constant) p[g] = c;
            }
        }
        ph.requests.wait();
        for (auto& l : ph.links) {
            const std::size_t k = l.recv_idx.size();
            if (k == 0) continue;
            const gindex_t* idx = l.recv_idx.data();
            const T* buf = l.recv_buf.data();
#pragma omp parallel for schedule(static) if (im.rows * static_cast<gindex_t>(k) > kThreadedCopy)
            for (gindex_t r = 0; r < im.rows; ++r) {
                T* dst = row(r);
                const T* in = buf + static_cast<std::size_t>(r) * k;
                for (std::size_t q = 0; q < k; ++q) dst[idx[q]] = in[q];
            }
        }
    }

    // Phase 2, axis 1: ghost rows, each a whole row widened by the axis-0 ghosts just filled.
    {
        auto& ph = im.axis1;
        const auto len = static_cast<std::size_t>(im.cols);
        auto row = [&](gindex_t j) { return &v(im.cols_lo, j); };
        for (auto& l : ph.links)
            for (std::size_t q = 0; q < l.send_idx.size(); ++q)
                std::memcpy(l.send_buf.data() + q * len, row(l.send_idx[q]), len * sizeof(T));
        ph.requests.start();
        for (const auto& [s, g] : ph.local) std::memcpy(row(g), row(s), len * sizeof(T));
        for (const gindex_t g : ph.constant) std::fill_n(row(g), len, c);
        ph.requests.wait();
        for (auto& l : ph.links)
            for (std::size_t q = 0; q < l.recv_idx.size(); ++q)
                std::memcpy(row(l.recv_idx[q]), l.recv_buf.data() + q * len, len * sizeof(T));
    }
}

template class BorderExchange<std::uint8_t>;
template class BorderExchange<std::uint16_t>;
template class BorderExchange<float>;
template class BorderExchange<double>;

}  // namespace tessera::grid
