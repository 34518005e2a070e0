"""`check`: one code path for the configured database and for a dataset file."""

from __future__ import annotations

import os
from datetime import date

from dangjian.core.actor import Actor
from dangjian.policy.engine import EngineError, evaluate
from dangjian.policy.findings import Report
from dangjian.policy.packs import Pack, PackError, load_pack
from dangjian.policy.throwaway import throwaway_database


class CheckInputError(ValueError):
    """Bad input to `check` (pack, organisation, dataset); the message is for the user."""


def _pack(pack: str | Pack) -> Pack:
    try:
        return load_pack(pack) if isinstance(pack, str) else pack
    except PackError as exc:
        raise CheckInputError(str(exc)) from exc


def check_database(
    *,
    pack: str | Pack,
    year: int,
    as_of: date | None = None,
    org_ext_id: str | None = None,
    using: str = "default",
) -> Report:
    pack_obj = _pack(pack)
    try:
        return evaluate(pack=pack_obj, year=year, as_of=as_of, org_ext_id=org_ext_id, using=using)
    except EngineError as exc:
        raise CheckInputError(str(exc)) from exc


def check_file(
    path: str | os.PathLike[str],
    *,
    pack: str | Pack,
    year: int,
    as_of: date | None = None,
    org_ext_id: str | None = None,
) -> Report:
    """Load the dataset into a throwaway SQLite database through the importer, then check it."""
    from dangjian.interchange.errors import DatasetError
    from dangjian.interchange.importer import dataset_import

    pack_obj = _pack(pack)
    if not os.path.isfile(path):
        raise CheckInputError(f"找不到数据集文件：{path}")
    with throwaway_database() as alias:
        try:
            dataset_import(path, actor=Actor.system("cli"), using=alias)
        except DatasetError as exc:
            raise CheckInputError(exc.render()) from exc
        return check_database(
            pack=pack_obj, year=year, as_of=as_of, org_ext_id=org_ext_id, using=alias
        )
