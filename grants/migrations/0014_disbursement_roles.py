"""The staff roles (indicators migration 0003) take disbursements as they take
amendments: data entry views, adds, changes and deletes drafts; reviewers publish."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Data entry": ["view", "add", "change", "delete"],
    "Reviewer": ["view", "add", "change", "delete", "publish"],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, actions in ROLES.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="grants",
                codename__in=[f"{action}_disbursement" for action in actions],
            )
        )
    # Every permission, as the role promises: those of the models added since
    # indicators 0003 too (the order in which migrations of two apps run may differ).
    administrator = Group.objects.filter(name="Administrator").first()
    if administrator is not None:
        administrator.permissions.set(Permission.objects.all())


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(
        content_type__app_label="grants", codename__endswith="disbursement"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0013_disbursements"),
        ("indicators", "0003_staff_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
