"""Signed cookies, as CSRF protection and sessions both keep them."""
from webob.cookies import SignedCookieProfile

from .exc import ConfigurationError

__all__ = ['SignedCookie', 'check_secret']


def check_secret(secret, what):
    """A signing secret as ``str``, refusing short or missing ones at set-up."""
    if isinstance(secret, bytes):
        secret = secret.decode('latin-1')
    if not isinstance(secret, str) or len(secret) < 32:
        raise ConfigurationError(what, 'the secret must be a string of at least '
                                 '32 characters (e.g. secrets.token_urlsafe(32))')
    return secret


class SignedCookie:
    """A cookie signed with ``secret``: ``HttpOnly``, ``SameSite=Lax``, path ``/``.

    Over HTTPS the cookie is ``Secure`` and named ``__Host-<name>``:
    browsers take such a cookie only from HTTPS and never with a
    ``Domain``, so neither a man in the middle on plain HTTP nor a sibling
    subdomain can plant a cookie (and its value) of their own.
    ``settings`` go to WebOb's :class:`~webob.cookies.SignedCookieProfile`
    (``max_age``, say).

    >>> from webob import Request
    >>> cookie = SignedCookie('s3cret-' * 6, 'example', 'token')
    >>> cookie
    <SignedCookie 'token'>
    >>> [value.split('=')[0] for _, value in
    ...  cookie.bind(Request.blank('https://example.org/')).get_headers('x')]
    ['__Host-token']
    """

    def __init__(self, secret, salt, name, **settings):
        self.name = name
        self._profiles = {
            secure: SignedCookieProfile(secret, salt, '__Host-' + name if secure else name,
                                        secure=secure, httponly=True, samesite='Lax',
                                        path='/', **settings)
            for secure in (False, True)}

    def bind(self, req):
        """The profile for ``req``'s scheme, bound to it (``get_value()``, ``get_headers()``)."""
        return self._profiles[req.scheme == 'https'].bind(req)

    def __repr__(self):
        return f'<SignedCookie {self.name!r}>'
