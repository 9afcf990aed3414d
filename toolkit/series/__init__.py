"""Stage 2: decoded messages -> the `Series` a reviewer sees (see assemble, patch, model, diff)."""

from toolkit.series.assemble import read_series

__all__ = ["read_series"]
