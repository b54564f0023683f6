#!/usr/bin/env python3
"""Generate the EXIF-orientation fixtures used by Tests/SimlayImagingTests/Codecs/OrientationTests.swift.

Usage:  python3 scripts/make_exif_fixtures.py            (needs Pillow and numpy)

Writes into Tests/SimlayImagingTests/Fixtures/exif/ (about 20 KB in all). The stored pixels are a 13x7
(non-square, so every rotation changes the shape) picture; each file carries one orientation tag:
  o1.jpg ... o8.jpg   JPEG, Exif APP1, little-endian TIFF ("II", as Pillow writes it)
  o6be.jpg, o8be.jpg  the same with a big-endian TIFF header ("MM", as many cameras write it)
  p6.png, p3.png      PNG with an eXIf chunk (orientations 6 and 3)
  o6late.jpg          an APP0 and a non-Exif APP1 (XMP-like) before the Exif APP1
  o6long.jpg          orientation stored as LONG rather than SHORT
and each has a reference <stem>.rgb: raw HWC uint8 bytes of
`np.asarray(ImageOps.exif_transpose(Image.open(f)).convert("RGB"))`, the display-oriented pixels.

Malformed or out-of-range tags, decoded as stored (orientation 1, as Pillow's exif_transpose leaves them;
no reference file: the test compares them with o1):
  bad0.jpg (orientation 0), bad9.jpg (9), badoffset.jpg (IFD offset past the segment),
  badorder.jpg (byte order "XX").
  badcount.jpg: the IFD claims 4000 entries and holds one. Pillow reads the entries that are there, so
  its orientation 6 applies; it has a reference like the good ones.
"""

import io
import struct
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

OUT = Path(__file__).resolve().parent.parent / "Tests" / "SimlayImagingTests" / "Fixtures" / "exif"
W, H = 13, 7


def pixels():
    """Distinct, smooth-ish colours (JPEG keeps them close) with a bright corner that shows orientation."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    img = np.stack([x * 255 / (W - 1), y * 255 / (H - 1), 128 + 60 * np.sin(x / 2 + y)], axis=-1)
    img[:2, :3] = [255, 255, 255]
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def tiff(orientation, order="II", type_=3, ifd_offset=8, count=1, entries=None):
    """A TIFF header and IFD0 holding one orientation entry."""
    e = "<" if order == "II" else ">"
    head = order.encode() + struct.pack(e + "HI", 42, ifd_offset)
    n = count if entries is None else entries
    if type_ == 3:
        value = struct.pack(e + "HH", orientation, 0)
    else:
        value = struct.pack(e + "I", orientation)
    entry = struct.pack(e + "HHI", 0x0112, type_, 1) + value
    return head + struct.pack(e + "H", n) + entry + struct.pack(e + "I", 0)


def jpeg(exif_payload=None, extra_segments=b""):
    buf = io.BytesIO()
    Image.fromarray(pixels(), "RGB").save(buf, "JPEG", quality=95, subsampling=0)
    data = buf.getvalue()
    assert data[:2] == b"\xff\xd8"
    segments = extra_segments
    if exif_payload is not None:
        body = b"Exif\x00\x00" + exif_payload
        segments += b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    return data[:2] + segments + data[2:]


def png(exif_payload):
    buf = io.BytesIO()
    Image.fromarray(pixels(), "RGB").save(buf, "PNG", exif=b"Exif\x00\x00" + exif_payload)
    data = buf.getvalue()
    assert b"eXIf" in data
    return data


def write(name, data, reference=True):
    (OUT / name).write_bytes(data)
    if reference:
        with Image.open(OUT / name) as im:
            rgb = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        (OUT / (name.rsplit(".", 1)[0] + ".rgb")).write_bytes(rgb.tobytes())


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for o in range(1, 9):
        write(f"o{o}.jpg", jpeg(tiff(o)))
    write("o6be.jpg", jpeg(tiff(6, order="MM")))
    write("o8be.jpg", jpeg(tiff(8, order="MM")))
    write("p6.png", png(tiff(6)))
    write("p3.png", png(tiff(3)))
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    xmp = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"
    app1 = b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp
    write("o6late.jpg", jpeg(tiff(6), extra_segments=app0 + app1))
    write("o6long.jpg", jpeg(tiff(6, type_=4)))
    write("bad0.jpg", jpeg(tiff(0)), reference=False)
    write("bad9.jpg", jpeg(tiff(9)), reference=False)
    write("badoffset.jpg", jpeg(tiff(6, ifd_offset=4000)), reference=False)
    write("badcount.jpg", jpeg(tiff(6, entries=4000)))
    write("badorder.jpg", jpeg(b"XX" + tiff(6)[2:]), reference=False)
    # Pillow itself must agree that the malformed ones are shown as stored (same pixels as o1).
    with Image.open(OUT / "o1.jpg") as im:
        ref = np.asarray(im.convert("RGB"))
    for name in ["bad0.jpg", "bad9.jpg", "badoffset.jpg", "badorder.jpg"]:
        with Image.open(OUT / name) as im:
            try:
                got = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
            except Exception as err:  # a malformed IFD Pillow cannot read: shown as stored
                print(f"{name}: Pillow raises {type(err).__name__}; treated as orientation 1")
                got = np.asarray(im.convert("RGB"))
        assert got.shape == ref.shape and np.array_equal(got, ref), name
    print(f"wrote {len(list(OUT.iterdir()))} files to {OUT}")


if __name__ == "__main__":
    main()
