"""Policy packs: one YAML file per document, checked against a schema at load.

`load_pack(id)` returns the pack with its effective rules (the base pack's
rules, less those replaced, plus its own); `list_packs()` the ids available.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from dangjian.policy.kinds import REGISTRY, Rule
from dangjian.policy.schema import (
    ASSESSMENT_SCHEMA,
    COVERAGE_SCHEMA,
    PACK_SCHEMA,
    RULE_SCHEMA,
    STAR_RATING_SCHEMA,
)

PACKS_DIR = Path(__file__).resolve().parent


class PackError(ValueError):
    """A pack that cannot be loaded; the message names the file, rule and key."""


@dataclass
class Pack:
    id: str
    path: Path
    document: dict[str, Any]
    extends: str | None
    own_rules: list[Rule]
    rules: list[Rule]  # effective: base less replaced, plus own
    coverage: list[dict[str, Any]]
    version: str
    base: Pack | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    # The annual assessment's scoring and the star rating's criteria (own, else the base's).
    assessment: dict[str, Any] | None = None
    star_rating: dict[str, Any] | None = None

    @property
    def title(self) -> str:
        return str(self.document["title"])

    def rule(self, qualified_id: str) -> Rule | None:
        return next((r for r in self.rules if r.qualified_id == qualified_id), None)


def list_packs() -> list[str]:
    return sorted(p.stem for p in PACKS_DIR.glob("*.yaml"))


_cache: dict[Path, tuple[float, Pack]] = {}


def load_pack(pack_id: str) -> Pack:
    path = PACKS_DIR / f"{pack_id}.yaml"
    if not path.is_file():
        raise PackError(f"未知的规定包 {pack_id!r}（可用：{', '.join(list_packs())}）")
    return load_pack_file(path)


def load_pack_file(path: Path | str) -> Pack:
    path = Path(path).resolve()
    mtime = path.stat().st_mtime
    hit = _cache.get(path)
    if hit and hit[0] == mtime and (hit[1].base is None or _fresh(hit[1].base)):
        return hit[1]
    pack = _load(path)
    _cache[path] = (mtime, pack)
    return pack


def _fresh(pack: Pack) -> bool:
    hit = _cache.get(pack.path)
    return bool(hit and hit[1] is pack and pack.path.stat().st_mtime == hit[0])


def _stringify_dates(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _stringify_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_dates(v) for v in value]
    return value


def _where(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(top)"


def _first_error(schema: dict[str, Any], value: Any) -> jsonschema.ValidationError | None:
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(
        validator.iter_errors(value),
        key=lambda e: (len(list(e.absolute_path)), str(e.absolute_path)),
    )
    return errors[0] if errors else None


def _load(path: Path) -> Pack:
    name = path.name
    content = path.read_bytes()
    try:
        data = _stringify_dates(yaml.safe_load(content))
    except yaml.YAMLError as exc:
        raise PackError(f"{name}: YAML 格式错误: {exc}") from exc
    if not isinstance(data, dict):
        raise PackError(f"{name}: 规定包必须是一个 YAML 映射")
    err = _first_error(PACK_SCHEMA, data)
    if err is not None:
        raise PackError(f"{name}: {_where(err)}: {err.message}")
    pack_id = data["id"]
    if pack_id != path.stem:
        raise PackError(f"{name}: id: {pack_id!r} 与文件名不一致")
    base: Pack | None = None
    if data.get("extends"):
        base_path = path.parent / f"{data['extends']}.yaml"
        if not base_path.is_file():
            base_path = PACKS_DIR / f"{data['extends']}.yaml"
        if not base_path.is_file():
            raise PackError(f"{name}: extends: 基础规定包 {data['extends']!r} 不存在")
        base = load_pack_file(base_path)

    own: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["rules"]):
        rid = raw.get("id", f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
        where = f"{name}: rule {rid}"
        err = _first_error(RULE_SCHEMA, raw)
        if err is not None:
            raise PackError(f"{where}: {_where(err)}: {err.message}")
        if rid in seen:
            raise PackError(f"{where}: id: 规则编号重复")
        seen.add(rid)
        kind = REGISTRY.get(raw["kind"])
        if kind is None:
            raise PackError(
                f"{where}: kind: 未知的规则类型 {raw['kind']!r}"
                f"（可用：{', '.join(sorted(REGISTRY))}）"
            )
        err = _first_error(kind.params_schema, raw["params"])
        if err is not None:
            raise PackError(f"{where}: params.{_where(err)}: {err.message}".replace(".(top)", ""))
        applies = raw["applies_to"]
        if kind.subject == "org" and ("orgs" not in applies or "people" in applies):
            raise PackError(f"{where}: applies_to: 规则类型 {kind.name} 须用 orgs 指定党组织类型")
        if kind.subject == "person" and "people" not in applies:
            raise PackError(f"{where}: applies_to: 规则类型 {kind.name} 须用 people 指定人员范围")
        if kind.subject == "person" and applies["people"] not in kind.selectors:
            raise PackError(
                f"{where}: applies_to.people: 规则类型 {kind.name} 不能按 {applies['people']!r}"
                f" 选人（可用：{', '.join(kind.selectors)}）"
            )
        if "orgs" in applies and not kind.org_types_honoured:
            raise PackError(
                f"{where}: applies_to.orgs: 规则类型 {kind.name} 不按党组织类型筛选，请删去 orgs"
            )
        period = raw.get("period", "year")
        if period not in kind.periods:
            raise PackError(f"{where}: period: 规则类型 {kind.name} 不支持周期 {period!r}")
        for key in ("replaces", "adds_to"):
            if raw.get(key) and base is None:
                raise PackError(f"{where}: {key}: 本规定包没有 extends，无可替代或并行的规则")
        params = dict(raw["params"])
        if raw["kind"] == "filing" and "window_days" not in params and "due_months" not in params:
            window = filing_window_days(data, base)
            if window is None:
                raise PackError(
                    f"{where}: params.window_days: 报送规则须写明报送期限"
                    "（规则的 window_days，或规定包的 filing_window_days）"
                )
            params["window_days"] = window
        citation = dict(raw["citation"])
        citation.setdefault("document", data["document"]["title"])
        own.append(
            Rule(
                pack=pack_id,
                id=rid,
                kind=raw["kind"],
                title=raw["title"],
                citation=citation,
                applies_to=applies,
                params=params,
                period=period,
                reminder_days=int(raw.get("reminder_days", 0)),
                note=raw.get("note", ""),
                replaces=list(raw.get("replaces") or []),
                adds_to=list(raw.get("adds_to") or []),
                severity=raw.get("severity", "violation"),
            )
        )

    rules = _effective(name, base, own)
    _check_coverage(name, data["coverage"], pack_id, own, base)
    known = {r.qualified_id for r in rules}
    assessment = _check_block(name, "assessment", ASSESSMENT_SCHEMA, data, known)
    star_rating = _check_block(name, "star_rating", STAR_RATING_SCHEMA, data, known)
    digest = hashlib.sha256()
    if base is not None:
        digest.update(base.version.encode())
    digest.update(content)
    return Pack(
        id=pack_id,
        path=path,
        document=data["document"],
        extends=data.get("extends"),
        own_rules=own,
        rules=rules,
        coverage=data["coverage"],
        version=digest.hexdigest(),
        base=base,
        raw=data,
        assessment=assessment or (base.assessment if base is not None else None),
        star_rating=star_rating or (base.star_rating if base is not None else None),
    )


def _check_block(
    name: str, key: str, schema: dict[str, Any], data: dict[str, Any], known: set[str]
) -> dict[str, Any] | None:
    """The pack's `assessment` / `star_rating` block, checked: schema, rule ids, thresholds."""
    block = data.get(key)
    if block is None:
        return None
    err = _first_error(schema, block)
    if err is not None:
        raise PackError(f"{name}: {key}.{_where(err)}: {err.message}".replace(".(top)", ""))
    refs: list[tuple[str, str]] = [(f"{key}.rules", r) for r in block.get("rules", {})]
    refs += [(f"{key}.award_blocked_by", r) for r in block.get("award_blocked_by", [])]
    for c in block.get("criteria", []):
        refs += [(f"{key}.criteria.{c['id']}.rules", r) for r in c["rules"]]
    for where, rid in refs:
        if rid not in known:
            raise PackError(f"{name}: {where}: 没有规则 {rid!r}（须写完整编号，如 national/…）")
    mins = [g["min"] for g in block.get("grades", [])]
    if mins and mins != sorted(mins, reverse=True):
        raise PackError(f"{name}: {key}.grades: 等次须按分数线从高到低排列")
    ids = [c["id"] for c in block.get("criteria", [])]
    if len(ids) != len(set(ids)):
        raise PackError(f"{name}: {key}.criteria: 标准编号重复")
    return dict(block)


def filing_window_days(data: dict[str, Any], base: Pack | None) -> int | None:
    """The pack's reporting window for filings, else its base's."""
    if data.get("filing_window_days") is not None:
        return int(data["filing_window_days"])
    while base is not None:
        if base.raw.get("filing_window_days") is not None:
            return int(base.raw["filing_window_days"])
        base = base.base
    return None


def obligation_key(rule: Rule) -> tuple[Any, ...]:
    """What a rule is about: kind + subject + measure (see docs/policy-packs.md)."""
    kind = REGISTRY[rule.kind]
    subject = (tuple(sorted(rule.org_types)), rule.people)
    return (rule.kind, subject, kind.measure_key(rule.params))


def _qualify(base: Pack | None, rid: str) -> str:
    return rid if "/" in rid else f"{base.id if base else ''}/{rid}"


def _lowers(rule: Rule, base_rule: Rule) -> bool:
    """`rule` asks less than `base_rule` of the same thing: a lower minimum per the same period."""
    if rule.kind != base_rule.kind or rule.period != base_rule.period:
        return False
    mine, theirs = rule.params.get("min"), base_rule.params.get("min")
    if not isinstance(mine, int | float) or not isinstance(theirs, int | float):
        return False
    return mine < theirs


def _effective(name: str, base: Pack | None, own: list[Rule]) -> list[Rule]:
    """The base's rules less those replaced, plus the pack's own.

    Precedence: a local pack never lowers a national minimum. A local rule with a lower
    figure for the same obligation may not `replace` the base rule; it `adds_to` it, and
    both stay in force (the engine merges their findings per subject and period).
    """
    inherited = list(base.rules) if base is not None else []
    by_qid = {r.qualified_id: r for r in inherited}
    replaced: set[str] = set()
    beside: dict[str, set[str]] = {}  # rule qid -> base rules it adds to (and back)
    for rule in own:
        for rep in rule.replaces:
            qid = _qualify(base, rep)
            if qid not in by_qid:
                raise PackError(f"{name}: rule {rule.id}: replaces: 基础规定包中没有规则 {rep!r}")
            if _lowers(rule, by_qid[qid]):
                raise PackError(
                    f"{name}: rule {rule.id}: replaces: 地方规定不得降低全国性规定 {qid} 的"
                    f"最低要求（{by_qid[qid].params['min']}），应改用 adds_to 与之并行"
                )
            replaced.add(qid)
        qualified = []
        for add in rule.adds_to:
            qid = _qualify(base, add)
            if qid not in by_qid:
                raise PackError(f"{name}: rule {rule.id}: adds_to: 基础规定包中没有规则 {add!r}")
            qualified.append(qid)
            beside.setdefault(rule.qualified_id, set()).add(qid)
            beside.setdefault(qid, set()).add(rule.qualified_id)
        rule.adds_to = qualified
    rules = [r for r in inherited if r.qualified_id not in replaced] + own
    keys: dict[tuple[Any, ...], Rule] = {}
    for rule in rules:
        key = obligation_key(rule)
        other = keys.get(key)
        if other is not None and other.qualified_id not in beside.get(rule.qualified_id, ()):
            raise PackError(
                f"{name}: rule {rule.id}: replaces: 与规则 {other.qualified_id} 针对同一义务"
                "（类型、对象、计量相同），须用 replaces 或 adds_to 声明二者关系"
            )
        keys.setdefault(key, rule)
    return rules


def _check_coverage(
    name: str, entries: list[Any], pack_id: str, own: list[Rule], base: Pack | None
) -> None:
    known = {r.id for r in own} | {r.qualified_id for r in own}
    if base is not None:
        known |= {r.qualified_id for r in base.rules}
    for i, entry in enumerate(entries):
        err = _first_error(COVERAGE_SCHEMA, entry)
        if err is not None:
            raise PackError(f"{name}: coverage[{i}]: {_where(err)}: {err.message}")
        for rid in entry.get("rules", []):
            if rid not in known:
                raise PackError(f"{name}: coverage[{i}]: rules: 没有规则 {rid!r}")
