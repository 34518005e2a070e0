from django.db import models

DEFAULT_PACK = "yunnan-2019"


class PackAssignment(models.Model):
    """The pack a work committee chose for its tree (the nearest assignment above an org wins)."""

    org = models.OneToOneField(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="pack_assignment",
        verbose_name="党组织",
    )
    pack_id = models.CharField("规定包", max_length=64, default=DEFAULT_PACK)

    class Meta:
        db_table = "dj_pack_assignment"
        verbose_name = "适用规定"
        verbose_name_plural = "适用规定"

    def __str__(self) -> str:
        return f"{self.org} → {self.pack_id}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from dangjian.policy.packs import list_packs

        if self.pack_id not in list_packs():
            raise ValidationError({"pack_id": f"没有规定包 {self.pack_id!r}"})


class DataVersion(models.Model):
    """A counter bumped on every audited write: cached findings are keyed by it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField("版本", default=0)
    # Random per row creation: keys never collide across databases (or rolled-back tests).
    token = models.CharField("标识", max_length=32, default="")

    class Meta:
        db_table = "dj_data_version"
        verbose_name = "数据版本"
        verbose_name_plural = "数据版本"

    def __str__(self) -> str:
        return str(self.version)
