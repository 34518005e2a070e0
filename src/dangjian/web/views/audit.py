"""审计日志: the audit trail, read by the audit administrator only."""

from __future__ import annotations

import json
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dangjian.core import selectors
from dangjian.web.views.common import paginate


def _date(request: HttpRequest, name: str) -> date | None:
    try:
        value = date.fromisoformat(request.GET.get(name, "").strip())
    except ValueError:
        return None
    return value if 1900 <= value.year <= 2999 else None


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    filters = {
        "actor": request.GET.get("actor", "").strip()[:150],
        "action": request.GET.get("action", "").strip()[:64],
        "object_type": request.GET.get("object_type", "").strip()[:64],
        "object_id": request.GET.get("object_id", "").strip()[:64],
    }
    entries = selectors.audit_entries(
        request.user, **filters, date_from=_date(request, "from"), date_to=_date(request, "to")
    )
    page = paginate(request, entries, per_page=50)
    rows = [
        {
            "entry": e,
            "action": selectors.action_label(e.action),
            "source": selectors.source_label(e.source),
            "object_type": selectors.object_type_label(e.object_type),
            "changes": json.dumps(e.changes, ensure_ascii=False, indent=1) if e.changes else "",
        }
        for e in page.object_list
    ]
    return render(
        request,
        "web/audit_log.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "date_from": request.GET.get("from", ""),
            "date_to": request.GET.get("to", ""),
            "actions": sorted(selectors.ACTIONS.items(), key=lambda kv: kv[1]),
        },
    )
