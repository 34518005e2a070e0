import pytest
from rest_framework.test import APIClient

from dangjian.core.actor import Actor
from dangjian.core.tokens import token_issue
from dangjian.web.testing import build_tree

ROLES = ("member", "b1", "b2", "dept", "wc")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Hashing strength is not under test here; the default hasher makes each user slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tree(db):
    return build_tree()


@pytest.fixture
def clients(tree):
    """One API client per role, authenticated by token; "anon" has none."""
    out = {"anon": APIClient()}
    for role in ROLES:
        client = APIClient()
        issued = token_issue(user=tree.users[role], actor=Actor.system("test"))
        client.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
        out[role] = client
    return out
