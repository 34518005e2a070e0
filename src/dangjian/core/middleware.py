from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from dangjian.core.actor import Actor, Source


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Attaches `request.actor` so views hand services who and where, never build it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source: Source = "api" if request.path.startswith("/api/") else "web"
        if request.path.startswith("/admin/"):
            source = "admin"
        request.actor = Actor(user=request.user, source=source, ip=client_ip(request))  # type: ignore[attr-defined]
        return self.get_response(request)
