// HDF5 handles, files on MPI-IO, attributes, and HDF5 errors as exceptions.
#include "tessera/io/hdf5.hpp"

#include <mutex>

#include "tessera/core/error.hpp"

namespace tessera::io {

namespace detail {

void quiet_hdf5() noexcept {
    static std::once_flag once;
    std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

namespace {
// Collects the innermost (most specific) description on HDF5's error stack.
herr_t innermost(unsigned n, const H5E_error2_t* err, void* out) {
    auto* text = static_cast<std::string*>(out);
    if (n == 0 && err->desc) *text = err->desc;
    if (n == 0 && err->func_name) *text += std::string(" (in ") + err->func_name + ")";
    return 0;
}
// The lowest-level entry of the stack: its description (the root cause, e.g. "data error
// detected by Fletcher32 checksum") and its minor message (e.g. "unable to open file").
struct Deepest {
    std::string desc, minor;
};
herr_t deepest(unsigned, const H5E_error2_t* err, void* out) {
    auto* d = static_cast<Deepest*>(out);
    d->desc = err->desc ? err->desc : "";
    if (char* minor = H5Eget_minor(err->min_num)) {
        d->minor = minor;
        H5free_memory(minor);
    }
    return 0;
}
}  // namespace

void check_h5(long long rc, const char* call, const char* file, int line) {
    if (rc >= 0) [[likely]] return;
    std::string top;
    Deepest root;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, innermost, &top);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, deepest, &root);
    H5Eclear2(H5E_DEFAULT);
    std::string msg = std::string("HDF5: ") + call + " failed";
    if (!top.empty()) msg += ": " + top;
    if (!root.desc.empty() && top.rfind(root.desc, 0) != 0) msg += ": " + root.desc;
    if (!root.minor.empty()) msg += " [" + root.minor + "]";
    throw Error(msg, file, line);
}

}  // namespace detail

namespace h5 {

Handle& Handle::operator=(Handle&& o) noexcept {
    if (this != &o) {
        reset();
        id_ = o.id_;
        close_ = o.close_;
        o.id_ = H5I_INVALID_HID;
    }
    return *this;
}

void Handle::reset() noexcept {
    if (id_ >= 0 && close_) close_(id_);
    id_ = H5I_INVALID_HID;
}

void Handle::close() {
    if (id_ < 0) return;
    const hid_t id = id_;
    id_ = H5I_INVALID_HID;
    TESSERA_H5_CALL(close_(id));
}

namespace {
Handle file_access(const mpi::Comm& comm, const FileOptions& options) {
    Handle fapl(TESSERA_H5_CALL(H5Pcreate(H5P_FILE_ACCESS)), H5Pclose);
    // MPI-IO gets the same ranks in the same order without a process topology: Open MPI 4.1's
    // OMPIO groups aggregators differently on a communicator with a Cartesian topology, and
    // collective writes through a CartDecomp's communicator (a 2 x 2 grid of uneven boxes) lost
    // a contiguous part of the data in about half the runs (tests/io/field_io_mpi_test.cpp).
    // HDF5 duplicates the communicator it is given, so this one is freed at once.
    MPI_Comm flat = MPI_COMM_NULL;
    TESSERA_MPI_CALL(MPI_Comm_split(comm.get(), 0, comm.rank(), &flat));
    const herr_t set = H5Pset_fapl_mpio(fapl.get(), flat, MPI_INFO_NULL);
    MPI_Comm_free(&flat);
    TESSERA_H5_CALL(set);
    // Metadata written collectively: every rank calls every metadata operation anyway.
    TESSERA_H5_CALL(H5Pset_coll_metadata_write(fapl.get(), options.collective_metadata));
    TESSERA_H5_CALL(H5Pset_all_coll_metadata_ops(fapl.get(), options.collective_metadata));
    if (options.alignment > 0) TESSERA_H5_CALL(H5Pset_alignment(fapl.get(), options.alignment, options.alignment));
    return fapl;
}
Handle serial_file_access(const FileOptions& options) {
    Handle fapl(TESSERA_H5_CALL(H5Pcreate(H5P_FILE_ACCESS)), H5Pclose);
    TESSERA_H5_CALL(H5Pset_fapl_sec2(fapl.get()));
    if (options.alignment > 0) TESSERA_H5_CALL(H5Pset_alignment(fapl.get(), options.alignment, options.alignment));
    return fapl;
}
}  // namespace

File File::create_with(const std::filesystem::path& path, const Handle& fapl) {
    return File::adopt(path, Handle(TESSERA_H5_CALL(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get())),
                                    H5Fclose));
}
File File::open_with(const std::filesystem::path& path, bool writable, const Handle& fapl) {
    return File::adopt(path, Handle(TESSERA_H5_CALL(H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY,
                                                            fapl.get())),
                                    H5Fclose));
}

File File::create(const mpi::Comm& comm, const std::filesystem::path& path, const FileOptions& options) {
    detail::quiet_hdf5();
    return create_with(path, file_access(comm, options));
}

File File::open(const mpi::Comm& comm, const std::filesystem::path& path, bool writable,
                const FileOptions& options) {
    detail::quiet_hdf5();
    return open_with(path, writable, file_access(comm, options));
}

File File::create(const std::filesystem::path& path, const FileOptions& options) {
    detail::quiet_hdf5();
    return create_with(path, serial_file_access(options));
}

File File::open(const std::filesystem::path& path, bool writable, const FileOptions& options) {
    detail::quiet_hdf5();
    return open_with(path, writable, serial_file_access(options));
}

File File::adopt(const std::filesystem::path& path, Handle handle) {
    File f;
    f.path_ = path;
    f.handle_ = std::move(handle);
    return f;
}

void File::close() {
    if (!handle_.valid()) return;
    TESSERA_H5_CALL(H5Fflush(handle_.get(), H5F_SCOPE_GLOBAL));
    handle_.close();
}

Handle collective_transfer() {
    Handle dxpl(TESSERA_H5_CALL(H5Pcreate(H5P_DATASET_XFER)), H5Pclose);
    TESSERA_H5_CALL(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE));
    return dxpl;
}

Handle dataspace(const std::vector<hsize_t>& dims) {
    return Handle(TESSERA_H5_CALL(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr)),
                  H5Sclose);
}

namespace {
void write_attr(hid_t obj, const std::string& name, hid_t type, const std::vector<hsize_t>& dims,
                const void* data) {
    if (H5Aexists(obj, name.c_str()) > 0) TESSERA_H5_CALL(H5Adelete(obj, name.c_str()));
    // An empty array is a null dataspace (no elements, nothing to write).
    const bool none = dims.size() == 1 && dims[0] == 0;
    Handle space = dims.empty() ? Handle(TESSERA_H5_CALL(H5Screate(H5S_SCALAR)), H5Sclose)
                   : none       ? Handle(TESSERA_H5_CALL(H5Screate(H5S_NULL)), H5Sclose)
                                : dataspace(dims);
    Handle attr(TESSERA_H5_CALL(H5Acreate2(obj, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT)),
                H5Aclose);
    if (!none) TESSERA_H5_CALL(H5Awrite(attr.get(), type, data));
}
Handle open_attr(hid_t obj, const std::string& name) {
    return Handle(TESSERA_H5_CALL(H5Aopen(obj, name.c_str(), H5P_DEFAULT)), H5Aclose);
}
}  // namespace

void write_attribute(hid_t obj, const std::string& name, double value) {
    write_attr(obj, name, H5T_NATIVE_DOUBLE, {}, &value);
}
void write_attribute(hid_t obj, const std::string& name, long long value) {
    write_attr(obj, name, H5T_NATIVE_LLONG, {}, &value);
}
void write_attribute(hid_t obj, const std::string& name, const std::vector<double>& values) {
    write_attr(obj, name, H5T_NATIVE_DOUBLE, {values.size()}, values.data());
}
void write_attribute(hid_t obj, const std::string& name, const std::string& value) {
    Handle type(TESSERA_H5_CALL(H5Tcopy(H5T_C_S1)), H5Tclose);
    TESSERA_H5_CALL(H5Tset_size(type.get(), std::max<std::size_t>(value.size(), 1)));
    TESSERA_H5_CALL(H5Tset_cset(type.get(), H5T_CSET_UTF8));
    std::string padded = value.empty() ? std::string(1, '\0') : value;
    write_attr(obj, name, type.get(), {}, padded.data());
}

void write_attribute(hid_t obj, const std::string& name, const std::vector<long long>& values) {
    write_attr(obj, name, H5T_NATIVE_LLONG, {values.size()}, values.data());
}

double read_attribute_double(hid_t obj, const std::string& name) {
    auto attr = open_attr(obj, name);
    double v = 0;
    TESSERA_H5_CALL(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &v));
    return v;
}
long long read_attribute_int(hid_t obj, const std::string& name) {
    auto attr = open_attr(obj, name);
    long long v = 0;
    TESSERA_H5_CALL(H5Aread(attr.get(), H5T_NATIVE_LLONG, &v));
    return v;
}
std::vector<double> read_attribute_doubles(hid_t obj, const std::string& name) {
    auto attr = open_attr(obj, name);
    Handle space(TESSERA_H5_CALL(H5Aget_space(attr.get())), H5Sclose);
    const auto n = TESSERA_H5_CALL(H5Sget_simple_extent_npoints(space.get()));
    std::vector<double> v(static_cast<std::size_t>(n));
    TESSERA_H5_CALL(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, v.data()));
    return v;
}
std::vector<long long> read_attribute_ints(hid_t obj, const std::string& name) {
    auto attr = open_attr(obj, name);
    Handle space(TESSERA_H5_CALL(H5Aget_space(attr.get())), H5Sclose);
    const auto n = TESSERA_H5_CALL(H5Sget_simple_extent_npoints(space.get()));
    std::vector<long long> v(static_cast<std::size_t>(n));
    if (n > 0) TESSERA_H5_CALL(H5Aread(attr.get(), H5T_NATIVE_LLONG, v.data()));
    return v;
}
std::string read_attribute_string(hid_t obj, const std::string& name) {
    auto attr = open_attr(obj, name);
    Handle type(TESSERA_H5_CALL(H5Aget_type(attr.get())), H5Tclose);
    const std::size_t size = H5Tget_size(type.get());
    std::string v(size, '\0');
    TESSERA_H5_CALL(H5Aread(attr.get(), type.get(), v.data()));
    v.resize(v.find('\0') == std::string::npos ? v.size() : v.find('\0'));
    return v;
}
bool has_attribute(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

std::vector<hsize_t> dataset_dims(const File& file, const std::string& name) {
    Handle ds(TESSERA_H5_CALL(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT)), H5Dclose);
    Handle space(TESSERA_H5_CALL(H5Dget_space(ds.get())), H5Sclose);
    const int rank = TESSERA_H5_CALL(H5Sget_simple_extent_ndims(space.get()));
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    TESSERA_H5_CALL(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr));
    return dims;
}

bool has_dataset(const File& file, const std::string& name) {
    // H5Lexists fails (instead of returning 0) for missing intermediate groups: check each.
    std::string path;
    std::size_t pos = 0;
    while (pos != std::string::npos) {
        pos = name.find('/', pos + 1);
        path = name.substr(0, pos);
        if (path.empty() || path == "/") continue;
        if (H5Lexists(file.get(), path.c_str(), H5P_DEFAULT) <= 0) return false;
    }
    return H5Oexists_by_name(file.get(), name.c_str(), H5P_DEFAULT) > 0;
}

}  // namespace h5
}  // namespace tessera::io
