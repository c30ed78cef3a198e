"""Two app servers, one database: write through one, read the change through the other.

    DATABASE_URL=postgres://... [REDIS_URL=redis://...] .venv/bin/python scripts/two_servers.py

Starts two gunicorn servers on 127.0.0.1 (ports 8191 and 8192), both on DATABASE_URL.
The public-page cache is on and shared (REDIS_URL, else one file cache on this
machine): the script first warms server B's cache, then edits agreement 527-0427's
title through server A's admin (a real form post, as an official would), and reads
the public page through server B at once: the new title must be there. The title is
restored at the end. Exit code 0 when every check passed.
"""

import http.cookiejar
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PORTS = (
    int(os.environ.get("TWO_SERVERS_PORT_A", 8191)),
    int(os.environ.get("TWO_SERVERS_PORT_B", 8192)),
)
CODE = "527-0427"
# The admin's field for the title in the original language (django-modeltranslation).
TITLE = "title_en"


class FormParser(HTMLParser):
    """Collects the fields of the admin change form as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.in_form = False
        self.select = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "").lower() == "post":
            self.in_form = True
        if not self.in_form:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in {"submit", "button", "file", "image"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self.fields.append(
                (a["name"], a.get("value", "on" if kind == "checkbox" else ""))
            )
        elif tag == "select" and a.get("name"):
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self.textarea = [a["name"], ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            # Browsers drop the one newline that follows <textarea>.
            name, value = self.textarea
            self.fields.append((name, value.removeprefix("\n")))
            self.textarea = None


class Browser:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar)
        )

    def get(self, path):
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(
            self.base + path, data=data, headers={"Referer": self.base + path}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, path, error.read().decode()

    def form(self, path):
        parser = FormParser()
        parser.feed(self.get(path)[2])
        return parser.fields

    def login(self, username, password):
        fields = dict(self.form("/admin/login/"))
        fields.update(username=username, password=password, next="/admin/")
        status, url, _ = self.post("/admin/login/", fields)
        if "/admin/login/" in url:
            raise SystemExit("Could not log in to the admin on server A.")

    def set_title(self, agreement_id, title, reason="two-servers check"):
        path = f"/admin/grants/agreement/{agreement_id}/change/"
        fields = [
            (k, v) for k, v in self.form(path) if k not in {TITLE, "change_reason"}
        ]
        # A published record takes a reason for every change (it goes into the history).
        fields += [(TITLE, title), ("change_reason", reason)]
        status, url, body = self.post(path, fields)
        if url.rstrip("/").endswith("change") or status != 200:
            raise SystemExit(
                f"The admin refused the edit on server A (status {status})."
            )


def manage(*args, env, check=True):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=check)


def start_server(port, env, *options):
    """gunicorn with the project's settings file, two workers, on 127.0.0.1:port."""
    command = [GUNICORN, "-c", "grants/project/gunicorn.conf.py", "grants.project.wsgi"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "2"]
    command += ["--log-level", "warning", *options]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def wait_until_up(port):
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"Server on port {port} did not start.")


def main():
    if not os.environ.get("DATABASE_URL", "").startswith(
        ("postgres://", "postgresql://")
    ):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (postgres://...).")
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        # The check talks plain HTTP on loopback: secure-only cookies would never be
        # sent back, and the admin login would fail its CSRF check.
        DJANGO_SECURE_COOKIES="0",
    )
    if not env.get("REDIS_URL"):
        # Both servers are on this machine: Django's file cache is shared by them.
        env["DJANGO_CACHE_DIR"] = tempfile.mkdtemp(prefix="two-servers-cache-")
        print("REDIS_URL is not set: both servers share one file cache.")
    username, password = "two-servers-check", secrets.token_urlsafe(16)
    manage("migrate", "--noinput", "-v0", env=env)
    manage("load_seed", "-v0", env=env)
    manage("collectstatic", "--noinput", "-v0", env=env)
    manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.contrib.auth import get_user_model as g; U=g(); "
        f"u=U.objects.filter(username={username!r}).first() or U(username={username!r}); "
        f"u.is_staff=u.is_superuser=True; u.set_password({password!r}); u.save()",
        env=env,
    )
    agreement_id = subprocess.run(
        [
            PYTHON,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            f"from grants.models import Agreement; print(Agreement.objects.get(code={CODE!r}).pk)",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()

    servers = [start_server(port, env) for port in PORTS]
    failures = 0
    try:
        for port in PORTS:
            wait_until_up(port)
        a, b = (
            Browser(f"http://127.0.0.1:{PORTS[0]}"),
            Browser(f"http://127.0.0.1:{PORTS[1]}"),
        )
        page = f"/agreements/{CODE}/"
        original = None
        b.get(page)
        status, headers, body = b.get(page)
        print(
            f"server B before the write: {status}, cache {headers.get('X-Public-Cache', 'off')}"
        )
        a.login(username, password)
        fields = dict(a.form(f"/admin/grants/agreement/{agreement_id}/change/"))
        original = fields[TITLE]
        marker = f"two-servers check {secrets.token_hex(4)}"
        started = time.perf_counter()
        a.set_title(agreement_id, f"{original} [{marker}]")
        written = time.perf_counter()
        status, headers, body = b.get(page)
        read = time.perf_counter()
        seen = marker in body
        failures += not seen
        print(
            f"wrote through A in {1000 * (written - started):.0f} ms; read through B "
            f"{1000 * (read - written):.0f} ms later: status {status}, cache "
            f"{headers.get('X-Public-Cache', 'off')}, change {'seen' if seen else 'NOT seen'}"
        )
        a.set_title(agreement_id, original)
        status, headers, body = b.get(page)
        restored = marker not in body
        failures += not restored
        print(f"title restored through A, B shows it: {'yes' if restored else 'NO'}")
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)
        manage(
            "shell",
            "--no-imports",
            "-c",
            f"from django.contrib.auth import get_user_model as g; g().objects.filter(username={username!r}).delete()",
            env=env,
            check=False,
        )
    print("two servers, one database:", "PASS" if not failures else "FAIL")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
