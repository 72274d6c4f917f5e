// Distributed structured-grid fields: each rank's owned cells plus a ghost layer.
#pragma once

#include <cstdlib>
#include <memory>

#include "tessera/core/memory.hpp"
#include "tessera/core/view.hpp"
#include "tessera/grid/cart_decomp.hpp"

namespace tessera::grid {

/// One rank's part of a field over a CartDecomp: the owned box grown by `ghost` cells on every
/// side, in 64-byte aligned storage whose rows start aligned at the first owned cell. Views are
/// indexed by GLOBAL cell indices (i unit stride). Storage is zeroed in parallel by the threads
/// that compute on it (first touch, same static schedule over the outer axis as the kernels).
/// Move-only; the decomposition must outlive the field.
template <class T, int Dim>
class Field {
public:
    /// Local. `ghost` >= 0 layers around the owned box.
    Field(const CartDecomp<Dim>& decomp, int ghost);

    View<T, Dim> view() noexcept { return View<T, Dim>(base_, storage_, stride_); }
    ConstView<T, Dim> view() const noexcept { return ConstView<T, Dim>(base_, storage_, stride_); }
    const CartDecomp<Dim>& decomp() const noexcept { return *decomp_; }
    const Box<Dim>& owned_box() const noexcept { return decomp_->owned_box(); }
    /// Owned box grown by the ghost width: every index the view may address.
    const Box<Dim>& storage_box() const noexcept { return storage_; }
    int ghost() const noexcept { return ghost_; }
    const std::array<index_t, Dim>& stride() const noexcept { return stride_; }

    /// Local: sets every owned cell to f(global index array).
    template <class F>
    void fill(F&& f);
    /// Local: calls f(global index array, value) for every owned cell, on the calling thread,
    /// in storage order (i fastest): for checks and reductions that must not depend on threads.
    template <class F>
    void for_each_owned(F&& f) const;
    /// Local: exchanges the storage of two fields on the same decomposition and ghost width.
    void swap(Field& other) noexcept;

private:
    const CartDecomp<Dim>* decomp_;
    int ghost_;
    Box<Dim> storage_;
    std::array<index_t, Dim> stride_{};
    StreamedArray<T> alloc_;
    T* base_ = nullptr;  // element at storage_.lo
};

template <class T, int Dim>
template <class F>
void Field<T, Dim>::fill(F&& f) {
    const auto b = owned_box();
    auto v = view();
    if constexpr (Dim == 2) {
#pragma omp parallel for schedule(static)
        for (gindex_t j = b.lo[1]; j < b.hi[1]; ++j)
            for (gindex_t i = b.lo[0]; i < b.hi[0]; ++i) v(i, j) = f(std::array<gindex_t, 2>{i, j});
    } else {
#pragma omp parallel for schedule(static)
        for (gindex_t k = b.lo[2]; k < b.hi[2]; ++k)
            for (gindex_t j = b.lo[1]; j < b.hi[1]; ++j)
                for (gindex_t i = b.lo[0]; i < b.hi[0]; ++i)
                    v(i, j, k) = f(std::array<gindex_t, 3>{i, j, k});
    }
}

template <class T, int Dim>
template <class F>
void Field<T, Dim>::for_each_owned(F&& f) const {
    const auto b = owned_box();
    const auto v = view();
    if constexpr (Dim == 2) {
        for (gindex_t j = b.lo[1]; j < b.hi[1]; ++j)
            for (gindex_t i = b.lo[0]; i < b.hi[0]; ++i) f(std::array<gindex_t, 2>{i, j}, v(i, j));
    } else {
        for (gindex_t k = b.lo[2]; k < b.hi[2]; ++k)
            for (gindex_t j = b.lo[1]; j < b.hi[1]; ++j)
                for (gindex_t i = b.lo[0]; i < b.hi[0]; ++i) f(std::array<gindex_t, 3>{i, j, k}, v(i, j, k));
    }
}

}  // namespace tessera::grid
