"""A few demo records made through the services, as the demo logins would make them.

`dangjian demo` imports a generated year; notices, 党务公开, inspections, responsibility
lists and 述职评议 are not part of `dangjian/1`, so they are written here, each by the
service a user's page calls (with its audit entry), acting as the demo account that
would do it. Called once, right after the demo data was imported.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model

from dangjian.access.models import Grant
from dangjian.core.actor import Actor, Source
from dangjian.notices.models import DisclosureCategory
from dangjian.notices.services import disclosure_publish, notice_mark_read, notice_publish
from dangjian.orgs.models import Organization, Position
from dangjian.oversight.assessment_services import duty_review_record
from dangjian.oversight.inspections import ProblemInput, inspection_create
from dangjian.oversight.models import DutyReviewRole, Grade
from dangjian.oversight.responsibility import ItemInput, responsibility_list_save
from dangjian.people.models import Person


def _secretary(org: Organization, start: datetime.date, end: datetime.date) -> Person | None:
    """Who held `org`'s secretary post at some time between `start` and `end`."""
    pos = (
        Position.objects.filter(org=org, role="secretary", start__lte=end)
        .exclude(end__lt=start)
        .select_related("person")
        .order_by("-start", "pk")
        .first()
    )
    return pos.person if pos else None


def demo_records_create(*, today: datetime.date, source: Source = "cli") -> list[str]:
    """Write the demo's notice, disclosure, inspection, responsibility list and 述职评议;
    returns one line per record for the command's output."""
    users = {u.get_username(): u for u in get_user_model().objects.all()}

    def as_user(name: str) -> Actor:
        return Actor(user=users[name], source=source)

    grants = {g.user.get_username(): g.org for g in Grant.objects.select_related("user", "org")}
    root, dept, branch = grants["gongwei"], grants["bumen"], grants["zhibu"]
    year = today.year
    lines: list[str] = []

    # A work-committee notice to the demo department, opened by three of its users.
    notice = notice_publish(
        org=root,
        title=f"关于做好{year}年度基层党组织书记抓党建述职评议考核工作的通知",
        body="请各部门党组（党委）按要求组织所属党组织书记述职评议，并按时报送书面述职报告和评议结果。",
        published_on=today,
        reply_by=today + datetime.timedelta(days=14),
        targets=[dept],
        actor=as_user("gongwei"),
    )
    for reader in ("bumen", "zhibu", "dangyuan"):
        notice_mark_read(notice=notice, actor=as_user(reader))
    lines.append(f"通知：{notice.title}（已读 3 人）")

    # 党务公开 of the demo branch.
    disclosure = disclosure_publish(
        org=branch,
        category=DisclosureCategory.DUES,
        title=f"{year}年党费收缴情况公示",
        content="本支部党员均按月足额交纳党费，收缴明细已在支部党员大会上通报。",
        published_on=today,
        actor=as_user("zhibu"),
    )
    lines.append(f"党务公开：{branch.name} {disclosure.title}")

    # An inspection by the work committee: one problem for the branch to rectify.
    held_on = max(datetime.date(year, 1, 1), today - datetime.timedelta(days=10))
    inspection = inspection_create(
        org=root,
        year=year,
        quarter=(held_on.month - 1) // 3 + 1,
        title="党支部标准化规范化建设督查",
        targets=[branch],
        held_on=held_on,
        inspector_names="机关工委组织部督查组",
        problems=[
            ProblemInput(
                org=branch,
                description="党员发展档案材料不齐全，部分谈话记录未归档",
                due_on=held_on + datetime.timedelta(days=60),
            )
        ],
        actor=as_user("gongwei"),
    )
    lines.append(f"督查：{inspection.title}（{branch.name}，整改问题 1 项）")

    # The branch's responsibility list for the year.
    secretary = _secretary(branch, datetime.date(year, 1, 1), today)
    items = [
        ItemInput(
            task="每月开展主题党日活动", responsible=secretary, due_on=datetime.date(year, 12, 31)
        ),
        ItemInput(task="按季度召开支部党员大会", responsible=secretary),
        ItemInput(task="年底组织召开组织生活会和民主评议党员", responsible_name="支部委员会"),
    ]
    if secretary is None:
        items = [ItemInput(task=i.task, responsible_name="支部委员会") for i in items]
    responsibility_list_save(org=branch, year=year, items=items, actor=as_user("zhibu"))
    lines.append(f"责任清单：{branch.name} {year}年（{len(items)} 项）")

    # 述职评议: last year's branch secretary reported to the department's party group.
    last = year - 1
    reporter = _secretary(branch, datetime.date(last, 1, 1), datetime.date(last, 12, 31))
    if reporter is not None:
        duty_review_record(
            org=branch,
            reporter=reporter,
            role=DutyReviewRole.BRANCH_SECRETARY,
            year=last,
            held_on=min(today, datetime.date(year, 1, 20)),
            reviewed_by=dept,
            score=Decimal("91.5"),
            grade=Grade.EXCELLENT,
            actor=as_user("bumen"),
        )
        lines.append(f"述职评议：{reporter.name}（{branch.name}）{last}年度")
    return lines
