import pytest
from django.test import Client

from dangjian.web.testing import PASSWORD, build_tree


@pytest.fixture
def tree(db):
    return build_tree()


@pytest.fixture
def login(client: Client, tree):
    """Log the test client in as one of the tree's users by role name."""

    def _login(role: str) -> Client:
        client.logout()
        assert client.login(username=tree.users[role].get_username(), password=PASSWORD)
        return client

    return _login


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The default hasher's many iterations cost seconds per test for nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def outsider(tree):
    """A member of the other branch (预算处党支部) with a login: outside branch1's subtree."""
    from django.contrib.auth import get_user_model

    from dangjian.access.models import PersonAccount

    user = get_user_model().objects.create_user(username="outsider", password=PASSWORD)
    PersonAccount.objects.create(user=user, person=tree.members2[0])
    return user


@pytest.fixture
def actor_of():
    from dangjian.core.actor import Actor

    def _actor(user):  # type: ignore[no-untyped-def]
        return Actor(user=user, source="web")

    return _actor
