// SUMMA over a 2D block-cyclic layout, with OpenBLAS for the local multiplies.
//
// Panels: a SUMMA step multiplies a k-panel of several consecutive global blocks (wider
// panels keep dgemm efficient with small block sizes); each block of a panel is broadcast by
// its own owner into its slot of the panel buffer. A's panel is mloc x W column-major (a
// block's slot is contiguous); B's panel is W x nloc column-major, a block's slot being w rows
// of it, broadcast with a strided (vector) datatype so nothing is transposed. Where a grid
// dimension is 1 no broadcast is needed and dgemm reads the operand in place. Two buffer sets
// let panel s+1 travel (MPI_Ibcast) while panel s is multiplied. Open MPI moves large
// non-blocking messages only inside MPI calls, so on shared memory much of the transfer still
// happens in the wait; it is small there against the panel's dgemm (an 8 MB panel; timings at
// n = 4000 in docs/performance.md, Distributed GEMM).
// Between nodes, or with an asynchronous progress thread, the look-ahead hides it.
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

// One panel in flight: its buffers, where dgemm reads it, and the broadcasts filling it.
struct Panel {
    std::vector<double> a, b;  // mloc x W and W x nloc, column-major
    const double* a_ptr = nullptr;
    const double* b_ptr = nullptr;
    index_t lda = 1, ldb = 1, width = 0;
    std::vector<mpi::Request> requests;
};

// An MPI datatype freed on scope exit (MPI keeps it alive for operations already started).
class VectorType {
public:
    VectorType(index_t count, index_t block, index_t stride) {
        TESSERA_MPI_CALL(MPI_Type_vector(static_cast<int>(count), static_cast<int>(block),
                                         static_cast<int>(stride), MPI_DOUBLE, &type_));
        TESSERA_MPI_CALL(MPI_Type_commit(&type_));
    }
    ~VectorType() { MPI_Type_free(&type_); }
    VectorType(const VectorType&) = delete;
    VectorType& operator=(const VectorType&) = delete;
    MPI_Datatype get() const noexcept { return type_; }

private:
    MPI_Datatype type_ = MPI_DATATYPE_NULL;
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
        const index_t W = static_cast<index_t>(std::min<gindex_t>(b1 * nb_, k) - b0 * nb_);
        p.width = W;
        p.requests.clear();
        // A single process column (row) holds every block of A (B) in place: no traffic.
        const bool a_local = g_.cols() == 1, b_local = g_.rows() == 1;
        if (a_local) {
            p.a_ptr = mloc > 0 ? &A_.local(0, static_cast<index_t>(b0 * nb_)) : nullptr;
            p.lda = A_.ld();
        } else {
            p.a.resize(static_cast<std::size_t>(mloc * W));
            p.a_ptr = p.a.data();
            p.lda = std::max<index_t>(1, mloc);
        }
        if (b_local) {
            p.b_ptr = nloc > 0 ? &B_.local(static_cast<index_t>(b0 * nb_), 0) : nullptr;
            p.ldb = B_.ld();
        } else {
            p.b.resize(static_cast<std::size_t>(W * nloc));
            p.b_ptr = p.b.data();
            p.ldb = W;
        }
        for (gindex_t b = b0; b < b1; ++b) {
            const index_t off = static_cast<index_t>((b - b0) * nb_);
            const index_t w = static_cast<index_t>(std::min<gindex_t>(nb_, k - b * nb_));
            if (!a_local && mloc > 0) {
                double* slot = p.a.data() + off * mloc;
                const int owner = A_.col_layout().owner(b * nb_);
                if (g_.col() == owner) {
                    const double* src = &A_.local(0, A_.col_layout().local(b * nb_));
                    std::copy(src, src + mloc * w, slot);
                }
                bcast(slot, mloc * w, MPI_DOUBLE, owner, g_.row_comm(), p, nonblocking);
            }
            if (!b_local && nloc > 0) {
                double* slot = p.b.data() + off;
                const int owner = B_.row_layout().owner(b * nb_);
                if (g_.row() == owner) {
                    const index_t lr = B_.row_layout().local(b * nb_);
                    for (index_t lj = 0; lj < nloc; ++lj)
                        std::copy(&B_.local(lr, lj), &B_.local(lr, lj) + w, slot + lj * W);
                }
                const VectorType rows(nloc, w, W);
                bcast(slot, 1, rows.get(), owner, g_.col_comm(), p, nonblocking);
            }
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
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(mloc),
                    static_cast<int>(nloc), static_cast<int>(p.width), alpha_, p.a_ptr,
                    static_cast<int>(p.lda), p.b_ptr, static_cast<int>(p.ldb), 1.0,
                    C_.local_data(), static_cast<int>(C_.ld()));
    }

private:
    static void bcast(double* data, index_t count, MPI_Datatype type, int root,
                      const mpi::Comm& comm, Panel& p, bool nonblocking) {
        if (comm.size() == 1 || count == 0) return;
        TESSERA_CHECK(count <= INT_MAX, "gemm: panel too large for one broadcast");
        if (nonblocking) {
            MPI_Request r;
            TESSERA_MPI_CALL(MPI_Ibcast(data, static_cast<int>(count), type, root, comm.get(), &r));
            p.requests.emplace_back(r);
        } else {
            TESSERA_MPI_CALL(MPI_Bcast(data, static_cast<int>(count), type, root, comm.get()));
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
    // Auto panel: at least 256 wide; on a single rank (nothing to broadcast) the whole k.
    const gindex_t whole_k = a.col_layout().blocks() * nb;
    const int width = options.panel > 0 ? options.panel
                      : comm.size() == 1 ? static_cast<int>(std::min<gindex_t>(whole_k, INT_MAX / nb * nb))
                                         : std::max(nb, (256 + nb - 1) / nb * nb);
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
