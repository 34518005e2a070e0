"""One organisation's schedule and findings under two documents side by side."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from dangjian.policy.days import check_day
from dangjian.policy.packs import list_packs, load_pack
from dangjian.policy.schedule import build_schedule, compare
from dangjian.policy.selectors import pack_for_org
from dangjian.web import selectors as sel
from dangjian.web.views.common import administered_org, year_param


def _pack_param(request: HttpRequest, name: str, default: str) -> str:
    value = request.GET.get(name, "") or default
    if value not in list_packs():
        raise Http404(f"没有这份文件的规则：{value}")
    return value


@login_required
def org_compare(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    year = year_param(request)
    packs = list_packs()
    own = pack_for_org(org)
    a = _pack_param(request, "a", own)
    b = _pack_param(request, "b", next((p for p in packs if p != a), a))
    day = check_day(year)
    result = compare(
        build_schedule(pack=a, year=year, as_of=day, org_ext_id=org.ext_id),
        build_schedule(pack=b, year=year, as_of=day, org_ext_id=org.ext_id),
    )
    today = datetime.date.today()
    return render(
        request,
        "web/org_compare.html",
        {
            "org": org,
            "tab": "compare",
            "ancestors": sel.ancestors(org),
            "year": year,
            "years": range(today.year, today.year - 5, -1),
            "as_of": day,
            "packs": [(p, load_pack(p).title) for p in packs],
            "a": a,
            "b": b,
            "result": result,
        },
    )
