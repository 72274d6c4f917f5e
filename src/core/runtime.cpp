// Runtime start-up/shutdown, layout report, and the app guard.
#include "tessera/core/runtime.hpp"

#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#ifdef TESSERA_WITH_LIKWID
#include "likwid_hooks.hpp"
#endif

namespace tessera {

namespace {
int g_world_rank = -1;

std::string base_name(const char* path) {
    std::string s = path ? path : "tessera";
    const auto slash = s.find_last_of('/');
    return slash == std::string::npos ? s : s.substr(slash + 1);
}

// The CPUs this rank may run on. With OpenMP places (OMP_PLACES, or OMP_PROC_BIND on), the
// runtime has already pinned the calling thread to its first place, so the rank's CPUs are
// the union of the places in the initial thread's partition (which the runtime built from the
// process's mask at start-up); otherwise the process's affinity mask. false when unknown.
bool rank_cpus(cpu_set_t& set) {
    CPU_ZERO(&set);
    const int places = omp_get_partition_num_places();
    if (omp_get_num_places() > 0 && places > 0) {
        std::vector<int> place_nums(static_cast<std::size_t>(places));
        omp_get_partition_place_nums(place_nums.data());
        for (const int place : place_nums) {
            std::vector<int> ids(static_cast<std::size_t>(omp_get_place_num_procs(place)));
            omp_get_place_proc_ids(place, ids.data());
            for (const int id : ids)
                if (id >= 0 && id < CPU_SETSIZE) CPU_SET(id, &set);
        }
        if (CPU_COUNT(&set) > 0) return true;
    }
    return sched_getaffinity(0, sizeof(set), &set) == 0;
}

// How many CPUs this rank may run on (0 when unknown).
int cpu_count() {
    cpu_set_t set;
    return rank_cpus(set) ? CPU_COUNT(&set) : 0;
}

// The CPUs this rank may run on, as a compact list such as "0-1" or "0,2".
std::string cpu_list() {
    cpu_set_t set;
    if (!rank_cpus(set)) return "?";
    std::ostringstream os;
    int run_start = -1;
    bool first = true;
    for (int c = 0; c <= CPU_SETSIZE; ++c) {
        const bool in = c < CPU_SETSIZE && CPU_ISSET(c, &set);
        if (in && run_start < 0) run_start = c;
        if (!in && run_start >= 0) {
            os << (first ? "" : ",") << run_start;
            if (c - 1 > run_start) os << '-' << (c - 1);
            first = false;
            run_start = -1;
        }
    }
    return os.str();
}

const char* proc_bind_name(omp_proc_bind_t b) {
    switch (b) {
    case omp_proc_bind_false: return "false";
    case omp_proc_bind_true: return "true";
    case omp_proc_bind_master: return "master";
    case omp_proc_bind_close: return "close";
    case omp_proc_bind_spread: return "spread";
    }
    return "?";
}
}  // namespace

int world_rank() noexcept { return g_world_rank; }

Runtime::Runtime(int& argc, char**& argv, int required_thread_level)
    : app_name_(base_name(argc > 0 ? argv[0] : nullptr)) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) {
        MPI_Query_thread(&thread_level_);
    } else {
        TESSERA_MPI_CALL(MPI_Init_thread(&argc, &argv, required_thread_level, &thread_level_));
        finalize_ = true;
    }
    world_ = mpi::Comm::duplicate(MPI_COMM_WORLD);
    g_world_rank = world_.rank();
    threads_ = omp_get_max_threads();
    start_ = MPI_Wtime();
    TESSERA_CHECK(thread_level_ >= required_thread_level,
                  "MPI provides thread level " << thread_level_ << ", tessera needs "
                                               << required_thread_level);
#ifdef TESSERA_WITH_LIKWID
    trace::detail::attach_likwid();
#endif
}

Runtime::~Runtime() {
#ifdef TESSERA_WITH_LIKWID
    trace::detail::detach_likwid();
#endif
    world_ = mpi::Comm();
    if (finalize_) {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Finalize();
    }
}

double Runtime::elapsed() const { return MPI_Wtime() - start_; }

std::string Runtime::layout_report() const {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    std::ostringstream line;
    line << "  rank " << rank() << " on " << host << ": " << threads_ << " thread"
         << (threads_ == 1 ? "" : "s") << ", cpus " << cpu_list()
         << ", OMP_PROC_BIND=" << proc_bind_name(omp_get_proc_bind());
    // mpirun binds each rank to one core by default (np <= 2): T threads then share it.
    const int cpus = cpu_count();
    if (cpus > 0 && threads_ > cpus)
        line << "\n  warning: rank " << rank() << " runs " << threads_ << " threads on " << cpus << " cpu"
             << (cpus == 1 ? "" : "s") << " (give it T cores: mpirun --map-by slot:PE=T, or --bind-to none)";
    const auto lines = mpi::gather(world_, line.str(), 0);
    // Threads per host against the host's hardware threads: oversubscription makes OpenMP
    // barriers spin against each other and can cost orders of magnitude.
    const std::string usage = std::string(host) + ' ' + std::to_string(threads_) + ' ' +
                              std::to_string(std::thread::hardware_concurrency());
    const auto usages = mpi::gather(world_, usage, 0);
    if (rank() != 0) return {};
    std::ostringstream os;
    os << "layout: " << size() << " rank" << (size() == 1 ? "" : "s") << " x " << threads_
       << " thread" << (threads_ == 1 ? "" : "s") << " (MPI thread level " << thread_level_
       << ")\n";
    for (const auto& l : lines) os << l << '\n';
    std::map<std::string, std::pair<long, long>> per_host;  // threads used, hardware threads
    for (const auto& u : usages) {
        std::istringstream in(u);
        std::string h;
        long t = 0, hw = 0;
        in >> h >> t >> hw;
        per_host[h].first += t;
        per_host[h].second = hw;
    }
    for (const auto& [h, use] : per_host)
        if (use.second > 0 && use.first > use.second)
            os << "  warning: " << use.first << " threads on " << use.second << " hardware threads of " << h
               << ": oversubscribed (set OMP_NUM_THREADS, or give each rank T cores with mpirun's map-by slot:PE=T)\n";
    return os.str();
}

int run_guarded(Runtime& runtime, const std::function<int()>& body) {
    try {
        return body();
    } catch (const ExitRequest& e) {
        return e.code;
    } catch (const CollectiveError& e) {
        if (runtime.rank() == 0) {
            std::fflush(stdout);
            std::cerr << runtime.app_name() << ": error: " << e.what() << std::endl;
        }
        return e.exit_code();
    } catch (const std::exception& e) {
        std::fflush(stdout);
        std::cerr << "[rank " << runtime.rank() << "] fatal: " << e.what() << std::endl;
    } catch (...) {
        std::fflush(stdout);
        std::cerr << "[rank " << runtime.rank() << "] fatal: unknown exception" << std::endl;
    }
    // Peers may be waiting in a collective this rank will never enter: end them all now.
    MPI_Abort(MPI_COMM_WORLD, 1);
    return 1;
}

}  // namespace tessera
