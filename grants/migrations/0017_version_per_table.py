from django.db import migrations, models


def name_the_whole_record_row(apps, schema_editor):
    """The one row so far was the record's version: it becomes `*`, the row every
    cached entry depends on (grants/cache.py); a database without it gets it."""
    PublicVersion = apps.get_model("grants", "PublicVersion")
    alias = schema_editor.connection.alias
    if not PublicVersion.objects.using(alias).filter(scope="*").exists():
        PublicVersion.objects.using(alias).create(scope="*")


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0016_record_in_every_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="publicversion",
            name="scope",
            field=models.CharField(default="*", max_length=100, verbose_name="scope"),
            preserve_default=False,
        ),
        migrations.RunPython(name_the_whole_record_row, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="publicversion",
            name="scope",
            field=models.CharField(max_length=100, unique=True, verbose_name="scope"),
        ),
    ]
