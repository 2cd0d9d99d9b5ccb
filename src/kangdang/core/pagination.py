"""Page-number pagination shared by every list (pages and JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

MAX_PAGE_SIZE = 200
MAX_PAGE = 100_000


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    size: int = 50

    def __post_init__(self) -> None:
        object.__setattr__(self, "page", min(MAX_PAGE, max(1, int(self.page))))
        object.__setattr__(self, "size", min(MAX_PAGE_SIZE, max(1, int(self.size))))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def paginate(session: Session, stmt: Select, request: PageRequest) -> Page:
    """Run ``stmt`` for one page, plus one COUNT over the same filtered query."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(session.scalars(stmt.limit(request.size).offset(request.offset)))
    return Page(items=rows, total=total, page=request.page, size=request.size)
