"""Rendered overlays (``simlay similarity|sync --out``: the PNG of the Similarity or LayerSync call) read
back with Pillow: the grid has one tile per image (and one row per layer), the query patch is outlined in
pure yellow (255,255,0) on the query image's tile only, around the pixels of the query cell, and with the
default mask colormap and nearest upsampling the tile is darker where the map is lower.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from daemon_support import (KNOWN_LAYERS, assert_ok, cell_pixel_rect, decode_png, find_tiles, image_size, luminance,
                            pixel_to_cell, spearman, yellow_mask)

IMAGE_KEYS = ["landscape", "portrait", "square"]  # 512x341, 512x600, 224x224
QUERY = 1
TILE = 256


def fitted(width: int, height: int, longest: int = TILE) -> tuple[int, int]:
    scale = longest / max(width, height)
    return (round(width * scale), round(height * scale))


@pytest.fixture(scope="module")
def setup(daemon, photos):
    paths = [photos[k] for k in IMAGE_KEYS]
    client = daemon.client()
    ids = [i.id for i in client.add(paths)]
    return daemon, client, paths, ids


def check_tiles(png: np.ndarray, paths, rows: int) -> list[list]:
    tiles = find_tiles(png)
    assert [len(r) for r in tiles] == [len(paths)] * rows, (
        f"expected {rows} row(s) of {len(paths)} tiles in the {png.shape[1]}x{png.shape[0]} PNG, found "
        f"{[[(t.x0, t.y0, t.width, t.height) for t in r] for r in tiles]}")
    for row in tiles:
        for tile, path in zip(row, paths):
            ew, eh = fitted(*image_size(path))
            assert abs(tile.width - ew) <= 1 and abs(tile.height - eh) <= 1, (
                f"{path.name}: tile {tile.width}x{tile.height}, expected about {ew}x{eh}")
    total_w = sum(t.width for t in tiles[0])
    assert total_w <= png.shape[1] <= total_w + 400, f"PNG width {png.shape[1]} for tiles {total_w} wide"
    return tiles


def check_outline(png: np.ndarray, tiles_row, query_tile_index: int, cell, grid) -> None:
    """Yellow pixels exist in the query image's tile only, and frame the query cell's pixel rectangle."""
    yellow = yellow_mask(png)
    ys, xs = np.nonzero(yellow)
    assert len(ys) > 0, "no pure yellow (255,255,0) pixel: the query patch is not outlined"
    tile = tiles_row[query_tile_index]
    row_top, row_bottom = min(t.y0 for t in tiles_row), max(t.y1 for t in tiles_row)
    in_row = (ys >= row_top) & (ys < row_bottom)
    ys, xs = ys[in_row], xs[in_row]
    assert len(ys) > 0, f"no yellow pixel in the tile row at y {row_top}..{row_bottom}"
    outside = [(int(x), int(y)) for x, y in zip(xs, ys) if not tile.contains(x, y)]
    assert not outside, f"{len(outside)} yellow pixels outside the query's tile {tile}, e.g. {outside[:5]}"
    x0, y0, x1, y1 = cell_pixel_rect(*cell, *grid, tile.width, tile.height)
    got = (xs.min() - tile.x0, ys.min() - tile.y0, xs.max() + 1 - tile.x0, ys.max() + 1 - tile.y0)
    assert all(abs(a - b) <= 1 for a, b in zip(got, (x0, y0, x1, y1))), (
        f"yellow outline spans {got} (x0, y0, x1, y1 in the tile), cell {cell} of {grid} covers {(x0, y0, x1, y1)}")
    # A frame: its top and bottom lines and left and right columns are (nearly all) yellow.
    gx0, gy0, gx1, gy1 = (got[0] + tile.x0, got[1] + tile.y0, got[2] + tile.x0, got[3] + tile.y0)
    for line in (yellow[gy0, gx0:gx1], yellow[gy1 - 1, gx0:gx1], yellow[gy0:gy1, gx0], yellow[gy0:gy1, gx1 - 1]):
        assert line.mean() >= 0.9, "the yellow pixels do not form a frame around the cell"


def check_yellow_only_in(png: np.ndarray, tiles) -> None:
    ys, xs = np.nonzero(yellow_mask(png))
    stray = [(int(x), int(y)) for x, y in zip(xs, ys) if not any(t.contains(x, y) for t in tiles)]
    assert not stray, f"{len(stray)} yellow pixels outside the query image's tiles, e.g. {stray[:5]}"


def check_darkening(png: np.ndarray, tile, original_path, cell_map: np.ndarray, query_cell) -> None:
    """Per cell: mean luminance of the rendered tile over the original (resized the same way) increases
    with the (clipped) map value; Spearman > 0.8 over the cells."""
    with Image.open(original_path) as im:
        original = np.asarray(im.convert("RGB").resize((tile.width, tile.height), Image.BILINEAR))
    rendered = png[tile.y0:tile.y1, tile.x0:tile.x1]
    lum_r, lum_o = luminance(rendered), luminance(original)
    h, w = cell_map.shape
    ratios, values = [], []
    for y in range(h):
        for x in range(w):
            if (y, x) == tuple(query_cell):
                continue
            x0, y0, x1, y1 = cell_pixel_rect(y, x, h, w, tile.width, tile.height)
            x0, y0, x1, y1 = x0 + 2, y0 + 2, x1 - 2, y1 - 2  # interior: clear of edges and the outline
            if x1 <= x0 or y1 <= y0:
                continue
            base = lum_o[y0:y1, x0:x1].mean()
            if base < 15:  # too dark to see a darkening
                continue
            ratios.append(lum_r[y0:y1, x0:x1].mean() / base)
            values.append(float(np.clip(cell_map[y, x], 0, 1)))
    assert len(ratios) > h * w // 2, f"only {len(ratios)} usable cells"
    rho = spearman(ratios, values)
    assert rho > 0.8, f"Spearman(luminance ratio, map) = {rho:.3f} over {len(ratios)} cells"
    assert max(ratios) <= 1.05, f"the mask only darkens: max ratio {max(ratios):.3f}"


def test_similarity_out_png(setup, tmp_path):
    daemon, client, paths, ids = setup
    out = tmp_path / "sim.png"
    assert_ok(daemon.cli("similarity", "--layer", "blocks.10", "--query", "1:5,7", "--out", out, *paths))
    png = decode_png(out.read_bytes())
    tiles = check_tiles(png, paths, rows=1)
    check_yellow_only_in(png, [tiles[0][QUERY]])
    check_outline(png, tiles[0], QUERY, (5, 7), (14, 14))
    _, maps = client.similarity("blocks.10", ids[QUERY], ids, cell=(5, 7))
    check_darkening(png, tiles[0][QUERY], paths[QUERY], maps[QUERY], (5, 7))
    check_darkening(png, tiles[0][0], paths[0], maps[0], (-1, -1))


def test_similarity_out_png_pixel_query_head(setup, tmp_path):
    daemon, client, paths, ids = setup
    width, height = image_size(paths[QUERY])
    px, py = width - 1, 0.7 * height
    out = tmp_path / "sim.png"
    assert_ok(daemon.cli("similarity", "--layer", "head", "--query", f"{QUERY}@{px},{py}", "--out", out, *paths))
    png = decode_png(out.read_bytes())
    tiles = check_tiles(png, paths, rows=1)
    cell = pixel_to_cell(px, py, width, height, 7, 7)
    check_yellow_only_in(png, [tiles[0][QUERY]])
    check_outline(png, tiles[0], QUERY, cell, (7, 7))


def test_sync_out_png(setup, tmp_path):
    daemon, client, paths, ids = setup
    layers = ["blocks.4", "blocks.10", "head"]
    width, height = image_size(paths[QUERY])
    px, py = 0.3 * width, 0.45 * height
    out = tmp_path / "sync.png"
    assert_ok(daemon.cli("sync", "--layers", ",".join(layers), "--point", f"{QUERY}@{px},{py}", "--out", out,
                         *paths))
    png = decode_png(out.read_bytes())
    tiles = check_tiles(png, paths, rows=len(layers))
    check_yellow_only_in(png, [row[QUERY] for row in tiles])
    reply = client.sync(layers, ids[QUERY], (px, py), ids)
    for row, lm in zip(tiles, reply.layers):
        _, h, w = KNOWN_LAYERS[lm.layer]
        cell = pixel_to_cell(px, py, width, height, h, w)
        assert (lm.cell.y, lm.cell.x) == cell
        check_outline(png, row, QUERY, cell, (h, w))
