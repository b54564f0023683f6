"""EXIF orientation (issue 15 item 7): the daemon analyses a photo the way it is shown, as Pillow's
ImageOps.exif_transpose turns it. A photo stored sideways with orientation 6 gives the same reported size
and the same maps as its pixels turned upright and stored without a tag."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps

from daemon_support import running_daemon


def _png(arr: np.ndarray, orientation: int | None = None) -> bytes:
    image = Image.fromarray(arr, "RGB")
    buf = io.BytesIO()
    if orientation is None:
        image.save(buf, "PNG")
    else:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(buf, "PNG", exif=exif.tobytes())
    return buf.getvalue()


def test_rotated_photo_equals_upright_pixels(daemon_stubs, example_images):
    with Image.open(example_images[1]) as im:  # coffee.png, landscape 600x400
        stored = np.asarray(im.convert("RGB").resize((150, 100)))
    with running_daemon() as d:
        client = d.client()
        for orientation in (3, 6, 8):
            tagged = _png(stored, orientation)
            with Image.open(io.BytesIO(tagged)) as im:
                shown = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
            assert shown.shape != stored.shape or orientation == 3
            a, b = client.add([(tagged, f"tagged{orientation}.png"), (_png(shown), f"upright{orientation}.png")])
            assert (a.width, a.height) == (shown.shape[1], shown.shape[0]), (orientation, a.width, a.height)
            assert (a.width, a.height) == (b.width, b.height)
            for layer, cell in (("blocks.10", (3, 5)), ("head", (1, 2))):
                _, maps_a = client.similarity(layer, a.id, [a.id, b.id], cell=cell)
                _, maps_b = client.similarity(layer, b.id, [a.id, b.id], cell=cell)
                np.testing.assert_array_equal(maps_a, maps_b, err_msg=f"orientation {orientation} {layer}")


def test_sideways_jpeg_is_analysed_upright(daemon_stubs, example_images):
    # A JPEG written sideways with orientation 8 must come out the same size and content as Pillow shows it:
    # the query at the top-left of the shown image must be most similar to itself, not to another corner.
    with Image.open(example_images[3]) as im:  # rocket.jpg, 640x427
        upright = np.asarray(im.convert("RGB").resize((160, 107)))
    sideways = np.ascontiguousarray(np.rot90(upright, k=-1))  # stored turned clockwise; 8 turns it back
    exif = Image.Exif()
    exif[0x0112] = 8
    buf = io.BytesIO()
    Image.fromarray(sideways, "RGB").save(buf, "JPEG", quality=95, exif=exif.tobytes())
    with Image.open(io.BytesIO(buf.getvalue())) as im:
        shown = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    assert shown.shape == upright.shape
    with running_daemon() as d:
        client = d.client()
        jpeg, png = client.add([(buf.getvalue(), "sideways.jpg"), (_png(shown), "shown.png")])
        assert (jpeg.width, jpeg.height) == (160, 107)
        _, maps = client.similarity("blocks.10", jpeg.id, [jpeg.id, png.id], cell=(0, 0))
        # The decoders agree within one level (ImageDecoderTests), so the maps agree closely, not bit-exactly.
        np.testing.assert_allclose(maps[0], maps[1], atol=2e-2)
        assert np.unravel_index(np.argmax(maps[0]), maps[0].shape) == (0, 0)
