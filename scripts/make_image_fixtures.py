#!/usr/bin/env python3
"""Generate the small, deterministic image fixtures used by Tests/SimlayImagingTests.

Usage:  python3 scripts/make_image_fixtures.py            (needs Pillow and numpy)

Writes into Tests/SimlayImagingTests/Fixtures/ (a few KB per file, < 200 KB in total):

Decode fixtures (37x23 unless noted), each with a reference `<stem>.rgb`: raw HWC uint8 bytes
of `np.asarray(Image.open(f).convert("RGB"))`, except where noted:
  rgb8.png, rgba8.png, gray8.png, graya.png, palette.png (tRNS), small.png (13x7),
  smooth.png (noise-free, so its upsampled reference compresses),
  noiend.png (IEND chunk missing; Pillow and Simlay both decode it),
  interlaced.png (Adam7; Pillow cannot write it, so a tiny PNG writer below does),
  gray16.png, rgb16.png (16-bit; reference = round(v * 255 / 65535), which is libpng's
    png_set_scale_16 as used by the Swift decoder. Pillow differs on purpose: it keeps the
    high byte for 16-bit RGB and clamps 16-bit gray to 255, see the report printed at the end),
  baseline.jpg (4:2:0), progressive.jpg (4:4:4), gray.jpg, cmyk.jpg (Adobe-inverted CMYK).

Bad inputs (no reference): truncated.png, truncated.jpg, notimage.png (text), empty.png
(0 bytes), bomb.png (valid IHDR claiming 20000x20000), zerosize.png (IHDR width 0, valid
CRC), corrupt.png (IDAT CRC mismatch, payload intact), corrupt.jpg (impossible Huffman table).

Resize references, from Pillow (source pixels = Pillow's decode of the source fixture):
  <src>.<W>x<H>.u8      raw HWC uint8 of img.convert("RGB").resize((W, H), Image.BILINEAR)
  <src>.<W>x<H>.u8.png  the same, stored as PNG where the raw form would be too big
  <src>.<W>x<H>.f32     little-endian float32, planar CHW: each channel resized separately as
                        a mode "F" image (Pillow's exact Float path, no uint8 rounding)
  photo.png (512x341) is a synthetic "photo" (gradients, hard edges, fine stripes) that
  compresses well, used for downscaling.
Map resize references (single channel, mode "F"): map.f32 (7x5) and
  map.<W>x<H>.<nearest|bilinear>.f32.

Everything is seeded, so re-running reproduces the same pixels (PNG/JPEG bytes also depend on
the zlib/libjpeg versions bundled with Pillow).
"""

import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

OUT = Path(__file__).resolve().parent.parent / "Tests" / "SimlayImagingTests" / "Fixtures"
W, H = 37, 23


# ---------------------------------------------------------------------------------------------
# Pixel sources


def base_rgb(w, h, seed):
    """Gradients + hard-edged checker + noise: exercises every channel and edge handling."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = x * 255.0 / max(w - 1, 1)
    g = y * 255.0 / max(h - 1, 1)
    b = 128 + 100 * np.sin((x + 2 * y) / 3.0)
    img = np.stack([r, g, b], axis=-1)
    checker = ((x // 4 + y // 4) % 2 == 0)[..., None]
    img = np.where(checker, img, 255 - img)
    img += rng.normal(0, 12, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def smooth_rgb(w, h, seed):
    """Low-noise content for JPEG (noise makes JPEG fixtures large and unrepresentative)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 120 * np.sin(x / 6.0)
    g = 128 + 120 * np.cos(y / 5.0)
    b = np.where((x > w / 3) & (x < 2 * w / 3) & (y > h / 4), 230.0, 30.0)
    img = np.stack([r, g, b], axis=-1) + rng.normal(0, 3, (h, w, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def photo_rgb(w=512, h=341):
    """A synthetic photo for downscaling: smooth areas, sharp shapes and stripes finer than the
    output grid (aliasing shows up there if antialiasing is wrong)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    # Linear ramps (not sines): PNG's row filters predict them exactly, keeping the file small.
    img = np.stack([40 + (x // 2 + y // 3) % 180, 60 + 150 * x / w, 200 - 150 * y / h], axis=-1)
    disc = ((x - 150) ** 2 + (y - 120) ** 2) < 70**2
    img[disc] = [240, 40, 40]
    rect = (x > 300) & (x < 470) & (y > 60) & (y < 150)
    img[rect] = [20, 200, 60]
    stripes = (x > 280) & (x < 500) & (y > 200) & (y < 320)
    img[stripes & ((x.astype(int) // 2) % 2 == 0)] = [250, 250, 250]
    img[stripes & ((x.astype(int) // 2) % 2 == 1)] = [10, 10, 30]
    checker = (x < 120) & (y > 250) & (((x.astype(int) + y.astype(int)) % 2) == 0)
    img[checker] = [0, 0, 0]
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# A minimal PNG writer for what Pillow cannot write (16-bit RGB, Adam7) and for bad headers.


def chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def ihdr(w, h, depth, color_type, interlace=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, interlace))


PNG_SIG = b"\x89PNG\r\n\x1a\n"
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def raw_png(arr, color_type, interlace=False):
    """arr: HxWxC uint8 or uint16 (big-endian samples are written, as PNG requires)."""
    h, w = arr.shape[:2]
    depth = 16 if arr.dtype == np.uint16 else 8
    samples = arr.astype(">u2") if depth == 16 else arr

    def scanlines(sub):  # filter type 0 on every row
        return b"".join(b"\x00" + sub[r].tobytes() for r in range(sub.shape[0]))

    if interlace:
        parts = []
        for x0, y0, dx, dy in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:  # empty passes are omitted entirely
                parts.append(scanlines(sub))
        data = b"".join(parts)
    else:
        data = scanlines(samples)
    return (PNG_SIG + ihdr(w, h, depth, color_type, 1 if interlace else 0)
            + chunk(b"IDAT", zlib.compress(data, 9)) + chunk(b"IEND", b""))


def scale16(v):
    """libpng png_set_scale_16: round(v * 255 / 65535)."""
    return ((v.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


# ---------------------------------------------------------------------------------------------


def save_pil(name, img, **kw):
    path = OUT / name
    img.save(path, **kw)
    return path


def pillow_rgb(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def write_ref(stem, rgb):
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    (OUT / f"{stem}.rgb").write_bytes(rgb.tobytes())


def resize_refs(src_name, sizes, f32=True, as_png=False):
    with Image.open(OUT / src_name) as im:
        rgb = im.convert("RGB")
    stem = src_name.rsplit(".", 1)[0]
    for w, h in sizes:
        u8 = np.asarray(rgb.resize((w, h), Image.BILINEAR))
        if as_png:
            Image.fromarray(u8, "RGB").save(OUT / f"{stem}.{w}x{h}.u8.png", optimize=True)
        else:
            (OUT / f"{stem}.{w}x{h}.u8").write_bytes(u8.tobytes())
        if f32:
            planes = [
                np.asarray(Image.fromarray(np.asarray(rgb)[..., c].astype(np.float32), "F")
                           .resize((w, h), Image.BILINEAR), dtype="<f4")
                for c in range(3)
            ]
            (OUT / f"{stem}.{w}x{h}.f32").write_bytes(np.stack(planes).astype("<f4").tobytes())


def main():
    # Pillow suggests RGBA for palette+tRNS on convert(); dropping alpha is the point here.
    warnings.filterwarnings("ignore", message="Palette images with Transparency")
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    notes = []

    # --- PNG via Pillow ----------------------------------------------------------------------
    rgb = base_rgb(W, H, 1)
    save_pil("rgb8.png", Image.fromarray(rgb, "RGB"))
    write_ref("rgb8", pillow_rgb(OUT / "rgb8.png"))
    assert np.array_equal(pillow_rgb(OUT / "rgb8.png"), rgb)

    small = np.random.default_rng(7).integers(0, 256, (7, 13, 3), dtype=np.uint8)
    save_pil("small.png", Image.fromarray(small, "RGB"))
    write_ref("small", pillow_rgb(OUT / "small.png"))

    rgba = np.dstack([base_rgb(W, H, 2), np.random.default_rng(3).integers(0, 256, (H, W), dtype=np.uint8)])
    save_pil("rgba8.png", Image.fromarray(rgba, "RGBA"))
    write_ref("rgba8", pillow_rgb(OUT / "rgba8.png"))  # alpha dropped, not composited

    gray = base_rgb(W, H, 4)[..., 0]
    save_pil("gray8.png", Image.fromarray(gray, "L"))
    write_ref("gray8", pillow_rgb(OUT / "gray8.png"))

    la = np.dstack([base_rgb(W, H, 5)[..., 1], base_rgb(W, H, 6)[..., 2]])
    save_pil("graya.png", Image.fromarray(la, "LA"))
    write_ref("graya", pillow_rgb(OUT / "graya.png"))

    rng = np.random.default_rng(8)
    palette = rng.integers(0, 256, (16, 3), dtype=np.uint8)
    indices = ((np.arange(W)[None, :] // 3 + np.arange(H)[:, None] // 2) % 16).astype(np.uint8)
    pim = Image.fromarray(indices, "P")
    pim.putpalette(palette.flatten().tolist())
    alpha = bytes([0, 64, 128, 255, 10, 200])  # tRNS for the first 6 entries
    save_pil("palette.png", pim, transparency=alpha)
    with Image.open(OUT / "palette.png") as check:
        assert check.mode == "P" and "transparency" in check.info
    write_ref("palette", pillow_rgb(OUT / "palette.png"))

    # IEND removed: the pixel data is complete; both Pillow and the Swift decoder accept it.
    full = (OUT / "rgb8.png").read_bytes()
    assert full.endswith(chunk(b"IEND", b""))
    (OUT / "noiend.png").write_bytes(full[: -len(chunk(b"IEND", b""))])
    write_ref("noiend", pillow_rgb(OUT / "noiend.png"))

    # --- PNG via the raw writer ---------------------------------------------------------------
    inter = base_rgb(W, H, 9)
    (OUT / "interlaced.png").write_bytes(raw_png(inter, 2, interlace=True))
    with Image.open(OUT / "interlaced.png") as check:
        assert check.info.get("interlace") == 1
    assert np.array_equal(pillow_rgb(OUT / "interlaced.png"), inter)
    write_ref("interlaced", inter)

    rng = np.random.default_rng(10)
    g16 = rng.integers(0, 65536, (H, W), dtype=np.uint16)
    g16[0, :8] = [0, 127, 128, 129, 32767, 32768, 65407, 65535]  # rounding edge cases
    (OUT / "gray16.png").write_bytes(raw_png(g16[..., None], 0))
    write_ref("gray16", np.repeat(scale16(g16)[..., None], 3, axis=2))
    pil_g16 = pillow_rgb(OUT / "gray16.png")
    notes.append(f"gray16: Pillow convert('RGB') clamps I;16 -> {np.mean(pil_g16 == 255):.0%} of values are 255")

    r16 = rng.integers(0, 65536, (H, W, 3), dtype=np.uint16)
    r16[0, :4, 0] = [128, 129, 383, 65535]
    (OUT / "rgb16.png").write_bytes(raw_png(r16, 2))
    write_ref("rgb16", scale16(r16))
    pil_r16 = pillow_rgb(OUT / "rgb16.png")
    assert np.array_equal(pil_r16, (r16 >> 8).astype(np.uint8)), "Pillow keeps the high byte"
    diff = np.abs(pil_r16.astype(int) - scale16(r16).astype(int))
    notes.append(f"rgb16: Pillow keeps the high byte; differs from rounding by <= {diff.max()} "
                 f"on {np.mean(diff > 0):.0%} of values")

    # --- JPEG via Pillow ------------------------------------------------------------------------
    sm = smooth_rgb(W, H, 11)
    save_pil("baseline.jpg", Image.fromarray(sm, "RGB"), quality=90)  # 4:2:0 by default
    save_pil("progressive.jpg", Image.fromarray(smooth_rgb(W, H, 12), "RGB"),
             quality=90, progressive=True, subsampling=0)
    save_pil("gray.jpg", Image.fromarray(smooth_rgb(W, H, 13)[..., 1], "L"), quality=90)
    cmyk = np.dstack([255 - smooth_rgb(W, H, 14), np.linspace(0, 200, W * H).reshape(H, W).astype(np.uint8)])
    save_pil("cmyk.jpg", Image.fromarray(cmyk, "CMYK"), quality=95)
    with Image.open(OUT / "cmyk.jpg") as check:
        assert check.mode == "CMYK" and "adobe" in check.info
    for name in ["baseline", "progressive", "gray", "cmyk"]:
        write_ref(name, pillow_rgb(OUT / f"{name}.jpg"))

    # --- Bad inputs ---------------------------------------------------------------------------
    (OUT / "truncated.png").write_bytes(full[: len(full) // 2])
    jpg = (OUT / "baseline.jpg").read_bytes()
    (OUT / "truncated.jpg").write_bytes(jpg[: int(len(jpg) * 0.6)])
    for bad in ["truncated.png", "truncated.jpg"]:
        try:
            pillow_rgb(OUT / bad)
            raise AssertionError(f"Pillow decoded {bad}")
        except OSError as e:
            notes.append(f"{bad}: Pillow says {e}")
    (OUT / "notimage.png").write_bytes(b"This is a text file, not a PNG image.\n")
    (OUT / "empty.png").write_bytes(b"")
    (OUT / "bomb.png").write_bytes(
        PNG_SIG + ihdr(20000, 20000, 8, 2) + chunk(b"IDAT", zlib.compress(b"\x00" * 60001, 9))
        + chunk(b"IEND", b""))
    (OUT / "zerosize.png").write_bytes(
        PNG_SIG + ihdr(0, 23, 8, 2) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    idat = full.index(b"IDAT")
    idat_len = struct.unpack(">I", full[idat - 4 : idat])[0]
    broken = bytearray(full)
    broken[idat + 4 + idat_len] ^= 0xFF  # first CRC byte of the (intact) IDAT chunk
    (OUT / "corrupt.png").write_bytes(bytes(broken))
    dht = jpg.index(b"\xff\xc4")
    broken = bytearray(jpg)
    broken[dht + 5 + 15] = 255  # 16 code counts after marker, length and class: now > 256 codes
    (OUT / "corrupt.jpg").write_bytes(bytes(broken))

    # --- Resize references --------------------------------------------------------------------
    Image.fromarray(photo_rgb(), "RGB").save(OUT / "photo.png", optimize=True)
    resize_refs("small.png", [(5, 11)])
    resize_refs("rgb8.png", [(29, 41), (17, 23), (37, 11)])
    # Upsampled noise does not compress; the 224x224 reference uses a smooth 37x23 source.
    save_pil("smooth.png", Image.fromarray(smooth_rgb(W, H, 16), "RGB"))
    write_ref("smooth", pillow_rgb(OUT / "smooth.png"))
    resize_refs("smooth.png", [(224, 224)], f32=False, as_png=True)
    resize_refs("photo.png", [(31, 17)])
    resize_refs("photo.png", [(224, 224)], f32=False, as_png=True)

    heat = np.random.default_rng(15).random((5, 7), dtype=np.float32) * 10 - 3
    (OUT / "map.f32").write_bytes(heat.astype("<f4").tobytes())
    fimg = Image.fromarray(heat, "F")
    for (w, h), modes in {(23, 17): ["nearest", "bilinear"], (3, 2): ["nearest", "bilinear"]}.items():
        for mode in modes:
            flt = Image.NEAREST if mode == "nearest" else Image.BILINEAR
            out = np.asarray(fimg.resize((w, h), flt), dtype="<f4")
            (OUT / f"map.{w}x{h}.{mode}.f32").write_bytes(out.tobytes())

    total = 0
    for f in sorted(OUT.iterdir()):
        total += f.stat().st_size
        print(f"{f.stat().st_size:8d}  {f.name}")
    print(f"{total:8d}  total")
    for n in notes:
        print("note:", n)
    assert total < 200_000, "fixtures must stay commit-sized"


if __name__ == "__main__":
    main()
