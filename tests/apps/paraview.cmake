# Real client: ParaView 5.11's pvbatch renders tessera-heat's XDMF (2D, 3D and a 2D snapshot
# series) under a virtual X server, and the pictures and the values ParaView read are checked.
find_program(TESSERA_PVBATCH pvbatch)
find_program(TESSERA_XVFB_RUN xvfb-run)
if(TARGET tessera-heat AND TESSERA_PVBATCH AND TESSERA_XVFB_RUN)
  tessera_add_app_test(NAME apps.paraview.render_heat NP 0 LABELS io TIMEOUT 240
    COMMAND ${TESSERA_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/paraview_check.py $<TARGET_FILE:tessera-heat>
            ${MPIEXEC_EXECUTABLE})
elseif(TARGET tessera-heat)
  message(WARNING "pvbatch or xvfb-run not found (Debian: paraview python3-paraview xvfb): "
                  "apps.paraview.render_heat is not registered")
endif()
