"""Users read plain Chinese: no `_` identifiers, raw pack ids or Python values in the text of
the findings, finding, rule and calendar pages."""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.policy.models import PackAssignment
from dangjian.policy.packs import list_packs
from dangjian.web import page_findings

CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
PYTHON = re.compile(r"\b(True|False|None)\b")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def codes_in(html: str) -> list[str]:
    text = visible_text(html)
    found = CODE.findall(text) + PYTHON.findall(text)
    packs = [p for p in list_packs() if re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", text)]
    return found + packs


@pytest.mark.django_db
@pytest.mark.parametrize("pack", list_packs())
def test_findings_rule_and_calendar_pages_show_no_codes(tree, pack):
    PackAssignment.objects.update_or_create(org=tree.root, defaults={"pack_id": pack})
    year = datetime.date.today().year
    client = Client()
    client.force_login(tree.users["wc"])
    urls = [
        reverse("web:org_findings", args=[tree.root.pk]) + f"?year={year}",
        reverse("web:org_findings", args=[tree.branch1.pk]) + f"?year={year}",
        reverse("web:org_calendar", args=[tree.branch1.pk]) + f"?year={year}",
        reverse("web:rules"),
        reverse("web:rule_pack", args=[pack]),
        reverse("web:home") + f"?org={tree.branch1.pk}",
        reverse("web:org", args=[tree.branch1.pk]),
        reverse("web:org_compare", args=[tree.branch1.pk]) + f"?a={pack}&b=national",
    ]
    # One finding page for each rule that has findings.
    seen: set[str] = set()
    for f in page_findings.findings(tree.root, year):
        if f.rule not in seen:
            seen.add(f.rule)
            urls.append(reverse("web:finding", args=[tree.root.pk, year, f.key]))
    assert len(seen) > 1
    problems = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        found = codes_in(response.content.decode())
        if found:
            problems[url] = sorted(set(found))
    assert problems == {}
