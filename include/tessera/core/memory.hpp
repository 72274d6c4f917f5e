// Storage for large arrays that kernels stream through.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace tessera {

namespace mpi {
class Comm;  // core/mpi.hpp; only check_node_memory needs it
}

/// Allocations at least this large are backed by transparent huge pages where the kernel allows.
inline constexpr std::size_t kHugePageThreshold = std::size_t{8} << 20;

/// Local: uninitialised storage of at least `bytes`, aligned to 64 bytes (a cache line, the
/// widest SIMD register); throws std::bad_alloc. Allocations of kHugePageThreshold or more are
/// aligned to 2 MiB and advised as transparent huge pages (madvise MADV_HUGEPAGE, honoured
/// when /sys/kernel/mm/transparent_hugepage/enabled is "madvise" or "always"): streaming
/// kernels then take far fewer TLB misses, which a virtual machine's nested page walks make
/// dear (2D heat on 2 ranks x 1 thread here: 0.82 -> 0.99 of the plain-store bound). Pages
/// are not touched: first touch stays with the threads that compute on them.
/// Release with std::free (FreeDeleter).
void* allocate_streamed(std::size_t bytes);

struct FreeDeleter {
    void operator()(void* p) const noexcept { std::free(p); }
};

/// An owning pointer to an array from allocate_streamed().
template <class T>
using StreamedArray = std::unique_ptr<T[], FreeDeleter>;

/// Local: allocate_streamed(n * sizeof(T)) as an owning array of n (uninitialised) T.
template <class T>
StreamedArray<T> make_streamed_array(std::size_t n) {
    return StreamedArray<T>(static_cast<T*>(allocate_streamed(n * sizeof(T))));
}

/// Local: this node's physical memory in bytes (0 if unknown).
std::size_t physical_memory_bytes() noexcept;

/// Collective over `comm`: refuses a job that cannot fit before it allocates. `bytes` is what
/// this rank will need; the ranks of each node (MPI_COMM_TYPE_SHARED) add theirs, and if a
/// node's total exceeds its physical memory every rank throws CollectiveError (exit 2) with
/// "<what>: needs X GiB on a node of N rank(s), which has Y GiB of memory". Checking first
/// matters: Linux grants a large allocation and the OOM killer takes a rank at first touch,
/// leaving the others waiting in a collective.
void check_node_memory(const mpi::Comm& comm, double bytes, const std::string& what);

/// A standard allocator over allocate_streamed(), for std::vector storage of long vectors
/// (StreamedVector); elements are value-initialised by the vector as usual.
template <class T>
struct StreamedAllocator {
    using value_type = T;
    StreamedAllocator() noexcept = default;
    template <class U>
    StreamedAllocator(const StreamedAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(allocate_streamed(n * sizeof(T))); }
    void deallocate(T* p, std::size_t) noexcept { std::free(p); }
    template <class U>
    bool operator==(const StreamedAllocator<U>&) const noexcept {
        return true;
    }
};

template <class T>
using StreamedVector = std::vector<T, StreamedAllocator<T>>;

}  // namespace tessera
