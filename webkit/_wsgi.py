"""Where a request enters webkit and a response leaves it: once.

Every webkit piece that WSGI can call (``wsgify``, the dispatcher,
``Sessions``, ``CSRFProtection``) is a :class:`Layer`. The first layer a
request reaches builds the :class:`~webkit.request.Request` and guards
the call (:func:`enter`): HTTP exceptions become answers, anything else
a generic 500 with the traceback in the ``webkit`` log only, and no
header holding CR, LF, NUL or what Latin-1 cannot write reaches the server. Inner layers reached
through ``req.get_response(layer)`` answer with that same request
(:func:`response_from`); reached through foreign middleware that keeps
the environ, they find it there and reuse it. Sessions and CSRF, which
add headers to some answers only, pass on a ``str`` that a handler
returned without making ``req.response`` (:func:`answer_from`): the
first layer sends it as if there were no other.

Checks an outer layer owes the request (CSRF) wait in :func:`add_check`
until :func:`run_checks` runs them, right before code webkit does not
own sees the request: a handler once the route is known, a middleware
function, or a foreign application.
"""
from __future__ import annotations

import functools
import itertools
import re
import sys
from collections.abc import Callable, Iterable, Iterator

import webob
from webob import exc
from webob.request import DisconnectionError

from .exc import UnsafeHeaderError
from .request import PUBLIC_URL, Request, content_length
from . import response
from .response import Response

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker: importing typing costs a process half a MiB
    from typing import Any
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ['Layer', 'as_layer', 'enter', 'response_from', 'answer_from', 'as_response',
           'add_check', 'run_checks', 'StaticPage', 'internal_error', 'probe', 'Probe']

#: ``environ`` keys: the request the first webkit layer built, the checks
#: still owed before a handler, and a :class:`Probe` asking what an
#: application is made of.
REQUEST = 'webkit.request'
CHECKS = 'webkit.checks'
PROBE = 'webkit.probe'

# What no header may hold: a line break or NUL (a header of the client's own
# making), or what Latin-1 cannot write (PEP 3333; the server would fail).
_UNSAFE_HEADER = re.compile('[\r\n\0\u0100-\U0010ffff]')
_NOTHING = object()

_ERROR_PAGE = (b'<!DOCTYPE html>\n<html><head><title>500 Internal Server Error'
               b'</title></head><body><h1>500 Internal Server Error</h1>'
               b'<p>The server could not complete the request.</p></body></html>\n')


class Layer:
    """A webkit piece WSGI can call; subclasses define :meth:`respond`."""

    #: The class of the request this layer's handlers see.
    RequestClass: type[webob.BaseRequest] = Request

    def respond(self, req: Request) -> Any:  # pragma: no cover (every layer defines it)
        """Answer ``req`` with what a handler may return."""
        raise NotImplementedError

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return enter(self, environ, start_response)


def as_layer(app: object) -> Layer | None:
    """``app`` as a webkit layer, or None: an application instance whose
    class routes with a dispatcher (``__call__ = routes``) is one too."""
    if isinstance(app, Layer):
        return app
    call = getattr(type(app), '__call__', None)
    if isinstance(call, Layer) and hasattr(call, '__get__'):
        return call.__get__(app, type(app))
    return None


def _request_for(layer: Layer, environ: WSGIEnvironment) -> Request:
    """The request ``layer`` answers: the one already built for ``environ`` if it fits."""
    cls = layer.RequestClass
    req = environ.get(REQUEST)
    if req is None or req.environ is not environ or not isinstance(req, cls):
        req = cls(environ)
        environ[REQUEST] = req
        if not isinstance(req, Request):  # a plain WebOb request class
            req.response = req.ResponseClass()
    elif type(req) is not cls:
        # This layer's handlers, this layer's limit (a plain WebOb class has none).
        req.max_body_size = getattr(cls, 'max_body_size', Request.max_body_size)
    return req


def add_check(req: Request, check: Callable[[Request], Any]) -> None:
    """Owe ``req`` the call ``check(req)`` before a handler sees it.

    ``check`` returns None to let the request through, or what to answer
    instead (anything a handler may return).
    """
    req.environ.setdefault(CHECKS, []).append(check)


def run_checks(req: Request) -> Any:
    """Run the checks owed to ``req``; the first refusal, or None."""
    checks = req.environ.get(CHECKS)
    while checks:
        answer = checks.pop(0)(req)
        if answer is not None:
            checks.clear()
            return answer
    return None


def internal_error() -> Response:
    """A fresh generic 500 response that tells the client nothing."""
    return Response(_ERROR_PAGE, status=500, content_type='text/html')


class StaticPage:
    """A fixed answer (status, headers, body), built once and served cheaply.

    ``exception`` makes the same answer as a :mod:`webob.exc` exception,
    for middleware that asks for it with ``req.get_response(app)``.
    """

    __slots__ = ('status', 'headers', 'body', 'exception')

    def __init__(self, status: str, body: bytes, headers: Iterable[tuple[str, str]] = (),
                 exception: Callable[[], Any] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = [('Content-Type', 'text/html; charset=UTF-8'),
                        ('Content-Length', str(len(body))), *headers]
        self.exception = exception
        _check_headers(self.headers)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        start_response(self.status, list(self.headers))
        return [] if environ['REQUEST_METHOD'] == 'HEAD' else [self.body]

    def __repr__(self) -> str:
        return f'<StaticPage {self.status!r}>'


def as_app(req: Request, result: Any) -> WSGIApplication:
    """Turn what a handler returned into a WSGI application.

    ``None`` means ``req.response``; ``str`` (in the response's charset)
    and ``bytes`` are written to its body; anything else must be a WSGI application, and gets the
    cookies set on ``req.response`` meanwhile (as WebOb does).
    """
    if result is None:
        return req.response
    if isinstance(result, (str, bytes)):
        resp = req.response
        # Encoded as the response says it is (WebOb uses the request's
        # charset: a latin-1 request got latin-1 under "charset=UTF-8").
        # A str subclass too (markupsafe's Markup), which WebOb would write
        # only under a Content-Type naming a charset.
        resp.write(result.encode(resp.charset or 'utf-8') if isinstance(result, str) else result)
        return resp
    if not callable(result):
        raise TypeError(f'a handler must return a Response, a WSGI application, '
                        f'str, bytes or None, not {type(result).__name__} '
                        f'({result!r:.60})')
    prepared = _prepared(req)
    if prepared is not None and result is not prepared and 'Set-Cookie' in prepared.headers:
        return prepared.merge_cookies(result)
    return result


def _prepared(req: Request) -> Any:
    """``req.response`` if the handler made it, else None."""
    if isinstance(req, Request):
        return req.__dict__.get('_response')
    return req.response  # a plain WebOb request: set before the handler ran


def as_response(req: Request, result: Any) -> webob.Response:
    """What a handler returned, as a :class:`webob.Response`."""
    app = as_app(req, result)
    if isinstance(app, webob.Response):
        return app
    if isinstance(app, StaticPage) and app.exception is not None:
        return app.exception()
    return webob.Request.send(req, app)  # WebOb's own: no second shortcut, no checks


def response_from(layer: Layer, req: Request) -> webob.Response:
    """``req.get_response(layer)`` for a webkit layer: the same request, no guard."""
    return _answer(layer, req.environ, False)


def answer_from(app: object, req: Request) -> Any:
    """``req.get_response(app)`` for a layer that adds to some answers only
    (sessions, CSRF): a ``str`` that a webkit handler returned without
    making ``req.response`` comes back as it is, to be sent the cheap way
    by the first layer (:func:`as_response` makes it a response if needed).
    """
    # A plain WebOb request's get_response is WebOb's: a WSGI call, guarded.
    layer = as_layer(app) if isinstance(req, Request) else None
    if layer is None:
        return req.get_response(app)
    return _answer(layer, req.environ, True)


def _answer(layer: Layer, environ: WSGIEnvironment, keep_str: bool) -> Any:
    req = _request_for(layer, environ)
    saved = _set_aside(req)
    try:
        try:
            result = layer.respond(req)
        except exc.HTTPException as error:
            result = error
        if (keep_str and type(result) is str and type(req) is Request
                and '_response' not in req.__dict__ and req.ResponseClass is Response):
            return result  # what the first layer answers, as it would have
        return as_response(req, result)
    finally:
        _restore(req, saved)


# What answering a request sets on it: req.response, and the dispatcher
# that routed it (req.link). An inner layer answering the same request
# sets its own, and the outer handler gets its own back afterwards.
_ANSWERING = ('_response', '_routed_by', 'link')


def _set_aside(req: Request) -> list[Any] | None:
    state = req.__dict__
    if '_response' not in state and '_routed_by' not in state and 'link' not in state:
        return None  # the usual case: a layer (sessions, CSRF) answers nothing itself
    return [state.pop('_response', _NOTHING), state.get('_routed_by', _NOTHING),
            state.get('link', _NOTHING)]


def _restore(req: Request, saved: list[Any] | None) -> None:
    state = req.__dict__
    if saved is None:
        state.pop('_response', None)
        state.pop('_routed_by', None)
        state.pop('link', None)
        return
    for key, value in zip(_ANSWERING, saved):
        if value is _NOTHING:
            state.pop(key, None)
        else:
            state[key] = value


def enter(layer: Layer, environ: WSGIEnvironment,
          start_response: StartResponse) -> Iterable[bytes]:
    """Answer a WSGI call of ``layer``, safely (see the module docstring)."""
    length = environ.get('CONTENT_LENGTH')
    if length:
        if not (length.isascii() and length.isdigit()):
            return exc.HTTPBadRequest('invalid Content-Length')(environ, start_response)
        if length[0] == '0' and len(length) > 1:
            # Leading zeros: WebOb's reader would take thousands of them for no length.
            environ['CONTENT_LENGTH'] = str(content_length(length))
    if ('HTTP_IF_MODIFIED_SINCE' in environ or 'HTTP_IF_UNMODIFIED_SINCE' in environ
            or 'HTTP_IF_RANGE' in environ):
        _drop_unreadable_dates(environ)  # WebOb's conditional responses fail on them
    req: Any = None
    saved: Any = _NOTHING
    checked = None
    outermost = REQUEST not in environ
    try:
        if outermost:  # nearly every call: a new request, nothing to keep aside
            req = environ[REQUEST] = layer.RequestClass(environ)
            if not isinstance(req, Request):  # a plain WebOb request class
                req.response = req.ResponseClass()
        else:
            req = _request_for(layer, environ)
            saved = _set_aside(req)
        try:
            result = layer.respond(req)
        except exc.HTTPException as error:
            result = error
        if type(result) is str:
            resp = req.__dict__.get('_response')
            if resp is None:
                if (req.ResponseClass is Response and isinstance(req, Request)
                        and response.webob_defaults):
                    return _plain_body(result, environ, start_response)
            elif (type(resp) is Response and resp._fresh_type is not None
                  and not resp.conditional_response):
                # What as_app and the branch below do with it, in one step.
                if resp._status != '200 OK':
                    _check_headers((), resp._status)
                return response.send_text(resp, result, environ, start_response)
        app: Any
        if type(result) is Response and '_response' not in req.__dict__ and isinstance(req, Request):
            app = result  # no req.response made, so no cookies of it to add
        else:
            app = as_app(req, result)
        if type(app) is StaticPage:  # headers checked when it was built
            return app(environ, start_response)
        if type(app) is Response and not app.conditional_response:  # nothing for _respond to do
            if app._fresh_type is None:
                _check_headers(app._headerlist, app._status)
                if PUBLIC_URL in environ:
                    return app(_as_public(environ, app), start_response)
            elif app._status != '200 OK':  # its two headers were checked as they were set
                _check_headers((), app._status)
            return app(environ, start_response)
        if isinstance(app, webob.Response):
            _check_headers(app.headerlist, app.status)
            answer = _as_public(environ, app) if PUBLIC_URL in environ else environ
            return _respond(app, answer, start_response)
        checked = _CheckedStartResponse(start_response)
        body = app(environ, checked)
        if checked.started:
            return body
        body = _prefetch(body)
        if not checked.started:  # by its first chunk at the latest (PEP 3333)
            body.close()
            raise RuntimeError(f'{app!r:.80} gave a body without calling start_response')
        return body
    except exc.HTTPException as error:  # raised while building or answering
        answer = _as_public(environ, error) if PUBLIC_URL in environ else environ
        return _respond(error, answer, start_response)
    except DisconnectionError:  # the body ended before its Content-Length
        return _respond(exc.HTTPBadRequest('the body is incomplete'), environ, start_response)
    except Exception:
        _log_error(environ)
        if checked is not None and checked.started:
            # The application started a response; replacing it needs exc_info.
            return internal_error()(environ, functools.partial(_restart, start_response,
                                                               exc_info=sys.exc_info()))
        return internal_error()(environ, start_response)
    finally:
        if saved is not _NOTHING:
            _restore(req, saved)
        if outermost:
            # The request holds the environ: leaving it there would make a
            # reference cycle of every request, freed only by the collector.
            environ.pop(REQUEST, None)


def _log_error(environ: WSGIEnvironment) -> None:
    path = environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')
    method = environ.get('REQUEST_METHOD', '')
    try:
        import logging  # only when something went wrong: most processes never need it
        from .log import printable
    except Exception:  # no file to import from (the process is out of descriptors)
        error = sys.exc_info()
        environ['wsgi.errors'].write(f'webkit: error handling {method!r} {path!r}, and the '
                                     f'logging module could not be loaded: {error[1]!r}\n')
        return
    logging.getLogger('webkit').exception('error handling %s %s', printable(method),
                                          printable(path))


def _restart(start_response: StartResponse, status: str, headers: list[tuple[str, str]],
             exc_info: Any) -> Any:
    return start_response(status, headers, exc_info)


def _plain_body(text: str, environ: WSGIEnvironment,
                start_response: StartResponse) -> list[bytes]:
    """Answer a str the handler returned, without building a Response.

    What goes on the wire is what ``req.response`` would have sent; this
    path is taken only when the handler never touched ``req.response``.
    """
    body = text.encode('utf-8')
    start_response('200 OK', [('Content-Type', 'text/html; charset=UTF-8'),
                              ('Content-Length', str(len(body)))])
    return [] if environ['REQUEST_METHOD'] == 'HEAD' else [body]


def _check_headers(headers: Iterable[tuple[str, str]], status: str = '') -> None:
    # The status line is written out like a header. One joined string is
    # searched first: nearly every response has nothing to find.
    headers = list(headers)
    text = status + ''.join(itertools.chain.from_iterable(headers))
    if text.isascii():
        if '\n' not in text and '\r' not in text and '\0' not in text:
            return
    elif not _UNSAFE_HEADER.search(text):
        return
    if _UNSAFE_HEADER.search(status):
        raise UnsafeHeaderError('status', status)
    for name, value in headers:
        if _UNSAFE_HEADER.search(value) or _UNSAFE_HEADER.search(name):
            raise UnsafeHeaderError(name, value)


class _CheckedStartResponse:
    """Checks the status and headers of applications webkit did not build itself."""

    __slots__ = ('start_response', 'started')

    def __init__(self, start_response: StartResponse) -> None:
        self.start_response = start_response
        self.started = False

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if self.started and exc_info is None:
            raise RuntimeError('start_response called again without exc_info (PEP 3333)')
        _check_headers(headers, status)
        write = self.start_response(status, headers, exc_info)
        self.started = True
        return write


class _Prefetched:
    """A body whose first chunk was pulled early: see :func:`_prefetch`."""

    __slots__ = ('first', 'rest', 'body')

    def __init__(self, first: list[bytes], rest: Iterator[bytes], body: Iterable[bytes]) -> None:
        self.first = first
        self.rest = rest
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        yield from self.first
        yield from self.rest

    def close(self) -> None:
        if hasattr(self.body, 'close'):
            self.body.close()


def _prefetch(body: Iterable[bytes]) -> '_Prefetched':
    """Pull the first chunk of an application that has not called start_response.

    A generator calls start_response when it is first iterated, which
    would be outside :func:`enter`: its headers would be checked and its
    errors caught by nobody.
    """
    rest = iter(body)
    try:
        first = [next(rest, b'')]
    except BaseException:
        if hasattr(body, 'close'):
            body.close()
        raise
    return _Prefetched(first, rest, body)


def _as_public(environ: WSGIEnvironment, resp: webob.Response) -> WSGIEnvironment:
    """The environ ``resp`` answers with behind a public URL.

    WebOb makes a Location absolute (a relative one, ``add_slash``, a
    redirect to the request's own URL) from the environ's scheme and Host:
    given the public ones, every redirect goes to the public address, never
    to a Host the client chose.
    """
    if resp.status_code // 100 != 3 and 'Location' not in resp.headers:
        return environ
    scheme, _, host = environ[PUBLIC_URL].partition('://')
    return {**environ, 'wsgi.url_scheme': scheme, 'HTTP_HOST': host}


def _precondition_failed(resp: webob.Response, environ: WSGIEnvironment) -> bool:
    """Whether If-Match or If-Unmodified-Since fails for ``resp`` (RFC 9110 13.2.2)."""
    if_match = environ.get('HTTP_IF_MATCH')
    if if_match is not None:
        if if_match.strip() == '*':
            return False
        etag = resp.headers.get('ETag', '')
        # Strong comparison: a weak tag never matches.
        tags = [tag.strip() for tag in if_match.split(',')]
        return etag.startswith('W/') or not etag or etag not in tags
    since = environ.get('HTTP_IF_UNMODIFIED_SINCE')
    if since is not None and resp.last_modified is not None:
        limit = _date(since)
        return limit is not None and resp.last_modified > limit
    return False


def _date(value: str) -> Any:
    """The date of a request header, or None for one that is none (ignored, RFC 9110 13.1)."""
    from webob.datetime_utils import parse_date
    try:
        return parse_date(value)
    except (ValueError, OverflowError):  # a date past what Python holds (year 99999)
        return None


# The request headers holding dates that WebOb's conditional responses read.
_DATE_HEADERS = ('HTTP_IF_MODIFIED_SINCE', 'HTTP_IF_UNMODIFIED_SINCE', 'HTTP_IF_RANGE')


def _drop_unreadable_dates(environ: WSGIEnvironment) -> None:
    """Leave out the date headers WebOb would fail on: ignored, as a date that is none is."""
    for key in _DATE_HEADERS:
        value = environ.get(key)
        if value is not None and not value.startswith(('"', 'W/')) and _date(value) is None:
            del environ[key]
            if key == 'HTTP_IF_RANGE':  # a validator that matches nothing: the whole body
                environ.pop('HTTP_RANGE', None)


def _respond(resp: webob.Response, environ: WSGIEnvironment,
             start_response: StartResponse) -> Iterable[bytes]:
    method = environ['REQUEST_METHOD']
    if method == 'HEAD' and isinstance(resp, exc.WSGIHTTPException):
        # WebOb renders no page for HEAD, so Content-Type and Content-Length
        # would differ from the GET's: render it as for GET, send no body.
        body = resp({**environ, 'REQUEST_METHOD': 'GET'}, start_response)
        if hasattr(body, 'close'):
            body.close()
        return []
    if resp.conditional_response and method in ('GET', 'HEAD'):
        if resp.status_int == 200 and _precondition_failed(resp, environ):
            body = resp.app_iter
            if hasattr(body, 'close'):  # a file, say, never to be read
                body.close()
            return exc.HTTPPreconditionFailed()(environ, start_response)
        if environ.get('HTTP_IF_NONE_MATCH', '').strip() == '*' and 'ETag' in resp.headers:
            # "*" matches any current representation (RFC 9110, 13.1.2), but
            # WebOb's match of it is falsy and never answers 304: name the ETag.
            environ = {**environ, 'HTTP_IF_NONE_MATCH': resp.headers['ETag']}
        if method == 'HEAD' and 'HTTP_RANGE' in environ:
            # Range is defined for GET only (RFC 9110 14.2): HEAD answers in full.
            environ = {key: value for key, value in environ.items() if key != 'HTTP_RANGE'}
    return resp(environ, start_response)


class Probe:
    """What a request reaching an application finds: its route table and body
    limit, and a ``Host`` it answers for when a layer in front refuses others."""

    def __init__(self) -> None:
        self.routes: Any = None
        self.max_body_size: int | None = None
        self.host: str | None = None

    def __repr__(self) -> str:
        return (f'<Probe routes={self.routes!r} max_body_size={self.max_body_size!r} '
                f'host={self.host!r}>')


def probe(app: WSGIApplication) -> Probe:
    """Send ``app`` an ``OPTIONS *`` carrying a :class:`Probe`, and return the probe.

    The dispatcher the request reaches fills it in and answers at once,
    running no handler; middleware of any kind in between is passed as a
    request is. Nothing walks the middleware's attributes.
    """
    found = Probe()
    environ = Request.blank('/', method='OPTIONS').environ
    environ['PATH_INFO'] = '*'
    environ[PROBE] = found
    try:
        body = app(environ, lambda status, headers, exc_info=None: None)  # type: ignore[arg-type]
        if hasattr(body, 'close'):
            body.close()
    except Exception:  # an application that fails the question has nothing to tell
        pass
    return found
