"""JSON Schema of a policy pack (the document); each kind adds its params schema."""

from __future__ import annotations

from typing import Any

from dangjian.policy.kinds.base import ORG_TYPES, PERSON_SELECTORS
from dangjian.policy.periods import PERIOD_NAMES

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
TEXT = {"type": "string", "minLength": 1}
ID = {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]*$"}

PACK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "format": {"const": "dangjian-pack/1"},
        "id": ID,
        "document": {
            "type": "object",
            "properties": {
                "title": TEXT,
                "issuer": TEXT,
                "issued": {"anyOf": [DATE, {"type": "null"}]},
                "effective": {"anyOf": [DATE, {"type": "null"}]},
                "expires": {"anyOf": [DATE, {"type": "null"}]},
                "supersedes": {"type": "array", "items": TEXT},
                "source_file": {"anyOf": [TEXT, {"type": "null"}]},
            },
            "required": ["title", "issuer", "issued", "effective", "supersedes", "source_file"],
            "additionalProperties": False,
        },
        "extends": ID,
        # Days after a period's end a filing for it is still on time (filing rules without
        # their own window_days or due_months); a base pack's value is inherited.
        "filing_window_days": {"type": "integer", "minimum": 0, "maximum": 366},
        "rules": {"type": "array", "items": {"type": "object"}},
        "coverage": {"type": "array", "items": {"type": "object"}},
        # The annual assessment's scoring and the star rating's criteria (docs/policy-packs.md);
        # a pack without them uses its base's.
        "assessment": {"type": "object"},
        "star_rating": {"type": "object"},
    },
    "required": ["format", "id", "document", "rules", "coverage"],
    "additionalProperties": False,
}

RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": ID,
        "kind": {"type": "string"},
        "title": TEXT,
        "citation": {
            "type": "object",
            "properties": {"document": TEXT, "clause": {"type": "string"}, "quote": TEXT},
            "required": ["clause", "quote"],
            "additionalProperties": False,
        },
        "applies_to": {
            "type": "object",
            "properties": {
                "orgs": {"type": "array", "items": {"enum": list(ORG_TYPES)}, "minItems": 1},
                "people": {"enum": list(PERSON_SELECTORS)},
            },
            "minProperties": 1,
            "additionalProperties": False,
        },
        "params": {"type": "object"},
        "period": {"enum": list(PERIOD_NAMES)},
        "reminder_days": {"type": "integer", "minimum": 0, "maximum": 366},
        "note": {"type": "string"},
        "replaces": {"type": "array", "items": {"type": "string"}},
        "adds_to": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "severity": {"enum": ["violation", "warning"]},
    },
    "required": ["id", "kind", "title", "citation", "applies_to", "params"],
    "additionalProperties": False,
}

COVERAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "obligation": TEXT,
        "clause": {"type": "string"},
        "rules": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "not_encoded": TEXT,
    },
    "required": ["obligation", "clause"],
    "oneOf": [{"required": ["rules"]}, {"required": ["not_encoded"]}],
    "additionalProperties": False,
}

GRADE_CODES = ["excellent", "good", "fair", "poor"]
POINTS = {"type": "number", "minimum": 0, "maximum": 1000}
SEVERITY_POINTS: dict[str, Any] = {
    "type": "object",
    "properties": {"violation": POINTS, "warning": POINTS},
    "required": ["violation", "warning"],
    "additionalProperties": False,
}
CITED: dict[str, Any] = {
    "clause": {"type": "string"},
    "quote": TEXT,
    "note": TEXT,
}

# 党建工作考核: a score per organisation and year from its stored findings.
ASSESSMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        **CITED,
        "base": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000},
        # points one finding deducts, by severity; per rule (qualified id) where it differs
        "per_finding": SEVERITY_POINTS,
        "rules": {"type": "object", "additionalProperties": SEVERITY_POINTS},
        # the most the findings of one rule deduct from one organisation
        "rule_cap": POINTS,
        "grades": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"grade": {"enum": GRADE_CODES}, "min": {"type": "number"}},
                "required": ["grade", "min"],
                "additionalProperties": False,
            },
            "minItems": 2,
        },
        "normalise": {"enum": ["none", "per_member"]},
        # at an organisation of the key type, the organisations of these types under it rank
        "ranked": {
            "type": "object",
            "propertyNames": {"enum": list(ORG_TYPES)},
            "additionalProperties": {
                "type": "array",
                "items": {"enum": list(ORG_TYPES)},
                "minItems": 1,
            },
            "minProperties": 1,
        },
        # an organisation with a violation of these rules about itself gets no award grade
        "award_blocked_by": {"type": "array", "items": {"type": "string"}},
        "award_grades": {"type": "array", "items": {"enum": GRADE_CODES}, "minItems": 1},
    },
    "required": [
        "clause",
        "quote",
        "note",
        "base",
        "per_finding",
        "rule_cap",
        "grades",
        "normalise",
        "ranked",
    ],
    "additionalProperties": False,
}

# 星级评定: a star per criterion met, each criterion a set of rules without a violation.
STAR_RATING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        **CITED,
        "orgs": {"type": "array", "items": {"enum": list(ORG_TYPES)}, "minItems": 1},
        "min_stars": {"type": "integer", "minimum": 1, "maximum": 5},
        "criteria": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": ID,
                    "title": TEXT,
                    "rules": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                },
                "required": ["id", "title", "rules"],
                "additionalProperties": False,
            },
            "minItems": 1,
            "maxItems": 5,
        },
    },
    "required": ["clause", "quote", "note", "orgs", "min_stars", "criteria"],
    "additionalProperties": False,
}
