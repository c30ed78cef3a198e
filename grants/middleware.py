from django.utils.cache import patch_cache_control, patch_vary_headers


class PrivateForSignedInMiddleware:
    """A signed-in user's pages (staff see drafts) are `Cache-Control: private`, and
    every page varies on Cookie, so a shared cache never serves one visitor's copy to
    the other."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True)
        return response
