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
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from wsgiref.types import WSGIApplication

from webob import exc

from . import _wsgi
from ._cookies import SignedCookie, check_secret, json_value, vary_on_cookie
from .exc import ConfigurationError, MissingLayerError
from .request import FORM_TYPES, Request
from .response import Response, keep_fresh

__all__ = ['CSRFProtection', 'CSRFRefused', 'csrf_token', 'load_secret']

# Every other method is checked: POST, PUT, PATCH, DELETE and any
# extension method an application might route (PURGE, PROPPATCH, ...).
SAFE_METHODS = frozenset({'GET', 'HEAD', 'OPTIONS', 'TRACE'})
CROSS_SITE = 'cross-site request refused'
# The environ key of this request's _Token (only this module reads it).
_TOKEN = 'webkit.csrf'


def load_secret(path: str | os.PathLike[str],
                environ: Mapping[str, str] | None = None) -> str | tuple[str, ...]:
    """The secret from the environment, else the one kept in the file ``path``.

    - ``WEBKIT_SECRET``: the secret, or several separated by whitespace
      or commas, newest first (a rotation: the first signs, any verifies);
    - ``WEBKIT_SECRET_FILE``: the path of a file holding them so;
    - otherwise the file ``path``, made on first use (mode 0600). Every
      process serving from the same folder reads the same secret, so what
      one gunicorn worker signed, the others accept.

    Several machines share a secret through the first two. One secret is
    returned as a ``str``, several as a tuple. A file others may read or
    write is refused, as ssh refuses such a key.
    """
    environ = os.environ if environ is None else environ
    if environ.get('WEBKIT_SECRET', '').strip():
        return _secrets_in(environ['WEBKIT_SECRET'], 'WEBKIT_SECRET')
    if environ.get('WEBKIT_SECRET_FILE'):
        path = Path(environ['WEBKIT_SECRET_FILE'])
        if not path.is_file():
            raise ConfigurationError('WEBKIT_SECRET_FILE', f'no such file: {str(path)!r}')
        return _secrets_in(_read_private(path), str(path))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _create_secret(path)
    secret = _read_private(path).strip()
    if not secret:
        raise ConfigurationError(str(path), 'the secret file is empty')
    return secret


def _read_private(path: Path) -> str:
    mode = path.stat().st_mode & 0o777
    if os.name == 'posix' and mode & 0o077:
        raise ConfigurationError(str(path), f'the secret file has mode {mode:o}: '
                                 'anyone who reads it can forge cookies; chmod 600 it')
    return path.read_text()


def _secrets_in(text: str, source: str) -> str | tuple[str, ...]:
    found = tuple(word for word in re.split(r'[\s,]+', text) if word)
    if not found:
        raise ConfigurationError(source, 'no secret in it')
    check_secret(found, source)
    return found[0] if len(found) == 1 else found


def _create_secret(path: Path) -> None:
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


class CSRFRefused(exc.HTTPForbidden):
    """403: an unsafe request without this client's token.

    ``reason`` says what was wrong; ``cross_site`` is true when the request
    came from another site's page (its ``Origin``), so that an application
    answering refusals never offers a stranger's form data back for saving.
    """

    def __init__(self, reason: str, cross_site: bool = False, **kw: Any) -> None:
        super().__init__(reason, **kw)
        self.reason = reason
        self.cross_site = cross_site

    def __repr__(self) -> str:
        return f'CSRFRefused({self.reason!r}, cross_site={self.cross_site!r})'


class _Token:
    """One request's CSRF token: the one its cookie holds, or a new one when used.

    The cookie is read when the token is first needed (a form, a check):
    most requests need neither. ``used`` is set when a page takes the
    token (:func:`csrf_token`), so that :class:`CSRFProtection` sends the
    cookie and keeps shared caches away from that page, as Django's
    middleware does with ``CSRF_COOKIE_USED``.
    """

    __slots__ = ('cookie', 'secure', 'field', 'used', 'resign', '_read', '_stored', '_value')

    def __init__(self, cookie: SignedCookie, secure: bool, field: str) -> None:
        self.cookie = cookie
        # Taken before the application runs: the cookie is written under the
        # name it was read with, whatever an inner layer does to the scheme.
        self.secure = secure
        self.field = field
        self.used = False
        self.resign = False  # the cookie was signed by an older secret
        self._read = False
        self._stored: str | None = None
        self._value: str | None = None

    def stored(self, req: Request) -> str | None:
        """The token the client's cookie holds, if any."""
        if not self._read:
            found = self.cookie.read_signed(req, self.secure)
            value = json_value(found[0]) if found is not None else None
            self._stored = value if isinstance(value, str) and value else None
            self.resign = found is not None and found[1] and self._stored is not None
            self._read = True
        return self._stored

    def value(self, req: Request) -> str:
        """The client's token, or a new one for a client that has none."""
        if self._value is None:
            self._value = self.stored(req) or secrets.token_urlsafe(32)
        return self._value


def _private(resp: Any) -> None:
    """Keep ``resp`` out of shared caches: ``Vary: Cookie`` (added to the ``Vary``
    there, unless in it) and ``Cache-Control: private, no-store``.

    The headers WebOb's ``resp.vary`` and ``resp.cache_control`` setters
    make, without parsing and rewriting a ``Vary`` that is not there; and
    ``Cache-Control`` set as a header, since WebOb's setter fails (a
    TypeError) once the application has used ``resp.cache_control``.
    """
    vary_on_cookie(resp)
    if isinstance(resp, Response) and resp._fresh_type is not None:
        keep_fresh(resp, 'cache-control', 'Cache-Control', 'private, no-store')
    else:
        resp.headers['Cache-Control'] = 'private, no-store'


def csrf_token(req: Request) -> str:
    """The CSRF token of this request's client (for JavaScript or custom forms).

    The page that shows it gets the token's cookie and is kept out of
    shared caches. The request must have passed :class:`CSRFProtection`.
    """
    token = req.environ.get(_TOKEN)
    if token is None:
        raise MissingLayerError('csrf_token', 'CSRFProtection')
    token.used = True
    return token.value(req)


def form_field(req: Request) -> tuple[str, str] | None:
    """``(field name, token)`` for a form in answer to ``req``, or None without CSRF."""
    token = req.environ.get(_TOKEN)
    if token is None:
        return None
    token.used = True
    return token.field, token.value(req)


class CSRFProtection(_wsgi.Layer):
    """Middleware refusing cross-site unsafe requests to ``app``.

    - ``secret`` signs the token cookie (32 characters or more), or a
      list of secrets, newest first: the first signs, any of them verifies;
    - ``field`` and ``header`` are where clients send the token back;
    - ``exempt(req)`` returning true lets a request through unchecked,
      for JSON APIs that authenticate otherwise (an explicit opt-out);
    - ``on_refusal(req, refusal)``, when given, answers a refused request
      instead of the bare 403 (``refusal`` is a :class:`~webkit.csrf.CSRFRefused`): an
      edit form shown again with what the user typed, say;
    - an ``Origin`` is this site when it is the request's host or its
      public URL (:attr:`webkit.Request.public_host_url`).

    The check runs once the application has routed the request and
    before the handler (see ``webkit._wsgi.run_checks``), so a
    request no route takes gets its 404 or 405, not a 403.
    """

    def __init__(self, app: WSGIApplication, secret: str | bytes | Sequence[str | bytes], *,
                 field: str = 'csrf_token', header: str = 'X-CSRF-Token',
                 cookie_name: str = 'webkit_csrf',
                 exempt: Callable[[Request], object] | None = None,
                 on_refusal: Callable[[Request, CSRFRefused], Any] | None = None) -> None:
        secret = check_secret(secret, 'CSRFProtection')
        self.app = app
        self.field = field
        self.header = header
        # Where WebOb's req.headers would look it up, without building them.
        self._header_key = _environ_key(header)
        self.exempt = exempt
        self.on_refusal = on_refusal
        self._cookie = SignedCookie(secret, 'webkit.csrf', cookie_name)

    def __repr__(self) -> str:
        return f'CSRFProtection({self.app!r}, field={self.field!r})'

    def respond(self, req: Request) -> Any:
        token = req.environ[_TOKEN] = _Token(self._cookie, req.scheme == 'https', self.field)
        if req.method not in SAFE_METHODS and not (self.exempt and self.exempt(req)):
            _wsgi.add_check(req, self._check)
        answer = _wsgi.answer_from(self.app, req)
        if token.used or token.resign:
            # Only a page that carries the token needs the cookie (and one
            # signed by an older secret, the newest's), and it is this
            # client's own: no shared cache may keep it for others.
            resp = answer = _wsgi.as_response(req, answer)
            if token.resign or token.stored(req) != token.value(req):
                resp.headerlist.extend(self._cookie.get_headers(token.value(req), token.secure))
            _private(resp)
        return answer

    def _check(self, req: Request) -> Any:
        reason = self._refusal(req, req.environ[_TOKEN].stored(req))
        if reason is None:
            return None
        refusal = CSRFRefused(reason, cross_site=reason == CROSS_SITE)
        if self.on_refusal is not None:
            return self.on_refusal(req, refusal)
        return refusal

    def _refusal(self, req: Request, stored: str | None) -> str | None:
        env = req.environ
        sent_from = env.get('HTTP_ORIGIN')
        if sent_from is not None and not req.is_same_origin(sent_from):
            return CROSS_SITE
        sent = env.get(self._header_key)
        if sent is None and req.media_type in FORM_TYPES:
            sent = req.POST.getall(self.field)
            # Exactly one: with two, which one would we check?
            sent = sent[0] if len(sent) == 1 else None
        if not (stored is not None and isinstance(sent, str) and sent
                and hmac.compare_digest(sent.encode(), stored.encode())):
            return 'the form has expired or was not sent from this site; please try again'
        return None


def _environ_key(header: str) -> str:
    """The environ key of request header ``header`` (as WebOb's ``EnvironHeaders``)."""
    key = header.upper().replace('-', '_')
    return key if key in ('CONTENT_TYPE', 'CONTENT_LENGTH') else 'HTTP_' + key
