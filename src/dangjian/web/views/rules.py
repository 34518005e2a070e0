"""规则库: each policy pack's rules, with quotes, parameters and the coverage report."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from dangjian.policy.kinds import REGISTRY
from dangjian.web.page_findings import _get


def _packs() -> list[Any]:
    try:
        from dangjian.policy.packs import list_packs
    except ImportError:
        return []
    return list(list_packs())


@login_required
def rule_book(request: HttpRequest) -> HttpResponse:
    from dangjian.policy.packs import load_pack

    packs = []
    for pack_id in _packs():
        pack = load_pack(pack_id) if isinstance(pack_id, str) else pack_id
        pack_id = _get(pack, "id", pack_id)
        doc = _get(pack, "document", {}) or {}
        packs.append(
            {
                "id": pack_id,
                "title": _get(doc, "title", "") or _get(pack, "title", ""),
                "issuer": _get(doc, "issuer", ""),
                "issued": _get(doc, "issued", ""),
                "rule_count": len(_get(pack, "rules", []) or []),
            }
        )
    return render(request, "web/rule_book.html", {"packs": packs})


def _titles(pack: Any) -> dict[str, str]:
    """Rule titles by short and qualified id, the base packs' included (for replaces)."""
    out: dict[str, str] = {}
    while pack is not None:
        for r in list(pack.rules) + list(pack.own_rules):
            out.setdefault(r.qualified_id, r.title)
            out.setdefault(r.id, r.title)
        pack = pack.base
    return out


@login_required
def rule_pack(request: HttpRequest, pack_id: str) -> HttpResponse:
    from dangjian.policy.packs import PackError, load_pack

    try:
        pack = load_pack(pack_id)
    except PackError as e:
        raise Http404("没有这份文件的规则") from e
    doc = _get(pack, "document", {}) or {}
    rules = []
    all_rules = list(_get(pack, "rules", []) or [])
    # The document's own rules first, then those taken over from the base pack.
    all_rules.sort(key=lambda r: _get(r, "pack", pack_id) != pack_id)
    titles = _titles(pack)
    for rule in all_rules:
        citation = _get(rule, "citation", {}) or {}
        rules.append(
            {
                "id": _get(rule, "id", ""),
                "qualified": _get(rule, "qualified_id", "") or _get(rule, "id", ""),
                "kind": _get(rule, "kind", ""),
                "title": _get(rule, "title", ""),
                "document": _get(citation, "document", "") or _get(doc, "title", ""),
                "clause": _get(citation, "clause", ""),
                "quote": _get(citation, "quote", ""),
                "period": _get(rule, "period", ""),
                "reminder_days": _get(rule, "reminder_days", 0),
                "applies_to": _get(rule, "applies_to", {}),
                "params": _get(rule, "params", {}),
                "note": _get(rule, "note", ""),
                "replaces": _get(rule, "replaces", []) or [],
                "replaces_titles": [
                    titles.get(x, titles.get(x.split("/")[-1], ""))
                    for x in (_get(rule, "replaces", []) or [])
                ],
                "kind_periodic": len(REGISTRY[_get(rule, "kind", "")].periods) > 1
                if _get(rule, "kind", "") in REGISTRY
                else False,
                "pack": _get(rule, "pack", "") or pack_id,
                "inherited": (_get(rule, "pack", "") or pack_id) != pack_id,
            }
        )
    coverage = []
    for entry in _get(pack, "coverage", []) or []:
        coverage.append(
            {
                "obligation": _get(entry, "obligation", ""),
                "clause": _get(entry, "clause", ""),
                "rules": _get(entry, "rules", []) or [],
                "rule_titles": [
                    {"title": titles.get(r, r), "anchor": r.split("/")[-1]}
                    for r in _get(entry, "rules", []) or []
                ],
                "not_encoded": _get(entry, "not_encoded", ""),
            }
        )
    return render(
        request,
        "web/rule_pack.html",
        {
            "pack_id": pack_id,
            "doc": doc,
            "extends": _get(pack, "extends", ""),
            "rules": rules,
            "coverage": coverage,
            "encoded": sum(1 for c in coverage if c["rules"]),
            "not_encoded": sum(1 for c in coverage if c["not_encoded"]),
        },
    )
