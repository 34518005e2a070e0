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
