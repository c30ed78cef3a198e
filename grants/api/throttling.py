"""The API's throttle (settings.REST_FRAMEWORK, DEFAULT_THROTTLE_CLASSES): a module
of its own, since DRF imports it while its views are being defined."""

from rest_framework.throttling import AnonRateThrottle

from django.conf import settings

from ..cache import CACHE_ERRORS, cache, cache_failed, cache_is_resting


class AddressRateThrottle(AnonRateThrottle):
    """`API_THROTTLE_RATE` requests per client address (README, "API"): 429 with
    `Retry-After` beyond it. The address is the connection's, or with
    DJANGO_TRUSTED_PROXY_COUNT the one the proxies append to X-Forwarded-For. A
    signed-in visitor is counted by address too. A cache that fails lets the request
    through (and is left alone a while, as the pages leave it)."""

    @property
    def cache(self):
        return cache()

    def get_rate(self):
        return settings.API_THROTTLE_RATE or None

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": "api", "ident": self.get_ident(request)}

    def allow_request(self, request, view):
        if self.rate is None or cache_is_resting():
            return True
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as error:
            cache_failed("throttle", error)
            return True
