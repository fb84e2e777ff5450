"""CSRF protection: unsafe requests must carry a token tied to the client.

:class:`CSRFProtection` wraps an application. Each client gets a random
token in a signed, ``HttpOnly``, ``SameSite=Lax`` cookie (``Secure`` and
``__Host-`` prefixed over HTTPS); :func:`webkit.forms.render_form` puts
the same token in every POST form. The cookie is set by the first page
that carries the token, and such pages are sent with ``Vary: Cookie``. A POST, PUT, PATCH or DELETE (any
method but GET, HEAD, OPTIONS and TRACE) whose token (form field or
``X-CSRF-Token`` header) does not match the cookie, or whose ``Origin``
is another site, is answered 403 and never reaches the application::

    >>> from webtest import TestApp
    >>> from webkit import wsgify
    >>> from webkit.forms import render_form
    >>> @wsgify
    ... def app(req):
    ...     if req.method == 'POST':
    ...         return 'saved'
    ...     return render_form('<form method="post"></form>', req=req)
    >>> client = TestApp(CSRFProtection(app, secret='s3cret-' * 6))
    >>> form = client.get('/').form
    >>> form.submit().text
    'saved'
    >>> client.post('/', {'csrf_token': 'forged'}, status=403).status
    '403 Forbidden'
"""
import hmac
import os
import secrets
from pathlib import Path

from webob import exc

from . import _wsgi
from ._cookies import SignedCookie, check_secret
from ._util import origin
from .dispatch import Dispatcher, route_table
from .exc import ConfigurationError
from .request import FORM_TYPES
from .sessions import Sessions

__all__ = ['CSRFProtection', 'csrf_token', 'check_secret', 'load_secret']

# Every other method is checked: POST, PUT, PATCH, DELETE and any
# extension method an application might route (PURGE, PROPPATCH, ...).
SAFE_METHODS = frozenset({'GET', 'HEAD', 'OPTIONS', 'TRACE'})


def load_secret(path):
    """The secret kept in the file ``path``, made on first use (mode 0600).

    Every process serving from the same folder reads the same secret, so
    what one gunicorn worker signed, the others accept. A file others may
    read or write is refused, as ssh refuses such a key.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _create_secret(path)
    mode = path.stat().st_mode & 0o777
    if os.name == 'posix' and mode & 0o077:
        raise ConfigurationError(str(path), f'the secret file has mode {mode:o}: '
                                 'anyone who reads it can forge cookies; chmod 600 it')
    secret = path.read_text().strip()
    if not secret:
        raise ConfigurationError(str(path), 'the secret file is empty')
    return secret


def _create_secret(path):
    # Written whole under a name of its own, then linked into place: the
    # secret file never exists half-written (a crash would leave it empty
    # for good), and when processes start at once the first link wins.
    temporary = path.with_name(f'.{path.name}.{secrets.token_hex(8)}')
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, 'w') as file:
            file.write(secrets.token_urlsafe(48))
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return
    finally:
        os.unlink(temporary)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the new name survives a power cut too
    finally:
        os.close(directory)


def csrf_token(req):
    """The CSRF token of this request's client (for JavaScript or custom forms)."""
    req.environ['webkit.csrf_used'] = True
    return req.environ['webkit.csrf_token']


class CSRFProtection:
    """Middleware refusing cross-site unsafe requests to ``app``.

    - ``secret`` signs the token cookie (32 characters or more);
    - ``field`` and ``header`` are where clients send the token back;
    - ``exempt(req)`` returning true lets a request through unchecked,
      for JSON APIs that authenticate otherwise (an explicit opt-out);
    - an ``Origin`` is this site when it is the request's host or the
      ``base_url`` of the application's :class:`~webkit.Dispatcher`
      (its public address behind a proxy).
    """

    def __init__(self, app, secret, *, field='csrf_token', header='X-CSRF-Token',
                 cookie_name='webkit_csrf', exempt=None):
        secret = check_secret(secret, 'CSRFProtection')
        self.app = app
        # The application's own limits: a larger upload it takes gets through.
        self.RequestClass = _wsgi.inner_request_class(app)
        self.field = field
        self.header = header
        self.exempt = exempt
        # Only the application's own table: middleware in between may rewrite
        # the path or the method, and a request its table does not take
        # could then reach a handler unchecked. Sessions rewrites neither.
        inner = app
        while isinstance(inner, Sessions):
            inner = inner.app
        own = isinstance(inner, Dispatcher) or hasattr(inner, 'routes')
        self._routes = route_table(inner) if own else None
        # Behind a proxy, pages come from the configured public address.
        table = route_table(app)
        self._origins = frozenset({origin(table.base_url)} if table and table.base_url else ())
        self._cookie = SignedCookie(secret, 'webkit.csrf', cookie_name)

    def __repr__(self):
        return f'CSRFProtection({self.app!r}, field={self.field!r})'

    def __call__(self, environ, start_response):
        return _wsgi.handle(environ, start_response, self.RequestClass, self._handle)

    def _handle(self, req):
        profile = self._cookie.bind(req)
        stored = profile.get_value()
        token = stored if isinstance(stored, str) else secrets.token_urlsafe(32)
        req.environ['webkit.csrf_token'] = token
        req.environ['webkit.csrf_field'] = self.field
        if (req.method not in SAFE_METHODS and not (self.exempt and self.exempt(req))
                and self._reaches_a_handler(req)):
            refusal = self._refusal(req, stored)
            if refusal is not None:
                return exc.HTTPForbidden(refusal)
        resp = req.get_response(self.app)
        if req.environ.get('webkit.csrf_used'):
            # Only a page that carries the token needs the cookie, and it is
            # this client's own: a shared cache must not hand it to others.
            if stored != token:
                resp.headerlist.extend(profile.get_headers(token))
            if 'Cookie' not in (resp.vary or ()):
                resp.vary = (*(resp.vary or ()), 'Cookie')
        return resp

    def _reaches_a_handler(self, req):
        # A request no route takes does nothing: the application answers it
        # (404, or 405 with Allow) rather than a misleading 403.
        if self._routes is None:
            return True
        return self._routes.takes(req)

    def _refusal(self, req, stored):
        sent_from = req.headers.get('Origin')
        if sent_from is not None and sent_from != req.host_url \
                and sent_from not in self._origins:
            return 'cross-site request refused'
        sent = req.headers.get(self.header)
        if sent is None and req.content_type.lower() in FORM_TYPES:
            sent = req.POST.getall(self.field)
            # Exactly one: with two, which one would we check?
            sent = sent[0] if len(sent) == 1 else None
        if not (isinstance(stored, str) and isinstance(sent, str) and sent
                and hmac.compare_digest(sent.encode(), stored.encode())):
            return 'the form has expired or was not sent from this site; please try again'
        return None
