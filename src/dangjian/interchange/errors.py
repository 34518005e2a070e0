"""Problems found in a `dangjian/1` dataset, reported all at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# More than this many problems are summarised: the first ones are what a user fixes first.
MESSAGE_LIMIT = 50


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of one record.

    `list_name` is the dataset's list ("people"), `record` the record's id or
    "#<index>" when it has none, `field` the key ("org"). An empty `record`
    means the problem is about the whole list; an empty `list_name` means the
    whole file.
    """

    list_name: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        if not self.list_name:
            where = ""
        elif not self.record:
            where = self.list_name
        else:
            where = f"{self.list_name}[{self.record}]"
        if self.field:
            where = f"{where}.{self.field}" if where else self.field
        return f"{where}: {self.message}" if where else self.message


class DatasetError(Exception):
    """A dataset that cannot be loaded; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(self.render())

    def render(self, limit: int = MESSAGE_LIMIT) -> str:
        lines = [str(p) for p in self.problems[:limit]]
        hidden = len(self.problems) - limit
        if hidden > 0:
            lines.append(f"……另有 {hidden} 个问题未列出 ({hidden} more problems)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


class UnknownOrganizationError(LookupError):
    """`export --org ID` named an organisation that does not exist."""

    def __init__(self, ext_id: str) -> None:
        self.ext_id = ext_id
        super().__init__(f'组织 "{ext_id}" 不存在 (unknown organization id)')
