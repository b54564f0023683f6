"""Names of the wire enums as the client accepts them ("cosine", "viridis", ...)."""

from __future__ import annotations

from typing import Mapping

import numpy as np


def choice(value, table: Mapping[str, int], what: str) -> int:
    """The enum number of ``value``: a name in ``table`` (case-insensitive) or one of its numbers."""
    if isinstance(value, str):
        key = value.strip().lower()
        if key in table:
            return table[key]
        raise ValueError(f"unknown {what} {value!r}: one of {', '.join(table)}")
    if isinstance(value, (int, np.integer)) and int(value) in table.values():
        return int(value)
    raise ValueError(f"unknown {what} {value!r}: one of {', '.join(table)}")
