"""Helpers for the job tests: a generated IATI file, workers and servers started as
real processes against the test database, and running jobs in this process."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.db import connection

REPO = Path(__file__).resolve().parents[1]
WAIT_SECONDS = 60  # an upper bound for a worker to get somewhere, not a measurement


def iati_file(count: int, *, prefix: str = "ZZ-JOB") -> bytes:
    """`count` activities, each with two commitments and one result."""
    activities = []
    for n in range(1, count + 1):
        activities.append(
            f"""
  <iati-activity default-currency="USD">
    <iati-identifier>{prefix}-{n:04d}</iati-identifier>
    <reporting-org ref="{prefix}" type="10"><narrative>Job test agency</narrative></reporting-org>
    <title><narrative>Activity {n}</narrative></title>
    <participating-org ref="{prefix}" type="10" role="1"><narrative>Job test agency</narrative></participating-org>
    <participating-org ref="{prefix}-IMP-{n % 7}" type="22" role="4"><narrative>Implementer {n % 7}</narrative></participating-org>
    <activity-status code="2"/>
    <activity-date type="2" iso-date="2021-01-01"/>
    <transaction><transaction-type code="2"/><transaction-date iso-date="2021-01-10"/><value>{1000 + n}.00</value></transaction>
    <transaction><transaction-type code="2"/><transaction-date iso-date="2022-01-10"/><value>500.00</value></transaction>
    <result type="1"><title><narrative>People reached {n}</narrative></title>
      <indicator measure="1" ascending="1"><title><narrative>People reached {n}</narrative></title>
        <period><period-start iso-date="2021-01-01"/><period-end iso-date="2021-12-31"/>
          <target value="100"/><actual value="{n}"/></period>
      </indicator>
    </result>
  </iati-activity>"""
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">'
        + "".join(activities)
        + "\n</iati-activities>\n"
    ).encode()


def database_url() -> str:
    """The test database, as DATABASE_URL for another process."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = quote(settings.get("USER") or "")
    password = settings.get("PASSWORD")
    auth = f"{user}:{quote(password)}@" if password else f"{user}@" if user else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings['NAME']}"


def process_env(**extra) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "JOBS_HEARTBEAT_SECONDS": "0.1",
        "PYTHONPATH": str(REPO),
    }
    env.pop("DJANGO_DEBUG", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_worker(**extra) -> subprocess.Popen:
    """`manage.py db_worker`, the real database backend's worker, in a new process."""
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.05",
        ],
        cwd=REPO,
        env=process_env(**extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def free_port() -> int:
    """A port nobody listens on now (so parallel test runs do not collide)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    """Another app server: gunicorn on 127.0.0.1:`port` against the test database."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "grants.project.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=REPO,
        env=process_env(DJANGO_ALLOWED_HOSTS="127.0.0.1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(predicate, what: str, process: subprocess.Popen | None = None):
    """Poll until `predicate()` is true (returning its value); fail after a generous
    bound, or as soon as `process` has died."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(
                f"the process died while waiting for {what}: "
                + process.stderr.read().decode(errors="replace")[-2000:]
            )
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def run_waiting_jobs() -> list:
    """Run every waiting job in this process, as a worker would (for TestCase tests,
    where nothing is committed for a worker to see)."""
    from grants.jobs.models import Job, JobState
    from grants.jobs.runner import run_job

    ran = []
    for pk in (
        Job.objects.filter(state=JobState.WAITING)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        run_job.call(pk)
        ran.append(pk)
    return ran
