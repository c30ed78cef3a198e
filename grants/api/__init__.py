"""The public read-only API at /api/v1/ (README, "API").

`core` holds what every endpoint shares; `endpoints` declares the grants app's
endpoints and `indicators/api.py` the indicators app's (found by
`autodiscover_modules("api")`, so grants never imports indicators).
"""

PATH_PREFIX = "/api/"


def is_api_request(request) -> bool:
    """Whether the request is for the API, whose every answer is JSON (the middleware
    that refuses hostile input asks)."""
    return request.path_info.startswith(PATH_PREFIX)
