"""A small session in a signed cookie, with flash messages.

:class:`Sessions` wraps an application; handlers reach the session with
:func:`session` and say "Saved" across a redirect with :func:`flash`::

    >>> from webtest import TestApp
    >>> from webob import exc
    >>> from webkit import wsgify
    >>> @wsgify
    ... def app(req):
    ...     if req.method == 'POST':
    ...         flash(req, 'Saved')
    ...         return exc.HTTPSeeOther(location='/')
    ...     return ' '.join(pop_flashes(req)) or 'nothing new'
    >>> client = TestApp(Sessions(app, secret='s3cret-' * 6))
    >>> client.post('/').follow().text
    'Saved'
    >>> client.get('/').text
    'nothing new'

The cookie is signed, not encrypted: the client can read it, not change
it. Keep secrets out of it, and keep it small: browsers drop cookies
over 4 KB, so a session that outgrows that is not saved (the answer
still goes out, and the ``webkit`` log says why).
"""
import json
import time
from collections.abc import Sequence
from typing import Any
from wsgiref.types import WSGIApplication

from . import _wsgi
from ._cookies import SignedCookie, check_secret, json_value, vary_on_cookie
from .exc import MissingLayerError
from .request import Request

__all__ = ['Sessions', 'session', 'flash', 'pop_flashes']

_FLASHES = '_flashes'
# The environ key of the request's session state (only this module reads it).
_SESSION = 'webkit.session'
#: Flash messages kept at most; older ones give way (nobody reads 300 "Saved.").
MAX_FLASHES = 10


class Sessions(_wsgi.Layer):
    """Middleware giving each request a dict kept in a signed cookie.

    The cookie is ``HttpOnly``, ``SameSite=Lax``, and ``Secure`` and named
    ``__Host-<cookie_name>`` over HTTPS; it is only sent again when the
    session changed (or was signed with an older secret). A response to a
    request whose handler read the session gets ``Vary: Cookie``, so no
    shared cache serves one client's page to another. A tampered or unreadable cookie gives an empty
    session, never an error. A request answered with a 5xx saves no
    change it made to the session, and one that grew too large for a
    cookie is not saved, though the answer goes out: what the request
    did is done, so it never becomes an error page.

    ``max_age`` (seconds) bounds how long a session lasts after it last
    changed: the browser is told to drop the cookie then, and since the
    signed value carries the time it was written, a copy kept longer
    (a stolen cookie, say) is refused here too.
    """

    def __init__(self, app: WSGIApplication, secret: str | bytes | Sequence[str | bytes], *,
                 cookie_name: str = 'webkit_session', max_age: int | None = None) -> None:
        secret = check_secret(secret, 'Sessions')
        self.app = app
        self.max_age = max_age
        self._cookie = SignedCookie(secret, 'webkit.session', cookie_name, max_age=max_age)

    def __repr__(self) -> str:
        return f'Sessions({self.app!r})'

    def respond(self, req: Request) -> Any:
        state = req.environ[_SESSION] = _State(self, req.scheme == 'https')
        answer = _wsgi.answer_from(self.app, req)
        if state.data is None:  # never read, so unchanged
            return answer
        resp = _wsgi.as_response(req, answer)
        vary_on_cookie(resp)  # the page may show what the session holds
        if resp.status_int >= 500:
            # The request failed part-way: keep none of what it changed (a
            # "Saved." flashed before the error would be a lie).
            return resp
        try:
            cookies = self._cookie_headers(state)
        except (ValueError, TypeError) as error:
            # Too big for a cookie (WebOb refuses what browsers would drop),
            # or not JSON (a set, say): the handler's mistake, after the fact.
            import logging
            logging.getLogger('webkit').error('session not saved%s: %s', (
                ', not JSON' if isinstance(error, TypeError) else ''), error)
            return resp
        if cookies:  # an unchanged session leaves the header list unbuilt
            resp.headerlist.extend(cookies)
        return resp

    def _cookie_headers(self, state: '_State') -> list[tuple[str, str]]:
        """The ``Set-Cookie`` headers saving ``state``'s session: none if unchanged."""
        data, stored, text = state.data or {}, state.stored, state.text
        written = int(time.time())
        if stored is None or text is None:  # a new session
            changed = bool(data)
        else:
            # Unchanged for certain when it reads as it was read: the repr of
            # what JSON gave tells 1, 1.0 and True apart as JSON does, and
            # costs a fraction of writing the JSON out. Else the cookie's own
            # JSON is the session as it was: written out as WebOb wrote it,
            # an unchanged session gives the same text. Only other text is
            # compared in a canonical form, which a change of key order alone passes.
            try:
                read_as = repr(data)
            except Exception:  # no JSON value has such a repr: json.dumps says why
                read_as = None
            changed = read_as != state.read_as and json.dumps(stored) != text and (
                _canonical(json.loads(text)['data']) != _canonical(data))
            if not changed and state.resign:
                # Signed again, as it was: its age goes on (max_age holds).
                changed, written = True, stored.get('at', written)
        if not changed:
            return []
        value = {'at': written, 'data': data} if data else None
        try:
            return self._cookie.get_headers(value, state.secure)
        except ValueError:
            raise ValueError(f'{len(json.dumps(data))} bytes of JSON is too much for a '
                             'cookie (about 4 KB once signed)') from None

    def _load(self, text: str | None) -> dict[str, Any] | None:
        """What a verified cookie holds (``{'at': ..., 'data': {...}}``), or None
        when there is nothing valid in it: a new session then."""
        stored = None if text is None else json_value(text)
        if not isinstance(stored, dict) or not isinstance(stored.get('data'), dict):
            return None
        written = stored.get('at')
        if self.max_age is not None and not (
                type(written) is int and time.time() - written <= self.max_age):
            return None
        return stored


class _State:
    """One request's session, read from its cookie when a handler first asks."""

    __slots__ = ('sessions', 'secure', 'data', 'stored', 'text', 'resign', 'read_as')

    def __init__(self, sessions: Sessions, secure: bool) -> None:
        self.sessions = sessions
        # Taken before the application runs: the cookie is written under the
        # name it was read with, whatever an inner layer does to the scheme.
        self.secure = secure
        self.data: dict[str, Any] | None = None
        self.stored: dict[str, Any] | None = None
        self.text: str | None = None
        self.resign = False  # signed by an older secret: to be written again
        self.read_as = ''  # the repr of the session as read from its cookie

    def load(self, req: Request) -> dict[str, Any]:
        if self.data is None:
            # Verifying the signature and parsing the JSON is most of what a
            # session costs: a request that never reads it pays neither.
            layer = self.sessions
            self.text, self.resign = layer._cookie.read_signed(req, self.secure) or (None, False)
            self.stored = layer._load(self.text)
            if self.stored is None:
                self.data = {}
            else:
                self.data = self.stored['data']
                self.read_as = repr(self.data)
        return self.data


def _canonical(data: dict[str, Any]) -> str:
    """``data`` as JSON, its keys in order: keys JSON makes text (1 and "1") sort as text."""
    return json.dumps(json.loads(json.dumps(data)), sort_keys=True)


def session(req: Request) -> dict[str, Any]:
    """The session dict of ``req`` (the application must be inside :class:`Sessions`)."""
    state = req.environ.get(_SESSION)
    if state is None:
        raise MissingLayerError('session', 'Sessions')
    return state.load(req)


def flash(req: Request, message: object) -> None:
    """Keep ``message`` for the next page this client sees (the last few only)."""
    flashes = session(req).setdefault(_FLASHES, [])
    flashes.append(str(message))
    del flashes[:-MAX_FLASHES]


def pop_flashes(req: Request) -> list[str]:
    """The messages kept by :func:`flash`, removed from the session."""
    return session(req).pop(_FLASHES, [])
