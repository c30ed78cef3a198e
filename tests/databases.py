"""The test databases, migrated once per set of migrations instead of once per run.

Running every migration takes about ten seconds per test worker, most of it Django
rebuilding the models' state after each operation. The first worker to need a test
database migrates it and keeps a copy, the template, named after a digest of every
installed app's migration files (and Django's version); each worker of this and later
runs starts from a copy of the template. A change to any migration gives a new digest,
so the next run migrates again from nothing, and the old template is removed.

The template is a file beside the test database on SQLite and a database of the same
server on PostgreSQL (`CREATE DATABASE … TEMPLATE`). The workers of one run take
turns through a lock file, so one migrates while the others wait to copy.
"""

import fcntl
import hashlib
import os
import shutil
import sqlite3
import sys
from contextlib import closing, contextmanager
from pathlib import Path

import django
from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.test.utils import setup_databases, teardown_databases

LOCK = Path(settings.BASE_DIR) / ".test-db.lock"
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
# pytest-xdist's worker, whose name pytest-django appends to the test database's.
WORKER_SUFFIX = (
    f"_{os.environ['PYTEST_XDIST_WORKER']}"
    if os.environ.get("PYTEST_XDIST_WORKER")
    else ""
)


def shared_name(test_name):
    """The test database's name without the worker's suffix."""
    return test_name.removesuffix(WORKER_SUFFIX) if WORKER_SUFFIX else test_name


def migrations_digest():
    """A digest of every migration file Django would run, and Django's version."""
    digest = hashlib.sha256(django.get_version().encode())
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for key in sorted(loader.disk_migrations):
        module = sys.modules[loader.disk_migrations[key].__module__]
        digest.update("/".join(key).encode())
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:12]


@contextmanager
def exclusive_lock():
    with open(LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class SQLiteTemplate:
    def __init__(self, test_name, digest):
        self.test_name = Path(test_name)
        self.prefix = f"{shared_name(self.test_name.name)}-template-"
        self.path = self.test_name.with_name(f"{self.prefix}{digest}")

    def exists(self):
        return self.path.exists()

    def remove_others(self):
        for path in self.path.parent.glob(f"{self.prefix}*"):
            if path != self.path:
                path.unlink(missing_ok=True)

    def save_from_test_database(self):
        # The backup API copies what is in the write-ahead log too; then one rename.
        partial = self.path.with_name(self.path.name + ".partial")
        partial.unlink(missing_ok=True)
        with (
            closing(sqlite3.connect(self.test_name)) as source,
            closing(sqlite3.connect(partial)) as target,
        ):
            source.backup(target)
        partial.replace(self.path)

    def copy_to_test_database(self):
        for suffix in SQLITE_SIDE_FILES:
            Path(f"{self.test_name}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.path, self.test_name)


def on_maintenance_database(connection, sql, params=()):
    """`sql` on the PostgreSQL server's maintenance database, connected as Django
    connects (host, user, OPTIONS), outside any transaction as CREATE DATABASE needs."""
    import psycopg

    options = {**connection.get_connection_params(), "dbname": "postgres"}
    with psycopg.connect(autocommit=True, **options) as db:
        cursor = db.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


class PostgreSQLTemplate:
    def __init__(self, connection, test_name, digest):
        self.connection = connection
        self.test_name = test_name
        self.prefix = f"{shared_name(test_name)}_template_"
        self.name = f"{self.prefix}{digest}"

    def execute(self, sql, params=()):
        return on_maintenance_database(self.connection, sql, params)

    def exists(self):
        return bool(
            self.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name])
        )

    def remove_others(self):
        rows = self.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)",
            [self.prefix],
        )
        for (name,) in rows:
            if name != self.name:
                self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def save_from_test_database(self):
        connections.close_all()  # a template database may have no other session
        self.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.test_name}"')

    def copy_to_test_database(self):
        self.execute(f'DROP DATABASE IF EXISTS "{self.test_name}" WITH (FORCE)')
        self.execute(f'CREATE DATABASE "{self.test_name}" TEMPLATE "{self.name}"')


def end_other_sessions(connection):
    """End any session still on the PostgreSQL test database of `connection` (a
    server or thread a test started that has not quite gone), which would make DROP
    DATABASE refuse; returns what each session was, for a warning. The database is
    one this run made."""
    if connection.vendor != "postgresql":
        return []
    return on_maintenance_database(
        connection,
        "SELECT pid, application_name, state, left(query, 120),"
        " pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        [connection.settings_dict["NAME"]],
    )


def template_for(alias, digest):
    """The template of the test database of `alias`, or None for a database this
    module cannot copy (it is then created and migrated as Django does)."""
    settings_dict = connections[alias].settings_dict
    # Django's names for a test database with no TEST NAME: SQLite's in memory
    # (nothing to copy), PostgreSQL's "test_" and the database's.
    test_name = settings_dict["TEST"].get("NAME")
    engine = settings_dict["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        if not test_name or connections[alias].creation.is_in_memory_db(test_name):
            return None
        return SQLiteTemplate(test_name, digest)
    if engine == "django.db.backends.postgresql":
        test_name = test_name or f"test_{settings_dict['NAME']}"
        return PostgreSQLTemplate(connections[alias], test_name, digest)
    return None


def set_up(verbosity, serialized_aliases):
    """Django's setup_databases, each test database copied from its template when
    there is one; returns what Django's teardown_databases takes."""
    digest = migrations_digest()
    with exclusive_lock():
        templates = [
            template_for(alias, digest)
            for alias in connections
            if not connections[alias].settings_dict["TEST"].get("MIRROR")
        ]
        templates = [template for template in templates if template is not None]
        ready = bool(templates) and all(template.exists() for template in templates)
        if not ready:
            databases = setup_databases(
                verbosity=verbosity,
                interactive=False,
                serialized_aliases=serialized_aliases,
            )
            for template in templates:
                template.remove_others()
                template.save_from_test_database()
            return databases
        for template in templates:
            template.copy_to_test_database()
    # Already migrated: Django finds each database there, and nothing to migrate.
    return setup_databases(
        verbosity=verbosity,
        interactive=False,
        keepdb=True,
        serialized_aliases=serialized_aliases,
    )


def tear_down(created, verbosity):
    """Django's teardown_databases, after closing this thread's connections and
    ending what else still uses each test database; returns those sessions."""
    connections.close_all()
    lingering = [
        session
        for connection, _old_name, destroy in created
        if destroy
        for session in end_other_sessions(connection)
    ]
    teardown_databases(created, verbosity=verbosity)
    return lingering
