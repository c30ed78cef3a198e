"""Two real app servers (gunicorn, two workers each) on one database (the test
database, its rows committed) and the default cache (Django's file cache, shared by the
machine's processes): after a committed unpublish, no server and no worker serves the
agreement's page or the IATI feed again, not once in a bounded loop (issue 13, finding 1).

The servers run with DJANGO_DEBUG=1 only so that static files need no collectstatic;
the cache and the public version behave the same either way.
"""

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.test import TransactionTestCase

from tests.jobs_support import database_url
from tests.servers import ROOT, GunicornServer

CODE = "527-0427"
REQUESTS_AFTER = 24


class TwoServersTests(TransactionTestCase):
    def setUp(self):
        directory = tempfile.TemporaryDirectory(prefix="grants-two-servers-")
        self.addCleanup(directory.cleanup)
        base = Path(directory.name)
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        }
        self.env.update(
            DJANGO_DEBUG="1",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DATABASE_URL=database_url(),
            DJANGO_CACHE_DIR=str(base / "cache"),
            PUBLIC_PAGE_CACHE_SECONDS="300",
            PUBLIC_VALUE_CACHE_SECONDS="300",
            IATI_REPORTING_ORG_REF="XM-TEST",
            IATI_REPORTING_ORG_NAME="Test publisher",
        )
        call_command("load_seed", verbosity=0)

    def manage_shell(self, code):
        subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )

    def test_no_stale_page_after_a_committed_unpublish(self):
        servers = [GunicornServer(self.env, workers=2) for _ in range(2)]
        for server in servers:
            self.addCleanup(server.stop)
            server.wait_until_up()
        pages = [f"/agreements/{CODE}/", "/iati/activities.xml"]
        # Warm every server's workers: each page is served from the shared cache.
        hits = set()
        for _round in range(10):
            for server in servers:
                for page in pages:
                    status, headers, body = server.get(page)
                    self.assertEqual(status, 200)
                    self.assertIn(CODE.encode(), body)
                    if headers.get("X-Public-Cache") == "hit":
                        hits.add((server.port, page))
        # The IATI document is streamed (never cached, it carries an ETag): only
        # the agreement page comes from the shared cache.
        self.assertEqual(
            hits,
            {(server.port, f"/agreements/{CODE}/") for server in servers},
            "every server should serve the page from the cache",
        )

        self.manage_shell(
            "from grants.models import Agreement; "
            f"a = Agreement.objects.get(code={CODE!r}); "
            "a.publication = 'draft'; a.save()"
        )

        stale = []
        for request in range(REQUESTS_AFTER):
            server = servers[request % 2]
            for page in pages:
                status, headers, body = server.get(page)
                if status == 200 and CODE.encode() in body:
                    stale.append((server.port, page, headers.get("X-Public-Cache")))
        self.assertEqual(stale, [])
