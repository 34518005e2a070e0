"""The packs' assessment (考核计分) and star rating (星级评定) blocks: verbatim quotes,
checked at load naming the file and key, inherited by a pack that extends one."""

from pathlib import Path

import pytest

from dangjian.policy.packs import PackError, list_packs, load_pack, load_pack_file
from policy.test_packs import HEADER, RULE_OK, _source_text


@pytest.mark.parametrize("pack_id", list_packs())
def test_block_quotes_are_verbatim(pack_id):
    pack = load_pack(pack_id)
    blocks = [pack.raw[k] for k in ("assessment", "star_rating") if k in pack.raw]
    if not blocks:
        return
    text = _source_text(pack.document["source_file"])
    assert [b["quote"] for b in blocks if b["quote"] not in text] == []


def test_the_documents_with_assessment_have_a_scheme():
    for pid in ("yunnan-2019", "ningxia-2018", "danyang-2020"):
        assert load_pack(pid).assessment is not None, pid
    # ningxia-2018 names 星级评定办法: its pack carries the default criteria
    stars = load_pack("ningxia-2018").star_rating
    assert stars is not None and len(stars["criteria"]) == 5 and "本规则包选定" in stars["note"]


BLOCK = """
assessment:
  clause: "1"
  quote: 考核
  note: 测试
  base: 100
  per_finding: {violation: 1, warning: 0.2}
  rule_cap: 5
  grades: [{grade: excellent, min: 90}, {grade: poor, min: 0}]
  normalise: none
  ranked: {organ_committee: [branch]}
  award_blocked_by: [x/theme]
"""


def _pack(tmp_path: Path, block: str, extends: str = "") -> Path:
    path = tmp_path / "x.yaml"
    ext = f"extends: {extends}\n" if extends else ""
    text = HEADER.format(id="x", extends=ext, rules=RULE_OK) + block
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(PackError) as exc:
        load_pack_file(path)
    return str(exc.value)


def test_a_good_block_loads(tmp_path):
    pack = load_pack_file(_pack(tmp_path, BLOCK))
    assert pack.assessment is not None and pack.assessment["rule_cap"] == 5


def test_block_errors_name_file_and_key(tmp_path):
    msg = _error(_pack(tmp_path, BLOCK.replace("rule_cap: 5", "rule_cap: -1")))
    assert msg.startswith("x.yaml: assessment.rule_cap:")
    msg = _error(_pack(tmp_path, BLOCK.replace("[x/theme]", "[x/none]")))
    assert msg.startswith("x.yaml: assessment.award_blocked_by: 没有规则 'x/none'")
    msg = _error(
        _pack(
            tmp_path,
            BLOCK.replace("min: 90}, {grade: poor, min: 0", "min: 0}, {grade: poor, min: 90"),
        )
    )
    assert "从高到低" in msg
    msg = _error(_pack(tmp_path, BLOCK.replace("  note: 测试\n", "")))
    assert msg.startswith("x.yaml: assessment:") and "note" in msg


def test_a_pack_extending_one_inherits_its_blocks(tmp_path):
    path = tmp_path / "child.yaml"
    path.write_text(
        HEADER.format(id="child", extends="extends: ningxia-2018\n", rules="  []"), encoding="utf-8"
    )
    pack = load_pack_file(path)
    assert pack.assessment == load_pack("ningxia-2018").assessment
    assert pack.star_rating == load_pack("ningxia-2018").star_rating
