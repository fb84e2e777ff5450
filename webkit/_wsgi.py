"""The one place a request enters webkit and a response leaves it.

:func:`handle` runs a handler the same way for ``wsgify`` and for the
dispatcher: oversized bodies are refused unread, HTTP exceptions become
answers, anything else becomes a generic 500 (the traceback goes to the
``webkit`` logger, never into the body), and response headers holding
CR, LF or NUL never reach the server.
"""
import functools
import re
import sys

from webob import Response, exc
from webob.request import DisconnectionError

from ._util import layers
from .exc import WebkitError
from .request import Request

_UNSAFE_HEADER = re.compile(r'[\r\n\0]')

_ERROR_PAGE = (b'<!DOCTYPE html>\n<html><head><title>500 Internal Server Error'
               b'</title></head><body><h1>500 Internal Server Error</h1>'
               b'<p>The server could not complete the request.</p></body></html>\n')


class UnsafeHeaderError(WebkitError, ValueError):
    """A response header name or value holds CR, LF or NUL."""

    def __init__(self, name, value):
        super().__init__(name, value)
        self.name = name
        self.value = value

    def __str__(self):
        return f'response header {self.name!r} has a CR, LF or NUL: {self.value!r}'


def inner_request_class(app):
    """The request class of the application that middleware ``app`` reaches.

    Middleware in front of an application builds its requests with it,
    so that it refuses no body (413) and no form the application itself
    takes; webkit's :class:`Request` when the application has no class
    of its own, or a plain WebOb one (no limits, loose parsing).
    """
    for layer in layers(app):
        for holder in layer:
            found = getattr(holder, 'RequestClass', None)
            if found is not None:
                return found if issubclass(found, Request) else Request
    return Request


def internal_error():
    """A fresh generic 500 response that tells the client nothing."""
    return Response(_ERROR_PAGE, status=500, content_type='text/html')


def normalize(req, result):
    """Turn what a handler returned into a WSGI application.

    ``None`` means ``req.response``; ``str`` and ``bytes`` become its
    body; anything else must already be a WSGI application.
    """
    if result is None:
        return req.response
    if isinstance(result, str):
        resp = req.response
        resp.text = result
        return resp
    if isinstance(result, bytes):
        resp = req.response
        resp.body = result
        return resp
    if callable(result):
        return result
    raise TypeError(f'a handler must return a Response, a WSGI application, '
                    f'str, bytes or None, not {type(result).__name__} '
                    f'({result!r:.60})')


class StaticPage:
    """A fixed answer (status, headers, body), built once and served cheaply."""

    __slots__ = ('status', 'headers', 'body')

    def __init__(self, status, body, headers=()):
        self.status = status
        self.body = body
        self.headers = [('Content-Type', 'text/html; charset=UTF-8'),
                        ('Content-Length', str(len(body))), *headers]
        _check_headers(self.headers)

    def __call__(self, environ, start_response):
        start_response(self.status, list(self.headers))
        return [] if environ['REQUEST_METHOD'] == 'HEAD' else [self.body]

    def __repr__(self):
        return f'<StaticPage {self.status!r}>'


def _plain_body(body, environ, start_response):
    """Answer a str or bytes the handler returned, without building a Response.

    What goes on the wire is what ``req.response`` would have sent; this
    path is taken only when the handler never touched ``req.response``.
    """
    if isinstance(body, str):
        body = body.encode('utf-8')
    start_response('200 OK', [('Content-Type', 'text/html; charset=UTF-8'),
                              ('Content-Length', str(len(body)))])
    return [] if environ['REQUEST_METHOD'] == 'HEAD' else [body]


def _check_headers(headers, status=''):
    if _UNSAFE_HEADER.search(status):  # the status line is written out like a header
        raise UnsafeHeaderError('status', status)
    for name, value in headers:
        if _UNSAFE_HEADER.search(value) or _UNSAFE_HEADER.search(name):
            raise UnsafeHeaderError(name, value)


class _CheckedStartResponse:
    """Checks the status and headers of applications webkit did not build itself."""

    __slots__ = ('start_response', 'started')

    def __init__(self, start_response):
        self.start_response = start_response
        self.started = False

    def __call__(self, status, headers, exc_info=None):
        _check_headers(headers, status)
        write = self.start_response(status, headers, exc_info)
        self.started = True
        return write


class _Prefetched:
    """A body whose first chunk was pulled early: see :func:`_prefetch`."""

    __slots__ = ('first', 'rest', 'body')

    def __init__(self, first, rest, body):
        self.first = first
        self.rest = rest
        self.body = body

    def __iter__(self):
        yield from self.first
        yield from self.rest

    def close(self):
        if hasattr(self.body, 'close'):
            self.body.close()


def _prefetch(body):
    """Pull the first chunk of an application that has not called start_response.

    A generator calls start_response when it is first iterated, which
    would be outside :func:`handle`: its headers would be checked and
    its errors caught by nobody.
    """
    rest = iter(body)
    try:
        first = [next(rest, b'')]
    except BaseException:
        if hasattr(body, 'close'):
            body.close()
        raise
    return _Prefetched(first, rest, body)


class _LimitedInput:
    """``wsgi.input`` of a body without Content-Length, cut off past ``limit``."""

    def __init__(self, stream, limit):
        self.stream = stream
        self.remaining = limit

    def _count(self, data):
        self.remaining -= len(data)
        if self.remaining < 0:
            raise exc.HTTPRequestEntityTooLarge('the body is too large')
        return data

    def read(self, size=-1):
        if size is None or size < 0 or size > self.remaining + 1:
            size = self.remaining + 1  # one byte more than allowed tells us
        return self._count(self.stream.read(size))

    def readline(self, size=-1):
        if size is None or size < 0 or size > self.remaining + 1:
            size = self.remaining + 1
        return self._count(self.stream.readline(size))

    def __iter__(self):
        return iter(self.readline, b'')


def _body_too_large(environ, limit):
    length = environ.get('CONTENT_LENGTH')
    if not length:
        if environ.get('wsgi.input_terminated'):
            # A chunked body: its size is known only by reading it.
            environ['wsgi.input'] = _LimitedInput(environ['wsgi.input'], limit)
        return None
    # RFC 9110: 1*DIGIT. int() would also take '-1', '+3', ' 3' and '３'.
    if not (length.isascii() and length.isdigit()):
        return exc.HTTPBadRequest('invalid Content-Length')
    if int(length) > limit:
        return exc.HTTPRequestEntityTooLarge(f'the body may be at most {limit} bytes')
    return None


def _public_location(req, resp):
    # WebOb makes a relative Location absolute from the Host header; an
    # application given its public address (Dispatcher(base_url=...)) is
    # redirected there instead, as req.link(..., qualified=True) would be.
    link = req.__dict__.get('link')
    if link is None or link.dispatcher.base_url is None:
        return
    location = resp.headers.get('Location')
    if location and location.startswith('/') and not location.startswith('//'):
        resp.headers['Location'] = link.dispatcher.base_url + location


def _respond(resp, environ, start_response):
    if environ['REQUEST_METHOD'] == 'HEAD' and isinstance(resp, exc.WSGIHTTPException):
        # WebOb renders no page for HEAD, so Content-Type and Content-Length
        # would differ from the GET's: render it as for GET, send no body.
        body = resp({**environ, 'REQUEST_METHOD': 'GET'}, start_response)
        if hasattr(body, 'close'):
            body.close()
        return []
    if resp.conditional_response and environ.get('HTTP_IF_NONE_MATCH', '').strip() == '*' \
            and 'ETag' in resp.headers:
        # "*" matches any current representation (RFC 9110, 13.1.2), but
        # WebOb's match of it is falsy and never answers 304: name the ETag.
        environ = {**environ, 'HTTP_IF_NONE_MATCH': resp.headers['ETag']}
    return resp(environ, start_response)


def handle(environ, start_response, RequestClass, handler):
    """Build a request, run ``handler(req)`` and answer, safely."""
    # A plain WebOb request class has no limit of its own: webkit's applies.
    limit = getattr(RequestClass, 'max_body_size', Request.max_body_size)
    refusal = _body_too_large(environ, limit)
    if refusal is not None:
        return refusal(environ, start_response)
    req = RequestClass(environ)
    ours = issubclass(RequestClass, Request)
    checked = None
    if not ours:
        req.response = req.ResponseClass()  # a plain WebOb request class
    try:
        result = handler(req)
        if ours and isinstance(result, (str, bytes)) and '_response' not in req.__dict__:
            return _plain_body(result, environ, start_response)
        app = normalize(req, result)
        if isinstance(app, StaticPage):  # headers checked when it was built
            return app(environ, start_response)
        if isinstance(app, Response):
            _public_location(req, app)
            _check_headers(app.headerlist, app.status)
            return _respond(app, environ, start_response)
        checked = _CheckedStartResponse(start_response)
        body = app(environ, checked)
        return body if checked.started else _prefetch(body)
    except exc.HTTPException as http_error:
        _public_location(req, http_error)
        return _respond(http_error, environ, start_response)
    except DisconnectionError:  # the body ended before its Content-Length
        return _respond(exc.HTTPBadRequest('the body is incomplete'), environ, start_response)
    except Exception:
        import logging  # only when something went wrong: most processes never need it
        logging.getLogger('webkit').exception('error handling %s %s', environ.get('REQUEST_METHOD'),
                      environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', ''))
        if checked is not None and checked.started:
            # The application started a response; replacing it needs exc_info.
            return internal_error()(environ, functools.partial(_restart, start_response,
                                                               exc_info=sys.exc_info()))
        return internal_error()(environ, start_response)


def _restart(start_response, status, headers, exc_info):
    return start_response(status, headers, exc_info)
