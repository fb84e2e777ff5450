"""The request class: WebOb's, with bad input turned into 4xx answers.

WebOb decodes lazily and, when the bytes are bad, raises
``UnicodeDecodeError`` from deep inside the application (path, query,
JSON) or, worse, silently replaces them (form bodies). Here every such
access raises :class:`webob.exc.HTTPBadRequest` instead, which webkit
turns into a 400 answer::

    >>> req = Request.blank('/caf%C3%A9?q=%FF')
    >>> req.path_info
    '/café'
    >>> req.GET
    Traceback (most recent call last):
    ...
    webob.exc.HTTPBadRequest: the query string is not valid UTF-8

Body limits are class attributes; subclass to change them::

    >>> class UploadRequest(Request):
    ...     max_body_size = 50 * 1024 * 1024

This module also owns the facts about where a request comes from: its
media type, its Host, and the public URL the client sees.
"""
from __future__ import annotations

import io
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from urllib.parse import unquote_to_bytes, urlsplit

import webob
from webob import exc
from webob.compat import cgi_FieldStorage  # the stdlib's, with WebOb's fixes
from webob.multidict import GetDict, MultiDict, NoVars
from webob.request import DisconnectionError

from .response import Response, empty
from .route import Link

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker: importing typing costs a process half a MiB
    from typing import Any, NoReturn

__all__ = ['Request', 'FORM_TYPES', 'PUBLIC_URL', 'origin', 'as_browsers_read']

#: The media types of HTML form bodies (as :attr:`webkit.Request.media_type` gives them).
FORM_TYPES = ('application/x-www-form-urlencoded', 'multipart/form-data')
#: The ``environ`` key holding the application's public base URL
#: (``https://example.org``), set by the layer configured with it.
PUBLIC_URL = 'webkit.public_url'

_UTF8_NAMES = ('utf-8', 'utf8')
# The charset parameter of a Content-Type (names and values ignore case).
_CHARSET = re.compile(r';\s*charset\s*=\s*"?([^";\s]*)', re.IGNORECASE).search
# host[:port] as RFC 3986 allows it in a Host header (reg-name, IPv4, [IPv6]).
HOST = re.compile(r'(?:[A-Za-z0-9_][A-Za-z0-9_.-]*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?').fullmatch
# JSON nested deeper than this is refused before Python's recursion limit is near.
_JSON_DEPTH = 200
# Browsers drop tabs and newlines from URLs and read "\" as "/".
_URL_NOISE = str.maketrans({'\t': None, '\n': None, '\r': None, '\\': '/'})
_DEFAULT_PORTS = {'http': ':80', 'https': ':443'}


def as_browsers_read(url: str) -> str:
    r"""``url`` as a browser follows it, for deciding where it leads.

    >>> as_browsers_read(' /\\\tevil.example/x\n')
    '//evil.example/x'
    """
    return url.strip('\x00\t\n\x0c\r ').translate(_URL_NOISE)


def origin(url: str) -> str:
    """The origin (``scheme://host[:port]``, lower case, default port left out) of ``url``.

    >>> origin('HTTPS://Example.org:443/wiki/')
    'https://example.org'
    >>> origin('http://[')  # no URL: an opaque origin, the same as no other
    'null'
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # an IPv6 host left open ("http://[")
        return 'null'
    scheme, netloc = parts.scheme.lower(), parts.netloc.lower()
    return f'{scheme}://{netloc.removesuffix(_DEFAULT_PORTS.get(scheme, "//"))}'


def _strict(prop: Any, what: str) -> property:
    """Wrap a WebOb property so undecodable bytes become a 400, an unknown charset a 415."""
    def fget(self: Any) -> Any:
        try:
            return prop.fget(self)
        except UnicodeDecodeError:
            raise exc.HTTPBadRequest(f'{what} is not valid UTF-8') from None
        except LookupError:  # the codec of the body's charset (only text has another)
            raise exc.HTTPUnsupportedMediaType(f'{what} is in a charset this server '
                                               'does not know') from None
        except ValueError:  # a codec that decodes nothing ("undefined"), a NUL in its name
            raise exc.HTTPBadRequest(f'{what} cannot be read in the charset it names') from None
    return property(fget, prop.fset, prop.fdel, prop.__doc__)


class _LimitedInput:
    """``wsgi.input`` of a body without Content-Length, cut off past ``limit``."""

    def __init__(self, stream: Any, limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.taken = 0

    def _count(self, data: bytes) -> bytes:
        self.taken += len(data)
        if self.taken > self.limit:
            raise exc.HTTPRequestEntityTooLarge(f'the body may be at most {self.limit} bytes')
        return data

    def _size(self, size: int | None) -> int:
        room = self.limit - self.taken + 1  # one byte more than allowed tells us
        return room if size is None or size < 0 or size > room else size

    def read(self, size: int | None = -1) -> bytes:
        return self._count(_pull(self.stream.read, self._size(size)))

    def readline(self, size: int | None = -1) -> bytes:
        return self._count(_pull(self.stream.readline, self._size(size)))

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b'')


def _url_fields(data: bytes, semicolons: bool) -> list[tuple[str, str]]:
    """``(name, value)`` of each field of URL-encoded ``data``, split on ``&``
    (and ``;`` for a query string, as WebOb's ``parse_qsl_text``), escaped
    and raw bytes alike decoded strictly as UTF-8 (UnicodeDecodeError).

    Only ``%`` and two hex digits is an escape (RFC 3986), where WebOb's
    ``int()`` also read ``%2`` and ``% 1``.
    """
    data = data.replace(b'+', b' ')
    if b'%' not in data:
        # Most forms have no escape to undo: decoded at once, then split
        # (no "&", ";" or "=" is ever part of a UTF-8 sequence).
        text = data.decode('utf-8')
        parts = text.split('&')
        if semicolons and ';' in text:
            parts = [part for piece in parts for part in piece.split(';')]
        return [field.partition('=')[::2] for field in parts if field]
    fields = data.split(b'&')
    if semicolons and b';' in data:
        fields = [part for piece in fields for part in piece.split(b';')]
    found = []
    for field in fields:
        if field:
            name, _, value = field.partition(b'=')
            found.append((unquote_to_bytes(name).decode('utf-8'),
                          unquote_to_bytes(value).decode('utf-8')))
    return found


def _pull(read: Callable[[int], bytes], size: int) -> bytes:
    try:
        return read(size)
    except Exception as error:
        # The server's own framing error, raised as the body is read
        # (gunicorn's InvalidChunkSize for a chunk size of "0x3", say).
        raise exc.HTTPBadRequest('the chunked body is malformed') from error


class _TooManyParts(ValueError):
    pass


class _PartHeaders(io.BytesIO):
    """A multipart body for the parser, refusing what no form sends:
    more parts than ``max_parts``, part headers longer than a browser writes.

    The parser reads the lines of a part's headers with ``readline()`` and
    no size, and everything else in pieces of a given size. Its handling
    of those lines grows with the square of their number and of the
    parameters in a line: one megabyte of them took seconds. Each part
    costs it tens of microseconds, so the parts are counted as they come.
    """

    MAX_BYTES = 8192
    MAX_LINES = 32
    MAX_PARAMETERS = 64  # the ";" of Content-Disposition and Content-Type

    def __init__(self, body: bytes, max_parts: int) -> None:
        super().__init__(body)
        self.max_parts = max_parts
        self._parts = self._lines = self._bytes = self._parameters = 0

    def readline(self, size: int | None = -1) -> bytes:
        if size is not None and size >= 0:  # a part's content: the run of headers is over
            if self._lines:
                self._lines = self._bytes = self._parameters = 0
            return super().readline(size)
        if self._lines == 0:  # the headers of the next part
            self._parts += 1
            if self._parts > self.max_parts:
                raise _TooManyParts(self.max_parts)
        line = super().readline(self.MAX_BYTES + 1 - self._bytes)
        self._lines += 1
        self._bytes += len(line)
        self._parameters += line.count(b';')
        if (self._bytes > self.MAX_BYTES or self._lines > self.MAX_LINES
                or self._parameters > self.MAX_PARAMETERS):
            raise ValueError('a multipart part has more headers than a form sends')
        return line


class _NestedMultipart(cgi_FieldStorage):
    """The multipart parser, refusing a part that is itself multipart.

    HTML forms never send one (RFC 7578 4.3); the standard library would
    parse it by recursion, which a few hundred nested parts (48 KiB) turn
    into a RecursionError, and whose fields escape the field count.
    """

    def read_multi(self, environ: dict[str, Any], keep_blank_values: bool,
                   strict_parsing: bool) -> Any:
        if self.outerboundary:
            raise ValueError('a multipart part is itself multipart')
        return super().read_multi(environ, keep_blank_values, strict_parsing)

    def make_file(self) -> Any:
        # A part over a kilobyte went to a temporary file of its own: a
        # thousand small files in one request held a thousand descriptors.
        # The body is in memory already; only a large part goes to disk.
        if self._binary_file:
            return tempfile.SpooledTemporaryFile(_SPOOLED, mode='w+b')
        return tempfile.SpooledTemporaryFile(_SPOOLED, mode='w+', encoding=self.encoding,
                                             newline='\n')


# Parts of a multipart body are kept in memory up to this size.
_SPOOLED = 1024 * 1024


# Any: typeshed gives a property's fget as optional.
_STRICT_PATH_INFO: Any = _strict(webob.Request.path_info, 'the path').fget


class _LinkOnFirstUse:
    """``Request.link``, made when first read: most handlers build no URL.

    Made from the dispatcher that routed the request (its ``_routed_by``)
    and kept in the request, where later reads find it first; a dispatcher
    that routes the request again drops it.
    """

    def __get__(self, req: Request | None, owner: type | None = None) -> Any:
        if req is None:
            return None
        dispatcher = req.__dict__.get('_routed_by')
        if dispatcher is None:
            return None
        link = req.__dict__['link'] = Link(dispatcher, req)
        return link


class Request(webob.Request):
    """A :class:`webob.Request` that answers bad input with a 4xx.

    - ``path_info``, ``script_name``, ``GET``, ``text``: undecodable
      bytes raise ``HTTPBadRequest``;
    - ``POST`` (and so ``params``) decodes form bodies strictly, refuses
      a charset other than UTF-8, a broken or nested multipart body, and
      more than ``max_form_fields`` fields; a body without a form
      ``Content-Type`` has no fields (WebOb parses one without any, loosely);
    - ``json_body``/``json``: invalid JSON, keys given twice, ``NaN``,
      lone surrogates and deep nesting raise ``HTTPBadRequest``;
      setting it stores JSON, as in WebOb;
    - ``max_body_size``: a body larger than this is refused with a 413
      when it is first read, before any of it is (a class attribute,
      which a webkit layer sets on the request for its own handlers);
    - ``media_type``: the Content-Type's media type, lower case;
    - ``public_host_url``: ``scheme://host[:port]`` as the client sees
      the application (its configured public URL, else the checked Host).

    ``link`` and ``urlvars`` are set by the dispatcher for each request.
    """

    #: What ``req.response`` is made of: WebOb's, built faster.
    ResponseClass = Response
    #: Bodies larger than this many bytes are answered with 413 unread.
    max_body_size = 1024 * 1024
    #: Form bodies with more fields than this are answered with 413.
    max_form_fields = 1000
    #: URL generation for this request (a :class:`~webkit.route.Link`), from
    #: the dispatcher that routed it; None before one has.
    link: Any = _LinkOnFirstUse()

    def __init__(self, environ: dict[str, Any], *args: Any, **kw: Any) -> None:
        if args or kw or type(environ) is not dict:
            super().__init__(environ, *args, **kw)  # WebOb's checks and settings
        else:  # what WebOb's __init__ does with nothing but an environ
            self.__dict__['environ'] = environ

    @property
    def response(self) -> webob.Response:
        """The response being prepared, made on first use (as with WebOb's wsgify)."""
        resp = self.__dict__.get('_response')
        if resp is None:  # stored directly: WebOb's __setattr__ costs more than the rest
            cls = self.ResponseClass
            resp = self.__dict__['_response'] = empty() if cls is Response else cls()
        return resp

    @response.setter
    def response(self, value: webob.Response) -> None:
        self._response = value

    path_info = _strict(webob.Request.path_info, 'the path')

    # mypy follows .getter only after @property.
    @path_info.getter  # type: ignore[no-redef]
    def path_info(self) -> str:
        # Every routed request reads it: an ASCII path (nearly all of them)
        # decodes to itself in UTF-8, so WebOb's decoding is skipped then.
        path = self.environ.get('PATH_INFO', '')
        if path.isascii() and self.url_encoding == 'UTF-8':
            return path
        return _STRICT_PATH_INFO(self)

    script_name = _strict(webob.Request.script_name, 'the script name')

    @property
    def GET(self) -> Any:
        """The fields of the query string, as WebOb's ``GET`` gives them, decoded
        strictly as UTF-8.

        Parsed as WebOb parses it, but in time linear in its length: WebOb
        joins the bytes of each ``%`` escape one at a time, which a 200 KB
        query string of them turned into 0.6 s of CPU. An escape is ``%``
        and two hex digits; any other ``%`` stays as it is.
        """
        env = self.environ
        source = env.get('QUERY_STRING', '')
        cached = env.get('webob._parsed_query_vars')
        if cached is not None and cached[1] == source:
            return cached[0]
        try:
            fields = GetDict(_url_fields(source.encode('latin-1'), True) if source else [], env)
        except UnicodeDecodeError:
            raise exc.HTTPBadRequest('the query string is not valid UTF-8') from None
        env['webob._parsed_query_vars'] = (fields, source)
        return fields
    text = _strict(webob.Request.text, 'the body')

    @property
    def charset(self) -> str:
        """The body's charset (WebOb's): ``'UTF-8'`` unless the Content-Type names another."""
        if self._charset is None and not self.environ.get('CONTENT_TYPE'):
            return 'UTF-8'  # nothing to search: WebOb's answer, minus its regex
        return webob.Request.charset.fget(self)

    charset = charset.setter(webob.Request.charset.fset)  # type: ignore[attr-defined]

    @property
    def media_type(self) -> str:
        """The media type of the body (``'application/json'``), lower case, or ``''``."""
        # WebOb's content_type, read from the environ directly (it is read
        # for every form and JSON body, and by the CSRF check) unless a
        # subclass says otherwise.
        if type(self).content_type is not _CONTENT_TYPE:
            return str(self.content_type).split(';', 1)[0].lower()
        return self.environ.get('CONTENT_TYPE', '').split(';', 1)[0].lower()

    # -- the body, limited where it is read --------------------------------

    @property
    def body_file(self) -> Any:
        """The body as a file, refused (413) when it is longer than ``max_body_size``.

        Every read of the body (``body``, ``POST``, ``json``, ``text``) comes
        here first, so the limit holds wherever the body is read.
        """
        env = self.environ
        self.check_body_size()
        if not env.get('CONTENT_LENGTH') and env.get('wsgi.input_terminated'):
            # A chunked body: its size is known only by reading it.
            stream = env['wsgi.input']
            if not isinstance(stream, _LimitedInput):
                stream = env['wsgi.input'] = _LimitedInput(stream, self.max_body_size)
            stream.limit = self.max_body_size
        return webob.Request.body_file.fget(self)

    # mypy knows a property only as decorators build it.
    body_file = body_file.setter(  # type: ignore[attr-defined]
        webob.Request.body_file.fset).deleter(webob.Request.body_file.fdel)

    @property
    def body(self) -> bytes:
        """The body as bytes, kept to be read again (as WebOb keeps it).

        A body that ends before its Content-Length, or whose connection
        fails as it is read, is a 400 here: whoever reads it (a form, a
        middleware's ``except Exception``) sees the client's error as one.
        """
        try:
            return self._read_body()
        except DisconnectionError:
            raise exc.HTTPBadRequest('the body is incomplete') from None

    def _read_body(self) -> bytes:
        env = self.environ
        size = _declared_length(env)
        if (env.get('webob.is_body_seekable') or size is None
                or not 0 < size <= self.request_body_tempfile_limit):
            return webob.Request.body.fget(self)
        # A body of known length that WebOb would keep in memory too (a
        # form, a JSON document): read at once, where WebOb's general copy
        # costs ten times the read. Larger ones spill to a temporary file.
        if size > self.max_body_size or type(self).check_body_size is not _CHECK_BODY_SIZE:
            self.check_body_size()  # refused, or a subclass's own check
        stream = env['wsgi.input']
        data = b''
        while len(data) < size:
            try:
                more = stream.read(size - len(data))
            except OSError as error:  # the connection's (a reset), not the disk's
                raise DisconnectionError(f'the body could not be read: {error}') from error
            if not more:
                raise DisconnectionError(f'the client disconnected ({size - len(data)} '
                                         'more bytes were expected)')
            data += more
        env['wsgi.input'] = io.BytesIO(data)
        env['webob.is_body_seekable'] = True
        return data

    body = body.setter(  # type: ignore[attr-defined]
        webob.Request.body.fset).deleter(webob.Request.body.fdel)

    def check_body_size(self) -> None:
        """Refuse (413) a body whose Content-Length is over ``max_body_size``, unread."""
        size = _declared_length(self.environ)
        if size is not None and size > self.max_body_size:
            raise exc.HTTPRequestEntityTooLarge(
                f'the body may be at most {self.max_body_size} bytes')

    @property
    def POST(self) -> Any:
        """The form fields of the body, decoded strictly as UTF-8."""
        env = self.environ
        cached = env.get('webob._parsed_post_vars')
        if cached is not None and cached[1] is env['wsgi.input']:
            return cached[0]
        content_type = self.media_type
        if content_type not in FORM_TYPES:
            # Not a form (WebOb would parse a body without Content-Type as one,
            # replacing bad bytes with U+FFFD).
            return NoVars(f'Not an HTML form submission (Content-Type: {content_type})')
        header = env.get('CONTENT_TYPE', '')
        charset = _CHARSET(header) if ';' in header else None  # no parameters, no charset
        if charset and charset[1].lower() not in _UTF8_NAMES:
            raise exc.HTTPBadRequest(f'unsupported form charset {charset[1]!r}')
        if env.get('REQUEST_METHOD') in ('GET', 'HEAD'):
            # As WebOb's parser: their body is no form, so req.params never
            # holds fields that a cache or a log keyed on the URL cannot see.
            fields = MultiDict()
        elif content_type == 'multipart/form-data':
            fields = self._parse_multipart()
        else:
            fields = self._parse_urlencoded()
        env['webob._parsed_post_vars'] = (fields, env['wsgi.input'])
        return fields

    def _parse_urlencoded(self) -> Any:
        body = self.body
        if body.count(b'&') >= self.max_form_fields:
            raise exc.HTTPRequestEntityTooLarge('too many form fields')
        try:
            # Split on & only, as browsers and WebOb's parser (cgi) do.
            return MultiDict.view_list(_url_fields(body, False))
        except UnicodeDecodeError:
            raise exc.HTTPBadRequest('the form is not valid UTF-8') from None

    def _parse_multipart(self) -> Any:
        body = self.body
        params = self.environ.get('CONTENT_TYPE', '').partition(';')[2]
        environ = {'REQUEST_METHOD': 'POST', 'QUERY_STRING': '',
                   'CONTENT_TYPE': 'multipart/form-data;' + params,
                   'CONTENT_LENGTH': str(len(body))}
        try:
            # errors='strict': WebOb's 'replace' would turn bad bytes into U+FFFD.
            form = _NestedMultipart(fp=_PartHeaders(body, self.max_form_fields),
                                    environ=environ, keep_blank_values=True,
                                    encoding='utf-8', errors='strict')
        except _TooManyParts:
            raise exc.HTTPRequestEntityTooLarge('too many form fields') from None
        except ValueError:  # UnicodeDecodeError too
            raise exc.HTTPBadRequest('the multipart body is malformed') from None
        if b'--' + form.innerboundary + b'--' not in body:
            raise exc.HTTPBadRequest('the multipart body is truncated')
        for part in form.list or ():
            charset = part.type_options.get('charset')
            if part.name is None or (charset and charset.lower() not in _UTF8_NAMES):
                raise exc.HTTPBadRequest('a part of the multipart body has no name '
                                         'or a charset other than UTF-8')
            if charset is not None:
                # WebOb's own name for UTF-8 has it decode nothing more, where
                # another spelling fails on a part with a filename.
                part.type_options['charset'] = 'utf8'
        try:
            return MultiDict.from_fieldstorage(form)
        except ValueError:  # a base64 or quoted-printable part that is not UTF-8
            raise exc.HTTPBadRequest('the form is not valid UTF-8') from None

    @property
    def json_body(self) -> Any:
        """The body parsed as JSON, strictly; anything else is ``HTTPBadRequest``.

        Where Python's ``json`` is lenient, this refuses: an object naming
        a key twice, ``NaN``/``Infinity``, lone surrogates (not text, and a
        500 in whatever stores them) and nesting deeper than 200 levels.
        """
        try:
            text = self.body.decode('utf-8')
            if _too_deep(text):
                raise ValueError(f'nested deeper than {_JSON_DEPTH} levels')
            value = _JSON_DECODER.decode(text)
            if '\\u' in text:  # only an escape can make a lone surrogate: it fails here
                json.dumps(value, ensure_ascii=False).encode('utf-8')
        except ValueError as error:  # UnicodeError is a ValueError
            raise exc.HTTPBadRequest(f'the body is not valid JSON: {error}'[:200]) from None
        return value

    json_body = json_body.setter(  # type: ignore[attr-defined]
        webob.Request.json_body.fset).deleter(webob.Request.json_body.fdel)
    json = json_body

    # -- where the request comes from ----------------------------------------

    @property
    def public_host_url(self) -> str:
        """``scheme://host[:port]`` of the application as its clients see it.

        The public URL configured for the application when there is one
        (behind a proxy, the Host header names the proxy's backend);
        otherwise the request's own, refusing (400) a Host header that is
        not a ``host[:port]`` rather than putting it into a URL.
        """
        configured = self.environ.get(PUBLIC_URL)
        if configured:
            return configured
        host = self.environ.get('HTTP_HOST')
        if host and not HOST(host):
            raise exc.HTTPBadRequest('invalid Host header')
        return self.host_url

    def is_same_origin(self, url: str) -> bool:
        """Whether the absolute ``url`` is of this application's origin.

        Both the origin the request reached and the configured public
        one count (they differ behind a proxy).
        """
        found = origin(url)
        if found == 'null':  # an opaque origin is the same as no other
            return False
        return found == origin(self.host_url) or found == origin(self.public_host_url)

    # -- other webkit layers ---------------------------------------------------

    def send(self, application: Any = None, catch_exc_info: bool = False) -> webob.Response:
        """Answer this request with ``application``, as a response (WebOb's ``get_response``).

        A webkit layer reached from another one answers with this very
        request (no second request object, no second guard); any other application is called first
        running the checks webkit owes the request (CSRF) before code it
        does not own sees it.
        """
        if _wsgi.REQUEST in self.environ:
            layer = _wsgi.as_layer(application)
            if layer is not None:
                return _wsgi.response_from(layer, self)
        refusal = _wsgi.run_checks(self)
        if refusal is not None:
            return _wsgi.as_response(self, refusal)
        return super().send(application, catch_exc_info)

    get_response = send


def _too_deep(text: str) -> bool:
    # Counting brackets outside strings needs a scan; only long texts with
    # many brackets can be that deep, so most bodies skip it.
    if text.count('[') + text.count('{') <= _JSON_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == '\\':
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in '[{':
            depth += 1
            if depth > _JSON_DEPTH:
                return True
        elif char in ']}':
            depth -= 1
    return False


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise ValueError('an object names a key more than once')
    return value


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f'{name} is not a JSON value')


def _finite(text: str) -> float:
    number = float(text)
    if number in (_INFINITY, -_INFINITY):  # 1e999: Infinity once written back, not JSON
        raise ValueError(f'{text[:20]} is too large a number')
    return number


_INFINITY = float('inf')
# Made once: json.loads() with hooks builds a decoder on every call.
_JSON_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_no_constant,
                                 parse_float=_finite)


_CONTENT_TYPE = Request.content_type
_CHECK_BODY_SIZE = Request.check_body_size


def _declared_length(environ: dict[str, Any]) -> int | None:
    """The body's ``Content-Length`` as a number; None without one in
    ASCII digits (WebOb reads no length then)."""
    length = environ.get('CONTENT_LENGTH')
    if length and length.isascii() and length.isdigit():
        return int(length) if len(length) <= 18 else content_length(length)
    return None


def content_length(digits: str) -> int:
    """A Content-Length as a number: past 18 digits, more than any limit
    (``int()`` refuses 4,300 digits with a ValueError)."""
    digits = digits.lstrip('0') or '0'
    return int(digits) if len(digits) <= 18 else 10 ** 18


from . import _wsgi  # noqa: E402  (it imports this module: the layers it defines use Request)
