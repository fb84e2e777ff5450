"""CSRF protection: unsafe requests must carry a token tied to the client.

:class:`CSRFProtection` wraps an application. Each client gets a random
token in a signed, ``HttpOnly``, ``SameSite=Lax`` cookie;
:func:`webkit.forms.render_form` puts the same token in every POST form.
A POST, PUT, PATCH or DELETE whose token (form field or ``X-CSRF-Token``
header) does not match the cookie, or whose ``Origin`` is another site,
is answered 403 and never reaches the application::

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
import time
from pathlib import Path

from webob import exc
from webob.cookies import SignedCookieProfile

from . import _wsgi
from .dispatch import route_table
from .exc import ConfigurationError
from .request import Request

__all__ = ['CSRFProtection', 'csrf_token', 'check_secret', 'load_secret']

UNSAFE_METHODS = frozenset({'POST', 'PUT', 'PATCH', 'DELETE'})
_FORM_TYPES = ('application/x-www-form-urlencoded', 'multipart/form-data')


def check_secret(secret, what):
    """A signing secret as ``str``, refusing short or missing ones at set-up."""
    if isinstance(secret, bytes):
        secret = secret.decode('latin-1')
    if not isinstance(secret, str) or len(secret) < 32:
        raise ConfigurationError(what, 'the secret must be a string of at least '
                                 '32 characters (e.g. secrets.token_urlsafe(32))')
    return secret


def load_secret(path):
    """The secret kept in the file ``path``, made on first use (mode 0600).

    Every process serving from the same folder reads the same secret, so
    what one gunicorn worker signed, the others accept. The file is made
    with ``O_EXCL``: when two processes start at once, one writes it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, 'w') as file:
            file.write(secrets.token_urlsafe(48))
            file.flush()
            os.fsync(file.fileno())
    for _ in range(100):  # another process may be between creating and writing it
        secret = path.read_text().strip()
        if secret:
            return secret
        time.sleep(0.01)
    raise ConfigurationError(str(path), 'the secret file is empty')


def csrf_token(req):
    """The CSRF token of this request's client (for JavaScript or custom forms)."""
    return req.environ['webkit.csrf_token']


class CSRFProtection:
    """Middleware refusing cross-site unsafe requests to ``app``.

    - ``secret`` signs the token cookie (32 characters or more);
    - ``field`` and ``header`` are where clients send the token back;
    - ``exempt(req)`` returning true lets a request through unchecked,
      for JSON APIs that authenticate otherwise (an explicit opt-out).
    """

    def __init__(self, app, secret, *, field='csrf_token', header='X-CSRF-Token',
                 cookie_name='webkit_csrf', exempt=None):
        secret = check_secret(secret, 'CSRFProtection')
        self.app = app
        self.field = field
        self.header = header
        self.exempt = exempt
        self._routes = route_table(app)
        self._profiles = {
            secure: SignedCookieProfile(secret, 'webkit.csrf', cookie_name,
                                        secure=secure, httponly=True, samesite='Lax')
            for secure in (False, True)}

    def __repr__(self):
        return f'CSRFProtection({self.app!r}, field={self.field!r})'

    def __call__(self, environ, start_response):
        return _wsgi.handle(environ, start_response, Request, self._handle)

    def _handle(self, req):
        profile = self._profiles[req.scheme == 'https'].bind(req)
        stored = profile.get_value()
        token = stored if isinstance(stored, str) else secrets.token_urlsafe(32)
        req.environ['webkit.csrf_token'] = token
        req.environ['webkit.csrf_field'] = self.field
        if (req.method in UNSAFE_METHODS and not (self.exempt and self.exempt(req))
                and self._reaches_a_handler(req)):
            refusal = self._refusal(req, stored)
            if refusal is not None:
                return exc.HTTPForbidden(refusal)
        resp = req.get_response(self.app)
        if stored != token:
            resp.headerlist.extend(profile.get_headers(token))
        return resp

    def _reaches_a_handler(self, req):
        # A request no route takes does nothing: the application answers it
        # (404, or 405 with Allow) rather than a misleading 403.
        if self._routes is None:
            return True
        return self._routes._lookup(req.path_info, req.method)[0] is not None

    def _refusal(self, req, stored):
        origin = req.headers.get('Origin')
        if origin is not None and origin != req.host_url:
            return 'cross-site request refused'
        sent = req.headers.get(self.header)
        if sent is None and req.content_type in _FORM_TYPES:
            sent = req.POST.get(self.field)
        if not isinstance(stored, str) or not sent:
            return 'the form has expired or was not sent from this site; please try again'
        if not hmac.compare_digest(sent.encode(), stored.encode()):
            return 'the form has expired or was not sent from this site; please try again'
        return None
