# tessera-filter: OpenCV's pixels, the same bits on every layout, tiles of big HDF5 images, and
# every bad-input path (exit 2, one line naming the file or option, nothing written).
if(TARGET tessera-filter)
  set(filter $<TARGET_FILE:tessera-filter>)
  set(images ${PROJECT_SOURCE_DIR}/data/images)
  set(bad ${PROJECT_SOURCE_DIR}/data/tests/filter)
  if(TESSERA_SANITIZE)
    set(filter_mode --quick)  # every run is several times slower under the sanitizers
  endif()

  foreach(kind u8-gray u8-rgb u16-gray)
    add_test(NAME apps.filter.opencv.${kind}
             COMMAND ${TESSERA_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/filter_opencv.py ${filter} ${MPIEXEC_EXECUTABLE}
                     ${PROJECT_SOURCE_DIR}/data ${kind} ${filter_mode})
    set_tests_properties(apps.filter.opencv.${kind} PROPERTIES TIMEOUT 600 PROCESSORS 2 LABELS "app;filter"
                         ENVIRONMENT "${TESSERA_MPI_TEST_ENV}")
  endforeach()
  foreach(border reflect101 reflect replicate constant wrap)
    add_test(NAME apps.filter.layouts.${border}
             COMMAND ${TESSERA_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/filter_layouts.py ${filter} ${MPIEXEC_EXECUTABLE}
                     ${border} ${filter_mode})
    set_tests_properties(apps.filter.layouts.${border} PROPERTIES TIMEOUT 600 PROCESSORS 4 LABELS "app;filter"
                         ENVIRONMENT "${TESSERA_MPI_TEST_ENV}")
  endforeach()
  add_test(NAME apps.filter.hdf5_tiles
           COMMAND ${TESSERA_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/filter_tiles.py ${filter} ${MPIEXEC_EXECUTABLE})
  set_tests_properties(apps.filter.hdf5_tiles PROPERTIES TIMEOUT 300 PROCESSORS 4 LABELS "app;filter;io"
                       ENVIRONMENT "${TESSERA_MPI_TEST_ENV}")

  # Frames: batches through the task queue, videos, streams, kill -9 and --resume, bad input.
  add_test(NAME apps.filter.frames
           COMMAND ${TESSERA_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/filter_frames.py ${filter} ${MPIEXEC_EXECUTABLE}
                   ${filter_mode})
  set_tests_properties(apps.filter.frames PROPERTIES TIMEOUT 600 PROCESSORS 4 LABELS "app;filter;io;tasks"
                       ENVIRONMENT "${TESSERA_MPI_TEST_ENV}")

  # A chain from a TOML file, the command line overriding it; the summary records the chain.
  tessera_add_app_test(NAME apps.filter.config_file NP 2 THREADS 2 LABELS filter
    FILES coffee-edges.png coffee-edges.png.summary.json
    STDOUT "chain: gaussian:sigma=1.5.* -> sobel:output=magnitude" "megapixels/s" "filter.gaussian" "filter.halo"
    CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/filter_summary_check.py
    COMMAND ${filter} --config ${PROJECT_SOURCE_DIR}/data/filter/edges.toml --input ${images}/coffee.png)
  # Default output folder: the image under the input's name, and summary.json.
  tessera_add_app_test(NAME apps.filter.output_folder NP 1 LABELS filter
    FILES out/filter/camera.png out/filter/summary.json
    COMMAND ${filter} --input ${images}/camera.png --filter median --radius 2)
  tessera_add_app_test(NAME apps.filter.kernel_file NP 2 LABELS filter FILES sharp.png
    STDOUT "chain: kernel:values=0 -1 0.-1 5 -1.0 -1 0"
    COMMAND ${filter} --input ${images}/camera.png --filter kernel --kernel ${bad}/sharpen.txt --output sharp.png)
  tessera_add_app_test(NAME apps.filter.benchmark NP 2 LABELS filter FILES b.h5.summary.json
    STDOUT "megapixels/s" "memory-bandwidth bound: [0-9.]+ bytes per pixel .* GB/s \\(same run\\)"
    COMMAND ${filter} --input ${images}/camera.png --filter box:radius=2 --benchmark --repetitions 3 --output b.h5)
  # --sigma and --radius are the defaults of the stages that take them: the chain as run says so.
  tessera_add_app_test(NAME apps.filter.stage_defaults NP 1 LABELS filter FILES d.png
    STDOUT "chain: gaussian:sigma=2,radius=0 -> median:radius=2 -> gaussian:sigma=0.5,radius=0 -> box:radius=2;"
    COMMAND ${filter} --input ${images}/camera.png --sigma 2 --radius 2 --filter gaussian --filter median
            --filter gaussian:sigma=0.5 --filter box --output d.png)
  tessera_add_app_test(NAME apps.filter.help NP 1 LABELS filter
    STDOUT "--filter" "--border" "--sigma" "--radius" "--kernel" "--procs" "--benchmark"
           "gaussian.*sigma" "box.*radius" "sobel.*output" "laplacian.*ksize" "unsharp.*amount" "median.*radius"
           "kernel.*values"
    COMMAND ${filter} --help)

  # Bad input: exit 2, exactly one error line naming the file or option, no output at all.
  # The default output folder must not appear; cases that name an output file run in a folder
  # that holds an empty out/ (filter_bad_file) and check that the file did not appear in it.
  function(filter_bad name regex)
    tessera_add_app_test(NAME apps.filter.bad_${name} NP 2 EXIT 2 NO_OUTPUT out LABELS filter
      STDERR_COUNT "^tessera-filter: error: ${regex}=1" "error:=1" COMMAND ${filter} ${ARGN})
  endfunction()
  function(filter_bad_file name file regex)
    tessera_add_app_test(NAME apps.filter.bad_${name} NP 2 EXIT 2 NO_OUTPUT ${file} LABELS filter
      SETUP_FILES out/.keep STDERR_COUNT "^tessera-filter: error: ${regex}=1" "error:=1"
      COMMAND ${filter} ${ARGN} --output ${file})
  endfunction()
  filter_bad(missing_input ".*nope\\.png.*" --input nope.png --filter gaussian)
  filter_bad(truncated ".*truncated\\.png.*(truncated|corrupt).*" --input ${bad}/truncated.png --filter gaussian)
  filter_bad(corrupt ".*corrupt\\.png.*(truncated|corrupt).*" --input ${bad}/corrupt.png --filter gaussian)
  filter_bad(unsupported_format ".*image\\.gif.*not an image in a supported format.*" --input ${bad}/image.gif)
  filter_bad(unsupported_pixel ".*int32\\.h5.*int32.*" --input ${bad}/int32.h5 --filter box)
  filter_bad(sigma_zero "--sigma.*" --input ${images}/camera.png --filter gaussian --sigma 0)
  filter_bad(sigma_negative "--filter gaussian:sigma=-1: gaussian: sigma = -1 must be > 0"
             --input ${images}/camera.png --filter gaussian:sigma=-1)
  filter_bad(even_kernel "--kernel .*kernel_even\\.txt: kernel: 2 x 2 weights: sides must be odd"
             --input ${images}/camera.png --filter kernel --kernel ${bad}/kernel_even.txt)
  filter_bad(oversized_kernel "--filter kernel:values=.*: kernel: .*larger than 31 x 31.*"
             --input ${images}/camera.png
             "--filter=kernel:values=1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1")
  filter_bad(kernel_file_ragged "--kernel .*kernel_ragged\\.txt: kernel: row 2 has 2 weights, row 1 has 3"
             --input ${images}/camera.png --filter kernel --kernel ${bad}/kernel_ragged.txt)
  filter_bad(kernel_file_missing "--kernel nokernel\\.txt: cannot read the file.*"
             --input ${images}/camera.png --filter kernel --kernel nokernel.txt)
  filter_bad(unknown_filter "--filter blurr: unknown filter 'blurr'.*" --input ${images}/camera.png --filter blurr)
  filter_bad_file(unknown_extension out/x.xyz "--output out/x\\.xyz: unknown image extension '\\.xyz'.*"
                  --input ${images}/camera.png --filter box)
  filter_bad(missing_folder "--output out/nodir/x\\.png: folder out/nodir does not exist"
             --input ${images}/camera.png --filter box --output out/nodir/x.png)
  filter_bad_file(jpeg_16bit out/x.jpg "--output out/x\\.jpg: .*cannot store 1-channel .*16.* pixels"
                  --input ${bad}/gray16.png --filter box)
  # A corrupt input with a named output file: the file must not appear.
  filter_bad_file(truncated_to_file out/x.png ".*truncated\\.png.*(truncated|corrupt).*"
                  --input ${bad}/truncated.png --filter gaussian)
  filter_bad(bad_border "--border: .*" --input ${images}/camera.png --border mirror)
  filter_bad(bad_procs "--procs.*" --input ${images}/camera.png --procs 3 1)
endif()

# docs/filter.md's commands, as a user would type them.
if(TARGET tessera-filter)
  add_test(NAME docs.filter COMMAND ${TESSERA_PYTHON} ${PROJECT_SOURCE_DIR}/tests/support/run_doc_commands.py
                                    ${PROJECT_SOURCE_DIR}/docs/filter.md ${PROJECT_SOURCE_DIR}
                                    $<TARGET_FILE_DIR:tessera-filter>)
  set_tests_properties(docs.filter PROPERTIES TIMEOUT 300 PROCESSORS 2 LABELS "docs;app;filter"
                       ENVIRONMENT "${TESSERA_MPI_TEST_ENV}")
endif()
