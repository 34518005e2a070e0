import pytest
from django.test import Client

from dangjian.core.actor import Actor
from dangjian.web.testing import PASSWORD, build_tree


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache(db):
    # Cached findings are keyed by primary keys, which a rolled-back test may reuse.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tree(db):
    return build_tree()


@pytest.fixture
def actor_for(tree):
    def _actor(role: str) -> Actor:
        return Actor(user=tree.users[role], source="web")

    return _actor


@pytest.fixture
def login(client: Client, tree):
    def _login(role: str) -> Client:
        client.logout()
        assert client.login(username=tree.users[role].get_username(), password=PASSWORD)
        return client

    return _login
