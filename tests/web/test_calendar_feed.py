"""The calendar's secret subscription link: issued per user, carries reminders, revocable."""

from __future__ import annotations

import datetime

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from dangjian.access.models import CalendarFeed, Grant
from dangjian.core.models import AuditEntry


@pytest.mark.django_db
def test_issue_subscribe_and_revoke(tree):
    user = tree.users["b1"]
    client = Client()
    client.force_login(user)
    page = reverse("web:org_calendar", args=[tree.branch1.pk])
    issue = reverse("web:org_calendar_feed", args=[tree.branch1.pk])
    assert client.post(issue).status_code == 302
    feed = CalendarFeed.objects.get(user=user)
    assert feed.org == tree.branch1 and len(feed.token) >= 40
    assert feed.token in client.get(page).content.decode()
    assert AuditEntry.objects.filter(object_type="calendar_feed").exists()

    url = reverse("web:calendar_feed", args=[feed.token])
    anonymous = Client()
    response = anonymous.get(url)  # no sign-in: the link is the key
    assert response.status_code == 200
    ics = icalendar.Calendar.from_ical(response.content)
    events = list(ics.walk("VEVENT"))
    assert events
    alarms = [a for e in events for a in e.walk("VALARM")]
    today = datetime.date.today()
    if any(e.decoded("dtstart") >= today for e in events):
        assert alarms and all(a.decoded("trigger") < datetime.timedelta(0) for a in alarms)

    # Re-issuing replaces the link; revoking ends it.
    client.post(issue)
    assert anonymous.get(url).status_code == 404
    fresh = CalendarFeed.objects.get(user=user).token
    assert anonymous.get(reverse("web:calendar_feed", args=[fresh])).status_code == 200
    client.post(issue, {"action": "revoke"})
    assert not CalendarFeed.objects.filter(user=user).exists()
    assert anonymous.get(reverse("web:calendar_feed", args=[fresh])).status_code == 404


@pytest.mark.django_db
def test_a_link_stops_working_when_its_owner_loses_the_organisation(tree):
    user = tree.users["b1"]
    client = Client()
    client.force_login(user)
    client.post(reverse("web:org_calendar_feed", args=[tree.branch1.pk]))
    token = CalendarFeed.objects.get(user=user).token
    Grant.objects.filter(user=user).delete()
    assert Client().get(reverse("web:calendar_feed", args=[token])).status_code == 404
