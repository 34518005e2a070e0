import pytest

from dangjian.web.testing import build_tree


@pytest.fixture
def tree(db):
    return build_tree()


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache(db):
    # The cache is the database's (shared by every process), so clearing it needs the db.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
