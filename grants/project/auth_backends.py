from axes.backends import AxesStandaloneBackend

from django.conf import settings
from django.contrib.auth import get_user_model


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for logins that come with a request.

    Every login form passes the request; code that authenticates without one
    (the shell, the test client's login()) is not a client to throttle, and
    django-axes would otherwise refuse it with an error.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def throttled_username(request, credentials=None):
    """The username django-axes records, cut to the length of a real username.

    A hostile login form can carry a username of any length; django-axes stores it
    in a 255-character column, and PostgreSQL would refuse a longer one with an
    error (a server error on the login page). No account's name is longer than
    the user model allows, so the cut changes nothing for a real login.
    """
    if credentials:
        username = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        username = getattr(request, "data", request.POST).get(
            settings.AXES_USERNAME_FORM_FIELD
        )
    if username is None:
        return None
    max_length = get_user_model()._meta.get_field("username").max_length
    return str(username)[:max_length]
