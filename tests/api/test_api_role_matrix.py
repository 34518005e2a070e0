"""Every API route, every role, one expected status (GET, as the URL walk does).

Signed in through the session (as in the browser) rather than a token: both
authenticate the same user, and the scoping is the same.
"""

import pytest
from django.test import Client

from dangjian.web.testing import PASSWORD

pytestmark = pytest.mark.django_db

ROLES = ("anon", "member", "b1", "b2", "wc")


def expect(anon, member, b1, b2, wc):
    return dict(zip(ROLES, (anon, member, b1, b2, wc), strict=True))


LIST = expect(401, 200, 200, 200, 200)
SCHEDULE = expect(401, 200, 200, 404, 200)  # branch1's records a member of it may see
PUBLIC = expect(200, 200, 200, 200, 200)


def routes(tree):
    year = tree.activity.date.year
    return {
        "/api/v1/auth/token/": expect(405, 405, 405, 405, 405),  # POST only
        "/api/v1/organizations/": LIST,
        "/api/v1/organizations/TB1/": SCHEDULE,
        "/api/v1/organizations/TOC/": expect(401, 404, 404, 404, 200),
        "/api/v1/people/": LIST,
        f"/api/v1/people/{tree.member.ext_id}/": SCHEDULE,
        f"/api/v1/people/{tree.members1[1].ext_id}/": expect(401, 404, 200, 404, 200),
        "/api/v1/positions/": LIST,
        "/api/v1/terms/": LIST,
        "/api/v1/activities/": LIST,
        f"/api/v1/activities/{tree.activity.ext_id}/": SCHEDULE,
        "/api/v1/trainings/": LIST,
        f"/api/v1/trainings/{tree.training.ext_id}/": SCHEDULE,
        "/api/v1/filings/": LIST,
        f"/api/v1/filings/{tree.filing.ext_id}/": expect(401, 404, 200, 404, 200),
        f"/api/v1/findings/?org=TB1&year={year}": expect(401, 200, 200, 400, 200),
        "/api/v1/findings/": expect(401, 400, 400, 400, 400),  # org and year are required
        "/api/v1/checks/": expect(401, 405, 405, 405, 405),  # POST only
        "/api/schema/": PUBLIC,
        "/api/docs/": PUBLIC,
        "/api/docs/assets/swagger-ui.css": PUBLIC,
    }


@pytest.mark.parametrize("role", ROLES)
def test_each_api_route_status_per_role(tree, role, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client = Client()
    if role != "anon":
        assert client.login(username=tree.users[role].get_username(), password=PASSWORD)
    wrong = []
    for url, want in routes(tree).items():
        got = client.get(url).status_code
        if got != want[role]:
            wrong.append(f"{url}: expected {want[role]}, got {got}")
    assert not wrong, "\n".join(wrong)
