"""通知 (notices with read receipts) and 党务公开 pages. Notices and items come only
through the scoped querysets of `notices.selectors`: outside them a page is a 404."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.access import selectors as access
from dangjian.notices import selectors as nsel
from dangjian.notices import services
from dangjian.notices.models import (
    MAX_ATTACHMENT_BYTES,
    MAX_BODY_CHARS,
    Disclosure,
    DisclosureCategory,
    Notice,
)
from dangjian.orgs.models import Organization
from dangjian.spreadsheets.workbooks import XLSX_CONTENT_TYPE, table_workbook
from dangjian.web import selectors as sel
from dangjian.web.forms import BootstrapMixin, DateInput, add_service_errors
from dangjian.web.views.common import actor_of, administered_org, paginate, visible_org

SCOPE_CHOICES = [("all", "本组织全部下级组织"), ("some", "选定的下级组织")]


# The compose form offers the organisations this many levels below the publisher (a work
# committee: departments, their organ committees and branches), not a whole province.
TARGET_LEVELS = 3


class TargetField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple
    top_depth = 0

    def label_from_instance(self, obj: Organization) -> str:  # type: ignore[override]
        return "　" * max(0, obj.depth - self.top_depth - 1) + obj.name


class NoticeForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label="标题", max_length=200)
    body = forms.CharField(
        label="正文",
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="纯文本，换行保留",
    )
    published_on = forms.DateField(label="发布日期", widget=DateInput())
    reply_by = forms.DateField(label="回复截止日期", widget=DateInput(), required=False)
    scope = forms.ChoiceField(
        label="发送范围", choices=SCOPE_CHOICES, widget=forms.RadioSelect, initial="all"
    )
    targets = TargetField(label="接收组织", queryset=Organization.objects.none(), required=False)
    attachment = forms.FileField(
        label="附件",
        required=False,
        help_text="PDF、JPEG、PNG、Word（.docx）或 Excel（.xlsx），不超过 10 MB",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.docx,.xlsx"}),
    )

    def __init__(
        self, *args: Any, targets: QuerySet[Organization], top_depth: int = 0, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["targets"].queryset = targets  # type: ignore[attr-defined]
        self.fields["targets"].top_depth = top_depth  # type: ignore[attr-defined]
        self.style()
        self.fields["scope"].widget.attrs["class"] = "form-check-input"

    def clean_attachment(self) -> Any:
        f = self.cleaned_data.get("attachment")
        if f and f.size and f.size > MAX_ATTACHMENT_BYTES:
            raise forms.ValidationError(f"{f.name}：文件大小超过 10 MB")
        return f

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == "some" and not data.get("targets"):
            self.add_error("targets", "选择“选定的下级组织”时请至少勾选一个接收组织")
        return data


class DisclosureForm(BootstrapMixin, forms.Form):
    category = forms.ChoiceField(label="公开类别", choices=DisclosureCategory.choices)
    title = forms.CharField(label="标题", max_length=200)
    content = forms.CharField(
        label="公开内容",
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="纯文本，换行保留；公开组织工作事项，不公开个人隐私",
    )
    published_on = forms.DateField(label="公开日期", widget=DateInput())

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.style()


# ---------------------------------------------------------------- notices


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    """收件箱 (received, unread marked) or 发件箱 (sent by organisations the user administers,
    with read counts)."""
    user = request.user
    is_admin = access.is_admin(user)
    box = request.GET.get("box", "in")
    if box != "out" or not is_admin:
        box = "in"
    items: QuerySet[Any]
    if box == "out":
        items = (
            nsel.notices_sent(user)
            .select_related("org")
            .annotate(
                # members who read it, as on the notice's receipts
                read_n=Count("reads", filter=Q(reads__person__isnull=False), distinct=True)
            )
            .order_by("-published_on", "-pk")
        )
    else:
        items = (
            nsel.with_read_flag(nsel.notices_received(user), user)
            .select_related("org")
            .order_by("-published_on", "-pk")
        )
    return render(
        request,
        "web/notices/list.html",
        {
            "box": box,
            "is_admin": is_admin,
            "page": paginate(request, items),
            "unread": nsel.unread_count(user),
            "grant_orgs": nsel.grant_orgs(user) if is_admin else [],
        },
    )


@login_required
def notice_new(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = administered_org(request, org_pk)
    targets = (
        Organization.objects.filter(
            path__startswith=org.path, depth__lte=org.depth + TARGET_LEVELS, dissolved__isnull=True
        )
        .exclude(pk=org.pk)
        .order_by("path")
    )
    if request.method == "POST":
        form = NoticeForm(request.POST, request.FILES, targets=targets, top_depth=org.depth)
        if form.is_valid():
            data = form.cleaned_data
            try:
                notice = services.notice_publish(
                    org=org,
                    title=data["title"],
                    body=data["body"],
                    published_on=data["published_on"],
                    reply_by=data["reply_by"],
                    targets=list(data["targets"]) if data["scope"] == "some" else [],
                    attachment=data["attachment"] or None,
                    actor=actor_of(request),
                )
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, "通知已发布")
                return redirect("web:notice", pk=notice.pk)
    else:
        form = NoticeForm(
            initial={"published_on": datetime.date.today(), "scope": "all"},
            targets=targets,
            top_depth=org.depth,
        )
    return render(
        request,
        "web/notices/form.html",
        {"org": org, "form": form, "depth": org.depth},
    )


def _notice_for(request: HttpRequest, pk: int) -> Notice:
    return get_object_or_404(
        nsel.notices_visible(request.user).select_related("org", "created_by"), pk=pk
    )


@login_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a notice records that the user read it (once); its publishers see who did."""
    notice = _notice_for(request, pk)
    services.notice_mark_read(notice=notice, actor=actor_of(request))
    publisher = nsel.can_see_receipts(request.user, notice)
    return render(
        request,
        "web/notices/detail.html",
        {
            "notice": notice,
            "publisher": publisher,
            "receipts": nsel.receipts(notice) if publisher else None,
            "targets": list(notice.targets.select_related("org").order_by("org__path"))
            if not notice.whole_subtree
            else [],
            "today": datetime.date.today(),
        },
    )


@login_required
def notice_receipts_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Each member the notice reached: read or not, and when (publishers only)."""
    notice = _notice_for(request, pk)
    if not nsel.can_see_receipts(request.user, notice):
        raise PermissionDenied("只有发布组织的管理员可以查看阅读情况")
    rows = []
    for p in nsel.receipt_rows(notice):
        read_at = p.read_at  # type: ignore[attr-defined]  # annotated by the selector
        when = f"{timezone.localtime(read_at):%Y-%m-%d %H:%M}" if read_at else ""
        rows.append([p.org.name, p.name, "已读" if read_at else "未读", when])
    content = table_workbook("阅读情况", ["所在组织", "姓名", "阅读情况", "阅读时间"], rows)
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="notice-{notice.pk}-receipts.xlsx"'
    return response


@login_required
def notice_attachment(request: HttpRequest, pk: int) -> FileResponse:
    notice = _notice_for(request, pk)
    if not notice.attachment:
        from django.http import Http404

        raise Http404("该通知没有附件")
    return FileResponse(
        notice.attachment.open("rb"),
        content_type=notice.attachment_type or "application/octet-stream",
        filename=notice.attachment_name or "附件",
        as_attachment=True,
    )


# ---------------------------------------------------------------- 党务公开


def _category(request: HttpRequest) -> str:
    value = request.GET.get("category", "")
    return value if value in DisclosureCategory.values else ""


@login_required
def disclosure_list(request: HttpRequest) -> HttpResponse:
    """党务公开 the user may read: their organisation's and those above it, and (for
    administrators) those of the subtrees they administer."""
    category = _category(request)
    items = nsel.disclosures_visible(request.user).select_related("org")
    if category:
        items = items.filter(category=category)
    return render(
        request,
        "web/notices/disclosures.html",
        {
            "org": None,
            "category": category,
            "categories": DisclosureCategory.choices,
            "page": paginate(request, items.order_by("-published_on", "-pk")),
            "grant_orgs": nsel.grant_orgs(request.user),
        },
    )


@login_required
def org_disclosures(request: HttpRequest, pk: int) -> HttpResponse:
    """One organisation's 党务公开: its members read them; its administrators publish."""
    org = visible_org(request, pk)
    can_publish = access.can_administer(request.user, org)
    form: DisclosureForm | None = None
    if request.method == "POST":
        if not can_publish:
            raise PermissionDenied("只有本组织的管理员可以发布党务公开")
        form = DisclosureForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.disclosure_publish(
                    org=org,
                    category=data["category"],
                    title=data["title"],
                    content=data["content"],
                    published_on=data["published_on"],
                    actor=actor_of(request),
                )
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, "党务公开事项已发布")
                return redirect("web:org_disclosures", pk=org.pk)
    elif can_publish:
        form = DisclosureForm(initial={"published_on": datetime.date.today()})
    category = _category(request)
    items = nsel.disclosures_of(request.user, org)
    if category:
        items = items.filter(category=category)
    return render(
        request,
        "web/notices/disclosures.html",
        {
            "org": org,
            "ancestors": sel.ancestors(org),
            "form": form,
            "category": category,
            "categories": DisclosureCategory.choices,
            "page": paginate(request, items.order_by("-published_on", "-pk")),
        },
    )


def _disclosure_for(request: HttpRequest, pk: int) -> Disclosure:
    return get_object_or_404(nsel.disclosures_visible(request.user).select_related("org"), pk=pk)


@login_required
def disclosure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _disclosure_for(request, pk)
    return render(
        request,
        "web/notices/disclosure_detail.html",
        {"item": item, "can_publish": access.can_administer(request.user, item.org)},
    )


@login_required
@require_POST
def disclosure_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = _disclosure_for(request, pk)
    if not access.can_administer(request.user, item.org):
        raise PermissionDenied("只有本组织的管理员可以撤回党务公开")
    org_pk = item.org_id
    services.disclosure_delete(disclosure=item, actor=actor_of(request))
    messages.success(request, "党务公开事项已撤回")
    return redirect("web:org_disclosures", pk=org_pk)
