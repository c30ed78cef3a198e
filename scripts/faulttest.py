#!/usr/bin/env python3
"""Fault test: restart PostgreSQL under a running app and watch it recover.

Starts gunicorn (production settings, DEBUG off) against the PostgreSQL in
DATABASE_URL, sends requests in a loop, stops PostgreSQL for a few seconds and
starts it again, and prints every response. It passes when requests succeed
before the outage, fail cleanly (503) during it, and succeed again afterwards
from the same gunicorn workers (no restart).

It stops the local PostgreSQL cluster (pg_ctlcluster, as root): run it only
where nobody else needs that server for those seconds.

    make faulttest DATABASE_URL=postgres://postgres@127.0.0.1:5432/faulttest PORT=8107
"""

import argparse
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PATHS = ["/", "/agreements/527-0427/", "/healthz"]


def cluster_from_system():
    versions = sorted(os.listdir("/etc/postgresql"))
    return versions[-1], "main"


def pg_ctl(action, version, cluster):
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, action]
        + (["-m", "fast"] if action == "stop" else []),
        check=True,
    )


def worker_pids(master_pid):
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return sorted(int(pid) for pid in children.read_text().split())


def fetch(base, path):
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError as error:
        return f"no answer ({error.__class__.__name__})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
    parser.add_argument("--before", type=float, default=3, help="seconds before")
    parser.add_argument("--outage", type=float, default=3, help="seconds down")
    parser.add_argument("--after", type=float, default=6, help="seconds after")
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://... (the fault test needs PostgreSQL).")
    version, cluster = cluster_from_system()
    python = sys.executable
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY")
        or secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": args.host,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    manage = [python, "manage.py"]
    for command in (
        ["migrate", "--noinput"],
        ["load_seed"],
        ["collectstatic", "--noinput"],
    ):
        subprocess.run(
            manage + command + ["--verbosity", "0"], cwd=BASE_DIR, env=env, check=True
        )

    base = f"http://{args.host}:{args.port}"
    gunicorn = subprocess.Popen(
        [
            str(Path(python).with_name("gunicorn")),
            "-c",
            "grants/project/gunicorn.conf.py",
            "grants.project.wsgi",
            "--bind",
            f"{args.host}:{args.port}",
            "--workers",
            "2",
            "--error-logfile",
            "-",
        ],
        cwd=BASE_DIR,
        env=env,
    )
    log = []
    try:
        for _ in range(50):
            if isinstance(fetch(base, "/healthz"), int):
                break
            time.sleep(0.2)
        workers_before = worker_pids(gunicorn.pid)
        start = time.monotonic()
        phase = "before"
        stopped_at = started_at = None
        while True:
            now = time.monotonic() - start
            if phase == "before" and now >= args.before:
                print(
                    f"--- {now:5.1f}s stopping PostgreSQL {version}/{cluster}",
                    flush=True,
                )
                pg_ctl("stop", version, cluster)
                stopped_at = time.monotonic() - start
                phase = "outage"
            elif phase == "outage" and now >= stopped_at + args.outage:
                print(
                    f"--- {now:5.1f}s starting PostgreSQL {version}/{cluster}",
                    flush=True,
                )
                pg_ctl("start", version, cluster)
                started_at = time.monotonic() - start
                print(
                    f"--- {started_at:5.1f}s PostgreSQL accepts connections", flush=True
                )
                phase = "after"
            elif phase == "after" and now >= started_at + args.after:
                break
            for path in PATHS:
                status = fetch(base, path)
                elapsed = time.monotonic() - start
                log.append((phase, path, status))
                print(f"{elapsed:5.1f}s {phase:6} {path:24} {status}", flush=True)
            time.sleep(0.25)
        workers_after = worker_pids(gunicorn.pid)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode != 0:
            pg_ctl("start", version, cluster)

    def statuses(phase):
        return [status for p, _, status in log if p == phase]

    before, outage, after = statuses("before"), statuses("outage"), statuses("after")
    first_ok = next((i for i, status in enumerate(after) if status == 200), None)
    recovered = after[first_ok:] if first_ok is not None else []
    print()
    print(f"before the outage: {summary(before)}")
    print(f"during the outage: {summary(outage)}")
    print(f"after the restart: {summary(after)}")
    print(f"gunicorn workers: {workers_before} before, {workers_after} after")
    failures = []
    if set(before) != {200}:
        failures.append("requests failed before the outage")
    if not outage or not set(outage) <= {200, 503}:
        failures.append("requests during the outage did not fail cleanly with 503")
    if not recovered or set(recovered) != {200}:
        failures.append("the app did not answer 200 again after the restart")
    if workers_before != workers_after:
        failures.append("gunicorn workers were restarted")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("PASSED: clean 503s during the outage, 200s again without a restart")
    return 0


def summary(statuses):
    counts = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return (
        ", ".join(f"{count} x {status}" for status, count in counts.items()) or "none"
    )


if __name__ == "__main__":
    sys.exit(main())
