"""Turning what a user holds (paths, file bytes, PIL images, numpy arrays) into uploads."""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def encode_png(image: Any) -> bytes:
    """A PIL image or a uint8 array ([H,W,3] RGB, [H,W,4] RGBA or [H,W] grey) as PNG bytes (deterministic:
    the same pixels always give the same bytes, hence the same image id)."""
    from PIL import Image

    if isinstance(image, np.ndarray):
        array = image
        if array.dtype != np.uint8:
            raise TypeError(f"image arrays must be uint8 (0..255), got {array.dtype}; "
                            "convert with (a * 255).clip(0, 255).astype(np.uint8) for floats in [0, 1]")
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[:, :, 0]
        if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
            raise ValueError(f"image arrays must be [H,W,3] (RGB), [H,W,4] (RGBA) or [H,W] (grey); "
                             f"got shape {array.shape}")
        if array.shape[0] == 0 or array.shape[1] == 0:
            raise ValueError(f"empty image array of shape {array.shape}")
        image = Image.fromarray(np.ascontiguousarray(array))
    if image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def is_uploadable(item: Any) -> bool:
    """Whether ``item`` is image content (rather than an image id)."""
    if isinstance(item, (bytes, bytearray, memoryview, np.ndarray, os.PathLike)):
        return True
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - pillow is a dependency
        return False
    return isinstance(item, Image.Image)


def to_upload(item: Any, index: int) -> tuple[bytes, str]:
    """(file bytes, display name) for one image: a path (str or PathLike: its PNG/JPEG bytes, sent as they
    are), PNG/JPEG bytes, a PIL image or a uint8 numpy array (both encoded as PNG)."""
    if isinstance(item, (str, os.PathLike)):
        path = os.fspath(item)
        with open(path, "rb") as f:
            return f.read(), os.path.basename(path)
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item), ""
    if isinstance(item, np.ndarray):
        return encode_png(item), f"array{index}"
    from PIL import Image

    if isinstance(item, Image.Image):
        name = os.path.basename(getattr(item, "filename", "") or "") or f"image{index}"
        return encode_png(item), name
    raise TypeError(f"cannot upload a {type(item).__name__}: give a path, PNG/JPEG bytes, a PIL image "
                    "or a uint8 numpy array")
