// RAII handles over parallel HDF5 (the only module that includes hdf5.h) and error checking.
#pragma once

#include <hdf5.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"

namespace tessera::io {

namespace detail {
/// Throws tessera::Error naming the call and HDF5's innermost error message when rc < 0.
void check_h5(long long rc, const char* call, const char* file, int line);
/// Turns off HDF5's automatic error printing (errors become exceptions instead).
void quiet_hdf5() noexcept;
}  // namespace detail

}  // namespace tessera::io

/// Runs an HDF5 call; a negative return value becomes tessera::Error with HDF5's reason.
#define TESSERA_H5_CALL(call)                                                                \
    [&] {                                                                                    \
        auto tessera_rc_ = (call);                                                           \
        ::tessera::io::detail::check_h5(static_cast<long long>(tessera_rc_), #call, __FILE__, \
                                        __LINE__);                                           \
        return tessera_rc_;                                                                  \
    }()

namespace tessera::io::h5 {

/// An owned HDF5 identifier, closed with the matching H5?close on destruction. Move-only.
class Handle {
public:
    using Closer = herr_t (*)(hid_t);
    Handle() = default;
    Handle(hid_t id, Closer closer) noexcept : id_(id), close_(closer) {}
    Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = H5I_INVALID_HID; }
    Handle& operator=(Handle&& o) noexcept;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { reset(); }
    hid_t get() const noexcept { return id_; }
    bool valid() const noexcept { return id_ >= 0; }
    /// Closes now (errors while closing are ignored here; use File::close to see them).
    void reset() noexcept;
    /// Closes now and throws tessera::Error if HDF5 reports a failure.
    void close();

private:
    hid_t id_ = H5I_INVALID_HID;
    Closer close_ = nullptr;
};

/// How a file is accessed (file access property list).
struct FileOptions {
    /// Metadata reads and writes done collectively (fewer small reads). Turn off when ranks
    /// may read raw data independently and one of them may fail mid-way (verification).
    bool collective_metadata = true;
    /// Objects of at least this many bytes start on a multiple of it (0: HDF5's default
    /// packing). A file-system block or stripe size makes large writes aligned.
    hsize_t alignment = 0;
};

/// A file opened with the MPI-IO driver on a communicator (collective open/create/close), or
/// by one process alone with the serial POSIX driver (local open/create/close).
/// Files are created with mode 0666 minus the umask, as any file; io functions that create
/// files on their own (checkpoints, snapshots) also remove write permission for others.
class File {
public:
    /// Collective over `comm`: creates (truncating) `path`. Throws tessera::Error on failure.
    static File create(const mpi::Comm& comm, const std::filesystem::path& path,
                       const FileOptions& options = {});
    /// Collective over `comm`: opens `path` read-only (or read-write). Throws tessera::Error
    /// (with HDF5's reason: not HDF5, truncated, locked...) on failure.
    static File open(const mpi::Comm& comm, const std::filesystem::path& path, bool writable = false,
                     const FileOptions& options = {});
    /// Local: creates (truncating) `path` with HDF5's serial POSIX driver (sec2), for one
    /// process alone; FileOptions::collective_metadata does not apply. Throws tessera::Error.
    static File create(const std::filesystem::path& path, const FileOptions& options = {});
    /// Local: opens `path` with the serial POSIX driver (sec2), for one process alone.
    static File open(const std::filesystem::path& path, bool writable, const FileOptions& options = {});
    hid_t get() const noexcept { return handle_.get(); }
    const std::filesystem::path& path() const noexcept { return path_; }
    /// Collective (local for a serial file): flushes and closes, throwing if HDF5 reports an
    /// error (e.g. a full disk).
    void close();

private:
    // The entry points above differ only in the driver's file access property list.
    static File create_with(const std::filesystem::path& path, const Handle& fapl);
    static File open_with(const std::filesystem::path& path, bool writable, const Handle& fapl);
    static File adopt(const std::filesystem::path& path, Handle handle);
    Handle handle_;
    std::filesystem::path path_;
};

/// Data transfer property list for collective MPI-IO.
Handle collective_transfer();
/// A simple dataspace of the given dims (C order: slowest first).
Handle dataspace(const std::vector<hsize_t>& dims);

// Attributes on a file, group or dataset (`obj`). Writing is collective (same value on every
// rank); reading is local after the object is open.
void write_attribute(hid_t obj, const std::string& name, double value);
void write_attribute(hid_t obj, const std::string& name, long long value);
void write_attribute(hid_t obj, const std::string& name, const std::string& value);
void write_attribute(hid_t obj, const std::string& name, const std::vector<double>& values);
void write_attribute(hid_t obj, const std::string& name, const std::vector<long long>& values);
double read_attribute_double(hid_t obj, const std::string& name);
long long read_attribute_int(hid_t obj, const std::string& name);
std::string read_attribute_string(hid_t obj, const std::string& name);
std::vector<double> read_attribute_doubles(hid_t obj, const std::string& name);
std::vector<long long> read_attribute_ints(hid_t obj, const std::string& name);
bool has_attribute(hid_t obj, const std::string& name);

/// Dims (C order) of dataset `name` in `file`. Local once the file is open.
std::vector<hsize_t> dataset_dims(const File& file, const std::string& name);
bool has_dataset(const File& file, const std::string& name);

}  // namespace tessera::io::h5
