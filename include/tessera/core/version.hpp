// Version information: tessera's own (git describe at build time) and its dependencies'.
#pragma once

#include <string>

namespace tessera {

/// Local: tessera's version, e.g. "0.1.0+v0.1.0-12-gabc1234".
std::string version();
/// Local: a multi-line report: tessera, MPI library, HDF5, Eigen, compiler.
std::string version_report();

}  // namespace tessera
