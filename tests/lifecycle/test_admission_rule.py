"""national/admission-age: fires for a member admitted before eighteen, not on the birthday."""

from __future__ import annotations

import pytest

from policy.builders import only, org, person, run

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("birth", "joined", "fires"),
    [
        ("2004-05-01", "2022-04-30", True),  # the day before the 18th birthday
        ("2004-05-01", "2022-05-01", False),  # on the birthday
        ("2004-02-29", "2022-02-27", True),
        ("2004-02-29", "2022-02-28", False),  # born 29 February: of age on 28 February
    ],
)
def test_admission_age_boundary(birth, joined, fires):
    br = org("B1", "branch")
    person(br, "P1", status="probationary", birth_date=birth, joined_on=joined)
    found = only(run("national", 2022), "admission-age")
    assert bool(found) is fires
    if fires:
        f = found[0]
        assert f.severity == "violation" and f.required == 18 and f.actual == 17
        assert f.source["quote"] == "年满十八岁"
        assert "未满 18 周岁" in f.message


def test_admission_age_only_checks_the_year_admitted():
    br = org("B1", "branch")
    person(br, "P1", status="probationary", birth_date="2004-05-01", joined_on="2021-05-01")
    assert only(run("national", 2022), "admission-age") == []
