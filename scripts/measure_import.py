"""Times an IATI file through the admin as an official would: upload (preview job),
confirmation (import job), with a browser-like poll of the status view meanwhile.

Starts gunicorn (2 workers) and one job worker against DATABASE_URL, which must be
an empty database this script may migrate and fill (it creates the user `measure`).
Prints the wall time of the preview and of the import and the longest web request.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h15_measure \\
        .venv/bin/python scripts/measure_import.py FILE.xml --port 8251
"""

import argparse
import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


class Client:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar)
        )
        self.slowest = (0.0, "")

    def open(self, path, data=None, headers=None):
        request = urllib.request.Request(
            self.base + path,
            data=data,
            headers={"Referer": self.base + path, **(headers or {})},
        )
        started = time.monotonic()
        with self.opener.open(request, timeout=120) as response:
            body = response.read().decode()
            url = response.geturl()
        took = time.monotonic() - started
        if took > self.slowest[0]:
            self.slowest = (took, f"{'POST' if data else 'GET'} {path}")
        return url, body

    def token(self, path):
        return re.search(
            r'name="csrfmiddlewaretoken" value="([^"]+)"', self.open(path)[1]
        )[1]

    def post(self, path, fields):
        fields = {"csrfmiddlewaretoken": self.token(path), **fields}
        return self.open(path, urllib.parse.urlencode(fields).encode())

    def upload(self, path, name, content):
        boundary = uuid.uuid4().hex
        token = self.token(path)
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"'
                f"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; "
                f'name="file"; filename="{name}"\r\nContent-Type: application/xml\r\n\r\n'
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.open(
            path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )

    def wait(self, job_id):
        while True:
            _url, body = self.open(f"/admin/jobs/status.json?id={job_id}")
            if '"finished": true' in body:
                return body
            time.sleep(1.5)  # as static/js/jobs.js polls


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--port", type=int, default=8251)
    args = parser.parse_args()
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "measure-only-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_DB_STATEMENT_TIMEOUT_MS": "10000",
    }

    def run(*command):
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True)

    run("migrate", "--noinput", "--verbosity", "0")
    run("collectstatic", "--noinput", "--verbosity", "0")
    run(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "User.objects.filter(username='measure').exists() or "
        "User.objects.create_superuser('measure', password='measure-pw-1')",
    )
    web = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "grants.project.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            "2",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [PYTHON, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = Client(f"http://127.0.0.1:{args.port}")
        for _ in range(100):
            try:
                client.open("/healthz")
                break
            except OSError:
                time.sleep(0.2)
        client.post(
            "/admin/login/",
            {"username": "measure", "password": "measure-pw-1", "next": "/admin/"},
        )
        client.slowest = (0.0, "")  # from here on: what the official's import causes
        content = Path(args.file).read_bytes()
        started = time.monotonic()
        url, _ = client.upload("/admin/iati/import/", Path(args.file).name, content)
        preview_id = re.search(r"/admin/jobs/(\d+)/", url)[1]
        client.wait(preview_id)
        preview_done = time.monotonic()
        client.open(f"/admin/jobs/{preview_id}/")
        url, _ = client.post(f"/admin/jobs/{preview_id}/", {"confirm": "1"})
        import_id = re.search(r"/admin/jobs/(\d+)/", url)[1]
        status = client.wait(import_id)
        import_done = time.monotonic()
        _url, page = client.open(f"/admin/jobs/{import_id}/")
        summary = re.search(r'class="job-summary">([^<]*)<', page)
        print(f"file: {args.file} ({len(content) / 1e6:.1f} MB)")
        print(f"preview (upload to report): {preview_done - started:.1f} s")
        print(f"import (confirmation to report): {import_done - preview_done:.1f} s")
        print(f"status: {status}")
        print(f"report: {summary[1] if summary else '?'}")
        print(f"longest web request: {client.slowest[0]:.2f} s ({client.slowest[1]})")
    finally:
        for process in (web, worker):
            process.terminate()
            process.wait(30)


if __name__ == "__main__":
    main()
