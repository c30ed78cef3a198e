"""A primary and a real streaming replica, two app servers on both: writes go to the
primary, public pages come from the replica, the official who saved reads their own
write, and a stopped replica means the primary, not an error.

    .venv/bin/python scripts/replicas.py        (make replicas)

Everything lives in a temporary folder and is removed at the end: a PostgreSQL primary
made with initdb (port REPLICAS_PRIMARY_PORT, 55431), migrated and seeded; a replica of
it made with `pg_basebackup -R` (a second data directory, streaming, port
REPLICAS_REPLICA_PORT, 55432); and two gunicorn servers (ports 8193 and 8194), each
with DATABASE_URL on the primary and DATABASE_REPLICA_URLS on the replica, sharing one
file cache. (A replica of the machine's own cluster would copy every database on it,
and that cluster must accept replication connections in pg_hba.conf; the temporary
primary needs neither.)

The script prints the replica's lag (bytes and milliseconds until a write is replayed),
which database served each page (the X-Read-Database header) and PASS or FAIL; the
exit code is 0 when every check passed. Run as root, the PostgreSQL commands run as the
`postgres` user (PostgreSQL refuses to run as root).
"""

import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from two_servers import (  # noqa: E402
    CODE,
    PYTHON,
    ROOT,
    TITLE,
    Browser,
    manage,
    start_server,
    wait_until_up,
)

PRIMARY_PORT = int(os.environ.get("REPLICAS_PRIMARY_PORT", 55431))
REPLICA_PORT = int(os.environ.get("REPLICAS_REPLICA_PORT", 55432))
APP_PORTS = (
    int(os.environ.get("REPLICAS_APP_PORT_A", 8193)),
    int(os.environ.get("REPLICAS_APP_PORT_B", 8194)),
)
DATABASE = "grants"


def postgres_bin(name: str) -> str:
    """A PostgreSQL program: from PG_BINDIR, `pg_config --bindir`, or PATH."""
    folders = [os.environ.get("PG_BINDIR", "")]
    if shutil.which("pg_config"):
        folders.append(
            subprocess.run(
                ["pg_config", "--bindir"], capture_output=True, text=True
            ).stdout.strip()
        )
    for folder in filter(None, folders):
        if (Path(folder) / name).exists():
            return str(Path(folder) / name)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found: set PG_BINDIR to PostgreSQL's bin folder.")
    return found


def as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def run(command: list[str], **kwargs):
    return subprocess.run(as_postgres(command), check=True, **kwargs)


def url(port: int) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"


def query(port: int, sql: str):
    with psycopg.connect(url(port), autocommit=True) as connection:
        return connection.execute(sql).fetchone()[0]


def start_cluster(folder: Path, port: int) -> None:
    run(
        [
            postgres_bin("pg_ctl"),
            "-D",
            str(folder),
            "-l",
            str(folder.parent / f"{folder.name}.log"),
            "-o",
            f"-p {port} -k {folder.parent} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        ],
        stdout=subprocess.DEVNULL,
    )


def stop_cluster(folder: Path) -> None:
    if (folder / "postmaster.pid").exists():
        subprocess.run(
            as_postgres(
                [postgres_bin("pg_ctl"), "-D", str(folder), "-m", "fast", "-w", "stop"]
            ),
            stdout=subprocess.DEVNULL,
            check=False,
        )


def make_primary(folder: Path) -> None:
    run(
        [postgres_bin("initdb"), "-D", str(folder), "-U", "postgres", "--auth=trust"],
        stdout=subprocess.DEVNULL,
    )
    # initdb's pg_hba.conf already trusts replication connections from loopback.
    with open(folder / "postgresql.conf", "a") as conf:
        conf.write("wal_level = replica\nmax_wal_senders = 5\nfsync = off\n")
    start_cluster(folder, PRIMARY_PORT)
    with psycopg.connect(
        f"postgres://postgres@127.0.0.1:{PRIMARY_PORT}/postgres", autocommit=True
    ) as connection:
        connection.execute(f"CREATE DATABASE {DATABASE}")


def make_replica(folder: Path) -> None:
    run(
        [
            postgres_bin("pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(PRIMARY_PORT),
            "-U",
            "postgres",
            "-D",
            str(folder),
            "-R",  # standby.signal and primary_conninfo: a streaming replica
            "-X",
            "stream",
            "-c",
            "fast",
        ]
    )
    start_cluster(folder, REPLICA_PORT)


def replay_time(lsn: str, *, limit: float = 10.0) -> float:
    """Seconds until the replica has replayed the primary's WAL up to `lsn`."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        behind = query(
            REPLICA_PORT, f"SELECT pg_wal_lsn_diff('{lsn}', pg_last_wal_replay_lsn())"
        )
        if behind <= 0:
            return time.perf_counter() - started
        time.sleep(0.002)
    raise SystemExit(f"The replica did not replay {lsn} within {limit} s.")


def main():
    work = Path(tempfile.mkdtemp(prefix="grants-replicas-"))
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        os.chown(work, postgres.pw_uid, postgres.pw_gid)
    primary, replica = work / "primary", work / "replica"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url(PRIMARY_PORT),
        DATABASE_REPLICA_URLS=url(REPLICA_PORT),
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_CACHE_DIR=str(work / "cache"),
        # A replica stopped in the check is tried again after this long.
        DATABASE_REPLICA_RETRY_SECONDS="2",
    )
    env.pop("REDIS_URL", None)
    servers = []
    checks = []

    def check(name, passed, detail=""):
        checks.append(passed)
        print(
            f"  {'ok  ' if passed else 'FAIL'} {name}{': ' + detail if detail else ''}"
        )

    try:
        print(f"primary: initdb in {primary}, port {PRIMARY_PORT}")
        make_primary(primary)
        username, password = "replicas-check", secrets.token_urlsafe(16)
        manage("migrate", "--noinput", "-v0", env=env)
        manage("load_seed", "-v0", env=env)
        manage("generate_demo", "--agreements", "200", "--results", "2000", env=env)
        manage("collectstatic", "--noinput", "-v0", env=env)
        manage(
            "shell",
            "--no-imports",
            "-c",
            "from django.contrib.auth import get_user_model as g; "
            f"u=g()(username={username!r}, is_staff=True, is_superuser=True); "
            f"u.set_password({password!r}); u.save()",
            env=env,
        )
        print(f"replica: pg_basebackup -R into {replica}, port {REPLICA_PORT}")
        make_replica(replica)
        check(
            "the replica is a streaming standby",
            query(REPLICA_PORT, "SELECT pg_is_in_recovery()")
            and query(
                PRIMARY_PORT,
                "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
            )
            == 1,
        )
        agreement_id = query(
            PRIMARY_PORT, f"SELECT id FROM grants_agreement WHERE code = '{CODE}'"
        )
        for port in APP_PORTS:
            servers.append(start_server(port, env, "--access-logfile", os.devnull))
        for port in APP_PORTS:
            wait_until_up(port)
        a = Browser(f"http://127.0.0.1:{APP_PORTS[0]}")
        visitor = Browser(f"http://127.0.0.1:{APP_PORTS[1]}")
        page = f"/agreements/{CODE}/"
        pages = ["/", "/agreements/", page, "/amendments/", "/results/", "/indicators/"]
        served = {}
        for path in pages:
            status, headers, _body = visitor.get(path)
            served[path] = (status, headers.get("X-Read-Database"))
        from_replica = sum(db == "replica1" for _s, db in served.values())
        check(
            "public pages through server B come from the replica",
            from_replica == len(pages) and all(s == 200 for s, _db in served.values()),
            f"{from_replica} of {len(pages)} pages",
        )

        a.login(username, password)
        original = dict(a.form(f"/admin/grants/agreement/{agreement_id}/change/"))[
            TITLE
        ]
        marker = f"replicas check {secrets.token_hex(4)}"
        a.set_title(agreement_id, f"{original} [{marker}]", "replicas check")
        written = time.perf_counter()
        lsn = query(PRIMARY_PORT, "SELECT pg_current_wal_lsn()::text")
        # The official's next view, through the other server: their session (and the
        # pin the save set) keep them on the primary, so the save is there at once.
        official_on_b = Browser(f"http://127.0.0.1:{APP_PORTS[1]}")
        official_on_b.opener = a.opener
        status, headers, body = official_on_b.get(page)
        check(
            "the official reads their own write through server B at once",
            marker in body and headers.get("X-Read-Database") == "primary",
            f"read from the {headers.get('X-Read-Database')}",
        )
        lag = replay_time(lsn)
        behind = query(
            PRIMARY_PORT,
            "SELECT COALESCE(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0)"
            " FROM pg_stat_replication",
        )
        print(
            f"  replica lag: replayed the save {1000 * lag:.1f} ms after the primary's "
            f"WAL position was read; {behind} bytes behind now"
        )
        polls, seen_at = 0, None
        while time.perf_counter() - written < 10:
            polls += 1
            status, headers, body = visitor.get(page)
            if marker in body:
                seen_at = time.perf_counter() - written
                break
            time.sleep(0.01)
        check(
            "a visitor on server B sees the save, from the replica",
            seen_at is not None and headers.get("X-Read-Database") == "replica1",
            f"{1000 * (seen_at or 0):.0f} ms after the save returned, {polls} views",
        )

        print(f"replica stopped ({replica})")
        stop_cluster(replica)
        results = [visitor.get(path)[:2] for path in pages]
        check(
            "with the replica down, every page answers from the primary",
            all(s == 200 and h.get("X-Read-Database") == "primary" for s, h in results),
            ", ".join(f"{s} {h.get('X-Read-Database')}" for s, h in results),
        )
        start_cluster(replica, REPLICA_PORT)
        time.sleep(2.5)  # DATABASE_REPLICA_RETRY_SECONDS
        back = [visitor.get(path)[1].get("X-Read-Database") for path in pages * 2]
        check(
            "once the replica is back, pages come from it again",
            "replica1" in back,
            f"{back.count('replica1')} of {len(back)} views",
        )
        a.set_title(agreement_id, original, "replicas check")

        # The benchmark's replica figures (and its query counts, taken on every
        # database), on this primary and replica.
        summary = (
            subprocess.run(
                [PYTHON, "manage.py", "benchmark", "--runs", "1", "--skip-csv"]
                + ["--skip-iati"],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        figures = json.loads(summary)["replica"]
        check(
            "manage.py benchmark reads the lists from the replica and measures its lag",
            figures["lists_from_replica"] == figures["lists"]
            and figures["lag_ms"]["replica1"] is not None
            and json.loads(summary)["max_list_queries"] > 0,
            json.dumps(figures),
        )
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)
        stop_cluster(replica)
        stop_cluster(primary)
        shutil.rmtree(work, ignore_errors=True)
        print(f"removed {work}")
    passed = all(checks) and bool(checks)
    print("primary and replica:", "PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
