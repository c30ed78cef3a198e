"""The public read-only API at /api/v1/ (README, "API").

`core` holds what every endpoint shares; `endpoints` declares the grants app's
endpoints and `indicators/api.py` the indicators app's (found by
`autodiscover_modules("api")`, so grants never imports indicators).
"""
