// Thin RAII wrappers over MPI: communicators, requests (one-shot and persistent), typed
// collectives and point-to-point calls over std::span. Errors become tessera::Error.
#pragma once

#include <mpi.h>

#include <array>
#include <complex>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"

namespace tessera::mpi {

namespace detail {
/// Throws tessera::Error naming the failed call and MPI's reason when rc != MPI_SUCCESS.
void check_rc(int rc, const char* call, const char* file, int line);
}  // namespace detail

}  // namespace tessera::mpi

/// Runs an MPI call and turns a non-success return code into tessera::Error (local).
#define TESSERA_MPI_CALL(call) ::tessera::mpi::detail::check_rc((call), #call, __FILE__, __LINE__)

namespace tessera::mpi {

/// The MPI datatype matching a C++ arithmetic type.
template <class T>
MPI_Datatype datatype();
template <> inline MPI_Datatype datatype<double>() { return MPI_DOUBLE; }
template <> inline MPI_Datatype datatype<float>() { return MPI_FLOAT; }
template <> inline MPI_Datatype datatype<int>() { return MPI_INT; }
template <> inline MPI_Datatype datatype<unsigned>() { return MPI_UNSIGNED; }
template <> inline MPI_Datatype datatype<long>() { return MPI_LONG; }
template <> inline MPI_Datatype datatype<unsigned long>() { return MPI_UNSIGNED_LONG; }
template <> inline MPI_Datatype datatype<long long>() { return MPI_LONG_LONG; }
template <> inline MPI_Datatype datatype<unsigned long long>() { return MPI_UNSIGNED_LONG_LONG; }
template <> inline MPI_Datatype datatype<char>() { return MPI_CHAR; }
template <> inline MPI_Datatype datatype<unsigned char>() { return MPI_UNSIGNED_CHAR; }
template <> inline MPI_Datatype datatype<std::complex<double>>() { return MPI_CXX_DOUBLE_COMPLEX; }

/// A communicator. Owning instances (from duplicate(), split(), cart_create()) free it on
/// destruction and use MPI_ERRORS_RETURN so failures surface as exceptions. Move-only.
class Comm {
public:
    Comm() = default;
    /// Collective over `user`: duplicates it, so tessera's traffic never mixes with the user's.
    static Comm duplicate(MPI_Comm user);

    Comm(Comm&& other) noexcept;
    Comm& operator=(Comm&& other) noexcept;
    Comm(const Comm&) = delete;
    Comm& operator=(const Comm&) = delete;
    ~Comm();

    MPI_Comm get() const noexcept { return comm_; }
    bool valid() const noexcept { return comm_ != MPI_COMM_NULL; }
    int rank() const noexcept { return rank_; }
    int size() const noexcept { return size_; }

    /// Collective: a duplicate of this communicator.
    Comm duplicate() const { return duplicate(comm_); }
    /// Collective: MPI_Comm_split; ranks with the same colour form a new communicator.
    Comm split(int color, int key) const;
    /// Collective: the ranks that share memory with this one (MPI_Comm_split_type, one node).
    Comm split_shared() const;
    /// Collective: MPI_Barrier.
    void barrier() const;

protected:
    Comm(MPI_Comm comm, bool owned);

private:
    void release() noexcept;
    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = 0;
    int size_ = 0;
    bool owned_ = false;
};

/// A Cartesian communicator (MPI_Cart_create), owning and move-only.
class CartComm : public Comm {
public:
    CartComm() = default;
    /// Collective over `parent`: a Cartesian topology of dims.size() axes with the given
    /// process counts (all > 0, product == parent.size()) and periodicity. No rank reordering,
    /// so rank numbers match `parent`.
    static CartComm create(const Comm& parent, std::span<const int> dims,
                           std::span<const int> periodic);
    int ndims() const noexcept { return static_cast<int>(dims_.size()); }
    const std::vector<int>& dims() const noexcept { return dims_; }
    /// Local: coordinates of `rank` in the process grid.
    std::vector<int> coords(int rank) const;
    /// Local: MPI_Cart_shift; {source, dest} for displacement `disp` along `axis`
    /// (MPI_PROC_NULL beyond a non-periodic edge).
    std::array<int, 2> shift(int axis, int disp) const;
    /// Local: rank at the given coordinates (wrapping periodic axes), MPI_PROC_NULL when a
    /// non-periodic coordinate is outside the grid.
    int rank_at(std::span<const int> coords) const;

private:
    CartComm(MPI_Comm comm, std::vector<int> dims, std::vector<int> periodic);
    std::vector<int> dims_;
    std::vector<int> periodic_;
};

/// A non-blocking operation. Move-only; the destructor of an active request waits for it
/// (never throws), so buffers are never released under a pending operation.
class Request {
public:
    Request() = default;
    explicit Request(MPI_Request r) noexcept : req_(r) {}
    Request(Request&& o) noexcept : req_(o.req_) { o.req_ = MPI_REQUEST_NULL; }
    Request& operator=(Request&& o) noexcept;
    Request(const Request&) = delete;
    Request& operator=(const Request&) = delete;
    ~Request();

    bool active() const noexcept { return req_ != MPI_REQUEST_NULL; }
    /// Local: blocks until the operation completes.
    void wait();
    MPI_Request* raw() noexcept { return &req_; }

private:
    MPI_Request req_ = MPI_REQUEST_NULL;
};

/// Local: waits for every request in `reqs`.
void wait_all(std::span<Request> reqs);

/// A reusable set of persistent point-to-point requests (MPI_Send_init / MPI_Recv_init),
/// built once and started every step, as halo exchanges need. Move-only; frees the requests
/// on destruction after waiting for any that are active.
class PersistentRequests {
public:
    PersistentRequests() = default;
    PersistentRequests(PersistentRequests&&) noexcept;
    PersistentRequests& operator=(PersistentRequests&&) noexcept;
    PersistentRequests(const PersistentRequests&) = delete;
    PersistentRequests& operator=(const PersistentRequests&) = delete;
    ~PersistentRequests();

    /// Local: adds a send of `buf` to `dest` (MPI_PROC_NULL allowed). `buf` must outlive this.
    template <class T>
    void send_init(const Comm& comm, std::span<const T> buf, int dest, int tag) {
        add_send(comm, buf.data(), static_cast<int>(buf.size()), datatype<T>(), dest, tag);
    }
    /// Local: adds a receive into `buf` from `source` (MPI_PROC_NULL allowed).
    template <class T>
    void recv_init(const Comm& comm, std::span<T> buf, int source, int tag) {
        add_recv(comm, buf.data(), static_cast<int>(buf.size()), datatype<T>(), source, tag);
    }
    /// Local: MPI_Startall on every request. Must not be active.
    void start();
    /// Local: MPI_Waitall on every request.
    void wait();
    bool active() const noexcept { return active_; }
    std::size_t size() const noexcept { return reqs_.size(); }

private:
    void add_send(const Comm&, const void*, int, MPI_Datatype, int, int);
    void add_recv(const Comm&, void*, int, MPI_Datatype, int, int);
    void release() noexcept;
    std::vector<MPI_Request> reqs_;
    bool active_ = false;
};

// ---- typed collectives and point-to-point (all throw tessera::Error on MPI failure) ----

/// Collective: reduces one value over `comm` with `op` (MPI_SUM, MPI_MIN, MPI_MAX, ...).
template <class T>
T allreduce(const Comm& comm, T value, MPI_Op op) {
    count_message(collective_peer, sizeof(T));
    const ScopedTimer wait("allreduce.wait", TimerScope::nested);
    T result{};
    TESSERA_MPI_CALL(MPI_Allreduce(&value, &result, 1, datatype<T>(), op, comm.get()));
    return result;
}
/// Collective: element-wise reduction of `values` in place, over `comm`.
template <class T>
void allreduce(const Comm& comm, std::span<T> values, MPI_Op op) {
    count_message(collective_peer, values.size_bytes());
    const ScopedTimer wait("allreduce.wait", TimerScope::nested);
    TESSERA_MPI_CALL(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()),
                                   datatype<T>(), op, comm.get()));
}
/// Collective, non-blocking: starts the element-wise reduction of `values` in place over
/// `comm` (MPI_Iallreduce). Every rank must start it, in the same order relative to the other
/// collectives on `comm`; `values` must stay alive and untouched until the request completes
/// (Request::wait(), or the Request's destructor, which waits).
template <class T>
[[nodiscard]] Request iallreduce(const Comm& comm, std::span<T> values, MPI_Op op) {
    count_message(collective_peer, values.size_bytes());
    MPI_Request r;
    TESSERA_MPI_CALL(MPI_Iallreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()),
                                    datatype<T>(), op, comm.get(), &r));
    return Request(r);
}
/// Collective: broadcasts `data` from `root` (sizes must agree on every rank).
template <class T>
void bcast(const Comm& comm, std::span<T> data, int root) {
    TESSERA_MPI_CALL(
        MPI_Bcast(data.data(), static_cast<int>(data.size()), datatype<T>(), root, comm.get()));
}
/// Collective: broadcasts one value from `root`.
template <class T>
T bcast(const Comm& comm, T value, int root) {
    bcast(comm, std::span<T>(&value, 1), root);
    return value;
}
/// Collective: broadcasts a string of any length from `root`.
std::string bcast(const Comm& comm, const std::string& s, int root);
/// Collective: every rank receives every rank's value, in rank order.
template <class T>
std::vector<T> allgather(const Comm& comm, T value) {
    std::vector<T> all(static_cast<std::size_t>(comm.size()));
    TESSERA_MPI_CALL(MPI_Allgather(&value, 1, datatype<T>(), all.data(), 1, datatype<T>(),
                                   comm.get()));
    return all;
}
/// Collective: `root` receives every rank's string, in rank order (others get an empty vector).
std::vector<std::string> gather(const Comm& comm, const std::string& s, int root);
/// Collective: every rank receives every rank's string, in rank order.
std::vector<std::string> allgather(const Comm& comm, const std::string& s);

/// Local: starts sending `buf` to `dest`; `buf` must stay alive until the request completes.
template <class T>
[[nodiscard]] Request isend(const Comm& comm, std::span<const T> buf, int dest, int tag) {
    MPI_Request r;
    TESSERA_MPI_CALL(MPI_Isend(buf.data(), static_cast<int>(buf.size()), datatype<T>(), dest,
                               tag, comm.get(), &r));
    return Request(r);
}
/// Local: starts receiving into `buf` from `source`.
template <class T>
[[nodiscard]] Request irecv(const Comm& comm, std::span<T> buf, int source, int tag) {
    MPI_Request r;
    TESSERA_MPI_CALL(MPI_Irecv(buf.data(), static_cast<int>(buf.size()), datatype<T>(), source,
                               tag, comm.get(), &r));
    return Request(r);
}

}  // namespace tessera::mpi
