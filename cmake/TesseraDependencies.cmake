# Every dependency comes from a Debian package through find_package; nothing is downloaded.

find_package(MPI 3.1 REQUIRED COMPONENTS C CXX)
find_package(OpenMP REQUIRED COMPONENTS CXX)

set(HDF5_PREFER_PARALLEL ON)
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR
    "Tessera needs a parallel (MPI) build of HDF5, but the HDF5 found is serial "
    "(${HDF5_C_INCLUDE_DIRS}). On Debian: apt-get install libhdf5-openmpi-dev, "
    "or point HDF5_ROOT at a parallel HDF5.")
endif()

find_package(Eigen3 3.4 REQUIRED NO_MODULE)
set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(tomlplusplus 3 REQUIRED)

# Random123 is header-only and ships no CMake config.
find_path(RANDOM123_INCLUDE_DIR Random123/philox.h REQUIRED)
if(NOT TARGET tessera_random123)
  add_library(tessera_random123 INTERFACE IMPORTED)
  target_include_directories(tessera_random123 SYSTEM INTERFACE ${RANDOM123_INCLUDE_DIR})
endif()

# stb (PNG writer, JPEG/BMP codecs) is header-only as well.
find_path(STB_INCLUDE_DIR stb/stb_image_write.h REQUIRED)
# Image files (io/image.hpp): libpng reads and writes PNG (8 and 16 bit), libtiff TIFF.
find_package(PNG REQUIRED)
find_package(TIFF REQUIRED)
# Video files (io/video.hpp): FFmpeg's libraries ship pkg-config files, no CMake config.
# PkgConfig::TESSERA_FFMPEG: a prefix of our own, so a user's pkg_check_modules(FFMPEG ...)
# never collides with it in a consumer project (tesseraConfig.cmake finds it again).
find_package(PkgConfig REQUIRED)
pkg_check_modules(TESSERA_FFMPEG REQUIRED IMPORTED_TARGET libavformat libavcodec libswscale libavutil)
# OTF2 trace archives (io/trace_writer.hpp): Debian's libotf2 ships a pkg-config file; without
# one, the header and library are found directly. tessera_otf2 is what the io module links
# (tesseraConfig.cmake makes it again for consumers: the libraries are static).
include(${CMAKE_CURRENT_LIST_DIR}/TesseraFindOTF2.cmake)
if(NOT TARGET tessera_otf2)
  message(FATAL_ERROR "OTF2 (otf2/otf2.h, libotf2) not found; on Debian: apt-get install libopen-trace-format2-dev")
endif()
# likwid's marker API (profiler hooks, core/likwid_hooks.cpp): required by TESSERA_LIKWID;
# otherwise, when installed, its smoke test keeps the hooks compiling against Debian's likwid.
include(${CMAKE_CURRENT_LIST_DIR}/TesseraFindLikwid.cmake)
if(TESSERA_LIKWID AND NOT TARGET tessera_likwid)
  message(FATAL_ERROR "TESSERA_LIKWID: likwid (likwid-marker.h, liblikwid) not found; on Debian: apt-get install likwid")
endif()

if(TESSERA_BUILD_TESTS)
  find_package(GTest REQUIRED)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
endif()
if(TESSERA_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
