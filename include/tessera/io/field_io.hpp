// HDF5 I/O of distributed Fields: one global dataset, each rank its hyperslab, written
// collectively (MPI-IO) or by the ranks in turn (serial driver).
#pragma once

#include <cstddef>
#include <string>

#include "tessera/grid/field.hpp"
#include "tessera/io/hdf5.hpp"

namespace tessera::io {

/// Options for writing a field dataset.
struct FieldWriteOptions {
    bool checksum = false;       ///< Fletcher32 per chunk (implies chunking)
    bool chunked = false;        ///< chunked layout (see field_chunk_shape)
    std::size_t max_chunk_elements = std::size_t{1} << 24;  ///< chunks split below this (128 MiB)
};

/// Options for reading a field dataset.
struct FieldReadOptions {
    /// Each rank reads its hyperslab with independent MPI-IO: a rank whose chunk fails its
    /// checksum fails alone (the caller agrees afterwards, e.g. with collective_call) instead
    /// of leaving its peers inside a collective read. Open the file with
    /// FileOptions::collective_metadata = false for this.
    bool independent = false;
};

/// Collective over the field's decomposition: writes the owned cells of every rank into the
/// dataset `name` of shape [nz,] ny, nx (C order; i fastest, as h5py and ParaView expect).
/// Ghost cells are not written. The file must be open on the same communicator.
template <int Dim>
void write_field(const h5::File& file, const std::string& name, const grid::Field<double, Dim>& field,
                 const FieldWriteOptions& options = {});

/// Local: the chunk shape (C order) of a chunked field dataset over `decomp`, at most
/// `max_chunk_elements` cells where possible. Preferably every owned box is a union of whole
/// chunks (along each split axis the chunk extent divides every box boundary; the last chunk
/// may stick out of the dataset), so that no two ranks share a chunk; when uneven splits would
/// make such chunks more than 8 times smaller, the shape of a typical owned box is used.
template <int Dim>
std::vector<hsize_t> field_chunk_shape(const grid::CartDecomp<Dim>& decomp, std::size_t max_chunk_elements);

/// Local: creates the empty dataset `name` for `decomp`'s global cells with the layout and
/// checksum of `options`, as write_field would, in a file open in this process alone
/// (h5::File::create(path)). Fill values are never written: every cell is written later.
template <int Dim>
void create_field_dataset(const h5::File& file, const std::string& name, const grid::CartDecomp<Dim>& decomp,
                          const FieldWriteOptions& options);

/// Local: writes this rank's owned cells of `field` into the existing dataset `name` of a
/// file open in this process alone (h5::File::open(path, true)). Ranks take turns (one
/// writer at a time); together they write the whole dataset. Throws tessera::Error.
template <int Dim>
void write_field_part(const h5::File& file, const std::string& name, const grid::Field<double, Dim>& field);

/// Collective: reads dataset `name` into the owned cells of `field`, whatever decomposition
/// or rank count wrote it. Throws CollectiveError (exit 2) naming the file when the dataset is
/// missing or its shape differs from the field's global cells; tessera::Error (local) when
/// HDF5 fails to read (e.g. a Fletcher32 checksum mismatch: "data error detected").
template <int Dim>
void read_field(const h5::File& file, const std::string& name, grid::Field<double, Dim>& field,
                const FieldReadOptions& options = {});

}  // namespace tessera::io
