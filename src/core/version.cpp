// Version report: tessera and the libraries it was built with.
#include "tessera/core/version.hpp"

#include <mpi.h>

#include <sstream>

namespace tessera {

namespace detail {
extern const char* const git_describe;  // generated at build time (cmake/GitVersion.cmake)
}

std::string version() { return detail::git_describe; }

std::string version_report() {
    char lib[MPI_MAX_LIBRARY_VERSION_STRING] = {};
    int len = 0;
    MPI_Get_library_version(lib, &len);
    std::string mpi(lib, static_cast<std::size_t>(len));
    mpi = mpi.substr(0, mpi.find_first_of(",\n"));
    int major = 0, minor = 0;
    MPI_Get_version(&major, &minor);
    std::ostringstream os;
    os << "tessera " << version() << "\n"
       << "  MPI:      " << mpi << " (MPI " << major << '.' << minor << ")\n"
       << "  HDF5:     " << TESSERA_HDF5_VERSION << " (parallel)\n"
       << "  Eigen:    " << TESSERA_EIGEN_VERSION << "\n"
       << "  compiler: " << __VERSION__ << ", C++ " << __cplusplus << "\n";
    return os.str();
}

}  // namespace tessera
