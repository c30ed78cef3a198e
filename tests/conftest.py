import pytest


@pytest.fixture(autouse=True)
def _static_files_without_manifest(settings):
    """Serve static URLs unhashed: the manifest exists only after collectstatic."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
