"""Every Excel route, every role, one expected status (GET, as the URL walk does)."""

import pytest

pytestmark = pytest.mark.django_db

ROLES = ("anon", "member", "b1", "b2", "wc")
LOGIN = 302


def expect(anon, member, b1, b2, wc):
    return dict(zip(ROLES, (anon, member, b1, b2, wc), strict=True))


ADMINS = expect(LOGIN, 403, 200, 200, 200)


def test_each_excel_route_status_per_role(clients, tree, xl):
    # b1's upload: only b1's session knows it.
    token_url = xl.upload(clients["b1"], xl.workbook("组织生活台账", ["组织单位", "类型", "日期"]))
    year = tree.activity.date.year
    routes = {
        "/excel/": ADMINS,
        "/excel/templates/roster.xlsx": ADMINS,
        "/excel/templates/ledger.xlsx": ADMINS,
        "/excel/templates/trainings.xlsx": ADMINS,
        "/excel/templates/other.xlsx": expect(LOGIN, 403, 404, 404, 404),
        "/excel/upload/": expect(405, 405, 405, 405, 405),  # POST only
        token_url: expect(LOGIN, 403, 200, 404, 404),
        token_url + "failed.xlsx": expect(LOGIN, 403, 200, 404, 404),
        token_url + "import/": expect(405, 405, 405, 405, 405),  # POST only
        token_url + "discard/": expect(405, 405, 405, 405, 405),  # POST only
        f"/excel/export/roster.xlsx?org=TB1&year={year}": expect(LOGIN, 403, 200, 404, 200),
        f"/excel/export/ledger.xlsx?org=TB1&year={year}": expect(LOGIN, 403, 200, 404, 200),
        f"/excel/export/trainings.xlsx?org=TB1&year={year}": expect(LOGIN, 403, 200, 404, 200),
        f"/excel/export/findings.xlsx?org=TB1&year={year}": expect(LOGIN, 403, 200, 404, 200),
        "/excel/export/roster.xlsx": expect(LOGIN, 403, 404, 404, 404),  # no org named
    }
    wrong = []
    for role in ROLES:
        for url, want in routes.items():
            got = clients[role].get(url).status_code
            if got != want[role]:
                wrong.append(f"{role} {url}: expected {want[role]}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_findings_export_lists_findings(clients, tree, xl):
    year = tree.activity.date.year
    response = clients["b1"].get("/excel/export/findings.xlsx", {"org": "TB1", "year": year})
    ws = xl.read(response.content).active
    rows = list(ws.values)
    assert rows[0][:4] == ("所属组织", "对象", "对象类型", "规则")
    assert len(rows) > 1
    subjects = {r[1] for r in rows[1:]}
    assert "办公室党支部（TB1）" in subjects
    assert all(r[8] in ("违规", "预警") for r in rows[1:])
