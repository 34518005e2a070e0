import io

import pytest
from django.test import Client
from openpyxl import Workbook, load_workbook

from dangjian.web.testing import build_tree

ROLES = ("member", "b1", "b2", "dept", "wc")


@pytest.fixture(autouse=True)
def fast_passwords_and_media(settings, tmp_path):
    """Hashing strength is not under test; uploads go to a throwaway media directory."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def tree(db):
    return build_tree()


@pytest.fixture
def clients(tree):
    out = {"anon": Client()}
    for role in ROLES:
        client = Client()
        client.force_login(tree.users[role])
        out[role] = client
    return out


class XL:
    """Helpers for building, reading and uploading workbooks in tests."""

    @staticmethod
    def workbook(title, header, *rows):
        wb = Workbook()
        ws = wb.active
        ws.title = title
        ws.append(header)
        for row in rows:
            ws.append(list(row))
        return XL.file(wb, f"{title}.xlsx")

    @staticmethod
    def file(wb, name):
        buffer = io.BytesIO()
        wb.save(buffer)
        buffer.seek(0)
        buffer.name = name
        return buffer

    @staticmethod
    def read(content):
        return load_workbook(io.BytesIO(content))

    @staticmethod
    def upload(client, file):
        """Upload a workbook; returns the preview URL it redirects to."""
        response = client.post("/excel/upload/", {"file": file})
        assert response.status_code == 302, response.content
        assert response["Location"].startswith("/excel/uploads/")
        return response["Location"]


@pytest.fixture
def xl():
    return XL
