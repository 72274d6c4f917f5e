# Helpers shared by every module, app and test: warnings, sanitizers, module targets.

# Sanitizers apply to everything built here (library, tests, apps) so that reports are complete.
if(TESSERA_SANITIZE)
  string(REPLACE "," ";" _tessera_sanitizers "${TESSERA_SANITIZE}")
  foreach(s IN LISTS _tessera_sanitizers)
    add_compile_options(-fsanitize=${s})
    add_link_options(-fsanitize=${s})
  endforeach()
  add_compile_options(-fno-omit-frame-pointer -fno-sanitize-recover=undefined)
endif()

# Warnings and CPU tuning on tessera's own targets only (never on users' targets).
function(tessera_target_options target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow>
    # Same bits for any layout and between kernels and their _ref twins: no FMA contraction.
    $<$<COMPILE_LANGUAGE:CXX>:-ffp-contract=off>)
  if(TESSERA_NATIVE)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
  endif()
endfunction()

# The module DAG (DESIGN.md section 2): the tessera modules each one may link. A module that
# names any other fails to configure, so the layering cannot erode one link at a time;
# tests/layering_check.cmake checks the #include lines the same way.
set(TESSERA_MODULE_DEPS_core "")
set(TESSERA_MODULE_DEPS_grid core)
set(TESSERA_MODULE_DEPS_stencil core grid)
set(TESSERA_MODULE_DEPS_linalg core)
set(TESSERA_MODULE_DEPS_multigrid core grid stencil linalg)
set(TESSERA_MODULE_DEPS_montecarlo core grid)
set(TESSERA_MODULE_DEPS_io core grid linalg)
# tasks writes its journal through io's AtomicFile (the one atomic-replace in the library).
set(TESSERA_MODULE_DEPS_tasks core io)
set(TESSERA_MODULE_DEPS_run core grid stencil linalg montecarlo io tasks)

# tessera_add_module(<name> SOURCES ... [DEPS <targets>...] [PRIVATE_DEPS <targets>...])
# Creates tessera_<name> with alias tessera::<name>, exported as tessera::<name>.
function(tessera_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  if(NOT DEFINED TESSERA_MODULE_DEPS_${name})
    message(FATAL_ERROR "tessera module '${name}' is not in the module DAG (cmake/TesseraHelpers.cmake)")
  endif()
  foreach(dep IN LISTS ARG_DEPS ARG_PRIVATE_DEPS)
    if(dep MATCHES "^tessera::(.+)$" AND NOT CMAKE_MATCH_1 IN_LIST TESSERA_MODULE_DEPS_${name})
      message(FATAL_ERROR "tessera module '${name}' may not link ${dep}: it may use only "
                          "'${TESSERA_MODULE_DEPS_${name}}' (DESIGN.md section 2)")
    endif()
  endforeach()
  set(target tessera_${name})
  add_library(${target} ${ARG_SOURCES})
  add_library(tessera::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME tessera_${name}
                                             POSITION_INDEPENDENT_CODE ON)
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  tessera_target_options(${target})
  install(TARGETS ${target} EXPORT tesseraTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endfunction()

# tessera_add_app(<name> SOURCES ...): builds and installs tessera-<name> from public headers.
function(tessera_add_app name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  set(target tessera-${name})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE tessera::tessera ${ARG_DEPS})
  tessera_target_options(${target})
  install(TARGETS ${target} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()
