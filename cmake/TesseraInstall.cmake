# Install headers, libraries, the export set, a relocatable package config for
# find_package(tessera) and a relocatable tessera.pc for pkg-config.
include(CMakePackageConfigHelpers)

set(TESSERA_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tessera)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tessera DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT tesseraTargets NAMESPACE tessera:: FILE tesseraTargets.cmake
        DESTINATION ${TESSERA_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tesseraConfig.cmake.in
  ${PROJECT_BINARY_DIR}/tesseraConfig.cmake
  INSTALL_DESTINATION ${TESSERA_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tesseraConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tesseraConfig.cmake ${PROJECT_BINARY_DIR}/tesseraConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/TesseraFindOTF2.cmake
              ${PROJECT_SOURCE_DIR}/cmake/TesseraFindLikwid.cmake
        DESTINATION ${TESSERA_CMAKE_DIR})

# --- tessera.pc -----------------------------------------------------------------------------
# The libraries are static, so Libs lists every library the modules link (resolved here by
# find_package, so the file matches this build) after tessera's own, most dependent first.
# MPI is left to the compiler wrapper (mpicxx), which is how MPI codes are compiled.
function(_tessera_pc_include_dirs out)
  set(dirs)
  foreach(t IN LISTS ARGN)
    if(TARGET ${t})
      get_target_property(d ${t} INTERFACE_INCLUDE_DIRECTORIES)
      if(d)
        list(APPEND dirs ${d})
      endif()
    endif()
  endforeach()
  set(${out} ${dirs} PARENT_SCOPE)
endfunction()

set(_pc_modules ${TESSERA_PRESENT_MODULES})
list(REVERSE _pc_modules)
set(TESSERA_PC_LIBS)
foreach(m IN LISTS _pc_modules)
  string(APPEND TESSERA_PC_LIBS " -ltessera_${m}")
endforeach()
set(_pc_deps ${HDF5_C_LIBRARIES})
if(TESSERA_LIKWID)
  list(APPEND _pc_deps ${TESSERA_LIKWID_LIBRARY})
endif()
if("io" IN_LIST TESSERA_PRESENT_MODULES)
  list(APPEND _pc_deps ${PNG_LIBRARIES} ${TIFF_LIBRARIES} ${TESSERA_FFMPEG_LINK_LIBRARIES}
       ${TESSERA_OTF2_LINK_LIBRARIES} ${TESSERA_OTF2_LIBRARY})
endif()
if(TARGET tomlplusplus::tomlplusplus)
  get_target_property(_toml_type tomlplusplus::tomlplusplus TYPE)
  if(NOT _toml_type STREQUAL "INTERFACE_LIBRARY")
    get_target_property(_toml_loc tomlplusplus::tomlplusplus LOCATION)
    list(APPEND _pc_deps ${_toml_loc})
  endif()
endif()
if("linalg" IN_LIST TESSERA_PRESENT_MODULES)
  list(APPEND _pc_deps ${BLAS_LIBRARIES})
endif()
foreach(lib IN LISTS _pc_deps)
  if(IS_ABSOLUTE "${lib}" OR lib MATCHES "^-")
    string(APPEND TESSERA_PC_LIBS " ${lib}")
  else()
    string(APPEND TESSERA_PC_LIBS " -l${lib}")
  endif()
endforeach()
string(APPEND TESSERA_PC_LIBS " ${OpenMP_CXX_FLAGS}")

_tessera_pc_include_dirs(_pc_incs Eigen3::Eigen CLI11::CLI11 nlohmann_json::nlohmann_json)
list(APPEND _pc_incs ${HDF5_C_INCLUDE_DIRS} ${RANDOM123_INCLUDE_DIR})
list(REMOVE_DUPLICATES _pc_incs)
set(TESSERA_PC_CFLAGS "${OpenMP_CXX_FLAGS}")
foreach(d IN LISTS _pc_incs)
  if(NOT d IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES AND NOT d MATCHES "^\\$<")
    string(APPEND TESSERA_PC_CFLAGS " -I${d}")
  endif()
endforeach()
string(REPLACE ";" " " TESSERA_PC_MODULES "${TESSERA_PRESENT_MODULES}")
# From <prefix>/<libdir>/pkgconfig back up to <prefix>, so the file stays valid when moved.
file(RELATIVE_PATH TESSERA_PC_UP /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(${PROJECT_SOURCE_DIR}/cmake/tessera.pc.in ${PROJECT_BINARY_DIR}/tessera.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tessera.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
