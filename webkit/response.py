"""The response handlers are given: WebOb's, with its commonest steps made cheap.

:class:`Response` is a :class:`webob.Response` in every way (subclass,
same attributes, same headers and body for the same calls); it takes a
shorter way through the few steps nearly every request goes through:

    >>> resp = Response('<p>hi</p>')
    >>> resp.headerlist
    [('Content-Type', 'text/html; charset=UTF-8'), ('Content-Length', '9')]
    >>> resp.write(b'!')
    >>> resp.body, resp.content_length
    (b'<p>hi</p>!', 10)

Anything else is WebOb's own code, unchanged.
"""
import json
from typing import Any

import webob

__all__ = ['Response']

# json.dumps() with separators builds an encoder on every call: this is
# the one it would build for WebOb's ``json=``.
_JSON_ENCODER = json.JSONEncoder(separators=(',', ':'))


class Response(webob.Response):
    """:class:`webob.Response`, built and written to faster in the common cases."""

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
        self._headerlist = [('Content-Type', content_type), ('Content-Length', str(len(body)))]
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
        app_iter = self._app_iter
        if type(text) is bytes and type(app_iter) is list:
            # The usual shape: the body is a list and its length is given
            # once, in digits; WebOb moves the updated header to the end.
            headers = self._headerlist
            found = [index for index, (name, _) in enumerate(headers)
                     if name.lower() == 'content-length']
            if len(found) == 1:
                value = headers[found[0]][1]
                if value.isascii() and value.isdigit():
                    app_iter.append(text)
                    del headers[found[0]]
                    headers.append(('Content-Length', str(int(value) + len(text))))
                    return
        super().write(text)
