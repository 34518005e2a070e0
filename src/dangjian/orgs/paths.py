"""Materialised paths: "/<pk>/<pk>/.../" from the root down to the node."""

from collections.abc import Mapping


class CycleError(ValueError):
    def __init__(self, pk: int) -> None:
        super().__init__(f"organisation {pk} is its own ancestor")
        self.pk = pk


def compute_paths(parents: Mapping[int, int | None]) -> dict[int, tuple[str, int]]:
    """Given {pk: parent_pk}, return {pk: (path, depth)} for every node.

    Parents missing from the mapping are treated as roots' parents (the node is a root).
    """
    result: dict[int, tuple[str, int]] = {}
    for start in parents:
        chain: list[int] = []
        seen: set[int] = set()
        node: int | None = start
        while node is not None and node not in result:
            if node in seen:
                raise CycleError(node)
            seen.add(node)
            chain.append(node)
            parent = parents.get(node)
            node = parent if parent in parents else None
        base, depth = result[node] if node is not None else ("/", -1)
        for pk in reversed(chain):
            depth += 1
            base = f"{base}{pk}/"
            result[pk] = (base, depth)
    return result
