// bench-tasks: how close run_tasks comes to ideal parallel efficiency when task costs are
// uneven, and what one task costs the queue when it does nothing.
//
//   mpirun -np 2 --map-by slot:PE=1 --bind-to core -x OMP_NUM_THREADS=1 build/bin/bench-tasks
//   mpirun -np 1 --bind-to none -x OMP_NUM_THREADS=2 -x OMP_PROC_BIND=close -x OMP_PLACES=cores
//       build/bin/bench-tasks
// (a plain `mpirun -np 1` binds the rank to one core: its two threads would share it).
//
// Uneven tasks spin (busy, like compute) for a duration drawn uniformly from [0.1, 1.9] x the
// mean, from a fixed generator, so every run has the same work. The ideal wall time is the
// total work divided by the workers (ranks x slots); the static split is what dealing task i
// to worker i % workers would take (the longest worker's sum), computed from the same
// durations. Efficiency = ideal / measured.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <tessera/core/runtime.hpp>
#include <tessera/run/benchmark.hpp>
#include <tessera/tasks/queue.hpp>

namespace {

void spin_for(double seconds) {
    const double end = omp_get_wtime() + seconds;
    while (omp_get_wtime() < end) {
    }
}

std::vector<double> uneven_durations(long n, double mean) {
    std::vector<double> d(static_cast<std::size_t>(n));
    std::uint64_t state = 0x9e3779b97f4a7c15ULL;
    for (auto& x : d) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        const double u = static_cast<double>(state >> 11) * 0x1.0p-53;
        x = mean * (0.1 + 1.8 * u);
    }
    return d;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    tessera::Runtime runtime(argc, argv);
    const auto& world = runtime.world();
    long n_uneven = 400, n_empty = 200000;
    double mean_ms = 2.0;
    int repeat = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--tasks") n_uneven = std::stol(argv[i + 1]);
        else if (a == "--mean-ms") mean_ms = std::stod(argv[i + 1]);
        else if (a == "--empty") n_empty = std::stol(argv[i + 1]);
        else if (a == "--repeat") repeat = std::stoi(argv[i + 1]);
    }
    const int ranks = world.size(), threads = omp_get_max_threads();
    const auto mode = threads > 1 ? tessera::tasks::Threads::one_per_thread : tessera::tasks::Threads::inside_task;
    const int workers = ranks * (threads > 1 ? threads : 1);
    const bool root = world.rank() == 0;
    const std::string layout = runtime.layout_report();  // collective; warns of threads sharing a core
    if (root) std::fputs(layout.c_str(), stdout);
    if (root)
        std::printf("bench-tasks: %d ranks x %d threads (%s), %d workers, %d repetitions, medians\n", ranks,
                    threads, threads > 1 ? "one task per thread" : "threads inside each task", workers, repeat);

    // 1. Uneven tasks.
    const auto durations = uneven_durations(n_uneven, mean_ms * 1e-3);
    double total = 0;
    for (double d : durations) total += d;
    std::vector<double> static_sums(static_cast<std::size_t>(workers), 0.0);
    for (std::size_t i = 0; i < durations.size(); ++i) static_sums[i % static_cast<std::size_t>(workers)] += durations[i];
    const double ideal = total / workers;
    const double static_split = *std::max_element(static_sums.begin(), static_sums.end());
    std::vector<double> walls, reported;
    for (int r = 0; r < repeat; ++r) {
        tessera::tasks::TaskOptions options;
        options.threads = mode;
        world.barrier();
        const double t0 = MPI_Wtime();
        const auto report = tessera::tasks::run_tasks(
            world, n_uneven,
            [&](tessera::tasks::TaskContext& ctx) { spin_for(durations[static_cast<std::size_t>(ctx.index)]); },
            {}, options);
        walls.push_back(tessera::mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX));
        reported.push_back(report.efficiency);
    }
    const double wall = median(walls);
    if (root) {
        std::printf("uneven tasks: %ld tasks, mean %.2f ms, durations 0.1-1.9 x mean (total %.3f s of work)\n",
                    n_uneven, mean_ms, total);
        std::printf("  run_tasks     %.4f s   ideal (work / %d workers) %.4f s   efficiency %.3f (queue's own busy/wall: %.3f)\n",
                    wall, workers, ideal, ideal / wall, median(reported));
        std::printf("  static split  %.4f s   (task i on worker i %% %d)          efficiency %.3f\n", static_split,
                    workers, ideal / static_split);
    }

    // 2. Empty tasks: the queue's cost per task.
    for (auto m : {tessera::tasks::Threads::inside_task, tessera::tasks::Threads::one_per_thread}) {
        if (m == tessera::tasks::Threads::one_per_thread && threads == 1) continue;
        std::vector<double> per_task;
        for (int r = 0; r < repeat; ++r) {
            tessera::tasks::TaskOptions options;
            options.threads = m;
            world.barrier();
            const double t0 = MPI_Wtime();
            tessera::tasks::run_tasks(world, n_empty, [](tessera::tasks::TaskContext&) {},
                                      [](tessera::gindex_t, std::span<const std::byte>) {}, options);
            const double t = tessera::mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX);
            per_task.push_back(t / static_cast<double>(n_empty));
        }
        if (root)
            std::printf("empty tasks (%s): %ld tasks, %.2f us per task over the whole queue, %.2f us of a worker's time per task (aim: < 20 us)\n",
                        m == tessera::tasks::Threads::inside_task ? "threads inside each task" : "one per thread",
                        n_empty, median(per_task) * 1e6,
                        median(per_task) * 1e6 * (m == tessera::tasks::Threads::one_per_thread ? workers : ranks));
    }
    return 0;
}
