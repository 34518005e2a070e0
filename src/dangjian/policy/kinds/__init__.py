"""Rule kinds. Every module in this package registers its kinds on import."""

import importlib
import pkgutil

from dangjian.policy.kinds.base import REGISTRY, Kind, Rule, register

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name != "base":
        importlib.import_module(f"{__name__}.{_mod.name}")

__all__ = ["REGISTRY", "Kind", "Rule", "register"]
