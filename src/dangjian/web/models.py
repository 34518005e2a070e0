from django.db import models


class OrgChange(models.Model):
    """When a record of an organisation's subtree was last written, and per pack and year
    the dirty count of its stored-findings scope right after that write: a branch's kept
    pages (`page_cache.page`) are built again after its own write, and again once the
    refresh that read the write (its `refreshed` reaching that count) is stored; pages
    that show a kind of record only through its findings wait for that refresh alone.

    Written in the write's own transaction (`page_cache.on_record_written`)."""

    org = models.OneToOneField(
        "orgs.Organization", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField()
    # the same, leaving out the records the branch's 工作台, 概况 and 问题清单 show only
    # through their findings (trainings, filings: `page_cache.SHOWN_THROUGH_FINDINGS`)
    shown_at = models.DateTimeField(null=True, blank=True)
    # when the writes not yet read by a stored refresh began (a write after the refresh
    # that read the one before): pages showing findings are built again then, and once
    # that refresh is stored, not on every write in between
    pending_since = models.DateTimeField(null=True, blank=True)
    waiting_for = models.JSONField(default=dict)

    class Meta:
        db_table = "dj_org_change"
        verbose_name = "组织记录变更"

    def __str__(self) -> str:
        return f"{self.org_id} {self.at:%Y-%m-%d %H:%M:%S}"
