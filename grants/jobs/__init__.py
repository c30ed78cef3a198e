"""Background jobs: long work (imports) runs in a worker, not in the web request.

The web request stores the upload in the database (`Upload`) and enqueues a `Job`;
a worker (`manage.py db_worker`) runs it through Django's task API and writes its
progress and its report on the job, which the admin's Jobs page shows. Each app
registers its own kinds of job (`registry.register`), so grants knows nothing of
indicators."""
