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
it. Keep secrets out of it, and keep it small (browsers drop cookies
over 4 KB: :class:`SessionTooLarge` is raised instead).
"""
import json
import time

from . import _wsgi
from ._cookies import SignedCookie, check_secret
from .exc import WebkitError

__all__ = ['Sessions', 'SessionTooLarge', 'session', 'flash', 'pop_flashes']

_FLASHES = '_flashes'


class SessionTooLarge(WebkitError, ValueError):
    """The session holds ``size`` bytes, more than a cookie can carry."""

    def __init__(self, size):
        super().__init__(size)
        self.size = size

    def __str__(self):
        return (f'the session is {self.size} bytes of JSON, too much for a '
                'cookie (about 4 KB once signed)')


class Sessions:
    """Middleware giving each request a dict kept in a signed cookie.

    The cookie is ``HttpOnly``, ``SameSite=Lax``, and ``Secure`` and named
    ``__Host-<cookie_name>`` over HTTPS; it is only sent again when the
    session changed. A tampered or unreadable cookie gives an empty
    session, never an error. A request answered with a 5xx saves no
    change it made to the session.

    ``max_age`` (seconds) bounds how long a session lasts after it last
    changed: the browser is told to drop the cookie then, and since the
    signed value carries the time it was written, a copy kept longer
    (a stolen cookie, say) is refused here too.
    """

    def __init__(self, app, secret, *, cookie_name='webkit_session', max_age=None):
        secret = check_secret(secret, 'Sessions')
        self.app = app
        # The application's own limits: a larger upload it takes gets through.
        self.RequestClass = _wsgi.inner_request_class(app)
        self.max_age = max_age
        self._cookie = SignedCookie(secret, 'webkit.session', cookie_name, max_age=max_age)

    def __repr__(self):
        return f'Sessions({self.app!r})'

    def __call__(self, environ, start_response):
        return _wsgi.handle(environ, start_response, self.RequestClass, self._handle)

    def _handle(self, req):
        profile = self._cookie.bind(req)
        data = self._load(profile.get_value())
        before = json.dumps(data, sort_keys=True)
        req.environ['webkit.session'] = data
        resp = req.get_response(self.app)
        if resp.status_int >= 500:
            # The request failed part-way: keep none of what it changed
            # (a "Saved." flashed before the error would be a lie).
            return resp
        after = json.dumps(data, sort_keys=True)
        if after != before:
            try:
                value = {'at': int(time.time()), 'data': data} if data else None
                headers = profile.get_headers(value)
            except ValueError:  # WebOb refuses cookies browsers would drop
                raise SessionTooLarge(len(after)) from None
            resp.headerlist.extend(headers)
        return resp

    def _load(self, stored):
        """The session dict held by a verified cookie value, or a new one."""
        if not isinstance(stored, dict) or not isinstance(stored.get('data'), dict):
            return {}
        written = stored.get('at')
        if self.max_age is not None and not (
                type(written) is int and time.time() - written <= self.max_age):
            return {}
        return stored['data']


def session(req):
    """The session dict of ``req`` (the application must be inside :class:`Sessions`)."""
    try:
        return req.environ['webkit.session']
    except KeyError:
        raise LookupError('no session: wrap the application in webkit.sessions.Sessions') \
            from None


def flash(req, message):
    """Keep ``message`` for the next page this client sees."""
    session(req).setdefault(_FLASHES, []).append(str(message))


def pop_flashes(req):
    """The messages kept by :func:`flash`, removed from the session."""
    return session(req).pop(_FLASHES, [])
