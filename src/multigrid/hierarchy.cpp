// Building the level hierarchy: sizes, agglomeration, operators, transfers, coarse factor.
#include "tessera/multigrid/hierarchy.hpp"

#include <mpi.h>

#include "coarse_solve.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"

namespace tessera::multigrid {

const char* cycle_name(Cycle c) noexcept { return c == Cycle::v ? "v" : "f"; }

template <int Dim>
gindex_t Level<Dim>::unknowns() const noexcept {
    gindex_t n = 1;
    for (auto c : cells) n *= c;
    return n;
}

namespace {

// MPI_Dims_create's split of `ranks` over axes 1.. (axis 0 is never split), or an empty
// array when some axis would get more ranks than unknowns.
template <int Dim>
std::array<int, Dim> process_grid(const std::array<gindex_t, Dim>& cells, int ranks) {
    std::array<int, Dim - 1> dims{};
    TESSERA_MPI_CALL(MPI_Dims_create(ranks, Dim - 1, dims.data()));
    std::array<int, Dim> procs{};
    procs[0] = 1;
    for (int d = 1; d < Dim; ++d) {
        if (dims[d - 1] > cells[d]) return {};
        procs[d] = dims[d - 1];
    }
    return procs;
}

// Ranks for a coarse level: as many as hold `finer` while the average stays at or above
// min_cells, else about unknowns / min_cells; fewer while the process grid does not fit.
template <int Dim>
int coarse_ranks(const std::array<gindex_t, Dim>& cells, int finer, gindex_t min_cells) {
    gindex_t n = 1;
    for (auto c : cells) n *= c;
    gindex_t p = finer;
    if (n / p < min_cells) p = std::max<gindex_t>(1, n / min_cells);
    p = std::min<gindex_t>(p, finer);
    while (p > 1 && process_grid<Dim>(cells, static_cast<int>(p))[0] == 0) --p;
    return static_cast<int>(p);
}

std::string level_timer(int l, const char* what) {
    return "multigrid.level" + std::to_string(l) + "." + what;
}

}  // namespace

template <int Dim>
Hierarchy<Dim>::Hierarchy(LevelOperator<Dim>& fine, const Options& options) : options_(options) {
    ScopedTimer timer("multigrid.setup");
    const auto& comm = fine.comm();
    TESSERA_CHECK_ALL(comm, options.sweeps >= 1, "multigrid: sweeps = " << options.sweeps << " must be >= 1");
    TESSERA_CHECK_ALL(comm, options.coarsest >= 1 && options.coarsest <= kMaxCoarsest,
                      "multigrid: coarsest = " << options.coarsest << " must be in [1, " << kMaxCoarsest
                                               << "] unknowns (the exact solve factors it on one rank)");
    TESSERA_CHECK_ALL(comm, options.min_cells_per_rank >= 1,
                      "multigrid: min_cells_per_rank = " << options.min_cells_per_rank << " must be >= 1");
    TESSERA_CHECK_ALL(comm, options.smoother != Smoother::rbgs || fine.has_relax_colour(),
                      "multigrid: smoother = rbgs needs an operator with relax_colour()");
    auto top = std::make_unique<Level<Dim>>();
    top->cells = fine.decomp().global_cells();
    top->ranks = comm.size();
    top->op = &fine;
    top->nnz = fine.nonzeros();
    levels_.push_back(std::move(top));
    for (;;) {
        Level<Dim>& finer = *levels_.back();
        const int l = levels();
        bool can_coarsen = false;
        for (auto c : finer.cells) can_coarsen = can_coarsen || c > 1;
        const bool coarsest = finer.unknowns() <= options.coarsest || !can_coarsen;
        if (coarsest && finer.ranks == 1) break;
        // A level small enough but spread over ranks is gathered onto one rank unchanged.
        auto next = std::make_unique<Level<Dim>>();
        next->cells = coarsest ? finer.cells : coarse_cells<Dim>(finer.cells);
        next->ranks = next->unknowns() <= options.coarsest
                          ? 1
                          : coarse_ranks<Dim>(next->cells, finer.ranks, options.min_cells_per_rank);
        if (finer.held()) {
            const auto& fc = finer.op->comm();
            const bool member = fc.rank() < next->ranks;
            next->comm = fc.split(member ? 0 : MPI_UNDEFINED, fc.rank());
            if (member) {
                next->owned_op = finer.op->coarsened(next->comm, next->cells, process_grid<Dim>(next->cells, next->ranks));
                next->op = next->owned_op.get();
                TESSERA_CHECK(next->op->decomp().global_cells() == next->cells,
                              "multigrid: coarsened() made an operator of other global sizes than it was asked for");
                next->nnz = next->op->nonzeros();
                const auto n = static_cast<std::size_t>(next->op->local_size());
                next->b.assign(n, 0.0);
                next->x.assign(n, 0.0);
            }
            finer.to_coarser = std::make_unique<Transfer<Dim>>(*finer.op, next->op, next->cells);
            finer.r.assign(static_cast<std::size_t>(finer.op->local_size()), 0.0);
        }
        finer.timer_smooth = level_timer(l - 1, "smooth");
        finer.timer_residual = level_timer(l - 1, "residual");
        finer.timer_restrict = level_timer(l - 1, "restrict");
        finer.timer_prolong = level_timer(l - 1, "prolong");
        levels_.push_back(std::move(next));
    }
    // Rank 0 holds every level: its counts make the complexities the same on every rank.
    std::vector<gindex_t> nnz;
    for (const auto& l : levels_) nnz.push_back(l->nnz);
    mpi::bcast(comm, std::span<gindex_t>(nnz), 0);
    for (std::size_t l = 0; l < nnz.size(); ++l) levels_[l]->nnz = nnz[l];
    auto& last = *levels_.back();
    if (last.held()) coarse_ = std::make_unique<detail::CoarseSolver<Dim>>(*last.op);
}

template <int Dim>
Hierarchy<Dim>::~Hierarchy() = default;

template <int Dim>
double Hierarchy<Dim>::operator_complexity() const noexcept {
    double s = 0;
    for (const auto& l : levels_) s += static_cast<double>(l->nonzeros());
    return s / static_cast<double>(levels_.front()->nonzeros());
}

template <int Dim>
double Hierarchy<Dim>::grid_complexity() const noexcept {
    double s = 0;
    for (const auto& l : levels_) s += static_cast<double>(l->unknowns());
    return s / static_cast<double>(levels_.front()->unknowns());
}

template <int Dim>
void Hierarchy<Dim>::coarse_solve(std::span<const double> b, std::span<double> x) {
    if (coarse_) coarse_->solve(b, x);
}

template struct Level<2>;
template struct Level<3>;
template class Hierarchy<2>;
template class Hierarchy<3>;

}  // namespace tessera::multigrid
