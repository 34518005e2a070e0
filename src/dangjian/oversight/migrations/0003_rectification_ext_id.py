import django.db.models.functions
from django.db import migrations, models

import dangjian.oversight.models


def fill_ext_ids(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Rows recorded before external ids existed get "R<pk>"."""
    Rectification = apps.get_model("oversight", "Rectification")
    db = schema_editor.connection.alias
    Rectification.objects.using(db).filter(ext_id__isnull=True).update(
        ext_id=django.db.models.functions.Concat(
            models.Value("R"), models.F("pk"), output_field=models.CharField()
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("oversight", "0002_rectification_loop"),
    ]

    operations = [
        migrations.AddField(
            model_name="rectification",
            name="ext_id",
            field=models.CharField(max_length=64, null=True, verbose_name="编号"),
        ),
        migrations.RunPython(fill_ext_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="rectification",
            name="ext_id",
            field=models.CharField(
                default=dangjian.oversight.models.new_rectification_ext_id,
                max_length=64,
                unique=True,
                verbose_name="编号",
            ),
        ),
        migrations.AddField(
            model_name="rectification",
            name="extra",
            field=models.JSONField(blank=True, default=dict, verbose_name="扩展字段"),
        ),
    ]
