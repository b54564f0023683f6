"""The CLI's image decoding + resizing must match Pillow, and bad files must fail with one clear line.

Reference preprocessing (what the default model was validated with, see convert_efficientnet_lite0.py):
``Image.open(f).convert('RGB').resize((224, 224), Image.BILINEAR)`` -- the whole image squashed, no crop
-- then ``(x - 127) / 128``. ``simlay activations --layer input`` writes that normalized tensor; it is
un-normalized here (x * 128 + 127) and compared in 0..255 units: mean |diff| <= 1.5 and max <= 8.
(Decoders differ in rounding and chroma upsampling, and Pillow's bilinear downscale is a resampling
filter widened by the scale factor, not 4-tap interpolation; a mistake there, or a channel swap,
shifted pixel grid or alpha compositing, gives errors of tens of levels.)

Reference choices that are not just "what Pillow does":

* 16-bit PNG: Pillow's ``convert('RGB')`` *clips* 16-bit samples to 255 instead of scaling them, which
  no decoder should imitate. The reference takes the high byte (``v >> 8``, which is what libpng's
  ``png_set_strip_16`` does; ``png_set_scale_16`` rounds instead, at most 1 level different).
* Alpha (RGBA, LA): ``convert('RGB')`` drops alpha without compositing; the CLI must do the same
  (the test images have varying alpha so compositing on any background would be caught).

Error cases: each must exit non-zero with exactly one non-empty line on stderr that names the file and
the problem (keywords below).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import describe, run

SIZE = 224
MEAN_TOL, MAX_TOL = 1.5, 8.0


# ---------------------------------------------------------------------------------------------------
# Synthetic images
# ---------------------------------------------------------------------------------------------------

def _natural_rgb(w: int, h: int, seed: int = 0) -> np.ndarray:
    """A photo-like uint8 RGB test pattern: smooth gradients, a few sharp shapes, mild noise.

    Sharp edges make resampling mistakes (off-by-half-pixel grids, wrong filter) visible; smooth
    regions and noise make decoder rounding differences realistic rather than adversarial.
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    u, v = x / max(w - 1, 1), y / max(h - 1, 1)
    img = np.stack([255 * u, 255 * v, 128 + 100 * np.sin(6 * u + 4 * v)], axis=-1)
    disk = (u - 0.35) ** 2 + (v - 0.5) ** 2 < 0.04
    img[disk] = [230, 40, 30]
    img[(u > 0.6) & (u < 0.8) & (v > 0.2) & (v < 0.7)] = [20, 60, 200]
    img += rng.normal(0, 4, size=img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _ref_16bit_gray(path: Path) -> Image.Image:
    """Reference decode of a 16-bit grayscale PNG: high byte (see module docstring), as RGB."""
    a = np.asarray(Image.open(path), dtype=np.uint16)
    return Image.fromarray((a >> 8).astype(np.uint8)).convert("RGB")


def make_variants(d: Path) -> dict[str, tuple[Path, object]]:
    """Write the synthetic variants; returns name -> (path, custom reference decoder or None)."""
    # Pillow picks the mode from dtype and shape (uint8 HxWx3 -> RGB, HxW -> L, uint16 HxW -> I;16).
    rgb = _natural_rgb(320, 240)
    base = Image.fromarray(rgb)
    out: dict[str, tuple[Path, object]] = {}

    def save(name, img, **kw):
        p = d / name
        img.save(p, **kw)
        out[name] = (p, None)
        return p

    gray16 = (np.asarray(base.convert("L"), dtype=np.uint16) * 257
              + np.random.default_rng(1).integers(0, 257, size=(240, 320))).astype(np.uint16)
    p = save("gray16.png", Image.fromarray(gray16))
    out["gray16.png"] = (p, _ref_16bit_gray)
    save("palette.png", base.convert("P", palette=Image.ADAPTIVE, colors=64))
    alpha = Image.fromarray(np.tile(np.linspace(0, 255, 320).astype(np.uint8), (240, 1)))
    rgba = base.copy()
    rgba.putalpha(alpha)
    save("rgba.png", rgba)
    la = base.convert("L")
    la.putalpha(alpha)
    save("la.png", la)
    save("progressive.jpg", base, quality=90, progressive=True)
    save("gray.jpg", base.convert("L"), quality=90)
    save("baseline444.jpg", base, quality=95, subsampling=0)
    save("one_pixel.png", Image.new("RGB", (1, 1), (200, 30, 90)))
    save("wide_1000x7.png", Image.fromarray(_natural_rgb(1000, 7, seed=3)))
    save("tall_5x600.png", Image.fromarray(_natural_rgb(5, 600, seed=4)))
    return out


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    return make_variants(tmp_path_factory.mktemp("variants"))


# ---------------------------------------------------------------------------------------------------
# Decoding + resize vs Pillow
# ---------------------------------------------------------------------------------------------------

def simlay_input(simlay_bin: Path, model: Path, image: Path, out: Path) -> np.ndarray:
    """The CLI's preprocessed input for ``image``, un-normalized to 0..255 HWC float."""
    proc = run([simlay_bin, "activations", "--model", model, "--image", image, "--layer", "input", "--out", out])
    assert proc.returncode == 0, describe(proc)
    x = np.load(out / "input.npy")
    assert x.dtype == np.float32 and x.shape == (1, 3, SIZE, SIZE), (x.dtype, x.shape)
    return x[0].transpose(1, 2, 0).astype(np.float64) * 128.0 + 127.0


def pillow_reference(image: Path, decode=None) -> np.ndarray:
    img = decode(image) if decode else Image.open(image).convert("RGB")
    return np.asarray(img.resize((SIZE, SIZE), Image.BILINEAR), dtype=np.float32).astype(np.float64)


def assert_close_to_pillow(ours: np.ndarray, ref: np.ndarray, what: str):
    diff = np.abs(ours - ref)
    per_channel = diff.mean(axis=(0, 1)).round(2).tolist()
    assert diff.mean() <= MEAN_TOL and diff.max() <= MAX_TOL, (
        f"{what}: mean |diff| {diff.mean():.3f} (<= {MEAN_TOL}), max {diff.max():.2f} (<= {MAX_TOL}); "
        f"per-channel mean {per_channel}; worst pixel {np.unravel_index(diff.argmax(), diff.shape)}")


def test_photos_match_pillow(simlay_bin, default_model, photo_set, tmp_path):
    for i, image in enumerate(photo_set):
        ours = simlay_input(simlay_bin, default_model, image, tmp_path / str(i))
        assert_close_to_pillow(ours, pillow_reference(image), image.name)


@pytest.mark.parametrize("name", ["gray16.png", "palette.png", "rgba.png", "la.png", "progressive.jpg",
                                  "gray.jpg", "baseline444.jpg", "one_pixel.png", "wide_1000x7.png",
                                  "tall_5x600.png"])
def test_variants_match_pillow(name, variants, simlay_bin, default_model, tmp_path):
    path, decode = variants[name]
    ours = simlay_input(simlay_bin, default_model, path, tmp_path)
    assert_close_to_pillow(ours, pillow_reference(path, decode), name)


# ---------------------------------------------------------------------------------------------------
# Bad files
# ---------------------------------------------------------------------------------------------------

def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def make_bad_files(d: Path) -> dict[str, Path]:
    """The malformed inputs, by case name. All are written fresh into ``d``."""
    files = {}
    noisy = Image.fromarray(np.random.default_rng(5).integers(0, 256, size=(200, 300, 3), dtype=np.uint8))

    p = d / "not_really.png"
    p.write_text("This is a text file, not an image.\n" * 20)
    files["text_as_png"] = p

    full = d / "full.png"
    noisy.save(full)
    data = full.read_bytes()
    p = d / "truncated_half.png"
    p.write_bytes(data[: len(data) // 2])
    files["truncated_png"] = p

    full = d / "full.jpg"
    noisy.save(full, quality=90)
    data = full.read_bytes()
    p = d / "truncated_half.jpg"
    p.write_bytes(data[: len(data) // 2])
    files["truncated_jpeg"] = p

    p = d / "zero_bytes.png"
    p.write_bytes(b"")
    files["empty"] = p

    # A real 8x8 PNG whose IHDR claims 10000x10000 (CRC fixed up): the limit must be enforced from the
    # header, before any pixel memory is allocated.
    small = d / "small.png"
    Image.new("RGB", (8, 8), (10, 20, 30)).save(small)
    data = small.read_bytes()
    assert data[12:16] == b"IHDR"
    ihdr = struct.pack(">II", 10000, 10000) + data[24:29]
    p = d / "bomb_header_10000x10000.png"
    p.write_bytes(data[:8] + _png_chunk(b"IHDR", ihdr) + data[33:])
    files["bomb_header"] = p

    # A genuine 8000x8000 (64 MP) black PNG; it compresses to a few tens of kB.
    p = d / "bomb_real_8000x8000.png"
    Image.new("L", (8000, 8000), 0).save(p, optimize=False)
    files["bomb_real"] = p
    return files


# case -> keywords of which at least one must appear (case-insensitive) in the error line
BAD_CASES = {
    "text_as_png": ("not an image", "unsupported"),
    "truncated_png": ("truncated",),
    "truncated_jpeg": ("truncated",),
    "empty": ("empty", "zero"),
    "bomb_header": ("pixel", "limit"),
    "bomb_real": ("pixel", "limit"),
}


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    return make_bad_files(tmp_path_factory.mktemp("bad"))


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_image_fails_cleanly(case, bad_files, simlay_bin, default_model, tmp_path):
    path = bad_files[case]
    proc = run([simlay_bin, "activations", "--model", default_model, "--image", path, "--layer", "input",
                "--out", tmp_path / "out"])
    assert proc.returncode != 0, f"{case}: expected failure\n{describe(proc)}"
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"{case}: expected exactly one stderr line\n{describe(proc)}"
    line = lines[0].lower()
    assert path.name.lower() in line, f"{case}: file name missing from {lines[0]!r}"
    keywords = BAD_CASES[case]
    assert any(k in line for k in keywords), f"{case}: none of {keywords} in {lines[0]!r}"
    assert not (tmp_path / "out" / "input.npy").exists(), f"{case}: wrote output despite failing"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_bad_files_are_what_they_claim(bad_files):
    """Pure-Python sanity check of the fixtures: Pillow also rejects or flags each of them."""
    import PIL

    with pytest.raises(PIL.UnidentifiedImageError):
        Image.open(bad_files["text_as_png"])
    with pytest.raises(PIL.UnidentifiedImageError):
        Image.open(bad_files["empty"])
    for case in ("truncated_png", "truncated_jpeg"):
        with pytest.raises(OSError, match="truncated|broken|image file"):
            Image.open(bad_files[case]).load()
    with Image.open(bad_files["bomb_header"]) as im:  # header parses; dimensions are the lie
        assert im.size == (10000, 10000)
    with Image.open(bad_files["bomb_real"]) as im:
        assert im.size == (8000, 8000)
    assert bad_files["bomb_real"].stat().st_size < 1_000_000


def test_variants_are_what_they_claim(variants):
    """Pure-Python sanity check that the synthetic files really have the intended formats."""
    expect = {"gray16.png": "I;16", "palette.png": "P", "rgba.png": "RGBA", "la.png": "LA",
              "progressive.jpg": "RGB", "gray.jpg": "L", "one_pixel.png": "RGB"}
    for name, mode in expect.items():
        with Image.open(variants[name][0]) as im:
            assert im.mode == mode, (name, im.mode)
    with Image.open(variants["progressive.jpg"][0]) as im:
        assert im.info.get("progressive") or im.info.get("progression")
    with Image.open(variants["wide_1000x7.png"][0]) as im:
        assert im.size == (1000, 7)
