"""Sweeps on the original photo (``--transform-space photo``) against a numpy/Pillow reference: the photo rotated
or cropped-and-resized at its own 451 x 300 size with the sampler's rules, rounded to 8 bits, then run in-process
(``simlay activations --image``, the same squash); tracking through the same geometry. And several sweeps in one
chart: ``simlay sweep`` over two images, and ``simlay.sweep_chart`` in the Python client.
"""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from PIL import Image

from daemon_support import (KNOWN_LAYERS, assert_ok, assert_one_line_error, decode_png, reference_map, run_cli,
                            working_tree_package)

LAYER = "blocks.10"
H, W = KNOWN_LAYERS[LAYER][1:]
PALETTE = [(230, 171, 2), (31, 119, 180), (214, 39, 40)]  # LineChart.palette's first three


@pytest.fixture(scope="module")
def chelsea(photos):
    return photos["chelsea"]


@pytest.fixture(scope="module")
def mean_pixel(daemon):
    info = [m for m in daemon.client().list_models().models if m.name == "efficientnet-lite0"][0]
    return np.array(info.mean, dtype=np.float64)


def sample(photo: np.ndarray, sy: np.ndarray, sx: np.ndarray, fill) -> np.ndarray:
    """[C,H,W] sampled at source points (sy, sx) (float64 [H,W]) with the daemon's sampler rules: TensorFlow's
    crop_and_resize edges (outside [0, H-1] x [0, W-1] takes ``fill``), blends in float32 as it computes them.
    float32 matters: zooming by 1.5 puts many blends exactly on .5, where float64 would round 28702 of the
    photo's values the other way."""
    c, h, w = photo.shape
    inside = (sy >= 0) & (sy <= h - 1) & (sx >= 0) & (sx <= w - 1)
    y0, x0 = np.floor(sy[inside]).astype(int), np.floor(sx[inside]).astype(int)
    y1, x1 = np.ceil(sy[inside]).astype(int), np.ceil(sx[inside]).astype(int)
    fy, fx = (sy[inside] - y0).astype(np.float32), (sx[inside] - x0).astype(np.float32)
    out = np.empty(sy.shape + (c,), dtype=np.float32)
    out[...] = np.asarray(fill, dtype=np.float32)
    p = photo.astype(np.float32)
    top = p[:, y0, x0] + (p[:, y0, x1] - p[:, y0, x0]) * fx
    bottom = p[:, y1, x0] + (p[:, y1, x1] - p[:, y1, x0]) * fx
    out[inside] = (top + (bottom - top) * fy).T
    return out.transpose(2, 0, 1)


def rotate_photo(photo: np.ndarray, degrees: float, fill) -> np.ndarray:
    """[C,H,W] turned counterclockwise (as displayed) about ((W-1)/2, (H-1)/2)."""
    _, h, w = photo.shape
    a = math.radians(degrees)
    cos, sin = math.cos(a), math.sin(a)
    if degrees % 90 == 0:  # exact quarter turns, as RotationAngle
        cos, sin = round(cos), round(sin)
    oy, ox = np.mgrid[0:h, 0:w].astype(np.float64)
    dy, dx = oy - (h - 1) / 2, ox - (w - 1) / 2
    return sample(photo, (h - 1) / 2 + dx * sin + dy * cos, (w - 1) / 2 + dx * cos - dy * sin, fill)


def scale_photo(photo: np.ndarray, scale: float, fill) -> np.ndarray:
    """TensorFlow's crop_and_resize of the centred box of side 1/scale, to the photo's own size."""
    _, h, w = photo.shape
    b0, b1 = 0.5 - 0.5 / scale, 0.5 + 0.5 / scale
    ys = b0 * (h - 1) + np.arange(h) * ((b1 - b0) * (h - 1) / (h - 1))
    xs = b0 * (w - 1) + np.arange(w) * ((b1 - b0) * (w - 1) / (w - 1))
    sy, sx = np.meshgrid(ys, xs, indexing="ij")
    return sample(photo, sy, sx, fill)


def reference_acts(planes: np.ndarray, tmp_path) -> np.ndarray:
    """Rounds [3,H,W] pixel values half away from zero to 8 bits, saves the PNG and runs it in-process."""
    pixels = np.clip(np.floor(planes.astype(np.float64) + 0.5), 0, 255).astype(np.uint8).transpose(1, 2, 0)
    Image.fromarray(pixels).save(tmp_path / "ref.png")
    assert_ok(run_cli(["activations", "--image", tmp_path / "ref.png", "--layer", LAYER, "--out", tmp_path / "acts"]))
    return np.load(tmp_path / "acts" / f"{LAYER}.npy")[0]


def photo_sweep(daemon, tmp_path, photo, kind, param, queries):
    """``simlay sweep KIND --transform-space photo`` with --json; the document."""
    flag = "--angles" if kind == "rotate" else "--scales"
    out = tmp_path / "p.json"
    args = ["sweep", kind, "--layer", LAYER, flag, str(param), "--transform-space", "photo", "--json", out]
    for q in queries:
        args += ["--query", q]
    assert_ok(daemon.cli(*args, photo))
    return json.loads(out.read_text())


@pytest.mark.parametrize("kind,param", [("rotate", 30.0), ("rotate", 90.0), ("scale", 1.5), ("scale", 0.7)])
def test_photo_space_matches_numpy_and_pillow(daemon, tmp_path, chelsea, mean_pixel, kind, param):
    photo = np.asarray(Image.open(chelsea).convert("RGB"), dtype=np.float64).transpose(2, 0, 1)
    ph, pw = photo.shape[1:]
    doc = photo_sweep(daemon, tmp_path, chelsea, kind, param, ["0:5,5", "0@300.5,60.2"])
    assert doc["transform_space"] == "photo"
    if kind == "rotate":
        transformed = rotate_photo(photo, param, mean_pixel)
    else:
        transformed = scale_photo(photo, param, mean_pixel)
    acts = reference_acts(transformed, tmp_path)
    (tmp_path / "plain").mkdir()
    untransformed = reference_acts(photo, tmp_path / "plain")
    maps = np.array(doc["steps"][0]["maps"], dtype=np.float32)
    for q, cell in enumerate([(5, 5), (int(60.2 * H / ph), int(300.5 * W / pw))]):
        expected = reference_map(untransformed[:, cell[0], cell[1]].astype(np.float64), acts, "cosine")
        np.testing.assert_allclose(maps[q], expected, rtol=0, atol=1e-5, err_msg=f"{kind} {param} query {q}")
    # Tracking: the pixel moves on the photo, then the squash takes it to its cell.
    cy, cx = ph / 2, pw / 2
    for q, (py, px) in enumerate([(5.5 * ph / H, 5.5 * pw / W), (60.2, 300.5)]):
        if kind == "rotate":
            a = math.radians(param)
            s, c = (1.0, 0.0) if param == 90 else (math.sin(a), math.cos(a))
            dy, dx = py - cy, px - cx
            ty, tx = cy - dx * s + dy * c, cx + dx * c + dy * s
        else:
            ty, tx = cy + param * (py - cy), cx + param * (px - cx)
        t = doc["steps"][0]["tracked"][q]
        assert (t["y"], t["x"]) == (math.floor(ty * H / ph), math.floor(tx * W / pw)), (q, t)
        assert abs(t["point_y"] - (ty * H / ph - 0.5)) < 1e-9 and abs(t["point_x"] - (tx * W / pw - 0.5)) < 1e-9


def test_photo_space_differs_from_input_space_on_a_non_square_photo(daemon, tmp_path, chelsea):
    photo = photo_sweep(daemon, tmp_path, chelsea, "rotate", 90, ["0:5,5"])
    out = tmp_path / "i.json"
    assert_ok(daemon.cli("sweep", "rotate", "--layer", LAYER, "--angles", "90", "--query", "0:5,5", "--json", out,
                         chelsea))
    plain = json.loads(out.read_text())
    assert plain["transform_space"] == "input"
    difference = np.abs(np.array(photo["steps"][0]["maps"]) - np.array(plain["steps"][0]["maps"])).max()
    assert difference > 0.05, "a quarter turn of the 451 x 300 photo is not one of the squashed square"
    zero = photo_sweep(daemon, tmp_path, chelsea, "rotate", 0, ["0:5,5"])
    assert abs(zero["steps"][0]["tracked"][0]["similarity"] - 1) < 1e-3, "angle 0 is the untransformed photo"


def palette_pixels(image: np.ndarray, color) -> int:
    return int((np.abs(image.astype(int) - color).sum(axis=2) <= 6).sum())


def test_several_images_in_one_chart_csv_and_json(daemon, tmp_path, photos):
    chart, table, doc_path, strip = (tmp_path / n for n in ("c.png", "s.csv", "s.json", "strip.png"))
    assert_ok(daemon.cli("sweep", "rotate", "--layer", LAYER, "--angles", "0:90:30", "--query", "0:5,5",
                         "--query", "1@300,200", "--query", "0:2,2-4,4", "--label", "cat", "--chart", chart,
                         "--csv", table, "--json", doc_path, "--out", strip, "--tile-size", "64",
                         photos["chelsea"], photos["coffee"]))
    image = decode_png(chart.read_bytes())
    for color in PALETTE:
        assert palette_pixels(image, color) > 20, f"a line in {color}: all three queries of both images in one chart"
    with open(table, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 * 4
    assert {(r["query"], r["label"], r["spec"]) for r in rows} == {("0", "cat", "0:5,5"), ("1", "q1", "1@300,200"),
                                                                  ("2", "q2", "0:2,2-4,4")}
    doc = json.loads(doc_path.read_text())
    assert [d["image"].endswith(n) for d, n in zip(doc["sweeps"], ("chelsea.png", "coffee.png"))] == [True, True]
    assert [[q["index"] for q in d["queries"]] for d in doc["sweeps"]] == [[0, 2], [1]]
    assert (tmp_path / "strip-0.png").stat().st_size > 0 and (tmp_path / "strip-1.png").stat().st_size > 0
    assert_one_line_error(daemon.cli("sweep", "rotate", "--layer", LAYER, "--angles", "0", "--query", "0:5,5",
                                     photos["chelsea"], photos["coffee"]), "IMAGE 1", "has no --query")


def test_python_sweep_chart_draws_several_sweeps(daemon, photos, tmp_path):
    simlay = working_tree_package()
    with simlay.Client(daemon.unix_target()) as c:
        results = [c.sweep(photos[name], layer=LAYER, transform="rotate", params=[0, 45, 90], queries=queries,
                           transform_space="photo")
                   for name, queries in [("chelsea", [(5, 5), {"pixel": (300, 60)}]), ("coffee", [{"region": (2, 2, 4, 4)}])]]
    assert results[0].specs == ["0:5,5", "0@300,60"] and results[1].specs == ["0:2,2-4,4"]
    figure = simlay.sweep_chart(results, names=["chelsea", "coffee"], path=tmp_path / "py.png")
    pixels = np.asarray(figure.convert("RGB"))
    for color in PALETTE:
        assert palette_pixels(pixels, color) > 20, color
    assert (tmp_path / "py.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError):
        simlay.sweep_chart([])
