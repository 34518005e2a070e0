import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

PASSWORD = "Zhibu-pass-2026"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user(username="zhibu9", password=PASSWORD)


def duty_user(username: str, duty: str):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    group, _ = Group.objects.get_or_create(name=duty)
    user.groups.add(group)
    return user
