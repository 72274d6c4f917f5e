// Level transfers: the 1D taps, the box gathers between decompositions and the restriction
// and prolongation kernels over gathered boxes.
#include "tessera/multigrid/transfer.hpp"

#include <algorithm>
#include <array>

#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"

namespace tessera::multigrid {

gindex_t coarsen(gindex_t n) noexcept { return n <= 1 ? 1 : (n % 2 == 1 ? (n - 1) / 2 : n / 2); }

template <int Dim>
std::array<gindex_t, Dim> coarse_cells(const std::array<gindex_t, Dim>& cells) noexcept {
    // Coupling along axis d is 1 / h_d^2 = (n_d + 1)^2. Axes much weaker than the strongest
    // are not coarsened (semi-coarsening): point smoothers cannot smooth along them.
    gindex_t strongest = 0;
    for (auto n : cells) strongest = std::max(strongest, (n + 1) * (n + 1));
    std::array<gindex_t, Dim> c{};
    for (int d = 0; d < Dim; ++d) {
        const gindex_t coupling = (cells[d] + 1) * (cells[d] + 1);
        c[d] = 5 * coupling >= 2 * strongest ? coarsen(cells[d]) : cells[d];
    }
    return c;
}
template std::array<gindex_t, 2> coarse_cells<2>(const std::array<gindex_t, 2>&) noexcept;
template std::array<gindex_t, 3> coarse_cells<3>(const std::array<gindex_t, 3>&) noexcept;

AxisTransfer AxisTransfer::make(gindex_t fine, gindex_t coarse) {
    AxisTransfer a;
    a.fine = fine;
    a.coarse = coarse;
    // Fine unknown i sits at (i + 1) / (fine + 1), that is at q / (fine + 1) coarse spacings with
    // q = (i + 1) (coarse + 1): between coarse points m and m + 1 (1-based, 0 and coarse + 1
    // being the boundary) at the fraction rem / (fine + 1). Integer arithmetic keeps the
    // nested weights exact.
    const gindex_t den = fine + 1;
    std::vector<std::vector<Tap>> per_coarse(static_cast<std::size_t>(coarse));
    a.interp_start.push_back(0);
    for (gindex_t i = 0; i < fine; ++i) {
        const gindex_t q = (i + 1) * (coarse + 1), m = q / den, rem = q % den;
        const auto add = [&](gindex_t index, gindex_t num) {
            if (num == 0 || index < 0 || index >= coarse) return;
            a.interp.push_back({index, static_cast<double>(num) / static_cast<double>(den)});
            per_coarse[static_cast<std::size_t>(index)].push_back(
                {i, static_cast<double>((coarse + 1) * num) / (static_cast<double>(den) * static_cast<double>(den))});
        };
        add(m - 1, den - rem);
        add(m, rem);
        a.interp_start.push_back(static_cast<gindex_t>(a.interp.size()));
    }
    a.restrict_start.push_back(0);
    for (const auto& taps : per_coarse) {
        a.restrict_taps.insert(a.restrict_taps.end(), taps.begin(), taps.end());
        a.restrict_start.push_back(static_cast<gindex_t>(a.restrict_taps.size()));
    }
    return a;
}

std::array<gindex_t, 2> AxisTransfer::fine_range(gindex_t clo, gindex_t chi) const {
    if (clo >= chi) return {0, 0};
    const auto first = static_cast<std::size_t>(restrict_start[static_cast<std::size_t>(clo)]);
    const auto last = static_cast<std::size_t>(restrict_start[static_cast<std::size_t>(chi)]) - 1;
    return {restrict_taps[first].index, restrict_taps[last].index + 1};
}

std::array<gindex_t, 2> AxisTransfer::coarse_range(gindex_t flo, gindex_t fhi) const {
    if (flo >= fhi) return {0, 0};
    const auto first = static_cast<std::size_t>(interp_start[static_cast<std::size_t>(flo)]);
    const auto last = static_cast<std::size_t>(interp_start[static_cast<std::size_t>(fhi)]) - 1;
    return {interp[first].index, interp[last].index + 1};
}

namespace {

// A box as three ranges (a 2D box gets the range [0, 1) on axis 2), for one set of loops.
struct Box3 {
    std::array<gindex_t, 3> lo{0, 0, 0}, hi{1, 1, 1};
    gindex_t extent(int d) const { return std::max<gindex_t>(hi[d] - lo[d], 0); }
    bool empty() const { return extent(0) == 0 || extent(1) == 0 || extent(2) == 0; }
    // Offset of (i, j, k) in a dense array over this box, x fastest.
    index_t at(gindex_t i, gindex_t j, gindex_t k) const {
        return ((k - lo[2]) * extent(1) + (j - lo[1])) * extent(0) + (i - lo[0]);
    }
};

template <int Dim>
Box3 box3(const Box<Dim>& b) {
    Box3 r;
    for (int d = 0; d < Dim; ++d) {
        r.lo[d] = b.lo[d];
        r.hi[d] = b.hi[d];
    }
    if (b.empty()) r.hi = r.lo;
    return r;
}

// Copies the cells of `part` (inside both boxes) from a dense array over `from` to one over `to`.
void copy_box(const Box3& part, const Box3& from, const double* src, const Box3& to, double* dst) {
    if (part.empty()) return;
    const gindex_t nx = part.extent(0);
    for (gindex_t k = part.lo[2]; k < part.hi[2]; ++k)
        for (gindex_t j = part.lo[1]; j < part.hi[1]; ++j)
            std::copy_n(src + from.at(part.lo[0], j, k), nx, dst + to.at(part.lo[0], j, k));
}

constexpr int kTag = 0x4d47;  // one gather at a time per communicator: one tag suffices

}  // namespace

template <int Dim>
BoxGather<Dim>::BoxGather(const mpi::Comm& comm, const Box<Dim>& have, const Box<Dim>& need)
    : comm_(&comm), have_(have), need_(need) {
    const int p = comm.size();
    std::array<gindex_t, 4 * Dim> mine{};
    for (int d = 0; d < Dim; ++d) {
        mine[d] = have.lo[d];
        mine[Dim + d] = have.hi[d];
        mine[2 * Dim + d] = need.lo[d];
        mine[3 * Dim + d] = need.hi[d];
    }
    std::vector<gindex_t> all(static_cast<std::size_t>(4 * Dim * p));
    TESSERA_MPI_CALL(MPI_Allgather(mine.data(), 4 * Dim, MPI_INT64_T, all.data(), 4 * Dim, MPI_INT64_T, comm.get()));
    for (int q = 0; q < p; ++q) {
        Box<Dim> their_have, their_need;
        const gindex_t* e = all.data() + static_cast<std::size_t>(4 * Dim * q);
        for (int d = 0; d < Dim; ++d) {
            their_have.lo[d] = e[d];
            their_have.hi[d] = e[Dim + d];
            their_need.lo[d] = e[2 * Dim + d];
            their_need.hi[d] = e[3 * Dim + d];
        }
        const Box<Dim> out = have.intersect(their_need), in = need.intersect(their_have);
        if (q == comm.rank()) {
            self_ = out;
            continue;
        }
        if (!out.empty()) sends_.push_back({q, out, std::vector<double>(static_cast<std::size_t>(out.size()))});
        if (!in.empty()) recvs_.push_back({q, in, std::vector<double>(static_cast<std::size_t>(in.size()))});
    }
}

template <int Dim>
void BoxGather<Dim>::run(std::span<const double> src, std::span<double> dst, bool copy_own) {
    TESSERA_CHECK(static_cast<gindex_t>(src.size()) == have_.size() && static_cast<gindex_t>(dst.size()) == need_.size(),
                  "BoxGather::run: " << src.size() << " and " << dst.size() << " values for boxes of "
                                     << have_.size() << " and " << need_.size());
    const Box3 have = box3(have_), need = box3(need_);
    std::vector<mpi::Request> reqs;
    reqs.reserve(sends_.size() + recvs_.size());
    for (auto& r : recvs_) reqs.push_back(mpi::irecv(*comm_, std::span<double>(r.buf), r.peer, kTag));
    for (auto& s : sends_) {
        const Box3 part = box3(s.box);
        copy_box(part, have, src.data(), part, s.buf.data());
        reqs.push_back(mpi::isend(*comm_, std::span<const double>(s.buf), s.peer, kTag));
    }
    if (copy_own) copy_box(box3(self_), have, src.data(), need, dst.data());
    mpi::wait_all(reqs);
    for (auto& r : recvs_) {
        const Box3 part = box3(r.box);
        copy_box(part, part, r.buf.data(), need, dst.data());
    }
}

namespace {

// The fine box that the restriction onto `coarse` reads and the coarse box that the
// prolongation onto `fine` reads (empty for empty boxes).
template <int Dim>
Box<Dim> fine_needed(const std::array<AxisTransfer, 3>& axes, const Box<Dim>& coarse) {
    Box<Dim> b;
    if (coarse.empty()) return b;
    for (int d = 0; d < Dim; ++d) {
        const auto r = axes[d].fine_range(coarse.lo[d], coarse.hi[d]);
        b.lo[d] = r[0];
        b.hi[d] = r[1];
    }
    return b;
}
template <int Dim>
Box<Dim> coarse_needed(const std::array<AxisTransfer, 3>& axes, const Box<Dim>& fine) {
    Box<Dim> b;
    if (fine.empty()) return b;
    for (int d = 0; d < Dim; ++d) {
        const auto r = axes[d].coarse_range(fine.lo[d], fine.hi[d]);
        b.lo[d] = r[0];
        b.hi[d] = r[1];
    }
    return b;
}

}  // namespace

template <int Dim>
Transfer<Dim>::Transfer(const LevelOperator<Dim>& fine, const LevelOperator<Dim>* coarse,
                        const std::array<gindex_t, Dim>& coarse_cells)
    : comm_(fine.comm().duplicate()) {
    const auto& fc = fine.decomp().global_cells();
    for (int d = 0; d < 3; ++d)
        axes_[d] = d < Dim ? AxisTransfer::make(fc[d], coarse_cells[d]) : AxisTransfer::make(1, 1);
    fine_owned_ = fine.decomp().owned_box();
    if (coarse) coarse_owned_ = coarse->decomp().owned_box();
    fine_need_ = fine_needed<Dim>(axes_, coarse_owned_);
    coarse_need_ = coarse_needed<Dim>(axes_, fine_owned_);
    gather_fine_ = BoxGather<Dim>(comm_, fine_owned_, fine_need_);
    gather_coarse_ = BoxGather<Dim>(comm_, coarse_owned_, coarse_need_);
    fine_buf_.resize(static_cast<std::size_t>(fine_need_.size()));
    // Whole owned x-lines cover the x-range the restriction reads (tessera never splits x):
    // owned rows can then be read in place.
    direct_fine_ = !fine_need_.empty() && fine_need_.lo[0] >= fine_owned_.lo[0] && fine_need_.hi[0] <= fine_owned_.hi[0];
    coarse_buf_.resize(static_cast<std::size_t>(coarse_need_.size()));
}

namespace {
// One axis's taps of a separable transfer: point i reads taps[start[i] .. start[i + 1]).
struct AxisTaps {
    const std::vector<gindex_t>& start;
    const std::vector<AxisTransfer::Tap>& taps;
};

// The tensor product of three axes' taps, from `src` (laid out over `in`) to every point of
// `out`, handed to store(offset in out, row of values); rows(j, k) points at the input row
// (j, k) from x = in.lo[0]. Each value is
// sum_z w_z (sum_y w_y (sum_x w_x src)), x within y within z, taps in increasing index: the
// same order on any layout. Two passes compute exactly those sums with less work: first the x
// sums of every input row at every output x (each one is shared by all the output rows whose
// y and z taps read that row), then, one output row at a time, the y and z sums over those
// rows as vector loops along x. `tmp` holds the first pass (resized here).
template <class Rows, class Store>
void apply_separable(const std::array<AxisTaps, 3>& axes, const Box3& out, const Box3& in, Rows rows,
                     std::vector<double>& tmp, Store store) {
    const auto& [ax, ay, az] = axes;
    const gindex_t nxo = out.extent(0), nyi = in.extent(1), nzi = in.extent(2);
    if (out.empty()) return;
    tmp.resize(static_cast<std::size_t>(nxo * nyi * nzi));
    double* const t = tmp.data();
#pragma omp parallel
    {
#pragma omp for collapse(2) schedule(static)
        for (gindex_t kk = 0; kk < nzi; ++kk) {
            for (gindex_t jj = 0; jj < nyi; ++jj) {
                const double* row = rows(in.lo[1] + jj, in.lo[2] + kk);
                double* dst = t + (kk * nyi + jj) * nxo;
                for (gindex_t i = out.lo[0]; i < out.hi[0]; ++i) {
                    double sx = 0;
                    for (auto ti = ax.start[i]; ti < ax.start[i + 1]; ++ti) {
                        const auto& xi = ax.taps[ti];
                        sx += xi.weight * row[xi.index - in.lo[0]];
                    }
                    dst[i - out.lo[0]] = sx;
                }
            }
        }
        std::vector<double> s(static_cast<std::size_t>(nxo)), sy(static_cast<std::size_t>(nxo));
        const gindex_t ny = out.extent(1), nz = out.extent(2);
#pragma omp for collapse(2) schedule(static)
        for (gindex_t kk = 0; kk < nz; ++kk) {
            for (gindex_t jj = 0; jj < ny; ++jj) {
                const gindex_t k = out.lo[2] + kk, j = out.lo[1] + jj;
                std::fill(s.begin(), s.end(), 0.0);
                for (auto tk = az.start[k]; tk < az.start[k + 1]; ++tk) {
                    const auto& zk = az.taps[tk];
                    std::fill(sy.begin(), sy.end(), 0.0);
                    for (auto tj = ay.start[j]; tj < ay.start[j + 1]; ++tj) {
                        const auto& yj = ay.taps[tj];
                        const double w = yj.weight;
                        const double* r = t + ((zk.index - in.lo[2]) * nyi + (yj.index - in.lo[1])) * nxo;
#pragma omp simd
                        for (gindex_t i = 0; i < nxo; ++i) sy[i] += w * r[i];
                    }
                    const double w = zk.weight;
#pragma omp simd
                    for (gindex_t i = 0; i < nxo; ++i) s[i] += w * sy[i];
                }
                store(out.at(out.lo[0], j, k), s.data(), nxo);
            }
        }
    }
}
}  // namespace

template <int Dim>
void Transfer<Dim>::restrict_to(std::span<const double> fine_r, std::span<double> coarse_b) {
    // The rows this rank owns are read where they are; only the others are gathered.
    gather_fine_.run(fine_r, fine_buf_, !direct_fine_);
    const Box3 out = box3(coarse_owned_), in = box3(fine_need_);
    if (out.empty()) return;
    TESSERA_CHECK(static_cast<gindex_t>(coarse_b.size()) == coarse_owned_.size(),
                  "Transfer::restrict_to: " << coarse_b.size() << " coarse values for " << coarse_owned_.size());
    const std::array<AxisTaps, 3> taps{{{axes_[0].restrict_start, axes_[0].restrict_taps},
                                        {axes_[1].restrict_start, axes_[1].restrict_taps},
                                        {axes_[2].restrict_start, axes_[2].restrict_taps}}};
    const Box3 own = box3(fine_owned_);
    const auto rows = [&](gindex_t j, gindex_t k) {
        const bool mine = direct_fine_ && j >= own.lo[1] && j < own.hi[1] && k >= own.lo[2] && k < own.hi[2];
        return mine ? fine_r.data() + own.at(in.lo[0], j, k) : fine_buf_.data() + in.at(in.lo[0], j, k);
    };
    apply_separable(taps, out, in, rows, pass_buf_, [&](index_t at, const double* v, index_t n) {
        std::copy_n(v, n, coarse_b.data() + at);
    });
}

template <int Dim>
void Transfer<Dim>::prolong_add(std::span<const double> coarse_x, std::span<double> fine_x) {
    gather_coarse_.run(coarse_x, coarse_buf_);
    const Box3 out = box3(fine_owned_), in = box3(coarse_need_);
    TESSERA_CHECK(static_cast<gindex_t>(fine_x.size()) == fine_owned_.size(),
                  "Transfer::prolong_add: " << fine_x.size() << " fine values for " << fine_owned_.size());
    const std::array<AxisTaps, 3> taps{{{axes_[0].interp_start, axes_[0].interp},
                                        {axes_[1].interp_start, axes_[1].interp},
                                        {axes_[2].interp_start, axes_[2].interp}}};
    const auto rows = [&](gindex_t j, gindex_t k) { return coarse_buf_.data() + in.at(in.lo[0], j, k); };
    apply_separable(taps, out, in, rows, pass_buf_, [&](index_t at, const double* v, index_t n) {
        double* x = fine_x.data() + at;
#pragma omp simd
        for (index_t i = 0; i < n; ++i) x[i] += v[i];
    });
}

template class BoxGather<2>;
template class BoxGather<3>;
template class Transfer<2>;
template class Transfer<3>;

}  // namespace tessera::multigrid
