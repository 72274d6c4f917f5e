// The error protocol (DESIGN.md section 4): tessera::Error, CollectiveError, checks, and a trap
// that carries exceptions out of OpenMP parallel regions.
#pragma once

#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace tessera {

namespace mpi {
class Comm;
}

/// World rank of this process once a tessera::Runtime exists, -1 before.
int world_rank() noexcept;

/// A local failure: raised on one rank, it carries that rank and the source location.
/// Thrown by TESSERA_CHECK and by failed MPI calls. An app's guard prints it as
/// `[rank r] fatal: <what>` and aborts every rank (peers may be blocked in a collective).
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, const char* file = "", int line = 0);
    /// World rank that raised the error (-1 outside a Runtime).
    int rank() const noexcept { return rank_; }
    const char* file() const noexcept { return file_; }
    int line() const noexcept { return line_; }

private:
    int rank_;
    const char* file_;
    int line_;
};

/// A failure that every rank of a communicator agreed on (all ranks throw it together), so no
/// abort is needed: the guard prints it once on rank 0 and every rank exits with exit_code()
/// (2, a usage or input error, unless stated otherwise).
class CollectiveError : public Error {
public:
    CollectiveError(const std::string& message, int failing_rank, int exit_code = 2);
    /// Lowest rank of the communicator on which the check failed.
    int failing_rank() const noexcept { return failing_rank_; }
    int exit_code() const noexcept { return exit_code_; }

private:
    int failing_rank_;
    int exit_code_;
};

/// Thrown to end an app early with a given exit code on every rank (after --help, --version).
/// Not a std::exception, so generic handlers do not swallow it.
struct ExitRequest {
    int code = 0;
};

namespace detail {
[[noreturn]] void throw_error(const std::string& message, const char* file, int line);
/// Collective: agrees over `comm` whether `ok` holds on every rank; if not, throws
/// CollectiveError with the message of the lowest failing rank on every rank.
void check_all(const mpi::Comm& comm, bool ok, const std::string& message, int exit_code = 2);
}  // namespace detail

/// Runs `body` on every rank of `comm` and agrees on the outcome. Collective over `comm`.
/// If `body` throws (any std::exception) on one or more ranks, every rank throws
/// CollectiveError carrying the message of the lowest failing rank. `body` must not itself call
/// collectives that a failing rank could skip.
template <class F>
decltype(auto) collective_call(const mpi::Comm& comm, F&& body, int exit_code = 2) {
    using R = std::invoke_result_t<F&>;
    std::string message;
    bool ok = true;
    if constexpr (std::is_void_v<R>) {
        try {
            body();
        } catch (const std::exception& e) {
            ok = false;
            message = e.what();
        }
        detail::check_all(comm, ok, message, exit_code);
    } else {
        std::optional<R> result;
        try {
            result.emplace(body());
        } catch (const std::exception& e) {
            ok = false;
            message = e.what();
        }
        detail::check_all(comm, ok, message, exit_code);
        return R(std::move(*result));
    }
}

/// Captures the first exception thrown inside an OpenMP parallel region (exceptions must not
/// escape a region) and rethrows it after the region, on the thread that owns the trap:
///
///     ThreadExceptionTrap trap;
///     #pragma omp parallel for
///     for (...) trap.run([&] { work(i); });
///     trap.rethrow();
class ThreadExceptionTrap {
public:
    /// Runs f; an exception it throws is stored (the first one wins). Thread-safe.
    template <class F>
    void run(F&& f) noexcept {
        try {
            f();
        } catch (...) {
            capture(std::current_exception());
        }
    }
    /// True once any thread has failed: long loops may skip remaining work.
    bool failed() const noexcept { return failed_.load(std::memory_order_relaxed); }
    /// Rethrows the captured exception, if any. Call after the parallel region.
    void rethrow() {
        if (eptr_) std::rethrow_exception(std::exchange(eptr_, nullptr));
    }

private:
    void capture(std::exception_ptr e) noexcept {
        std::lock_guard lock(mutex_);
        if (!eptr_) eptr_ = std::move(e);
        failed_.store(true, std::memory_order_relaxed);
    }
    std::mutex mutex_;
    std::exception_ptr eptr_;
    std::atomic<bool> failed_{false};
};

}  // namespace tessera

/// Always-on local check: throws tessera::Error("msg", file, line) when `cond` is false.
/// `msg` is a stream expression: TESSERA_CHECK(n > 0, "n = " << n << " must be positive").
#define TESSERA_CHECK(cond, msg)                                                       \
    do {                                                                               \
        if (!(cond)) [[unlikely]] {                                                    \
            std::ostringstream tessera_os_;                                            \
            tessera_os_ << msg;                                                        \
            ::tessera::detail::throw_error(tessera_os_.str(), __FILE__, __LINE__);     \
        }                                                                              \
    } while (0)

/// Collective check over `comm`: if `cond` is false on any rank, every rank throws
/// tessera::CollectiveError with the message of the lowest failing rank (exit code 2).
#define TESSERA_CHECK_ALL(comm, cond, msg)                                             \
    do {                                                                               \
        const bool tessera_ok_ = static_cast<bool>(cond);                              \
        std::string tessera_msg_;                                                      \
        if (!tessera_ok_) {                                                            \
            std::ostringstream tessera_os_;                                            \
            tessera_os_ << msg;                                                        \
            tessera_msg_ = tessera_os_.str();                                          \
        }                                                                              \
        ::tessera::detail::check_all((comm), tessera_ok_, tessera_msg_);               \
    } while (0)

/// Debug-only assertion (compiled out with NDEBUG); throws tessera::Error when enabled.
#ifdef NDEBUG
#define TESSERA_ASSERT(cond, msg) ((void)0)
#else
#define TESSERA_ASSERT(cond, msg) TESSERA_CHECK(cond, "assertion failed: " #cond ": " << msg)
#endif
