// A small app that exercises the error protocol end to end under mpirun (tests only).
#include <omp.h>

#include <stdexcept>
#include <string>

#include <tessera/tessera.hpp>

int main(int argc, char** argv) {
    tessera::Runtime runtime(argc, argv);
    return tessera::run_guarded(runtime, [&] {
        tessera::run::AppOptions options("error-probe", "Raises errors on demand to test the protocol");
        std::string mode = "none";
        int rank = 1;
        options.cli()
            .add_option("--mode", mode, "Which failure to raise")
            ->check(CLI::IsMember({"none", "throw-on-rank", "collective", "omp-throw"}));
        options.cli().add_option("--rank", rank, "Rank that fails");
        options.parse(runtime.world(), argc, argv);
        const auto& world = runtime.world();

        if (mode == "throw-on-rank") {
            // The failing rank throws; the others enter a collective that can never complete.
            if (world.rank() == rank) throw std::runtime_error("injected failure");
            double x = 1.0;
            x = tessera::mpi::allreduce(world, x, MPI_SUM);
            return 0;
        }
        if (mode == "collective") {
            TESSERA_CHECK_ALL(world, world.rank() != rank, "--rank: rank " << world.rank() << " rejects its input");
            return 0;
        }
        if (mode == "omp-throw") {
            tessera::ThreadExceptionTrap trap;
#pragma omp parallel num_threads(2)
            trap.run([&] {
                if (omp_get_thread_num() == 1)
                    throw std::runtime_error("thread 1 of rank " + std::to_string(world.rank()) + " failed");
            });
            trap.rethrow();
            return 0;
        }
        {
            tessera::ScopedTimer t("probe.work");
            tessera::log::info("probe: nothing to do on ", world.size(), " ranks");
        }
        const auto report = runtime.layout_report();
        tessera::log::info(report, tessera::format_timer_table(tessera::timer_report(world)));
        return 0;
    });
}
