// Atomic, checksummed checkpoints: temporary file, close, fsync, rename, fsync the directory.
#include "tessera/io/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>

#include "tessera/core/error.hpp"
#include "tessera/core/log.hpp"
#include "tessera/core/timer.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/field_io.hpp"

namespace tessera::io {

namespace {

namespace fs = std::filesystem;
constexpr const char* kFormat = "tessera-checkpoint";
constexpr long long kFormatVersion = 1;

// Test hook: sleeps for the seconds named by environment variable `var`, if set.
void test_sleep(const char* var) {
    if (const char* s = std::getenv(var)) {
        const double seconds = std::atof(s);
        if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    }
}

std::string errno_text(const std::string& what, const fs::path& path) {
    return what + " " + path.string() + ": " + std::strerror(errno);
}

// Local: completes `request` without spinning. MPI's blocking calls poll a core at full speed;
// a rank that waits for its turn to write, or for rank 0's fsync, would take that core from
// the rank that writes and from the kernel threads that copy and flush (2 cores here). The
// sleep grows to 1 ms, which is all a hand-over costs.
void wait_quietly(MPI_Request& request) {
    auto pause = std::chrono::microseconds(20);
    for (;;) {
        int done = 0;
        TESSERA_MPI_CALL(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
        if (done) return;
        std::this_thread::sleep_for(pause);
        pause = std::min(2 * pause, std::chrono::microseconds(1000));
    }
}

// Collective over `comm`: collective_call's agreement on `ok`, reached after a quiet wait
// for the slowest rank (see wait_quietly).
void agree_quietly(const mpi::Comm& comm, bool ok, const std::string& message, int exit_code) {
    MPI_Request request;
    TESSERA_MPI_CALL(MPI_Ibarrier(comm.get(), &request));
    {
        const ScopedTimer wait("agree.wait", TimerScope::nested);
        wait_quietly(request);
    }
    tessera::detail::check_all(comm, ok, message, exit_code);
}

// Collective over `comm`: collective_call with a quiet wait (see wait_quietly).
template <class F>
void collective_call_quietly(const mpi::Comm& comm, F&& body, int exit_code) {
    bool ok = true;
    std::string message;
    try {
        body();
    } catch (const std::exception& e) {
        ok = false;
        message = e.what();
    }
    agree_quietly(comm, ok, message, exit_code);
}

// Collective over `comm`: runs `stage` on one rank at a time, in rank order (rank r starts when
// rank r - 1 has finished), and `after` on each rank once it has handed over (concurrently
// with the next stages), then agrees on the outcome as collective_call does. A token with a
// status travels from rank to rank whatever happens: once a stage has failed, the later ranks
// skip theirs, and no rank waits for a token that never comes.
template <class F, class G>
void in_rank_order(const mpi::Comm& comm, F&& stage, G&& after, int exit_code) {
    constexpr int kTag = 0x7e55;
    int go = 1;
    if (comm.rank() > 0) {
        MPI_Request request;
        TESSERA_MPI_CALL(MPI_Irecv(&go, 1, MPI_INT, comm.rank() - 1, kTag, comm.get(), &request));
        const ScopedTimer wait("token.wait", TimerScope::nested);
        wait_quietly(request);
    }
    bool ok = true;
    std::string message;
    if (go) {
        try {
            stage();
        } catch (const std::exception& e) {
            ok = false;
            message = e.what();
        }
    }
    int next = go && ok ? 1 : 0;
    if (comm.rank() + 1 < comm.size()) {
        count_message(comm.rank() + 1, sizeof next);
        TESSERA_MPI_CALL(MPI_Send(&next, 1, MPI_INT, comm.rank() + 1, kTag, comm.get()));
    }
    if (next) {
        try {
            after();
        } catch (const std::exception& e) {
            ok = false;
            message = e.what();
        }
    }
    agree_quietly(comm, ok, message, exit_code);
}

// Local: writes the data of `path` to stable storage (fdatasync).
void flush_data(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) throw std::runtime_error(errno_text("cannot open", path));
    const bool ok = ::fdatasync(fd) == 0;
    const std::string why = ok ? "" : errno_text("cannot fsync", path);
    ::close(fd);
    if (!ok) throw std::runtime_error(why);
}

// Rank 0 alone: a 1D dataset of `values` (attributes are limited to 64 KiB; state such as a
// residual history can be longer).
template <class T>
void write_state(const h5::File& file, const std::string& name, hid_t type, const std::vector<T>& values) {
    const auto space = h5::dataspace({static_cast<hsize_t>(values.size())});
    h5::Handle set(TESSERA_H5_CALL(H5Dcreate2(file.get(), name.c_str(), type, space.get(), H5P_DEFAULT,
                                              H5P_DEFAULT, H5P_DEFAULT)),
                   H5Dclose);
    if (!values.empty()) TESSERA_H5_CALL(H5Dwrite(set.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()));
}

template <class T>
std::vector<T> read_state(const h5::File& file, const std::string& name, hid_t type) {
    const auto dims = h5::dataset_dims(file, name);
    if (dims.size() != 1) throw std::runtime_error(name + " is not one-dimensional");
    std::vector<T> values(dims[0]);
    h5::Handle set(TESSERA_H5_CALL(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT)), H5Dclose);
    if (!values.empty()) TESSERA_H5_CALL(H5Dread(set.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()));
    return values;
}

bool is_checkpoint_name(const std::string& name) {
    // chk_ + 9 digits + .h5
    if (name.size() != 4 + 9 + 3 || name.rfind("chk_", 0) != 0 || !name.ends_with(".h5")) return false;
    return std::all_of(name.begin() + 4, name.begin() + 13, [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

fs::path checkpoint_path(const fs::path& dir, gindex_t step) {
    char name[32];
    std::snprintf(name, sizeof name, "chk_%09lld.h5", static_cast<long long>(step));
    return dir / name;
}

std::vector<fs::path> list_checkpoints(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.is_regular_file(ec) && is_checkpoint_name(entry.path().filename().string()))
            out.push_back(entry.path());
    // Fixed-width step numbers: name order is step order.
    std::sort(out.begin(), out.end(), [](const fs::path& a, const fs::path& b) { return a.filename() > b.filename(); });
    return out;
}

CheckpointStats write_checkpoint(const mpi::Comm& comm, const fs::path& dir, const CheckpointData& data,
                                 const CheckpointMeta& meta, int keep) {
    ScopedTimer timer("io.checkpoint.write");
    const fs::path path = checkpoint_path(dir, meta.step);
    // Rank 0 reserves a unique temporary name (O_EXCL) and tells the others.
    std::optional<AtomicFile> atomic;
    std::string reserved;
    collective_call(comm, [&] {
        if (comm.rank() != 0) return;
        try {
            atomic.emplace(path);
        } catch (const std::exception& e) {
            throw std::runtime_error("checkpoint " + path.string() + ": " + e.what());
        }
        reserved = atomic->temporary().string();
    }, 1);
    const fs::path tmp = mpi::bcast(comm, reserved, 0);
    // Every failure names the file and the reason, and leaves no temporary file behind.
    auto named = [&](auto&& body) {
        return [&] {
            try {
                body();
            } catch (const std::exception& e) {
                throw std::runtime_error("checkpoint " + tmp.string() + ": " + e.what());
            }
        };
    };
    CheckpointStats stats;
    const double t0 = MPI_Wtime();
    double t1 = t0;
    try {
        // The ranks take turns writing the one file with HDF5's serial driver, as Silo's PMPIO
        // does: rank 0 creates it with the attributes and the empty datasets and writes its
        // part; each next rank opens it, writes its part and closes it. Parallel HDF5 1.10
        // writes checksummed (filtered) chunks through a slow collective path (well below dd
        // conv=fsync here; figures in docs/performance.md, I/O). In turns, each rank writes
        // whole chunks of its own directly, with their Fletcher32 computed by tessera
        // (write_field_part).
        // Copies into the page cache are serialized, but each rank flushes its part to disk
        // while the next one copies, and waiting ranks sleep instead of spinning (2 cores
        // here): 0.7-0.9 of dd's rate (docs/performance.md). A serialized write does not scale
        // to many nodes; on a parallel file system with many ranks, revisit this.
        FieldWriteOptions fo;
        fo.checksum = true;
        fo.max_chunk_elements = std::size_t{1} << 17;  // 1 MiB: fits L2 from copy to write(2)
        const bool last = comm.rank() + 1 == comm.size();
        in_rank_order(
            comm, named([&] {
                auto file = comm.rank() == 0 ? h5::File::create(tmp) : h5::File::open(tmp, true);
                const hid_t f = file.get();
                if (comm.rank() == 0) {
                    h5::write_attribute(f, "format", std::string(kFormat));
                    h5::write_attribute(f, "format_version", kFormatVersion);
                    h5::write_attribute(f, "step", static_cast<long long>(meta.step));
                    h5::write_attribute(f, "time", meta.time);
                    h5::write_attribute(f, "dt", meta.dt);
                    h5::write_attribute(f, "app", meta.app);
                    h5::write_attribute(f, "config", meta.config);
                    h5::write_attribute(f, "version", meta.version);
                    h5::write_attribute(f, "cells", std::vector<long long>(meta.cells.begin(), meta.cells.end()));
                    h5::write_attribute(f, "keys", meta.keys);
                    h5::Handle state(TESSERA_H5_CALL(H5Gcreate2(f, "/state", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)),
                                     H5Gclose);
                    write_state(file, "/state/counters", H5T_NATIVE_LLONG, meta.counters);
                    write_state(file, "/state/values", H5T_NATIVE_DOUBLE, meta.values);
                    h5::Handle group(TESSERA_H5_CALL(H5Gcreate2(f, "/fields", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)),
                                     H5Gclose);
                    for (const auto& e : data.entries_) e.create(file, "/fields/" + e.name, fo);
                }
                for (const auto& e : data.entries_) e.write(file, "/fields/" + e.name);
                if (last) test_sleep("TESSERA_TEST_SLEEP_IN_CHECKPOINT");
                file.close();
            }),
            named([&] { flush_data(tmp); }),
            1);
        for (const auto& e : data.entries_) stats.bytes += e.bytes;
        t1 = MPI_Wtime();
        collective_call_quietly(
            comm, named([&] {
                if (comm.rank() == 0) atomic->commit();
            }),
            1);
    } catch (const CollectiveError&) {
        if (atomic) atomic->discard();
        throw;
    }
    // Keep the newest `keep`: an error here costs disk space, not the checkpoint just written.
    if (comm.rank() == 0) {
        const auto all = list_checkpoints(dir);
        for (std::size_t n = static_cast<std::size_t>(std::max(keep, 1)); n < all.size(); ++n) {
            std::error_code ec;
            if (!fs::remove(all[n], ec) && ec)
                log::warn("cannot delete old checkpoint ", all[n].string(), ": ", ec.message());
        }
    }
    // Rank 0's clock: it does the fsyncs, and the collectives above end every phase together.
    const double t2 = MPI_Wtime();
    stats.write_seconds = mpi::bcast(comm, t1 - t0, 0);
    stats.sync_seconds = mpi::bcast(comm, t2 - t1, 0);
    test_sleep("TESSERA_TEST_SLEEP_AFTER_CHECKPOINT");
    return stats;
}

CheckpointReader::CheckpointReader(const mpi::Comm& comm, const fs::path& path) : comm_(&comm) {
    collective_call(comm, [&] {
        std::error_code ec;
        if (!fs::exists(path, ec)) throw std::runtime_error(path.string() + ": no such file");
        if (!fs::is_regular_file(path, ec)) throw std::runtime_error(path.string() + ": not a regular file");
    });
    // Independent metadata: a rank that fails a checksum must not leave its peers waiting in
    // a collective metadata read (see read()).
    h5::FileOptions options;
    options.collective_metadata = false;
    file_ = collective_call(comm, [&] {
        try {
            return h5::File::open(comm, path, false, options);
        } catch (const std::exception& e) {
            throw std::runtime_error(path.string() + ": cannot open as HDF5 (not HDF5, truncated or "
                                     "damaged): " + e.what());
        }
    });
    meta_ = collective_call(comm, [&] {
        const hid_t f = file_.get();
        if (!h5::has_attribute(f, "format") || h5::read_attribute_string(f, "format") != kFormat)
            throw std::runtime_error(path.string() + ": not a tessera checkpoint (no format = \"" +
                                     std::string(kFormat) + "\" attribute)");
        const long long fv = h5::read_attribute_int(f, "format_version");
        if (fv != kFormatVersion)
            throw std::runtime_error(path.string() + ": checkpoint format version " + std::to_string(fv) +
                                     ", this build reads version " + std::to_string(kFormatVersion));
        CheckpointMeta m;
        m.step = static_cast<gindex_t>(h5::read_attribute_int(f, "step"));
        m.time = h5::read_attribute_double(f, "time");
        m.dt = h5::read_attribute_double(f, "dt");
        m.app = h5::read_attribute_string(f, "app");
        m.config = h5::read_attribute_string(f, "config");
        m.version = h5::read_attribute_string(f, "version");
        for (auto c : h5::read_attribute_ints(f, "cells")) m.cells.push_back(static_cast<gindex_t>(c));
        if (h5::has_dataset(file_, "/state/counters")) {
            m.counters = read_state<long long>(file_, "/state/counters", H5T_NATIVE_LLONG);
            m.values = read_state<double>(file_, "/state/values", H5T_NATIVE_DOUBLE);
        } else {
            m.counters = h5::read_attribute_ints(f, "counters");
        }
        if (h5::has_attribute(f, "keys")) m.keys = h5::read_attribute_string(f, "keys");
        return m;
    });
}

template <int Dim>
void CheckpointReader::read(const std::string& name, grid::Field<double, Dim>& field) {
    ScopedTimer timer("io.checkpoint.read");
    FieldReadOptions options;
    options.independent = true;
    collective_call(*comm_, [&] {
        try {
            read_field<Dim>(file_, "/fields/" + name, field, options);
        } catch (const std::exception& e) {
            throw std::runtime_error(file_.path().string() + ": field '" + name + "' does not verify: " + e.what());
        }
    });
}

bool CheckpointReader::has_field(const std::string& name) const {
    return h5::has_dataset(file_, "/fields/" + name);
}

void CheckpointReader::close() {
    collective_call(*comm_, [&] { file_.close(); });
}

template void CheckpointReader::read<2>(const std::string&, grid::Field<double, 2>&);
template void CheckpointReader::read<3>(const std::string&, grid::Field<double, 3>&);

}  // namespace tessera::io
