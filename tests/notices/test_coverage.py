"""党务公开 in the packs: the documents ask for it without a period or deadline, so no rule
checks it; each pack's coverage says so with the reason (and the pages carry the items)."""

import pytest

from dangjian.policy.packs import load_pack


@pytest.mark.parametrize(
    ("pack_id", "clause", "words"),
    [("hubei-2022", "9", "推行党务公开"), ("henan-2015", "(二十二)", "规范公开事项、方式、时限")],
)
def test_disclosure_is_listed_as_not_encoded_with_a_reason(pack_id, clause, words):
    entries = [
        e
        for e in load_pack(pack_id).coverage
        if "公开" in e["obligation"] and str(e["clause"]) == clause
    ]
    assert len(entries) == 1
    entry = entries[0]
    assert not entry.get("rules")
    assert words in entry["not_encoded"] and "党务公开" in entry["not_encoded"]
