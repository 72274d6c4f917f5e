"""summary.json of apps.filter.config_file: the chain as run, the image sizes and the rate."""
import json

s = json.load(open("coffee-edges.png.summary.json"))
assert s["app"] == "filter", s["app"]
assert s["chain"][0].startswith("gaussian:sigma=1.5") and s["chain"][1].startswith("sobel:output=magnitude"), s["chain"]
assert s["input"]["width"] == 600 and s["input"]["height"] == 400 and s["input"]["channels"] == 3, s["input"]
assert s["input"]["pixel"] == "uint8" and s["output"]["format"].lower() == "png", s
assert s["rate"]["unit"] == "pixels/s" and s["rate"]["value"] > 0, s["rate"]
assert s["ranks"] == 2 and s["threads"] == 2, s
assert sum(s["bytes_read"]) == 600 * 400 * 3, s["bytes_read"]
print("summary ok:", s["chain"], s["rate"])
