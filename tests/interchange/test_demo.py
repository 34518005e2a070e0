"""`dangjian demo`: loads data once, creates the demo logins with the right grants."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from dangjian.access.models import Grant, PersonAccount
from dangjian.access.services import DEMO_PASSWORD
from dangjian.core.models import AuditEntry
from dangjian.orgs.models import Organization
from dangjian.people.models import Person
from dangjian.records.models import Activity

pytestmark = pytest.mark.django_db


def _demo() -> str:
    out = io.StringIO()
    call_command("demo", departments=6, members=400, stdout=out)
    return out.getvalue()


def _grant(username: str) -> Grant:
    return Grant.objects.select_related("org").get(user__username=username)


def test_demo_loads_data_and_creates_accounts_with_grants():
    output = _demo()
    assert Organization.objects.filter(type="party_group").count() == 6
    assert Person.objects.count() == 400
    assert Activity.objects.exists()

    users = get_user_model().objects
    assert set(users.values_list("username", flat=True)) == {
        "admin",
        "anquan",
        "shenji",
        "gongwei",
        "bumen",
        "zhibu",
        "zhibu2",
        "dangyuan",
    }
    admin = users.get(username="admin")
    assert admin.is_superuser and admin.check_password(DEMO_PASSWORD)
    assert all(u.check_password(DEMO_PASSWORD) for u in users.all())

    root = Organization.objects.get(type="work_committee")
    gongwei = _grant("gongwei")
    assert (gongwei.role, gongwei.org) == ("work_committee_admin", root)
    bumen = _grant("bumen")
    assert bumen.role == "department_admin" and bumen.org.type == "party_group"
    zhibu = _grant("zhibu")
    assert zhibu.role == "branch_admin" and zhibu.org.type == "branch"
    assert zhibu.org.path.startswith(bumen.org.path)
    zhibu2 = _grant("zhibu2")
    assert zhibu2.role == "branch_admin" and zhibu2.org.type == "branch"
    assert not zhibu2.org.path.startswith(bumen.org.path)
    member = PersonAccount.objects.select_related("person").get(user__username="dangyuan").person
    assert member.org == zhibu.org and member.status == "full"
    assert not Grant.objects.filter(user__username__in=["admin", "dangyuan"]).exists()
    # 三员: the security and audit administrators are staff in their duty's group.
    assert users.get(username="anquan").groups.get().name == "安全管理员"
    assert users.get(username="shenji").groups.get().name == "审计管理员"
    assert not users.get(username="shenji").is_superuser

    for text in ("http://127.0.0.1:8000/", DEMO_PASSWORD, "gongwei", zhibu.org.name, "机关工委"):
        assert text in output
    created = AuditEntry.objects.filter(object_type="user", action="create")
    assert created.count() == 8
    assert AuditEntry.objects.filter(object_type="dataset", action="import").count() == 1


def test_demo_writes_records_outside_the_format_through_the_services():
    """A notice with read receipts, 党务公开, an inspection with an open problem for the
    demo branch, its responsibility list and a 述职评议 — each with its audit entry."""
    from dangjian.notices.models import Disclosure, Notice, NoticeRead
    from dangjian.oversight.models import DutyReview, Inspection, Rectification, ResponsibilityList

    output = _demo()
    root = Organization.objects.get(type="work_committee")
    dept, branch = _grant("bumen").org, _grant("zhibu").org
    notice = Notice.objects.get()
    assert notice.org == root and [t.org for t in notice.targets.all()] == [dept]
    readers = set(NoticeRead.objects.values_list("user__username", flat=True))
    assert readers == {"bumen", "zhibu", "dangyuan"}
    assert Disclosure.objects.get().org == branch
    inspection = Inspection.objects.get()
    assert inspection.org == root and inspection.activity is not None
    problem = Rectification.objects.get()
    assert problem.org == branch and problem.closed_on is None
    assert ResponsibilityList.objects.get().org == branch
    review = DutyReview.objects.get()
    assert (review.org, review.reviewed_by) == (branch, dept)
    audited = set(
        AuditEntry.objects.filter(actor_label__in=["gongwei", "bumen", "zhibu"]).values_list(
            "object_type", flat=True
        )
    )
    assert {"notice", "inspection", "duty_review"} <= audited
    assert notice.title in output


def test_demo_twice_changes_nothing():
    _demo()
    counts = (
        Organization.objects.count(),
        Person.objects.count(),
        Activity.objects.count(),
        Grant.objects.count(),
        PersonAccount.objects.count(),
        get_user_model().objects.count(),
        AuditEntry.objects.count(),
    )
    grants = sorted(Grant.objects.values_list("user__username", "org_id", "role"))
    get_user_model().objects.filter(username="zhibu").update(first_name="改过的")
    output = _demo()
    assert "已存在" in output and "新建" not in output
    assert (
        Organization.objects.count(),
        Person.objects.count(),
        Activity.objects.count(),
        Grant.objects.count(),
        PersonAccount.objects.count(),
        get_user_model().objects.count(),
        AuditEntry.objects.count(),
    ) == counts
    assert sorted(Grant.objects.values_list("user__username", "org_id", "role")) == grants
    assert get_user_model().objects.get(username="zhibu").first_name == "改过的"


def test_demo_restores_a_missing_account_without_reimporting():
    _demo()
    people = Person.objects.count()
    get_user_model().objects.filter(username="bumen").delete()
    _demo()
    assert Person.objects.count() == people
    assert _grant("bumen").role == "department_admin"


def test_demo_refuses_a_database_with_other_data():
    from django.core.management.base import CommandError

    get_user_model().objects.create_user(username="real", password="x")
    with pytest.raises(CommandError) as refused:
        call_command("demo", departments=6, members=400, stdout=io.StringIO())
    assert "--force" in str(refused.value)
    assert get_user_model().objects.count() == 1 and not Organization.objects.exists()


def test_demo_force_on_real_data_links_no_member():
    from dangjian.core.actor import Actor
    from dangjian.interchange.generator import generate_dataset
    from dangjian.interchange.importer import dataset_import

    dataset_import(
        generate_dataset(orgs=48, members=300, departments=6, year=2025, seed=3),
        actor=Actor.system("test"),
    )
    with pytest.raises(Exception, match="--force"):
        call_command("demo", stdout=io.StringIO())
    assert not get_user_model().objects.exists()
    call_command("demo", force=True, stdout=io.StringIO())
    assert get_user_model().objects.filter(username="dangyuan").exists()
    assert not PersonAccount.objects.exists()


def test_demo_refuses_a_production_configuration(settings):
    settings.PRODUCTION = True
    with pytest.raises(Exception, match="DANGJIAN_DEBUG=0"):
        _demo()
    assert not Organization.objects.exists() and not get_user_model().objects.exists()
