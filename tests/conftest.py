import pytest

import tests.environment  # noqa: F401  (also loaded earlier as a plugin)


@pytest.fixture(autouse=True)
def _static_files_without_manifest(settings):
    """Tests run with DEBUG off but without `collectstatic`: name static files plainly
    instead of through the production manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
