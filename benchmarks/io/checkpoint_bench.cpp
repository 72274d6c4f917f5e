// Checkpoint write and restart read rates of a ~1 GiB 2D field, beside dd writing the same
// bytes to the same directory in the same run (median of several of each, interleaved).
//   mpirun -np 2 build/bin/bench_checkpoint --dir /path/on/the/disk --mib 1024 --repetitions 5
// Two comparisons:
// - onto stable storage, like for like: the whole checkpoint (write, fsync, rename, fsync of
//   the directory) vs dd conv=fsync;
// - the checkpoint's write phase (the ranks write in turn, each flushing its part to disk
//   while the next writes) vs plain dd, which leaves its data in the page cache.
// Reads are cold: the file's pages are dropped from the page cache first (posix_fadvise
// DONTNEED after the fsync), so the disk is read, not memory.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tessera/run/config.hpp"
#include "tessera/core/log.hpp"
#include "tessera/core/runtime.hpp"
#include "tessera/core/error.hpp"
#include "tessera/grid/cart_decomp.hpp"
#include "tessera/grid/field.hpp"
#include "tessera/io/checkpoint.hpp"

namespace {

using namespace tessera;
namespace fs = std::filesystem;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const auto n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Local: drops the cached pages of `path` (it was fsynced, so they are clean).
void drop_cache(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    TESSERA_CHECK(fd >= 0, "cannot open " << path.string());
    ::fsync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
    Runtime rt(argc, argv);
    return run_guarded(rt, [&] {
        run::AppOptions options("bench-checkpoint", "Checkpoint write/read rate vs dd to the same disk");
        std::string dir = "bench_checkpoint_dir";
        int mib = 1024, reps = 5;
        options.cli().add_option("--dir", dir, "Directory on the disk to measure (created, then emptied)");
        options.cli().add_option("--mib", mib, "Checkpoint size in MiB")->check(CLI::PositiveNumber);
        options.cli().add_option("--repetitions", reps, "Measurements of each kind")->check(CLI::PositiveNumber);
        options.parse(rt.world(), argc, argv);
        const auto& comm = rt.world();
        const fs::path d(dir);
        collective_call(comm, [&] {
            if (comm.rank() == 0) fs::create_directories(d);
        });
        // A 2D field of `mib` MiB: 8192 cells per row.
        const gindex_t nx = 8192;
        const gindex_t ny = static_cast<gindex_t>(mib) * (1 << 20) / 8 / nx;
        grid::CartDecomp<2> decomp(comm, {nx, ny}, {false, false}, {1, 0});
        grid::Field<double, 2> u(decomp, 1), v(decomp, 1);
        u.fill([](const auto& g) { return std::sin(0.001 * static_cast<double>(g[0])) + static_cast<double>(g[1]); });
        const double bytes = static_cast<double>(nx) * static_cast<double>(ny) * 8.0;
        const int dd_count = static_cast<int>(bytes / (8 << 20));
        std::vector<double> dd_cache, dd_sync, write_cache, write_sync, read;
        // Local on rank 0, agreed: dd of the checkpoint's bytes, in 8 MiB blocks.
        auto dd = [&](bool sync) {
            comm.barrier();
            const double t0 = MPI_Wtime();
            int rc = 0;
            if (comm.rank() == 0) {
                std::ostringstream cmd;
                cmd << "dd if=/dev/zero of=" << (d / "dd.bin").string() << " bs=8M count=" << dd_count
                    << (sync ? " conv=fsync" : "") << " status=none";
                rc = std::system(cmd.str().c_str());
            }
            TESSERA_CHECK_ALL(comm, rc == 0, "dd failed");
            comm.barrier();
            const double rate = bytes / (MPI_Wtime() - t0);
            if (comm.rank() == 0) fs::remove(d / "dd.bin");
            // Let the page cache drain so that the next measurement starts from the same state.
            if (comm.rank() == 0) std::system("sync");
            comm.barrier();
            return rate;
        };
        for (int rep = 0; rep < reps; ++rep) {
            dd_cache.push_back(dd(false));
            dd_sync.push_back(dd(true));

            io::CheckpointMeta meta;
            meta.step = rep;
            meta.app = "bench";
            meta.cells = {nx, ny};
            comm.barrier();
            // Nothing is pruned inside the timed write (deleting the previous 1 GiB file costs
            // ~0.2 s on this disk): like dd's file, it is deleted after the measurement.
            const auto stats = io::write_checkpoint<2>(comm, d, {{"u", &u}}, meta, reps + 1);
            write_cache.push_back(bytes / stats.write_seconds);
            write_sync.push_back(bytes / (stats.write_seconds + stats.sync_seconds));

            const auto path = io::checkpoint_path(d, rep);
            if (comm.rank() == 0) drop_cache(path);
            comm.barrier();
            const double t0 = MPI_Wtime();
            {
                io::CheckpointReader r(comm, path);
                r.read<2>("u", v);
                r.close();
            }
            comm.barrier();
            read.push_back(bytes / (MPI_Wtime() - t0));
            // The data read back is the data written.
            bool same = true;
            const auto b = u.owned_box();
            for (gindex_t j = b.lo[1]; j < b.hi[1] && same; ++j)
                for (gindex_t i = b.lo[0]; i < b.hi[0]; ++i)
                    if (u.view()(i, j) != v.view()(i, j)) same = false;
            TESSERA_CHECK_ALL(comm, same, "the checkpoint read back differs from what was written");
            if (comm.rank() == 0) {
                fs::remove(path);
                std::system("sync");
            }
            comm.barrier();
            log::info("rep ", rep, ": write phase: checkpoint ", write_cache.back() / 1e9, " GB/s, dd ",
                      dd_cache.back() / 1e9, " GB/s; stable storage: checkpoint ", write_sync.back() / 1e9,
                      " GB/s, dd conv=fsync ", dd_sync.back() / 1e9, " GB/s; cold read ", read.back() / 1e9, " GB/s");
        }
        if (comm.rank() == 0) fs::remove_all(d);
        std::ostringstream os;
        os.precision(3);
        os << "checkpoint of " << bytes / (1 << 30) << " GiB from " << comm.size() << " ranks, medians of " << reps
           << ":\n  write phase:          checkpoint write " << median(write_cache) / 1e9 << " GB/s, dd "
           << median(dd_cache) / 1e9 << " GB/s, ratio " << median(write_cache) / median(dd_cache)
           << "\n  onto stable storage:  checkpoint (with fsync) " << median(write_sync) / 1e9
           << " GB/s, dd conv=fsync " << median(dd_sync) / 1e9 << " GB/s, ratio "
           << median(write_sync) / median(dd_sync) << "\n  restart read (cold cache): " << median(read) / 1e9
           << " GB/s";
        log::info(os.str());
        return 0;
    });
}
