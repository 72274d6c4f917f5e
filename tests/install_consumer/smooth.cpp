// The README's "library in 20 lines" example, built and run by the install test.
#include <tessera/tessera.hpp>
using namespace tessera;

int main(int argc, char** argv) {
    Runtime rt(argc, argv);                                           // MPI + OpenMP
    return run_guarded(rt, [&] {
        grid::CartDecomp<2> decomp(rt.world(), {256, 256}, {true, true});  // periodic 256^2
        grid::Field<double, 2> u(decomp, 1), v(decomp, 1);           // one ghost layer
        grid::HaloExchange<double, 2> halo(u, 1, grid::HaloPattern::faces);
        u.fill([](auto ij) { return double((ij[0] / 32 + ij[1] / 32) % 2); });  // checkerboard
        const auto b = decomp.owned_box();
        for (int step = 0; step < 100; ++step) {
            halo.exchange(u);                                         // ghosts from neighbours
            auto in = u.view();
            auto out = v.view();
#pragma omp parallel for
            for (gindex_t j = b.lo[1]; j < b.hi[1]; ++j)
                for (gindex_t i = b.lo[0]; i < b.hi[0]; ++i)
                    out(i, j) = in(i, j) + 0.2 * (in(i - 1, j) + in(i + 1, j) + in(i, j - 1) +
                                                  in(i, j + 1) - 4 * in(i, j));
            u.swap(v);
        }
        auto file = io::h5::File::create(rt.world(), "smooth.h5");   // h5py, view_field.py
        io::write_field<2>(file, "/u", u);
        return 0;
    });
}
