"""The three staff roles as groups, so every fresh database has them.

Permissions are normally created after all migrations have run, so this migration creates
those it needs first (the same call Django's post_migrate handler makes).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations


DATA_ENTRY = {
    # model: actions (view, add, change, delete) or custom codenames
    "grants.organization": ["view", "add", "change"],
    "grants.sourcedocument": ["view", "add", "change"],
    "grants.programarea": ["view", "add", "change"],
    "grants.agreement": ["view", "add", "change"],
    "grants.participation": ["view", "add", "change", "delete"],
    "grants.amendment": ["view", "add", "change", "delete"],
    "grants.budget": ["view", "add", "change"],
    "indicators.indicator": ["view", "add", "change"],
    "indicators.result": ["view", "add", "change", "delete"],
}

REVIEWER_EXTRA = {
    "grants.organization": ["delete"],
    "grants.sourcedocument": ["delete"],
    "grants.programarea": ["delete"],
    "grants.agreement": ["delete", "publish_agreement"],
    "grants.amendment": ["publish_amendment"],
    "grants.budget": ["delete"],
    "indicators.indicator": ["delete", "publish_indicator"],
    "indicators.result": ["approve_result"],
}


def codenames(spec):
    for label, actions in spec.items():
        app_label, model = label.split(".")
        for action in actions:
            codename = action if "_" in action else f"{action}_{model}"
            yield app_label, codename


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(pairs):
        found = []
        for app_label, codename in pairs:
            found.append(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=codename
                )
            )
        return found

    data_entry = perms(codenames(DATA_ENTRY))
    reviewer = data_entry + perms(codenames(REVIEWER_EXTRA))
    for name, permissions in [("Data entry", data_entry), ("Reviewer", reviewer)]:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
    administrator, _ = Group.objects.get_or_create(name="Administrator")
    administrator.permissions.set(Permission.objects.all())


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Data entry", "Reviewer", "Administrator"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("grants", "0004_history_versions_publish_permission"),
        ("indicators", "0002_history_versions_approve_permission"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
