"""pvbatch script: renders the field "u" of tessera XDMF files to PNG, as a ParaView user sees it.

Usage: pvbatch paraview_render.py FILE.xdmf OUT_PREFIX STEPS [FILE.xdmf OUT_PREFIX STEPS ...]
STEPS is a comma-separated list of time-step indices or "last". Writes OUT_PREFIX_<index>.png
for each (400 x 300, white background, surface coloured by u rescaled to that step's range)
and prints "range OUT_PREFIX_<index> MIN MAX" of the u that ParaView read. One pvbatch for several files: it starts slowly.
"""
import sys

from paraview.simple import ColorBy, CreateView, Delete, Render, SaveScreenshot, Show, XDMFReader


def render(xdmf, prefix, steps):
    reader = XDMFReader(FileNames=[xdmf])
    reader.UpdatePipelineInformation()
    times = list(reader.TimestepValues) if reader.TimestepValues else [0.0]
    indices = [len(times) - 1] if steps == "last" else [int(s) for s in steps.split(",")]
    print(f"{xdmf}: {len(times)} time step(s)")
    view = CreateView("RenderView")
    view.ViewSize = [400, 300]
    view.OrientationAxesVisibility = 0
    if hasattr(view, "UseColorPaletteForBackground"):  # 5.10+: else the palette wins
        view.UseColorPaletteForBackground = 0
    view.Background = [1.0, 1.0, 1.0]
    shown = Show(reader, view)
    shown.SetRepresentationType("Surface")  # image data defaults to an outline
    ColorBy(shown, ("POINTS", "u"))
    bounds = reader.GetDataInformation().GetBounds()
    view.ResetCamera()
    if bounds[4] != bounds[5]:  # a 3D block: look at it from a corner so three faces show
        view.GetActiveCamera().Azimuth(30)
        view.GetActiveCamera().Elevation(30)
        view.ResetCamera()
    for i in indices:
        view.ViewTime = times[i]
        reader.UpdatePipeline(times[i])
        shown.RescaleTransferFunctionToDataRange(False, True)
        u = reader.PointData["u"] if "u" in reader.PointData.keys() else None
        lo, hi = u.GetRange() if u else (float("nan"), float("nan"))
        print(f"range {prefix}_{i} {lo!r} {hi!r} (time {times[i]})")
        Render(view)
        SaveScreenshot(f"{prefix}_{i}.png", view, ImageResolution=[400, 300])
    Delete(shown)
    Delete(view)


args = sys.argv[1:]
if not args or len(args) % 3:
    sys.exit(__doc__)
for k in range(0, len(args), 3):
    render(*args[k:k + 3])
