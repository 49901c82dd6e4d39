"""Paging: ``?limit=&offset=`` in, ``Page[T]`` out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

MAX_LIMIT = 200
MAX_OFFSET = 10_000_000  # far beyond any listing, and within every database's integer range


@dataclass(frozen=True)
class PageParams:
    """Which slice of a listing to return."""

    limit: int = 50
    offset: int = 0


class Page(BaseModel, Generic[T]):
    """One page of a listing, with the total count of matching items."""

    items: list[T]
    total: int = Field(ge=0)
    limit: int = Field(ge=1, le=MAX_LIMIT)
    offset: int = Field(ge=0, le=MAX_OFFSET)
