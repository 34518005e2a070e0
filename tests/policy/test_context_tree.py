"""The organisation tree as the engine's context reads it: children and subtree totals."""

from datetime import date

from dangjian.policy.context import Context, OrgInfo


def _ctx(*orgs: tuple[int, int | None, str]) -> Context:
    ctx = Context(year=2025, as_of=date(2025, 12, 31), using="default", root_path=None)
    ctx.orgs = {
        pk: OrgInfo(pk, f"O{pk}", f"组织{pk}", "branch", parent, path, None, None, None)
        for pk, parent, path in orgs
    }
    return ctx


TREE = (
    (1, None, "/1/"),
    (7, 1, "/1/7/"),
    (9, 7, "/1/7/9/"),
    (70, 1, "/1/70/"),  # its path begins with "/1/7" but it is not under 7
    (71, 70, "/1/70/71/"),
)


def test_subtree_totals_sum_each_subtree_and_nested_roots_alike():
    ctx = _ctx(*TREE)
    per_org = {1: 1, 7: 10, 9: 100, 70: 1000, 71: 10000, 999: 5}  # 999: outside the tree
    roots = [ctx.orgs[1], ctx.orgs[7], ctx.orgs[70], ctx.orgs[9]]
    assert ctx.subtree_totals(per_org, roots) == {1: 11111, 7: 110, 70: 11000, 9: 100}


def test_subtree_totals_of_a_root_without_figures_is_zero_and_stays_an_int():
    ctx = _ctx(*TREE)
    totals = ctx.subtree_totals({71: 3}, [ctx.orgs[7], ctx.orgs[70]])
    assert totals == {7: 0, 70: 3}
    assert all(isinstance(v, int) for v in totals.values())


def test_children_are_the_direct_ones_in_the_trees_order():
    ctx = _ctx(*TREE)
    assert [o.pk for o in ctx.children(1)] == [7, 70]
    assert [o.pk for o in ctx.children(7)] == [9]
    assert ctx.children(9) == []
    assert [o.pk for o in ctx.children(None)] == [1]


def test_attendance_of_whole_database_by_activity_ids_on_postgresql_only():
    """`attendance_of`: over the whole database PostgreSQL reads the activities' attendance
    by index (a join read and hashed all of it); for a subtree the join starts from the
    subtree's people, as on SQLite."""
    from django.db import connection

    whole = Context(year=2025, as_of=date(2025, 12, 31), using="default", root_path=None)
    subtree = Context(year=2025, as_of=date(2025, 12, 31), using="default", root_path="/1/7/")
    by_ids = "at.activity_id = ANY(ARRAY(SELECT a.id FROM dj_activity a WHERE a.kind = %s))"
    joined = "JOIN dj_attendance at ON at.activity_id = a.id WHERE a.kind = %s"
    assert joined in subtree.attendance_of("a.kind = %s", "at.person_id")
    expected = by_ids if connection.vendor == "postgresql" else joined
    assert expected in whole.attendance_of("a.kind = %s", "at.person_id")
