// SUMMA over a 2D block-cyclic layout, with OpenBLAS for the local multiplies.
//
// Panels: a SUMMA step multiplies a k-panel of several consecutive global blocks (wider
// panels keep dgemm efficient with small block sizes); each block of a panel is broadcast by
// its own owner into its slot of the panel buffer. A's panel is mloc x W (column-major, the
// owner's block columns are contiguous in its storage); B's panel is packed transposed,
// nloc x W, so that each block's slot is contiguous too and dgemm reads it with CblasTrans.
// Two buffer sets let panel s+1 travel (MPI_Ibcast) while panel s is multiplied.
#include "tessera/linalg/gemm.hpp"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <climits>
#include <optional>
#include <vector>

#include "tessera/core/timer.hpp"
#include "tessera/linalg/transpose.hpp"

namespace tessera::linalg {

BlasThreads::BlasThreads(int threads) : previous_(openblas_get_num_threads()) {
    openblas_set_num_threads(threads);
}
BlasThreads::~BlasThreads() { openblas_set_num_threads(previous_); }

namespace {

// One panel in flight: its buffers and the broadcasts filling them.
struct Panel {
    std::vector<double> a, bt;  // mloc x W and nloc x W, column-major
    index_t width = 0;
    std::vector<mpi::Request> requests;
};

class Summa {
public:
    Summa(double alpha, const DistMatrix<double>& A, const DistMatrix<double>& B,
          DistMatrix<double>& C, int panel_blocks)
        : alpha_(alpha), A_(A), B_(B), C_(C), g_(A.grid()), nb_(A.block()),
          kblocks_(A.col_layout().blocks()), panel_blocks_(panel_blocks) {}

    index_t panels() const { return (kblocks_ + panel_blocks_ - 1) / panel_blocks_; }

    // Starts the broadcasts of panel s into `p` (owners copy their blocks in first).
    void start(index_t s, Panel& p, bool nonblocking) {
        ScopedTimer t("linalg.gemm.bcast");
        const index_t mloc = C_.local_rows(), nloc = C_.local_cols();
        const gindex_t b0 = s * panel_blocks_;
        const gindex_t b1 = std::min<gindex_t>(b0 + panel_blocks_, kblocks_);
        const gindex_t k = A_.cols();
        p.width = static_cast<index_t>(std::min<gindex_t>(b1 * nb_, k) - b0 * nb_);
        p.a.resize(static_cast<std::size_t>(mloc * p.width));
        p.bt.resize(static_cast<std::size_t>(nloc * p.width));
        p.requests.clear();
        for (gindex_t b = b0; b < b1; ++b) {
            const index_t off = static_cast<index_t>((b - b0) * nb_);
            const index_t w = static_cast<index_t>(std::min<gindex_t>(nb_, k - b * nb_));
            double* a_slot = p.a.data() + off * mloc;
            double* bt_slot = p.bt.data() + off * nloc;
            const int acol = A_.col_layout().owner(b * nb_);
            const int brow = B_.row_layout().owner(b * nb_);
            if (g_.col() == acol && mloc > 0) {
                const double* src = &A_.local(0, A_.col_layout().local(b * nb_));
                std::copy(src, src + mloc * w, a_slot);
            }
            if (g_.row() == brow) {
                const index_t lr = B_.row_layout().local(b * nb_);
                for (index_t r = 0; r < w; ++r)
                    for (index_t lj = 0; lj < nloc; ++lj) bt_slot[lj + r * nloc] = B_.local(lr + r, lj);
            }
            bcast(a_slot, mloc * w, acol, g_.row_comm(), p, nonblocking);
            bcast(bt_slot, nloc * w, brow, g_.col_comm(), p, nonblocking);
        }
    }

    void finish(Panel& p) {
        ScopedTimer t("linalg.gemm.wait");
        mpi::wait_all(p.requests);
    }

    void multiply(const Panel& p) {
        const index_t mloc = C_.local_rows(), nloc = C_.local_cols();
        if (mloc == 0 || nloc == 0 || p.width == 0) return;
        ScopedTimer t("linalg.gemm.dgemm");
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, static_cast<int>(mloc),
                    static_cast<int>(nloc), static_cast<int>(p.width), alpha_, p.a.data(),
                    static_cast<int>(mloc), p.bt.data(), static_cast<int>(nloc), 1.0,
                    C_.local_data(), static_cast<int>(C_.ld()));
    }

private:
    static void bcast(double* data, index_t count, int root, const mpi::Comm& comm, Panel& p,
                      bool nonblocking) {
        if (comm.size() == 1 || count == 0) return;
        TESSERA_CHECK(count <= INT_MAX, "gemm: panel too large for one broadcast");
        if (nonblocking) {
            MPI_Request r;
            TESSERA_MPI_CALL(MPI_Ibcast(data, static_cast<int>(count), MPI_DOUBLE, root, comm.get(), &r));
            p.requests.emplace_back(r);
        } else {
            TESSERA_MPI_CALL(MPI_Bcast(data, static_cast<int>(count), MPI_DOUBLE, root, comm.get()));
        }
    }

    double alpha_;
    const DistMatrix<double>& A_;
    const DistMatrix<double>& B_;
    DistMatrix<double>& C_;
    const ProcessGrid2D& g_;
    int nb_;
    gindex_t kblocks_;
    int panel_blocks_;
};

void scale(DistMatrix<double>& C, double beta) {
    if (beta == 1.0) return;
#pragma omp parallel for schedule(static)
    for (index_t lj = 0; lj < C.local_cols(); ++lj)
        for (index_t li = 0; li < C.local_rows(); ++li)
            C.local(li, lj) = beta == 0.0 ? 0.0 : beta * C.local(li, lj);
}

int same_comm(const mpi::Comm& a, const mpi::Comm& b) {
    int result = MPI_UNEQUAL;
    TESSERA_MPI_CALL(MPI_Comm_compare(a.get(), b.get(), &result));
    return result == MPI_IDENT;
}

}  // namespace

void gemm(Transpose opa, Transpose opb, double alpha, const DistMatrix<double>& A,
          const DistMatrix<double>& B, double beta, DistMatrix<double>& C,
          const GemmOptions& options) {
    const auto& comm = C.grid().comm();
    TESSERA_CHECK_ALL(comm, same_comm(A.grid().comm(), comm) && same_comm(B.grid().comm(), comm),
                      "gemm: A, B and C must live on the same process grid");
    TESSERA_CHECK_ALL(comm, A.block() == C.block() && B.block() == C.block(),
                      "gemm: block sizes differ (A " << A.block() << ", B " << B.block() << ", C "
                                                     << C.block() << ")");
    const gindex_t m = opa == Transpose::no ? A.rows() : A.cols();
    const gindex_t ka = opa == Transpose::no ? A.cols() : A.rows();
    const gindex_t kb = opb == Transpose::no ? B.rows() : B.cols();
    const gindex_t n = opb == Transpose::no ? B.cols() : B.rows();
    TESSERA_CHECK_ALL(comm, ka == kb && m == C.rows() && n == C.cols(),
                      "gemm: non-conforming shapes: op(A) is " << m << " x " << ka << ", op(B) is "
                          << kb << " x " << n << ", C is " << C.rows() << " x " << C.cols());
    TESSERA_CHECK_ALL(comm, options.panel >= 0 && options.panel % C.block() == 0,
                      "gemm: panel width " << options.panel << " is not a multiple of the block size "
                                           << C.block());
    ScopedTimer timer("linalg.gemm");
    scale(C, beta);
    if (ka == 0 || m == 0 || n == 0 || alpha == 0.0) return;

    // Explicit transposes first: SUMMA then always runs on A (m x k) and B (k x n).
    std::optional<DistMatrix<double>> at, bt;
    if (opa == Transpose::yes) at.emplace(transpose(A));
    if (opb == Transpose::yes) bt.emplace(transpose(B));
    const auto& a = at ? *at : A;
    const auto& b = bt ? *bt : B;

    const int nb = C.block();
    const int width = options.panel > 0 ? options.panel : std::max(nb, (256 + nb - 1) / nb * nb);
    Summa summa(alpha, a, b, C, width / nb);
    const BlasThreads blas(omp_get_max_threads());
    std::array<Panel, 2> panel;
    const index_t steps = summa.panels();
    summa.start(0, panel[0], options.overlap);
    for (index_t s = 0; s < steps; ++s) {
        auto& cur = panel[static_cast<std::size_t>(s % 2)];
        summa.finish(cur);
        if (options.overlap && s + 1 < steps)
            summa.start(s + 1, panel[static_cast<std::size_t>((s + 1) % 2)], true);
        summa.multiply(cur);
        if (!options.overlap && s + 1 < steps)
            summa.start(s + 1, panel[static_cast<std::size_t>((s + 1) % 2)], false);
    }
}

}  // namespace tessera::linalg
