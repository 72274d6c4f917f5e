# Makes the INTERFACE IMPORTED target tessera_likwid (likwid's marker API: likwid-marker.h,
# liblikwid, with LIKWID_PERFMON defined so its macros are live) when likwid is installed.
# Included by the build (TesseraDependencies.cmake) and, for a TESSERA_LIKWID build, by the
# installed tesseraConfig.cmake.
if(NOT TARGET tessera_likwid)
  find_path(TESSERA_LIKWID_INCLUDE_DIR likwid-marker.h)
  find_library(TESSERA_LIKWID_LIBRARY NAMES likwid)
  if(TESSERA_LIKWID_INCLUDE_DIR AND TESSERA_LIKWID_LIBRARY)
    add_library(tessera_likwid INTERFACE IMPORTED)
    target_include_directories(tessera_likwid SYSTEM INTERFACE ${TESSERA_LIKWID_INCLUDE_DIR})
    target_link_libraries(tessera_likwid INTERFACE ${TESSERA_LIKWID_LIBRARY})
    target_compile_definitions(tessera_likwid INTERFACE LIKWID_PERFMON)
  endif()
endif()
