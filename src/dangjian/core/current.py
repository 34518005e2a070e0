"""The actor of the request being served, for signal handlers that audit writes made
outside the services (Django admin user edits, deletions)."""

from __future__ import annotations

from contextvars import ContextVar

from dangjian.core.actor import Actor

_current: ContextVar[Actor | None] = ContextVar("dangjian_actor", default=None)


def current_actor() -> Actor | None:
    return _current.get()


def set_current_actor(actor: Actor | None) -> object:
    return _current.set(actor)


def reset_current_actor(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
