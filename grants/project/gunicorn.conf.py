"""gunicorn settings for `make serve` and the scripts that start gunicorn
(`gunicorn -c grants/project/gunicorn.conf.py grants.project.wsgi`). Read from the environment, like
grants/project/settings.py; README.md, "Deployment", lists each variable.

HTTPS behind a proxy is told by one header only, `DJANGO_SECURE_PROXY_SSL_HEADER`,
which Django reads too. gunicorn's own defaults trust three (`X-Forwarded-Proto`,
`X-Forwarded-Ssl`, `X-Forwarded-Protocol`) from 127.0.0.1, which would let anyone on
the machine, or a proxy that passes them through, claim HTTPS: here gunicorn trusts
none unless that variable is set, and then only that header, from
`FORWARDED_ALLOW_IPS` (127.0.0.1 by default).
"""

import os


def proxy_ssl_header_name(django_name: str) -> str:
    """Django's META name of a header (HTTP_X_FORWARDED_PROTO) as gunicorn writes
    it (X-FORWARDED-PROTO)."""
    return django_name.strip().upper().removeprefix("HTTP_").replace("_", "-")


_proxy_ssl_header = os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER", "").strip()

if _proxy_ssl_header:
    secure_scheme_headers = {proxy_ssl_header_name(_proxy_ssl_header): "https"}
    forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
else:
    secure_scheme_headers = {}
    forwarded_allow_ips = ""

# About 2 per core; the deploy check (grants.E001) refuses more than one with a
# per-process cache.
workers = int(os.environ.get("WEB_CONCURRENCY", "1") or "1")
# Django's log and the access log go to standard output, for the service manager.
accesslog = "-"
errorlog = "-"
