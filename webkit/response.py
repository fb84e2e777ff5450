"""The response handlers are given: WebOb's, with its commonest steps made cheap.

:class:`Response` is a :class:`webob.Response` in every way (subclass,
same attributes, same headers and body for the same calls); it takes a
shorter way through the few steps nearly every request goes through:
building one, writing to its body, setting its content type or a
header, reading its charset, and answering the WSGI call:

    >>> resp = Response('<p>hi</p>')
    >>> resp.headerlist
    [('Content-Type', 'text/html; charset=UTF-8'), ('Content-Length', '9')]
    >>> resp.write(b'!')
    >>> resp.body, resp.content_length
    (b'<p>hi</p>!', 10)
    >>> resp.content_type = 'text/plain'  # WebOb's header, moved last as WebOb moves it
    >>> resp.headerlist
    [('Content-Length', '10'), ('Content-Type', 'text/plain; charset=UTF-8')]

A response built the plain way (no arguments, a ``str``, ``bytes`` or
``json=``) keeps its two headers as values until something asks for its
header list, which most responses are sent without:

    >>> resp = Response()
    >>> resp.content_type = 'application/json'
    >>> resp.write(b'{}')
    >>> resp.headerlist  # built now, as WebOb would have it
    [('Content-Type', 'application/json'), ('Content-Length', '2')]

A header set through ``resp.headers`` is kept as a value too when its
name and value are printable ASCII (what webkit's guard lets through,
so it has nothing left to check), in the order WebOb's list would have:

    >>> resp = Response()
    >>> resp.headers['X-Item'] = '7'
    >>> resp.content_type = 'application/json'
    >>> resp.write(b'{}')
    >>> resp.headerlist
    [('X-Item', '7'), ('Content-Type', 'application/json'), ('Content-Length', '2')]

Anything else is WebOb's own code, unchanged.
"""
from __future__ import annotations

import functools
import itertools
import json

import webob
import webob.headers
from webob.compat import bytes_
from webob.cookies import make_cookie
from webob.response import CHARSET_RE, EmptyResponse

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker: importing typing costs a process half a MiB
    from typing import Any

__all__ = ['Response']

# json.dumps() with separators builds an encoder on every call: this is
# the one it would build for WebOb's ``json=``.
_JSON_ENCODER = json.JSONEncoder(separators=(',', ':'))


class _FreshHeaderList:
    """``Response._headerlist``, which all of WebOb's code reads the list
    through: a fresh response's, built when first read.

    Stored in the instance, where every later read (and WebOb's two
    writes, in ``__init__`` and the ``headerlist`` setter) finds it first:
    only a fresh response's first read comes here.
    """

    def __get__(self, resp: Response | None, owner: type | None = None) -> Any:
        if resp is None:
            return self
        items = resp.__dict__['_headerlist'] = resp._fresh_headers()
        resp._fresh_type = None
        resp._first_list = items  # the list the views made while fresh see
        return items


class _ResponseType(type):
    """The type of :class:`Response`: notes when its defaults are changed in place."""

    def __setattr__(cls, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        _note_defaults(cls, name)

    def __delattr__(cls, name: str) -> None:
        super().__delattr__(name)
        _note_defaults(cls, name)


#: Whether :class:`Response` has WebOb's defaults, which the shortcuts that
#: make its responses without ``__init__`` assume: kept by its type, so that
#: they read one name per request rather than three class attributes.
webob_defaults = True
_DEFAULTS = frozenset({'default_content_type', 'default_charset', 'default_conditional_response'})


def _note_defaults(cls: type, name: str) -> None:
    global webob_defaults
    if cls is Response and name in _DEFAULTS:
        webob_defaults = (Response.default_content_type == 'text/html'
                          and Response.default_charset == 'UTF-8'
                          and not Response.default_conditional_response)


class Response(webob.Response, metaclass=_ResponseType):
    """:class:`webob.Response`, built and written to faster in the common cases."""

    # WebOb's defaults, as this class's own: an application may change them
    # here (the type notes it); WebOb's, changed in place, are not these.
    default_content_type = 'text/html'
    default_charset = 'UTF-8'
    default_conditional_response = False

    # A response built the plain way keeps its two headers as values until
    # something asks for the header list: the Content-Type here, and a
    # Content-Length that is its body's length (the body stays a list of
    # bytes). None once the list is built, or for one built WebOb's way.
    # Nearly every response is built, written to, given a content type
    # and sent without its list being needed.
    _fresh_type: str | None = None
    # Which of the two a fresh response's list has last: the one set last,
    # as WebOb moves a header it sets to the end.
    _fresh_type_last = False
    # The headers set through the view while the response is fresh, by
    # lower-case name in WebOb's order (a header set again goes last), with
    # the two: the Content-Length as of the last time it was sent or built
    # (None before); None while there are none.
    _fresh_more: dict[str, Any] | None = None
    # The list built for a fresh response: what the views made before it
    # was built see, even once another has replaced it (as WebOb's would).
    _first_list: list[Any] | None = None
    _headers: webob.headers.ResponseHeaders | None = None  # WebOb's view of the list, made when first asked for
    _headerlist: Any = _FreshHeaderList()

    def __init__(self, body: str | bytes | None = None, status: Any = None,
                 *args: Any, **kw: Any) -> None:
        plain = None if args or status is not None else self._plain(body, kw)
        if plain is None:
            super().__init__(body, status, *args, **kw)
            return
        body, content_type = plain
        # What WebOb's __init__ makes of the same arguments, set directly.
        self._status = '200 OK'
        self._headers = None
        self._fresh_type = content_type
        self._fresh_type_last = False
        self.conditional_response = self.default_conditional_response
        self._app_iter = [body]

    def _plain(self, body: object, kw: dict[str, Any]) -> tuple[bytes, str] | None:
        """``(body, Content-Type)`` for the arguments nearly every response is
        built with, under WebOb's defaults; None for WebOb's own way."""
        if self.default_content_type != 'text/html' or self.default_charset != 'UTF-8':
            return None
        if kw:
            if len(kw) != 1 or 'json' not in kw or body is not None:
                return None
            # WebOb's own encoding of ``json=``, with its content type.
            return _JSON_ENCODER.encode(kw['json']).encode('UTF-8'), 'application/json'
        if body is None:
            return b'', 'text/html; charset=UTF-8'
        if type(body) is str:
            return body.encode('UTF-8'), 'text/html; charset=UTF-8'
        if type(body) is bytes:
            return body, 'text/html; charset=UTF-8'
        return None

    def write(self, text: str | bytes) -> None:
        """Append ``text`` to the body, as WebOb does."""
        if self._fresh_type is not None:
            if type(text) is str:
                charset = self.charset
                if not charset:
                    return super().write(text)  # WebOb's TypeError
                text = text.encode(charset)
            if type(text) is bytes:
                self._app_iter.append(text)
                self._fresh_type_last = False  # the length, rewritten, goes last
                if self._fresh_more is not None:
                    self._fresh_more['content-length'] = self._fresh_more.pop('content-length')
                return
            # Anything else takes WebOb's way, which reads the length only
            # after appending: the list is built from the body before that.
            self._headerlist
        app_iter = self._app_iter
        if type(text) is bytes and type(app_iter) is list:
            # The usual shape: the body is a list and its length is given
            # once, in digits; WebOb moves the updated header to the end.
            headers = self._headerlist
            found = None
            for index, (name, _) in enumerate(headers):
                if name.lower() == 'content-length':
                    if found is not None:  # given twice: WebOb's way
                        super().write(text)
                        return
                    found = index
            if found is not None:
                value = headers[found][1]
                if value.isascii() and value.isdigit():
                    app_iter.append(text)
                    del headers[found]
                    headers.append(('Content-Length', str(int(value) + len(text))))
                    return
        super().write(text)

    def __copy__(self) -> Response:
        # copy.copy shares WebOb's header list and body between the two: the
        # list is built first, so that a fresh one is shared as well.
        self._headerlist
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        return clone

    def _get_app_iter(self) -> Any:
        self._headerlist  # the list built first: whoever holds the body may change it
        return self._app_iter

    app_iter = property(_get_app_iter, webob.Response.app_iter.fset,
                        webob.Response.app_iter.fdel, doc=webob.Response.app_iter.__doc__)

    # -- headers ---------------------------------------------------------

    def _fresh_headers(self) -> list[tuple[str, str]]:
        """A fresh response's two headers, as a new list."""
        body = self._app_iter
        length = ('Content-Length', str(len(body[0]) if len(body) == 1 else sum(map(len, body))))
        more = self._fresh_more
        if more is not None:
            more['content-length'] = length
            return list(more.values())
        if self._fresh_type_last:
            return [length, ('Content-Type', self._fresh_type)]  # type: ignore[list-item]
        return [('Content-Type', self._fresh_type), length]  # type: ignore[list-item]

    def _set_headerlist(self, value: Any) -> None:
        if self._fresh_type is not None:
            self._headerlist  # built: a view made while fresh keeps this one, as WebOb's would
        webob.Response.headerlist.fset(self, value)

    headerlist = property(webob.Response.headerlist.fget, _set_headerlist,
                          webob.Response.headerlist.fdel, doc=webob.Response.headerlist.__doc__)

    def _headers_view(self) -> webob.headers.ResponseHeaders:
        headers = self._headers
        if headers is None:
            if self._fresh_type is not None:  # made directly: MultiDict's __init__ is not wanted
                view = _new(_FreshHeaders)
                view._resp = self
                return view
            # WebOb's view_list, without MultiDict.__init__
            headers = self._headers = ResponseHeaders.__new__(ResponseHeaders)
            headers._items = self._headerlist
        return headers

    headers = property(_headers_view, webob.Response.headers.fset,
                       doc=webob.Response.headers.__doc__)

    def _set_content_type(self, value: str | None) -> None:
        # WebOb's setter, with its answer for each value kept: nearly every
        # application sets the same few content types.
        if type(value) is not str or not value:
            webob.Response.content_type.fset(self, value)
            return
        key = (value, self.default_charset)
        known = _CONTENT_TYPES.get(key)
        if known is None:
            header = _content_type_header(value, self.default_charset)
            known = header, header.isascii() and header.isprintable()
            if len(_CONTENT_TYPES) < 64:  # bounded, should one come from the client
                _CONTENT_TYPES[key] = known
        header, printable = known
        if printable and self._fresh_type is not None:
            self._fresh_type = header
            self._fresh_type_last = True
            if self._fresh_more is not None:
                del self._fresh_more['content-type']
                self._fresh_more['content-type'] = ('Content-Type', header)
            return
        # What ResponseHeaders.__setitem__ does, without the view.
        headers = self._headerlist
        headers[:] = [item for item in headers if item[0].lower() != 'content-type']
        headers.append(('Content-Type', header))

    content_type = property(webob.Response.content_type.fget, _set_content_type,
                            webob.Response.content_type.fdel,
                            doc=webob.Response.content_type.__doc__)

    def set_cookie(self, name: str, value: str | bytes | None = '', max_age: Any = None,
                   path: str = '/', domain: str | None = None, secure: bool = False,
                   httponly: bool = False, comment: str | None = None, expires: Any = None,
                   overwrite: bool = False, samesite: str | None = None) -> None:
        """Add a cookie, as WebOb's ``set_cookie`` does."""
        if self._fresh_type is None or expires is not None or overwrite:
            # WebOb's way (the header list read, or its deprecated expires).
            return super().set_cookie(name, value, max_age, path, domain, secure, httponly,
                                      comment, expires, overwrite, samesite)
        cookie = make_cookie(name, bytes_(value, 'utf-8'), max_age=max_age, path=path,
                             domain=domain, secure=secure, httponly=httponly,
                             comment=comment, samesite=samesite)
        if not (cookie.isascii() and cookie.isprintable()):
            self._headerlist.append(('Set-Cookie', cookie))  # built, for the guard to check
            return None
        # Kept as a value too, each under a key of its own: the list WebOb
        # would build gets every cookie, in the order they were set.
        keep_fresh(self, f'set-cookie {next(_COOKIES)}', 'Set-Cookie', cookie)
        return None

    def _get_charset(self) -> str | None:
        # WebOb's getter (the last Content-Type's charset), without the
        # headers view: every str a handler returns is encoded in it.
        content_type = self._fresh_type
        if content_type is not None:
            return _charset_of(content_type)
        for name, value in reversed(self._headerlist):
            if name.lower() == 'content-type':
                return _charset_of(value) if value else None
        return None

    charset = property(_get_charset, webob.Response.charset.fset, webob.Response.charset.fdel,
                       doc=webob.Response.charset.__doc__)

    # -- WSGI ------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Answer a WSGI call, as WebOb does."""
        if self.conditional_response:
            return super().__call__(environ, start_response)
        if self._fresh_type is not None:  # its two headers: nothing for WebOb to change
            start_response(self._status, self._fresh_headers())
        else:
            headers = self._headerlist
            for name, _ in headers:
                if name.lower() == 'location':  # made absolute by WebOb
                    return super().__call__(environ, start_response)
            start_response(self._status, headers[:])
        if environ['REQUEST_METHOD'] == 'HEAD':
            return EmptyResponse(self._app_iter)
        return self._app_iter


def send_text(resp: Response, text: str, environ: dict[str, Any], start_response: Any) -> Any:
    """``resp.write(text)``, then ``resp(environ, start_response)``, in one step.

    For a fresh response that is not conditional: the ``str`` a handler
    returns after touching ``req.response``.
    """
    content_type: str = resp._fresh_type  # type: ignore[assignment]
    data = text.encode(_charset_of(content_type) or 'utf-8')
    body = resp._app_iter
    body.append(data)
    length = ('Content-Length',
              str(len(data) if len(body) == 2 and not body[0] else sum(map(len, body))))
    more = resp._fresh_more
    if more is None:
        resp._fresh_type_last = False  # the length, rewritten, goes last
        headers = [('Content-Type', content_type), length]
    else:
        del more['content-length']
        more['content-length'] = length
        headers = list(more.values())
    start_response(resp._status, headers)
    if environ['REQUEST_METHOD'] == 'HEAD':
        return EmptyResponse(body)
    return body


def empty() -> Response:
    """What ``Response()`` makes, made directly: every handler's ``req.response``."""
    if not webob_defaults:
        return Response()  # the class's defaults changed in place
    resp = _new(Response)
    resp._status = '200 OK'
    resp._fresh_type = 'text/html; charset=UTF-8'
    resp.conditional_response = Response.default_conditional_response
    resp._app_iter = [b'']
    return resp


_new = object.__new__


class ResponseHeaders(webob.headers.ResponseHeaders):
    """WebOb's view of a response's header list (and its name), setting a header faster."""

    def __setitem__(self, name: str, value: str) -> None:
        # As WebOb's: every header of that name goes, the new one is last.
        # Nearly always there is none to remove, which one pass finds.
        lowered = name.lower()
        items = self._items
        for item in items:
            if item[0].lower() == lowered:
                items[:] = [item for item in items if item[0].lower() != lowered]
                break
        items.append((name, value))


class _FreshHeaders(ResponseHeaders):
    """The view of a fresh response's headers.

    Setting a header whose value is printable ASCII keeps the response
    fresh (the value is as checked as the guard would check it); anything
    else builds the list, and is WebOb's view of it from then on.
    """

    __slots__ = ('_resp',)  # made by Response.headers
    _resp: Response

    def copy(self) -> ResponseHeaders:  # WebOb's copy() makes one of its own class
        return ResponseHeaders(self)

    @property
    def _items(self) -> list[tuple[str, str]]:
        items = self._resp._first_list
        if items is None:
            items = self._resp._headerlist  # built now
        return items

    def __repr__(self) -> str:  # what it is a view of: WebOb's, by its name
        return 'ResponseHeaders' + super().__repr__()[len(type(self).__name__):]

    def __setitem__(self, name: str, value: str) -> None:
        # As WebOb's: any header of that name removed, the new one last.
        lowered = _FRESH_NAMES.get(name) if type(name) is str else None
        if lowered is None and type(name) is str and name.isascii() and name.isprintable():
            lowered = name.lower()
            if lowered in _OWN_WAY:
                lowered = None
            elif len(_FRESH_NAMES) < 64:  # bounded, should one come from the client
                _FRESH_NAMES[name] = lowered
        resp = self._resp
        if (lowered is not None and resp._fresh_type is not None and type(value) is str
                and value.isascii() and value.isprintable()):
            keep_fresh(resp, lowered, name, value)
            return
        super().__setitem__(name, value)


def keep_fresh(resp: Response, lowered: str, name: str, value: str) -> None:
    """Set header ``name`` (``lowered`` in lower case, and not one WebOb's
    own code reads) to printable ASCII ``value`` on a fresh ``resp``, as
    ``resp.headers[name] = value`` does, keeping it fresh."""
    more = resp._fresh_more
    if more is None:
        kind = ('Content-Type', resp._fresh_type)
        more = resp._fresh_more = (
            {'content-length': None, 'content-type': kind} if resp._fresh_type_last
            else {'content-type': kind, 'content-length': None})
    else:
        more.pop(lowered, None)
    more[lowered] = (name, value)


# Headers WebOb's own code reads or writes: set, they build the list.
_OWN_WAY = frozenset(['content-type', 'content-length', 'location', 'set-cookie'])
# Header names a fresh response keeps values of -> their lower case.
_FRESH_NAMES: dict[str, str] = {}
# What tells apart the keys of the cookies a fresh response keeps.
_COOKIES = itertools.count()


@functools.lru_cache(maxsize=64)
def _charset_of(content_type: str) -> str | None:
    """The charset WebOb reads in the Content-Type header ``content_type``."""
    match = CHARSET_RE.search(content_type)
    return match.group(1) if match else None


# (value, default charset) -> the Content-Type header WebOb's setter
# writes, and whether a fresh response may keep it as a value.
_CONTENT_TYPES: dict[tuple[str, str | None], tuple[str, bool]] = {}


class _HeaderProbe:
    """What WebOb's ``content_type`` setter reads and writes, and nothing else."""

    def __init__(self, default_charset: str | None) -> None:
        self.default_charset = default_charset
        self.headers: dict[str, str] = {}


def _content_type_header(value: str, default_charset: str | None) -> str:
    """The Content-Type header WebOb's setter writes for ``value``."""
    probe = _HeaderProbe(default_charset)
    webob.Response.content_type.fset(probe, value)
    return probe.headers['Content-Type']
