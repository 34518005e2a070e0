"""发展党员: steps in order, by the roles allowed to take them, with their evidence."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core.actor import Actor
from dangjian.core.models import AuditEntry
from dangjian.people.models import AdmissionStep, Person
from dangjian.people.pipeline import admission_step_take, branch_pipeline
from dangjian.web.testing import page_version

D = datetime.date
TODAY = D(2026, 6, 1)


def actor(tree, role):
    return Actor(user=tree.users[role], source="web")


@pytest.fixture
def applicant(tree):
    return Person.objects.create(
        ext_id="A1",
        name="新申请人",
        org=tree.branch1,
        status="applicant",
        applied_on=D(2024, 3, 1),
        birth_date=D(2000, 5, 1),
    )


def take(tree, person, step, date, role="b1", **kw):
    return admission_step_take(
        person=person,
        step=step,
        date=date,
        evidence=kw.pop("evidence", "谈话记录"),
        actor=actor(tree, role),
        today=TODAY,
        **kw,
    )


def test_the_whole_pipeline_in_order(tree, applicant):
    take(tree, applicant, "talked", D(2024, 3, 20))
    take(tree, applicant, "activist", D(2024, 4, 1))
    take(tree, applicant, "candidate", D(2025, 4, 1))
    take(tree, applicant, "admitted", D(2025, 5, 10), role="dept")
    applicant.refresh_from_db()
    assert (applicant.status, applicant.joined_on) == ("probationary", D(2025, 5, 10))
    take(tree, applicant, "converted", D(2026, 5, 10), role="wc")
    applicant.refresh_from_db()
    assert (applicant.status, applicant.full_on) == ("full", D(2026, 5, 10))
    assert AdmissionStep.objects.filter(person=applicant).count() == 5
    steps = AuditEntry.objects.filter(object_type="person", object_id=str(applicant.pk))
    assert steps.count() == 5
    assert all("admission_step" in e.changes for e in steps)


@pytest.mark.parametrize(
    ("step", "role"), [("activist", "b1"), ("candidate", "b1"), ("admitted", "dept")]
)
def test_out_of_order_step_is_refused(tree, applicant, step, role):
    with pytest.raises(ValidationError) as e:
        take(tree, applicant, step, D(2024, 4, 1), role=role)
    assert "须按顺序办理" in e.value.message_dict["step"][0]
    assert "派人谈话" in e.value.message_dict["step"][0]
    applicant.refresh_from_db()
    assert applicant.status == "applicant" and not AdmissionStep.objects.exists()


def test_branch_administrator_may_not_admit(tree, applicant):
    take(tree, applicant, "talked", D(2024, 3, 20))
    take(tree, applicant, "activist", D(2024, 4, 1))
    take(tree, applicant, "candidate", D(2025, 4, 1))
    with pytest.raises(PermissionDenied) as e:
        take(tree, applicant, "admitted", D(2025, 5, 10), role="b1")
    assert "上级党委审批" in str(e.value)
    applicant.refresh_from_db()
    assert applicant.status == "candidate"


def test_member_and_other_branch_may_take_no_step(tree, applicant):
    for role in ("member", "b2"):
        with pytest.raises(PermissionDenied):
            take(tree, applicant, "talked", D(2024, 3, 20), role=role)


@pytest.mark.parametrize(("candidate_on", "ok"), [(D(2025, 3, 31), False), (D(2025, 4, 1), True)])
def test_a_year_as_activist_before_candidate(tree, applicant, candidate_on, ok):
    take(tree, applicant, "talked", D(2024, 3, 20))
    take(tree, applicant, "activist", D(2024, 4, 1))
    if ok:
        take(tree, applicant, "candidate", candidate_on)
    else:
        with pytest.raises(ValidationError) as e:
            take(tree, applicant, "candidate", candidate_on)
        assert "一年以上" in e.value.message_dict["date"][0]


@pytest.mark.parametrize(("admitted_on", "ok"), [(D(2018, 4, 30), False), (D(2018, 5, 1), True)])
def test_age_eighteen_at_admission(tree, admitted_on, ok):
    p = Person.objects.create(
        ext_id="Y1",
        name="年轻人",
        org=tree.branch1,
        status="candidate",
        applied_on=D(2016, 5, 1),
        activist_on=D(2016, 6, 1),
        candidate_on=D(2017, 7, 1),
        birth_date=D(2000, 5, 1),
    )
    if ok:
        take(tree, p, "admitted", admitted_on, role="dept")
    else:
        with pytest.raises(ValidationError) as e:
            take(tree, p, "admitted", admitted_on, role="dept")
        assert "未满 18 周岁" in e.value.message_dict["date"][0]


def _probationary(tree):
    return Person.objects.create(
        ext_id="P9",
        name="预备党员",
        org=tree.branch1,
        status="probationary",
        applied_on=D(2022, 1, 1),
        activist_on=D(2022, 2, 1),
        candidate_on=D(2023, 3, 1),
        joined_on=D(2024, 5, 10),
    )


@pytest.mark.parametrize(
    ("until", "ok"),
    [
        (D(2025, 11, 9), False),
        (D(2025, 11, 10), True),
        (D(2026, 5, 10), True),
        (D(2026, 5, 11), False),
    ],
)
def test_extension_half_a_year_to_a_year(tree, until, ok):
    p = _probationary(tree)
    call = lambda: take(tree, p, "extended", D(2025, 5, 10), role="dept", until=until)  # noqa: E731
    if ok:
        call()
        p.refresh_from_db()
        assert p.probation_extended_to == until
        with pytest.raises(ValidationError):  # at most once
            take(tree, p, "extended", D(2025, 5, 11), role="dept", until=until)
    else:
        with pytest.raises(ValidationError) as e:
            call()
        assert "半年至一年" in e.value.message_dict["until"][0]


def test_no_conversion_before_probation_ends(tree):
    p = _probationary(tree)
    with pytest.raises(ValidationError) as e:
        take(tree, p, "converted", D(2025, 5, 9), role="dept")
    assert "不能提前转正" in e.value.message_dict["date"][0]
    take(tree, p, "converted", D(2025, 5, 10), role="dept")


def test_evidence_is_required(tree, applicant):
    with pytest.raises(ValidationError) as e:
        take(tree, applicant, "talked", D(2024, 3, 20), evidence="  ")
    assert "依据材料" in e.value.message_dict["evidence"][0]


def test_branch_pipeline_next_step_and_overdue(tree, applicant, django_assert_max_num_queries):
    p = _probationary(tree)
    with django_assert_max_num_queries(2):
        rows = {r.person.name: r for r in branch_pipeline(tree.branch1, TODAY)}
    assert rows[applicant.name].next_steps == ["talked"]
    assert rows[applicant.name].due == D(2024, 4, 1) and rows[applicant.name].overdue
    assert rows[p.name].next_steps == ["extended", "converted"]
    assert rows[p.name].due == D(2025, 5, 10) and rows[p.name].overdue
    assert tree.member.name not in rows  # full members are not in the pipeline


def _client(tree, role):
    from django.test import Client

    from dangjian.web.testing import PASSWORD

    c = Client()
    assert c.login(username=tree.users[role].get_username(), password=PASSWORD)
    return c


def test_pipeline_page_takes_a_step_and_shows_the_next(tree, applicant):
    c = _client(tree, "b1")
    url = f"/orgs/{tree.branch1.pk}/pipeline/"
    html = c.get(url).content.decode()
    assert applicant.name in html and "派人谈话" in html and "已逾期" in html
    got = c.post(
        url,
        {
            "person": applicant.pk,
            "step": "talked",
            "date": "2024-03-20",
            "evidence": "谈话记录",
            **page_version(c, url),
        },
    )
    assert got.status_code == 302
    html = c.get(url).content.decode()
    assert "确定为入党积极分子" in html


def test_pipeline_page_refusal_keeps_what_was_typed(tree, applicant):
    c = _client(tree, "b1")
    got = c.post(
        f"/orgs/{tree.branch1.pk}/pipeline/",
        {
            "person": applicant.pk,
            "step": "candidate",
            "date": "2024-03-20",
            "evidence": "支委会记录X",
        },
    )
    assert got.status_code == 200
    html = got.content.decode()
    assert "须按顺序办理" in html and 'value="支委会记录X"' in html
    assert not AdmissionStep.objects.exists()
