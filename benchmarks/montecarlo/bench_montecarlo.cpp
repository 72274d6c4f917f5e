// Monte Carlo rates: EP classes in Mop/s (NPB's metric: 2^(m+1) random numbers per second),
// random normals per second per core, European and Asian option paths per second, Ising site
// updates per second. Each figure is the median of --repeat runs, printed beside the NPB
// reference measured on this machine (../shared/LIMITS.md). Not a test.
//   mpirun -np 1 -x OMP_NUM_THREADS=2 build/bin/bench-montecarlo
//   mpirun -np 2 -x OMP_NUM_THREADS=1 build/bin/bench-montecarlo --classes A,B
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <tessera/run/config.hpp>
#include <tessera/core/error.hpp>
#include <tessera/core/log.hpp>
#include <tessera/core/mpi.hpp>
#include <tessera/core/runtime.hpp>
#include <tessera/montecarlo/ep.hpp>
#include <tessera/montecarlo/ising.hpp>
#include <tessera/montecarlo/pricing.hpp>
#include <tessera/montecarlo/rng.hpp>

namespace mcl = tessera::montecarlo;

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const auto n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

template <class F>
double timed(const tessera::mpi::Comm& comm, F&& f) {
    comm.barrier();
    const double t0 = MPI_Wtime();
    f();
    return tessera::mpi::allreduce(comm, MPI_Wtime() - t0, MPI_MAX);
}

}  // namespace

int main(int argc, char** argv) {
    tessera::Runtime runtime(argc, argv);
    return tessera::run_guarded(runtime, [&] {
        tessera::run::AppOptions options("bench-montecarlo", "Monte Carlo benchmark");
        std::string classes = "W,A,B";
        int repeat = 3;
        tessera::gindex_t paths = 4'000'000, normals = 50'000'000;
        options.cli().add_option("--classes", classes, "EP classes to run, comma-separated");
        options.cli().add_option("--repeat", repeat, "Runs per figure (the median is reported)");
        options.cli().add_option("--paths", paths, "Option paths per run");
        options.cli().add_option("--normals", normals, "Normals per thread per run");
        options.parse(runtime.world(), argc, argv);
        const auto& world = runtime.world();
        const int ranks = world.size(), threads = runtime.threads();
        tessera::log::info("bench-montecarlo: ", ranks, " ranks x ", threads, " threads, median of ", repeat, " runs");

        // EP, verified on every run.
        for (char c : classes) {
            if (c == ',') continue;
            const auto cls = mcl::ep_class(c);
            TESSERA_CHECK_ALL(world, cls.has_value(), "--classes: unknown class " << c);
            mcl::ep_run(world, mcl::ep_batch_log2 + 4);  // warm-up
            std::vector<double> mops, secs;
            bool verified = true;
            for (int r = 0; r < repeat; ++r) {
                const auto res = mcl::ep_run(world, cls->m);
                verified = verified && mcl::ep_verify(res, *cls).passed;
                mops.push_back(res.mops());
                secs.push_back(res.seconds);
            }
            char line[200];
            std::snprintf(line, sizeof line,
                          "EP class %c: %8.1f Mop/s (%.2f s), %s; NPB on this machine: 79 Mop/s MPI 2 ranks, "
                          "59 Mop/s OpenMP 2 threads (class A 6.8 s)",
                          c, median(mops), median(secs), verified ? "verified" : "NOT VERIFIED");
            tessera::log::info(line);
        }

        // Normals per second per core: each thread draws from its own streams, one per 1024.
        {
            std::vector<double> rates;
            for (int r = 0; r < repeat; ++r) {
                double sink = 0.0;
                const double s = timed(world, [&] {
#pragma omp parallel reduction(+ : sink)
                    {
                        const auto base = static_cast<std::uint64_t>(world.rank() * threads + omp_get_thread_num()) << 40;
                        double acc = 0.0;
                        for (tessera::gindex_t k = 0; k < normals; k += 1024) {
                            mcl::CounterRng rng(1, base + static_cast<std::uint64_t>(k));
                            for (int i = 0; i < 1024; ++i) acc += rng.normal();
                        }
                        sink += acc;
                    }
                });
                if (sink == 0.123) std::printf(" ");  // keep the work
                rates.push_back(static_cast<double>(normals) / s);
            }
            tessera::log::info("normals: ", median(rates) / 1e6, " M/s per core (Box-Muller on Philox4x32-10)");
        }

        // Option paths per second (all cores).
        for (auto style : {mcl::OptionStyle::european, mcl::OptionStyle::asian}) {
            mcl::OptionSpec spec;
            spec.style = style;
            const tessera::gindex_t n = style == mcl::OptionStyle::asian ? paths / 8 : paths;
            std::vector<double> rates;
            for (int r = 0; r < repeat; ++r) {
                const double s = timed(world, [&] { mcl::price_option(world, spec, n, 7); });
                rates.push_back(static_cast<double>(n) / s);
            }
            tessera::log::info(style == mcl::OptionStyle::asian ? "Asian (12 dates)" : "European", " option: ",
                               median(rates) / 1e6, " M paths/s");
        }

        // Ising site updates per second on 512 x 512.
        {
            std::vector<double> rates;
            const std::array<tessera::gindex_t, 2> cells{512, 512};
            for (int r = 0; r < repeat; ++r) {
                mcl::IsingLattice lattice(world, cells, 2.0, 3);
                const double s = timed(world, [&] { mcl::run_ising(lattice, 0, 100); });
                rates.push_back(512.0 * 512.0 * 100 / s);
            }
            tessera::log::info("Ising 512 x 512: ", median(rates) / 1e6, " M site updates/s");
        }
        return 0;
    });
}
