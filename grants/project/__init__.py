"""The project plumbing: settings, root URLs, WSGI, middleware, health check, gunicorn's
configuration, system checks, the third-party apps' configs and the login backend."""
