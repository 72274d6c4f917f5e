// A user's own time loop with checkpoint/restart through tessera::run (docs/library.md).
// Usage: mpirun -np 2 diffusion_loop STEPS OUTPUT [auto]   (auto: continue from a checkpoint)
#include <cstdlib>
#include <string>

#include <tessera/tessera.hpp>

int main(int argc, char** argv) {
    tessera::Runtime rt(argc, argv);
    return tessera::run_guarded(rt, [&] {
        using namespace tessera;
        const gindex_t steps = std::atoll(argv[1]);
        const std::filesystem::path out = argv[2];
        grid::CartDecomp<2> decomp(rt.world(), {64, 64}, {true, true});
        grid::Field<double, 2> u(decomp, 1), next(decomp, 1);
        grid::HaloExchange<double, 2> halo(u, 1, grid::HaloPattern::faces);
        run::Simulation sim;
        sim.app = "diffusion";
        sim.keys = {{"cells", {64, 64}}};  // what a checkpoint must match to be continued
        sim.save = [&](io::CheckpointData& data, io::CheckpointMeta&) { data.add<2>("u", u); };
        sim.load = [&](io::CheckpointReader& reader) { reader.read<2>("u", u); };
        run::LoopSchedule schedule;
        schedule.steps = steps, schedule.checkpoint_every = 10;
        run::TimeLoop loop(rt.world(), schedule, sim, out / "checkpoints");
        if (!loop.restart(argc > 3 ? argv[3] : ""))  // a fresh start: a hot spot
            u.fill([](const auto& g) { return g[0] == 32 && g[1] == 32 ? 1.0 : 0.0; });
        loop.prepare();
        loop.run([&](gindex_t n) {  // n steps; the loop checkpoints, stops on signals, restarts
            for (gindex_t s = 0; s < n; ++s) {
                halo.start(u), halo.finish(u);
                const auto v = u.view();
                const auto w = next.view();
                const auto b = u.owned_box();
                for (gindex_t j = b.lo[1]; j < b.hi[1]; ++j)
                    for (gindex_t i = b.lo[0]; i < b.hi[0]; ++i)
                        w(i, j) = v(i, j) + 0.2 * (v(i - 1, j) + v(i + 1, j) + v(i, j - 1) + v(i, j + 1) - 4 * v(i, j));
                u.swap(next);
            }
        });
        io::write_field_file<2>(out / "u.h5", u, io::FieldFileInfo{});
        return 0;
    });
}
