"""Who is writing, and from where: passed to every service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

Source = Literal["import", "admin", "web", "api", "cli", "system", "test"]


@dataclass(frozen=True)
class Actor:
    user: AbstractBaseUser | AnonymousUser | None
    source: Source
    ip: str | None = None

    @property
    def label(self) -> str:
        if self.user is not None and getattr(self.user, "is_authenticated", False):
            return str(self.user.get_username())
        return self.source

    @classmethod
    def system(cls, source: Source = "system") -> Actor:
        return cls(user=None, source=source)
