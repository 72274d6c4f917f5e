// Large-array allocation: cache-line alignment, and transparent huge pages for big arrays.
#include "tessera/core/memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <new>

#include "tessera/core/error.hpp"
#include "tessera/core/mpi.hpp"

namespace tessera {

std::size_t physical_memory_bytes() noexcept {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) : 0;
}

void check_node_memory(const mpi::Comm& comm, double bytes, const std::string& what) {
    const auto node = comm.split_shared();
    const double need = mpi::allreduce(node, bytes, MPI_SUM);
    const double have = static_cast<double>(physical_memory_bytes());
    constexpr double GiB = 1 << 30;
    TESSERA_CHECK_ALL(comm, have == 0 || need <= have,
                      what << ": needs " << need / GiB << " GiB on a node of " << node.size()
                           << " rank(s), which has " << have / GiB << " GiB of memory");
}

void* allocate_streamed(std::size_t bytes) {
    constexpr std::size_t kLine = 64;
    constexpr std::size_t kHuge = std::size_t{2} << 20;
    const bool huge = bytes >= kHugePageThreshold;
    const std::size_t align = huge ? kHuge : kLine;
    const std::size_t size = (std::max<std::size_t>(bytes, 1) + align - 1) / align * align;
    void* p = std::aligned_alloc(align, size);
    if (!p) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
    // Advice only: where THP is off the pages stay 4 KiB and nothing else changes.
    if (huge) (void)::madvise(p, size, MADV_HUGEPAGE);
#endif
    return p;
}

}  // namespace tessera
