"""The test database a worker starts from (tests/databases.py) is a whole migration:
every migration applied and what the data migrations made, whether it was migrated
in this run or copied from a template made by an earlier one."""

from pathlib import Path
from unittest import mock

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

    def test_the_digest_follows_the_migration_files_and_django(self):
        digest = migrations_digest()
        self.assertRegex(digest, r"^[0-9a-f]{12}$")
        self.assertEqual(migrations_digest(), digest)
        read_bytes = Path.read_bytes
        # One migration file changed: the next run migrates again.
        changed = "0001_initial.py"

        def edited(path):
            return read_bytes(path) + (b"#" if path.name == changed else b"")

        with mock.patch.object(Path, "read_bytes", edited):
            self.assertNotEqual(migrations_digest(), digest)
        with mock.patch("django.get_version", return_value="0.0"):
            self.assertNotEqual(migrations_digest(), digest)
