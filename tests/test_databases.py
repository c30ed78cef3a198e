"""The test database a worker starts from (tests/databases.py) is a whole migration:
every migration applied and what the data migrations made, whether it was migrated
in this run or copied from a template made by an earlier one."""

from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TestCase

from tests.databases import migrations_digest


class TestDatabaseTests(TestCase):
    def test_every_migration_is_applied(self):
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        self.assertEqual(plan, [])

    def test_the_data_migrations_ran(self):
        # The staff roles are made by migrations, with their permissions.
        roles = Group.objects.filter(
            name__in=["Data entry", "Reviewer", "Administrator"]
        ).exclude(permissions=None)
        self.assertEqual(roles.distinct().count(), 3)

    def test_the_digest_follows_the_migration_files(self):
        self.assertRegex(migrations_digest(), r"^[0-9a-f]{12}$")
        self.assertEqual(migrations_digest(), migrations_digest())
