// RAII MPI wrappers: communicators, requests, and the collectives that need a body.
#include "tessera/core/mpi.hpp"

#include <utility>

namespace tessera::mpi {

namespace detail {
void check_rc(int rc, const char* call, const char* file, int line) {
    if (rc == MPI_SUCCESS) [[likely]] return;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    throw Error(std::string(call) + " failed: " + std::string(text, static_cast<std::size_t>(len)),
                file, line);
}
}  // namespace detail

namespace {
bool mpi_alive() {
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    return init && !fin;
}
}  // namespace

Comm::Comm(MPI_Comm comm, bool owned) : comm_(comm), owned_(owned) {
    if (comm_ != MPI_COMM_NULL) {
        TESSERA_MPI_CALL(MPI_Comm_rank(comm_, &rank_));
        TESSERA_MPI_CALL(MPI_Comm_size(comm_, &size_));
        if (owned_) TESSERA_MPI_CALL(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
    }
}

Comm Comm::duplicate(MPI_Comm user) {
    MPI_Comm dup;
    TESSERA_MPI_CALL(MPI_Comm_dup(user, &dup));
    return Comm(dup, true);
}

Comm::Comm(Comm&& o) noexcept
    : comm_(std::exchange(o.comm_, MPI_COMM_NULL)), rank_(o.rank_), size_(o.size_),
      owned_(std::exchange(o.owned_, false)) {}

Comm& Comm::operator=(Comm&& o) noexcept {
    if (this != &o) {
        release();
        comm_ = std::exchange(o.comm_, MPI_COMM_NULL);
        rank_ = o.rank_;
        size_ = o.size_;
        owned_ = std::exchange(o.owned_, false);
    }
    return *this;
}

Comm::~Comm() { release(); }

void Comm::release() noexcept {
    if (owned_ && comm_ != MPI_COMM_NULL && mpi_alive()) MPI_Comm_free(&comm_);
    comm_ = MPI_COMM_NULL;
    owned_ = false;
}

Comm Comm::split(int color, int key) const {
    MPI_Comm out;
    TESSERA_MPI_CALL(MPI_Comm_split(comm_, color, key, &out));
    return Comm(out, true);
}

Comm Comm::split_shared() const {
    MPI_Comm out;
    TESSERA_MPI_CALL(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &out));
    return Comm(out, true);
}

void Comm::barrier() const { TESSERA_MPI_CALL(MPI_Barrier(comm_)); }

CartComm::CartComm(MPI_Comm comm, std::vector<int> dims, std::vector<int> periodic)
    : Comm(comm, true), dims_(std::move(dims)), periodic_(std::move(periodic)) {}

CartComm CartComm::create(const Comm& parent, std::span<const int> dims,
                          std::span<const int> periodic) {
    TESSERA_CHECK(dims.size() == periodic.size(), "CartComm: dims and periodic differ in length");
    std::vector<int> d(dims.begin(), dims.end()), p(periodic.begin(), periodic.end());
    MPI_Comm cart;
    TESSERA_MPI_CALL(MPI_Cart_create(parent.get(), static_cast<int>(d.size()), d.data(), p.data(),
                                     /*reorder=*/0, &cart));
    return CartComm(cart, std::move(d), std::move(p));
}

std::vector<int> CartComm::coords(int rank) const {
    std::vector<int> c(dims_.size());
    TESSERA_MPI_CALL(MPI_Cart_coords(get(), rank, ndims(), c.data()));
    return c;
}

std::array<int, 2> CartComm::shift(int axis, int disp) const {
    std::array<int, 2> r{};
    TESSERA_MPI_CALL(MPI_Cart_shift(get(), axis, disp, &r[0], &r[1]));
    return r;
}

int CartComm::rank_at(std::span<const int> coords) const {
    std::vector<int> c(coords.begin(), coords.end());
    for (std::size_t d = 0; d < c.size(); ++d) {
        if (periodic_[d]) {
            c[d] = ((c[d] % dims_[d]) + dims_[d]) % dims_[d];
        } else if (c[d] < 0 || c[d] >= dims_[d]) {
            return MPI_PROC_NULL;
        }
    }
    int r = MPI_PROC_NULL;
    TESSERA_MPI_CALL(MPI_Cart_rank(get(), c.data(), &r));
    return r;
}

Request& Request::operator=(Request&& o) noexcept {
    if (this != &o) {
        if (active() && mpi_alive()) MPI_Wait(&req_, MPI_STATUS_IGNORE);
        req_ = std::exchange(o.req_, MPI_REQUEST_NULL);
    }
    return *this;
}

Request::~Request() {
    if (active() && mpi_alive()) MPI_Wait(&req_, MPI_STATUS_IGNORE);
}

void Request::wait() { TESSERA_MPI_CALL(MPI_Wait(&req_, MPI_STATUS_IGNORE)); }

void wait_all(std::span<Request> reqs) {
    for (auto& r : reqs) r.wait();
}

PersistentRequests::PersistentRequests(PersistentRequests&& o) noexcept
    : reqs_(std::move(o.reqs_)), active_(std::exchange(o.active_, false)) {
    o.reqs_.clear();
}

PersistentRequests& PersistentRequests::operator=(PersistentRequests&& o) noexcept {
    if (this != &o) {
        release();
        reqs_ = std::move(o.reqs_);
        o.reqs_.clear();
        active_ = std::exchange(o.active_, false);
    }
    return *this;
}

PersistentRequests::~PersistentRequests() { release(); }

void PersistentRequests::release() noexcept {
    if (!mpi_alive()) return;
    if (active_) MPI_Waitall(static_cast<int>(reqs_.size()), reqs_.data(), MPI_STATUSES_IGNORE);
    for (auto& r : reqs_)
        if (r != MPI_REQUEST_NULL) MPI_Request_free(&r);
    reqs_.clear();
    active_ = false;
}

void PersistentRequests::add_send(const Comm& comm, const void* buf, int count, MPI_Datatype type,
                                  int dest, int tag) {
    TESSERA_CHECK(!active_, "PersistentRequests: cannot add while active");
    MPI_Request r;
    TESSERA_MPI_CALL(MPI_Send_init(buf, count, type, dest, tag, comm.get(), &r));
    reqs_.push_back(r);
}

void PersistentRequests::add_recv(const Comm& comm, void* buf, int count, MPI_Datatype type,
                                  int source, int tag) {
    TESSERA_CHECK(!active_, "PersistentRequests: cannot add while active");
    MPI_Request r;
    TESSERA_MPI_CALL(MPI_Recv_init(buf, count, type, source, tag, comm.get(), &r));
    reqs_.push_back(r);
}

void PersistentRequests::start() {
    TESSERA_CHECK(!active_, "PersistentRequests::start: requests already active");
    if (reqs_.empty()) return;
    TESSERA_MPI_CALL(MPI_Startall(static_cast<int>(reqs_.size()), reqs_.data()));
    active_ = true;
}

void PersistentRequests::wait() {
    if (!active_) return;
    active_ = false;
    TESSERA_MPI_CALL(MPI_Waitall(static_cast<int>(reqs_.size()), reqs_.data(), MPI_STATUSES_IGNORE));
}

std::string bcast(const Comm& comm, const std::string& s, int root) {
    long long n = static_cast<long long>(s.size());
    n = bcast(comm, n, root);
    std::string out = comm.rank() == root ? s : std::string(static_cast<std::size_t>(n), '\0');
    if (n > 0) bcast(comm, std::span<char>(out.data(), out.size()), root);
    return out;
}

namespace {
std::vector<std::string> gather_impl(const Comm& comm, const std::string& s, int root, bool all) {
    const int n = static_cast<int>(s.size());
    std::vector<int> counts(static_cast<std::size_t>(comm.size()));
    if (all) {
        TESSERA_MPI_CALL(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, comm.get()));
    } else {
        TESSERA_MPI_CALL(MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, root, comm.get()));
    }
    std::vector<int> displs(counts.size(), 0);
    for (std::size_t r = 1; r < counts.size(); ++r) displs[r] = displs[r - 1] + counts[r - 1];
    const bool receives = all || comm.rank() == root;
    std::string buf(receives ? static_cast<std::size_t>(displs.back() + counts.back()) : 0, '\0');
    if (all) {
        TESSERA_MPI_CALL(MPI_Allgatherv(s.data(), n, MPI_CHAR, buf.data(), counts.data(),
                                        displs.data(), MPI_CHAR, comm.get()));
    } else {
        TESSERA_MPI_CALL(MPI_Gatherv(s.data(), n, MPI_CHAR, buf.data(), counts.data(),
                                     displs.data(), MPI_CHAR, root, comm.get()));
    }
    std::vector<std::string> out;
    if (!receives) return out;
    for (std::size_t r = 0; r < counts.size(); ++r)
        out.emplace_back(buf, static_cast<std::size_t>(displs[r]), static_cast<std::size_t>(counts[r]));
    return out;
}
}  // namespace

std::vector<std::string> gather(const Comm& comm, const std::string& s, int root) {
    return gather_impl(comm, s, root, false);
}
std::vector<std::string> allgather(const Comm& comm, const std::string& s) {
    return gather_impl(comm, s, 0, true);
}

}  // namespace tessera::mpi
