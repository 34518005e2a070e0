"""Password complexity: the character-class half of the 等保 password policy."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

CLASSES = (
    ("小写字母", str.islower),
    ("大写字母", str.isupper),
    ("数字", str.isdigit),
)


def character_classes(password: str) -> int:
    """How many of lower-case, upper-case, digits and other characters the password uses."""
    found = {name for ch in password for name, test in CLASSES if test(ch)}
    other = any(not (ch.islower() or ch.isupper() or ch.isdigit()) for ch in password)
    return len(found) + (1 if other else 0)


class CharacterClassValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, symbols."""

    def __init__(self, min_classes: int = 2) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                f"密码须至少包含以下{self.min_classes}类字符：小写字母、大写字母、数字、符号。",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"密码须至少包含小写字母、大写字母、数字、符号中的{self.min_classes}类。"
