"""Signed cookies, as CSRF protection and sessions both keep them.

They are written by WebOb's :class:`~webob.cookies.CookieProfile` and read
here, as WebOb reads them but for a fraction of the cost: the ``Cookie``
header split on ``;`` when that is all WebOb's parser would do with it, and
each signature checked with a key made once, not once per request.
"""
import binascii
import functools
import hmac
import json
import re
from collections.abc import MutableMapping
from typing import Any, Sequence

from webob.cookies import CookieProfile, RequestCookies, SignedSerializer

from .exc import ConfigurationError
from .response import Response, keep_fresh

__all__ = ['SignedCookie', 'check_secret', 'json_value', 'request_cookie', 'vary_on_cookie']

# The environ key of the header parsed here: (the Cookie header, {name: value}),
# or (header, None) when the header needs WebOb's parser.
_PARSED = 'webkit.cookies'
# Characters WebOb's parser takes into a name or a value as they are (its
# ``_re_legal_char``), and the ``;`` and spaces between pairs. A header of
# these only is read the same split on ``;``: no quotes, no backslash
# escapes, no commas (its ``Expires`` dates), no tabs, nothing beyond ASCII.
_PLAIN = re.compile(r"[A-Za-z0-9_~!@#$%^&*()+=`.?|:/{}<>'; -]*").fullmatch
# The names WebOb keeps (its ``_valid_cookie_name``): RFC 2616 tokens, not
# starting with "$", not the name of a Set-Cookie attribute.
_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]+").fullmatch
_ATTRIBUTES = frozenset({'path', 'comment', 'domain', 'max-age', 'expires', 'secure',
                         'httponly', 'samesite'})
# URL-safe base64 read as the standard kind, as base64.urlsafe_b64decode does.
_URLSAFE = bytes.maketrans(b'-_', b'+/')


def request_cookie(environ: MutableMapping[str, Any], name: str) -> str | None:
    """The value of the cookie ``name`` the request sent: what
    ``webob.Request(environ).cookies.get(name)`` returns, for any header.

    >>> request_cookie({'HTTP_COOKIE': 'a=1; b=2; a=3'}, 'a')
    '3'
    >>> request_cookie({'HTTP_COOKIE': 'a="quoted; spaced"'}, 'a')  # WebOb's parser reads it
    'quoted; spaced'
    """
    header = environ.get('HTTP_COOKIE', '')
    parsed = environ.get(_PARSED)
    if parsed is None or parsed[0] != header:
        # Parsed once per request, whoever reads first (sessions, CSRF).
        parsed = environ[_PARSED] = (header, _split(header))
    found = parsed[1]
    if found is None:
        return RequestCookies(environ).get(name)
    value = found.get(name)
    return value if value is None or _valid_name(name) else None


def _split(header: str) -> dict[str, str] | None:
    """``name: value`` for each pair of a plain header (the last of a name wins,
    as in WebOb's dict), or None for a header WebOb's parser must read."""
    if not _PLAIN(header):
        return None
    found = {}
    for part in header.split(';'):
        part = part.strip(' ')
        if ' ' in part:  # "a=b c=d" is two cookies to WebOb ("a = b" one)
            return None
        name, equals, value = part.partition('=')
        if equals:  # a part without "=" holds no cookie
            found[name] = value
    return found


@functools.lru_cache(maxsize=64)
def _valid_name(name: str) -> bool:
    return bool(_TOKEN(name)) and name[0] != '$' and name.lower() not in _ATTRIBUTES


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


def vary_on_cookie(resp: Any) -> None:
    """Add ``Cookie`` to ``resp``'s ``Vary`` (unless there, or ``*``): a page
    made from a cookie is not to be served from a shared cache to another client.

    Every ``Vary`` header is read, where WebOb's ``resp.vary`` reads the
    first and its setter drops the others: their names end up in the
    first, in the order given.
    """
    if isinstance(resp, Response) and resp._fresh_type is not None:
        # Its headers are values: no list to read for a Vary it has not,
        # or has as written here (by sessions and CSRF both, say).
        kept = resp._fresh_more.get('vary') if resp._fresh_more else None
        if kept is None:
            keep_fresh(resp, 'vary', 'Vary', 'Cookie')
            return
        if kept[1] == 'Cookie':
            return
    headers = resp.headerlist
    found = [index for index, (name, _) in enumerate(headers) if name.lower() == 'vary']
    if not found:
        headers.append(('Vary', 'Cookie'))
        return
    names = [part.strip() for index in found for part in headers[index][1].split(',')
             if part.strip()]
    if any(name.lower() in ('cookie', '*') for name in names):
        return
    first = found[0]
    headers[first] = (headers[first][0], ', '.join([*names, 'Cookie']))
    for index in reversed(found[1:]):
        del headers[index]


def json_value(text: str) -> Any:
    """The value of the JSON ``text`` of a signed cookie, or None if it is none."""
    inner = text[1:-1]
    if (len(text) > 1 and text[0] == '"' == text[-1] and '"' not in inner
            and '\\' not in inner and inner.isprintable()):
        return inner  # a string of nothing JSON escapes (every CSRF token), as json.loads reads it
    try:
        # json.loads() without its two searches for whitespace around the value.
        value, end = _DECODER.raw_decode(text)
        if end == len(text):
            return value
    except ValueError:
        pass
    try:  # whitespace around it (never in a cookie webkit wrote), or no JSON
        return json.loads(text)
    except ValueError:  # signed by us, so never in practice
        return None


_DECODER = json.JSONDecoder()


class _Rotation:
    """WebOb's signed serializer over several secrets: signs with the first, accepts any."""

    def __init__(self, secrets: Sequence[str], salt: str) -> None:
        self.signers = [SignedSerializer(secret, salt) for secret in secrets]
        # Keyed once: keying an HMAC costs more than hashing a cookie with it.
        # Copied and fed as OpenSSL's own object where the standard library's
        # wrapper holds one, without the wrapper's four Python calls a cookie.
        self._macs = [getattr(mac, '_hmac', None) or mac for mac in (
            hmac.new(signer.salted_secret, digestmod=signer.hashalg) for signer in self.signers)]
        self._size = self.signers[0].digest_size

    def dumps(self, value: Any) -> bytes:
        return self.signers[0].dumps(value)

    def loads(self, data: bytes) -> Any:
        text = self.verified(data)
        if text is None:
            raise ValueError('the cookie is signed with none of the secrets')
        return json.loads(text)

    def verified(self, data: str | bytes) -> str | None:
        """The JSON text signed in ``data`` (WebOb's format), or None unless
        one of the secrets signed it."""
        found = self.verify(data)
        return None if found is None else found[0]

    def verify(self, data: str | bytes) -> tuple[str, bool] | None:
        """``(JSON text, whether a secret other than the newest signed it)``
        for ``data``, or None unless one of the secrets signed it."""
        if isinstance(data, str):
            try:
                data = data.encode('latin-1')  # as WebOb's CookieProfile does
            except UnicodeEncodeError:
                return None
        try:
            # base64.urlsafe_b64decode, padded as WebOb pads it, without its wrappers.
            signed = binascii.a2b_base64((data + b'=' * (-len(data) % 4)).translate(_URLSAFE))
        except binascii.Error:
            return None
        signature, payload = signed[:self._size], signed[self._size:]
        for index, keyed in enumerate(self._macs):
            mac = keyed.copy()
            mac.update(payload)
            if hmac.compare_digest(mac.digest(), signature):
                try:
                    return payload.decode('utf-8'), index > 0
                except UnicodeDecodeError:
                    return None
        return None


class SignedCookie:
    """A cookie signed with ``secret``: ``HttpOnly``, ``SameSite=Lax``, path ``/``.

    Over HTTPS the cookie is ``Secure`` and named ``__Host-<name>``:
    browsers take such a cookie only from HTTPS and never with a
    ``Domain``, so neither a man in the middle on plain HTTP nor a sibling
    subdomain can plant a cookie (and its value) of their own.
    ``secret`` may be a list of secrets, newest first: cookies are signed
    with the first, and one signed with any of them is read (its reader
    then writes it again under the first), so a secret can be replaced
    without logging everybody out.
    ``settings`` go to WebOb's :class:`~webob.cookies.CookieProfile`
    (``max_age``, say).

    >>> cookie = SignedCookie('s3cret-' * 6, 'example', 'token')
    >>> cookie
    <SignedCookie 'token'>
    >>> [value.split('=')[0] for _, value in cookie.get_headers('x', secure=True)]
    ['__Host-token']
    """

    def __init__(self, secret: str | Sequence[str], salt: str, name: str,
                 **settings: Any) -> None:
        self.name = name
        serializer = self._serializer = _Rotation(check_secret(secret, name), salt)
        self._profiles = {
            secure: CookieProfile('__Host-' + name if secure else name, secure=secure,
                                  httponly=True, samesite='Lax', path='/',
                                  serializer=serializer, **settings)
            for secure in (False, True)}

    def read_signed(self, req: Any, secure: bool) -> tuple[str, bool] | None:
        """``(JSON text, whether to write it again)`` of ``req``'s cookie, or
        None: no cookie, or not signed by us. A cookie signed by a secret
        other than the newest is to be written again, signed by the newest,
        before that secret is retired.

        ``secure`` is whether ``req`` came over HTTPS, taken once by the
        caller, which writes the cookie under the same name (an inner
        application may change the request's scheme meanwhile).
        """
        try:
            value = request_cookie(req.environ, self._profiles[secure].cookie_name)
        except UnicodeDecodeError:  # a header that is not UTF-8 holds no cookie of ours
            return None
        return None if value is None else self._serializer.verify(value)

    def get_headers(self, value: Any, secure: bool) -> list[tuple[str, str]]:
        """The ``Set-Cookie`` headers storing ``value`` (None deletes the cookie)."""
        return self._profiles[secure].get_headers(value)

    def __repr__(self) -> str:
        return f'<SignedCookie {self.name!r}>'
