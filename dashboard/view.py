"""The shared filters of the sidebar as one small frozen value (hashable, so it keys caches)."""

from __future__ import annotations

from dataclasses import dataclass

from geo.stats.aggregate import Filters


@dataclass(frozen=True)
class View:
    """Months (inclusive), categories (None = all), H3 resolution, Gi* rings and boundary layer."""

    month_from: str | None
    month_to: str | None
    categories: tuple[str, ...] | None
    res: int = 9
    k: int = 1
    layer: str = "wards"

    @property
    def filters(self) -> Filters:
        return Filters(month_from=self.month_from, month_to=self.month_to, categories=self.categories)
