// Snapshot series: one HDF5 file per run, groups per step, an XDMF temporal collection.
#include "tessera/io/time_series.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "tessera/core/error.hpp"
#include "tessera/core/log.hpp"
#include "tessera/core/timer.hpp"
#include "tessera/io/field_io.hpp"
#include "tessera/io/hdf5.hpp"

namespace tessera::io {

namespace {

namespace fs = std::filesystem;

std::string group_name(gindex_t step) {
    char name[32];
    std::snprintf(name, sizeof name, "/snapshots/%09lld", static_cast<long long>(step));
    return name;
}

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
}

}  // namespace

TimeSeries::TimeSeries(const mpi::Comm& comm, fs::path h5_path, fs::path xdmf_path, XdmfGrid geometry,
                       gindex_t resume_step)
    : comm_(&comm), h5_path_(std::move(h5_path)), xdmf_path_(std::move(xdmf_path)), geometry_(std::move(geometry)) {
    if (resume_step < 0) return;
    const bool present = collective_call(comm, [&] { return fs::exists(h5_path_); });
    if (!present) return;
    std::optional<h5::File> file;
    try {
        file.emplace(collective_call(comm, [&] { return h5::File::open(comm, h5_path_, true); }, 1));
    } catch (const CollectiveError& e) {
        collective_call(comm, [&] {
            if (comm.rank() != 0) return;
            fs::rename(h5_path_, h5_path_.string() + ".corrupt");
            log::warn(h5_path_.string(), " cannot be opened (", e.what(), "); moved to ",
                      h5_path_.filename().string(), ".corrupt, the series starts again");
        }, 1);
        return;
    }
    grids_ = collective_call(
        comm,
        [&] {
            std::vector<XdmfGrid> kept;
            if (H5Lexists(file->get(), "/snapshots", H5P_DEFAULT) <= 0) return kept;
            h5::Handle group(TESSERA_H5_CALL(H5Gopen2(file->get(), "/snapshots", H5P_DEFAULT)), H5Gclose);
            std::vector<std::string> names;
            TESSERA_H5_CALL(H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names));
            for (const auto& name : names) {
                const gindex_t step = std::stoll(name);
                if (step > resume_step) {
                    // Metadata write: every rank makes the same calls in the same order.
                    TESSERA_H5_CALL(H5Ldelete(group.get(), name.c_str(), H5P_DEFAULT));
                    continue;
                }
                h5::Handle g(TESSERA_H5_CALL(H5Gopen2(group.get(), name.c_str(), H5P_DEFAULT)), H5Gclose);
                XdmfGrid x = geometry_;
                x.h5_file = h5_path_.filename().string();
                x.dataset = group_name(step) + "/u";
                x.time = h5::read_attribute_double(g.get(), "time");
                kept.push_back(std::move(x));
            }
            return kept;
        },
        1);
    collective_call(comm, [&] { file->close(); }, 1);
    exists_ = true;
    if (comm.rank() == 0) write_xdmf_file();
}

template <int Dim>
void TimeSeries::write(const grid::Field<double, Dim>& field, gindex_t step, double time) {
    ScopedTimer timer("io.snapshot");
    const auto& comm = *comm_;
    const std::string group = group_name(step);
    auto named = [&](auto&& body) {
        return [&] {
            try {
                body();
            } catch (const std::exception& e) {
                throw std::runtime_error("snapshot " + h5_path_.string() + ": " + e.what());
            }
        };
    };
    std::optional<h5::File> file;
    collective_call(comm, named([&] {
        file.emplace(exists_ ? h5::File::open(comm, h5_path_, true) : h5::File::create(comm, h5_path_));
    }), 1);
    collective_call(comm, named([&] {
        const hid_t f = file->get();
        if (H5Lexists(f, "/snapshots", H5P_DEFAULT) <= 0)
            h5::Handle(TESSERA_H5_CALL(H5Gcreate2(f, "/snapshots", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)), H5Gclose);
        if (H5Lexists(f, group.c_str(), H5P_DEFAULT) > 0) TESSERA_H5_CALL(H5Ldelete(f, group.c_str(), H5P_DEFAULT));
        h5::Handle g(TESSERA_H5_CALL(H5Gcreate2(f, group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)), H5Gclose);
        h5::write_attribute(g.get(), "step", static_cast<long long>(step));
        h5::write_attribute(g.get(), "time", time);
    }), 1);
    collective_call(comm, named([&] { write_field<Dim>(*file, group + "/u", field); }), 1);
    collective_call(comm, named([&] { file->close(); }), 1);
    if (!exists_)
        collective_call(comm, named([&] {
            struct stat st {};
            if (comm.rank() == 0 && (::stat(h5_path_.c_str(), &st) != 0 ||
                                     ::chmod(h5_path_.c_str(), st.st_mode & ~mode_t{S_IWOTH} & 07777) != 0))
                throw std::runtime_error(std::string("cannot remove write permission for others: ") +
                                         std::strerror(errno));
        }), 1);
    exists_ = true;
    XdmfGrid x = geometry_;
    x.h5_file = h5_path_.filename().string();
    x.dataset = group + "/u";
    x.time = time;
    std::erase_if(grids_, [&](const XdmfGrid& g) { return g.dataset == x.dataset; });
    grids_.push_back(std::move(x));
    collective_call(comm, named([&] {
        if (comm.rank() == 0) write_xdmf_file();
    }), 1);
}

void TimeSeries::write_xdmf_file() const { write_xdmf(xdmf_path_, grids_); }

template void TimeSeries::write<2>(const grid::Field<double, 2>&, gindex_t, double);
template void TimeSeries::write<3>(const grid::Field<double, 3>&, gindex_t, double);

}  // namespace tessera::io
