"""Request context, session time limits and no-store caching for signed-in pages."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from dangjian.core.actor import Actor, Source
from dangjian.core.current import reset_current_actor, set_current_actor

SESSION_STARTED = "dj_started"
SESSION_SEEN = "dj_seen"
# The last-seen time is rewritten at most this often, not on every request.
SEEN_GRANULARITY = 60


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy the address it forwards.

    X-Forwarded-For is read from the right, skipping the trusted proxies, so a client
    cannot choose its recorded address by sending the header itself.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = set(getattr(settings, "TRUSTED_PROXIES", []))
    if not remote or remote not in trusted:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
        address = _valid_ip(hop)
        if address is None:
            break
        if address not in trusted:
            return address
    return remote


def request_source(request: HttpRequest) -> Source:
    if request.path.startswith("/admin/"):
        return "admin"
    return "api" if request.path.startswith("/api/") else "web"


class RequestContextMiddleware:
    """Attaches `request.actor` so views hand services who and where, never build it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        actor = Actor(user=request.user, source=request_source(request), ip=client_ip(request))
        request.actor = actor  # type: ignore[attr-defined]
        token = set_current_actor(actor)
        try:
            return self.get_response(request)
        finally:
            reset_current_actor(token)


class SessionTimeoutMiddleware:
    """Signs a session out after SESSION_IDLE_SECONDS idle or SESSION_ABSOLUTE_SECONDS in all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and SESSION_STARTED not in request.session:
            # A session from before the limits existed: its clock starts now.
            start_session_clock(request)
        elif user is not None and user.is_authenticated:
            now = time.time()
            started = float(request.session.get(SESSION_STARTED, now))
            seen = float(request.session.get(SESSION_SEEN, started))
            idle = now - seen > settings.SESSION_IDLE_SECONDS
            too_long = now - started > settings.SESSION_ABSOLUTE_SECONDS
            if idle or too_long:
                request.session_expired = "idle" if idle else "absolute"  # type: ignore[attr-defined]
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.info(
                        request,
                        "长时间未操作，已自动退出登录，请重新登录。"
                        if idle
                        else "本次登录已达最长时限，请重新登录。",
                    )
            elif now - seen >= SEEN_GRANULARITY:
                request.session[SESSION_SEEN] = now
        return self.get_response(request)


def start_session_clock(request: HttpRequest) -> None:
    """Called on sign-in: the absolute and idle limits count from now."""
    now = time.time()
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = now


class NoStoreMiddleware:
    """Pages for a signed-in user are never kept by the browser or a proxy cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.path.startswith(("/api/", "/admin/", "/login/")):
            patch_cache_control(response, no_store=True, private=True)
        return response
