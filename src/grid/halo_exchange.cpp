// Halo exchange: one packed message per neighbour, persistent requests reused every step.
#include "tessera/grid/halo_exchange.hpp"

#include <algorithm>

#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"

namespace tessera::grid {

namespace {

// Large faces (3D) are worth a thread team; small ones are not.
constexpr gindex_t kThreadedCopy = 1 << 15;

template <class T, int Dim>
void pack(const ConstView<T, Dim>& v, const Box<Dim>& box, T* buf) {
    const index_t n = box.extent(0), rows = box_rows(box);
#pragma omp parallel for schedule(static) if (box.size() > kThreadedCopy)
    for (index_t r = 0; r < rows; ++r) std::copy_n(row_begin(v, box, r), n, buf + r * n);
}

template <class T, int Dim>
void unpack(const View<T, Dim>& v, const Box<Dim>& box, const T* buf) {
    const index_t n = box.extent(0), rows = box_rows(box);
#pragma omp parallel for schedule(static) if (box.size() > kThreadedCopy)
    for (index_t r = 0; r < rows; ++r) std::copy_n(buf + r * n, n, row_begin(v, box, r));
}

// Tag for the message travelling in direction `offset` (unique per direction, so two links
// to the same rank, e.g. both sides of a 2-rank periodic axis, never match the wrong way).
template <int Dim>
int direction_tag(const std::array<int, Dim>& offset) {
    int tag = 0, scale = 1;
    for (int d = 0; d < Dim; ++d, scale *= 3) tag += (offset[d] + 1) * scale;
    return tag;
}

}  // namespace

template <class T, int Dim>
HaloExchange<T, Dim>::HaloExchange(const Field<T, Dim>& like, int width, HaloPattern pattern)
    : decomp_(&like.decomp()), ghost_(like.ghost()), width_(width), pattern_(pattern) {
    const auto& comm = decomp_->comm();
    const auto& owned = decomp_->owned_box();
    TESSERA_CHECK_ALL(comm, width >= 1 && width <= like.ghost(),
                      "halo width " << width << " must be between 1 and the ghost width "
                                    << like.ghost());
    bool wide_enough = true;
    for (int d = 0; d < Dim; ++d) wide_enough = wide_enough && owned.extent(d) >= width;
    TESSERA_CHECK_ALL(comm, wide_enough,
                      "rank " << comm.rank() << " owns " << owned << ", narrower than the halo width "
                              << width << ": use fewer ranks or more cells");

    // Enumerate the directions: 2*Dim faces, or all 3^Dim - 1 neighbours.
    std::vector<std::array<int, Dim>> offsets;
    const int total = Dim == 2 ? 9 : 27;
    for (int code = 0; code < total; ++code) {
        std::array<int, Dim> o{};
        int c = code, nonzero = 0;
        for (int d = 0; d < Dim; ++d, c /= 3) {
            o[d] = c % 3 - 1;
            nonzero += o[d] != 0;
        }
        if (nonzero == 0 || (pattern == HaloPattern::faces && nonzero != 1)) continue;
        offsets.push_back(o);
    }
    for (const auto& o : offsets) {
        const int peer = decomp_->neighbor(o);
        if (peer == MPI_PROC_NULL) continue;
        Link link;
        link.peer = peer;
        for (int d = 0; d < Dim; ++d) {
            const gindex_t lo = owned.lo[d], hi = owned.hi[d];
            if (o[d] < 0) {
                link.send_box.lo[d] = lo, link.send_box.hi[d] = lo + width;
                link.recv_box.lo[d] = lo - width, link.recv_box.hi[d] = lo;
            } else if (o[d] > 0) {
                link.send_box.lo[d] = hi - width, link.send_box.hi[d] = hi;
                link.recv_box.lo[d] = hi, link.recv_box.hi[d] = hi + width;
            } else {
                link.send_box.lo[d] = link.recv_box.lo[d] = lo;
                link.send_box.hi[d] = link.recv_box.hi[d] = hi;
            }
        }
        link.send_buf.resize(static_cast<std::size_t>(link.send_box.size()));
        link.recv_buf.resize(static_cast<std::size_t>(link.recv_box.size()));
        links_.push_back(std::move(link));
        auto& l = links_.back();
        std::array<int, Dim> back{};
        for (int d = 0; d < Dim; ++d) back[d] = -o[d];
        requests_.recv_init(comm, std::span<T>(l.recv_buf), peer, direction_tag<Dim>(back));
        requests_.send_init(comm, std::span<const T>(l.send_buf), peer, direction_tag<Dim>(o));
    }
}

template <class T, int Dim>
void HaloExchange<T, Dim>::check_layout(const Field<T, Dim>& field) const {
    TESSERA_CHECK(&field.decomp() == decomp_ && field.ghost() == ghost_,
                  "HaloExchange used with a field of another decomposition or ghost width");
}

template <class T, int Dim>
void HaloExchange<T, Dim>::start(const Field<T, Dim>& field) {
    for (const auto& l : links_) count_message(l.peer, l.send_buf.size() * sizeof(T));  // under the caller's region
    ScopedTimer timer("grid.halo.start");
    check_layout(field);
    const auto v = field.view();
    for (auto& l : links_) pack<T, Dim>(v, l.send_box, l.send_buf.data());
    requests_.start();
}

template <class T, int Dim>
void HaloExchange<T, Dim>::finish(Field<T, Dim>& field) {
    ScopedTimer timer("grid.halo.finish");
    check_layout(field);
    {
        ScopedTimer wait("grid.halo.wait");
        requests_.wait();
    }
    auto v = field.view();
    for (auto& l : links_) unpack<T, Dim>(v, l.recv_box, l.recv_buf.data());
}

template class HaloExchange<double, 2>;
template class HaloExchange<double, 3>;
template class HaloExchange<float, 2>;
template class HaloExchange<float, 3>;
template class HaloExchange<int, 2>;
template class HaloExchange<int, 3>;

}  // namespace tessera::grid
