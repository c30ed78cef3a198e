"""The one way of adding an admin page that is not about one model (the Jobs pages,
the IATI import page, the amount preview): a view decorated with `admin_page`, routed
in its app's admin URLconf (grants/admin_urls.py, indicators/iati/admin_urls.py),
which grants/project/urls.py includes under admin/ before the admin's own URLs.
A page about one model is a ModelAdmin's (`get_urls`, wrapped in the site's
`admin_view`, as grants/admin_import.py's import template)."""

import functools

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.views.decorators.http import require_safe

from .forms import amount_preview as amount_preview_text


def admin_page(view=None, *, permission: str | None = None):
    """The admin's checks for a page of its own: a staff login (the admin's login page
    otherwise), no caching and CSRF protection (`AdminSite.admin_view`), and 403 for
    a user without `permission` where the page needs one."""

    def decorate(view):
        @functools.wraps(view)
        def checked(request, *args, **kwargs):
            if permission and not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return admin.site.admin_view(checked)

    return decorate(view) if view is not None else decorate


@admin_page
@require_safe
def amount_preview(request):
    """For the admin's amount fields (static/grants/amount-preview.js): what a typed
    amount will be stored as, read by the same rule as the form."""
    return JsonResponse(amount_preview_text(request.GET.get("value", "")[:100]))
