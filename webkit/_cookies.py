"""Signed cookies, as CSRF protection and sessions both keep them."""
from typing import Any, Sequence

from webob.cookies import CookieProfile, SignedSerializer

from .exc import ConfigurationError

__all__ = ['SignedCookie', 'check_secret']


def check_secret(secret: str | bytes | Sequence[str | bytes], what: str) -> tuple[str, ...]:
    """The signing secrets, newest first, refusing short or missing ones at set-up.

    ``secret`` is one secret or a sequence of them (a rotation: the first
    signs, any of them verifies). Each must have 32 characters or more.
    """
    given: list[object]
    if isinstance(secret, (str, bytes)):
        given = [secret]
    else:
        try:
            given = list(secret or ())
        except TypeError:  # not a sequence either
            given = []
    found = [item.decode('latin-1') if isinstance(item, bytes) else item for item in given]
    if not found or not all(isinstance(item, str) and len(item) >= 32 for item in found):
        raise ConfigurationError(what, 'the secret must be a string of at least '
                                 '32 characters (e.g. secrets.token_urlsafe(32)), '
                                 'or a list of such strings, newest first')
    return tuple(str(item) for item in found)


class _Rotation:
    """WebOb's signed serializer over several secrets: signs with the first, accepts any."""

    def __init__(self, secrets: Sequence[str], salt: str) -> None:
        self.signers = [SignedSerializer(secret, salt) for secret in secrets]

    def dumps(self, value: Any) -> bytes:
        return self.signers[0].dumps(value)

    def loads(self, data: bytes) -> Any:
        for signer in self.signers:
            try:
                return signer.loads(data)
            except ValueError:  # signed with another secret, or not signed at all
                continue
        raise ValueError('the cookie is signed with none of the secrets')


class SignedCookie:
    """A cookie signed with ``secret``: ``HttpOnly``, ``SameSite=Lax``, path ``/``.

    Over HTTPS the cookie is ``Secure`` and named ``__Host-<name>``:
    browsers take such a cookie only from HTTPS and never with a
    ``Domain``, so neither a man in the middle on plain HTTP nor a sibling
    subdomain can plant a cookie (and its value) of their own.
    ``secret`` may be a list of secrets, newest first: cookies are signed
    with the first, and one signed with any of them is read, so a
    secret can be replaced without logging everybody out.
    ``settings`` go to WebOb's :class:`~webob.cookies.CookieProfile`
    (``max_age``, say).

    >>> from webob import Request
    >>> cookie = SignedCookie('s3cret-' * 6, 'example', 'token')
    >>> cookie
    <SignedCookie 'token'>
    >>> [value.split('=')[0] for _, value in
    ...  cookie.bind(Request.blank('https://example.org/')).get_headers('x')]
    ['__Host-token']
    """

    def __init__(self, secret: str | Sequence[str], salt: str, name: str,
                 **settings: Any) -> None:
        self.name = name
        serializer = _Rotation(check_secret(secret, name), salt)
        self._profiles = {
            secure: CookieProfile('__Host-' + name if secure else name, secure=secure,
                                  httponly=True, samesite='Lax', path='/',
                                  serializer=serializer, **settings)
            for secure in (False, True)}

    def bind(self, req: Any) -> Any:
        """The profile for ``req``'s scheme, bound to it (``get_value()``, ``get_headers()``)."""
        return self._profiles[req.scheme == 'https'].bind(req)

    def __repr__(self) -> str:
        return f'<SignedCookie {self.name!r}>'
