from grants.apps import lazy_site_name


def site(request):
    """The site's name for every template (DJANGO_SITE_NAME, or the translated
    default)."""
    return {"site_name": lazy_site_name}
