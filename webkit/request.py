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
"""
import io
import json
import re
from urllib.parse import parse_qsl

import webob
from webob import exc
from webob.compat import cgi_FieldStorage  # the stdlib's, with WebOb's fixes
from webob.multidict import MultiDict, NoVars

__all__ = ['Request']

#: The media types of HTML form bodies (compare in lower case).
FORM_TYPES = ('application/x-www-form-urlencoded', 'multipart/form-data')
_UTF8_NAMES = ('utf-8', 'utf8')
# The charset parameter of a Content-Type (names and values ignore case).
_CHARSET = re.compile(r';\s*charset\s*=\s*"?([^";\s]*)', re.IGNORECASE).search


def _strict(prop, what):
    """Wrap a WebOb property so undecodable bytes become a 400."""
    def fget(self):
        try:
            return prop.fget(self)
        except UnicodeDecodeError:
            raise exc.HTTPBadRequest(f'{what} is not valid UTF-8') from None
    return property(fget, prop.fset, prop.fdel, prop.__doc__)


class Request(webob.Request):
    """A :class:`webob.Request` that answers bad input with a 4xx.

    - ``path_info``, ``script_name``, ``GET``, ``text``: undecodable
      bytes raise ``HTTPBadRequest``;
    - ``POST`` (and so ``params``) decodes form bodies strictly, refuses
      a charset other than UTF-8, a broken multipart body, and more than
      ``max_form_fields`` fields; a body without a form ``Content-Type``
      has no fields (WebOb parses one without any, loosely);
    - ``json_body``/``json``: invalid JSON raises ``HTTPBadRequest``;
    - ``max_body_size``: larger bodies are refused with a 413 before
      they are read (see :func:`webkit.dec.wsgify`).

    ``link`` and ``urlvars`` are set by the dispatcher for each request.
    """

    #: Bodies larger than this many bytes are answered with 413 unread.
    max_body_size = 1024 * 1024
    #: Form bodies with more fields than this are answered with 413.
    max_form_fields = 1000
    #: URL generation for this request; set by the dispatcher.
    link = None

    @property
    def response(self):
        """The response being prepared, made on first use (as with WebOb's wsgify)."""
        resp = self.__dict__.get('_response')
        if resp is None:
            resp = self._response = self.ResponseClass()
        return resp

    @response.setter
    def response(self, value):
        self._response = value

    path_info = _strict(webob.Request.path_info, 'the path')
    script_name = _strict(webob.Request.script_name, 'the script name')
    GET = _strict(webob.Request.GET, 'the query string')
    text = _strict(webob.Request.text, 'the body')

    @property
    def POST(self):
        """The form fields of the body, decoded strictly as UTF-8."""
        env = self.environ
        cached = env.get('webob._parsed_post_vars')
        if cached is not None and cached[1] is self.body_file_raw:
            return cached[0]
        content_type = self.content_type.lower()  # media types ignore case
        if content_type not in FORM_TYPES:
            # Not a form (WebOb would parse a body without Content-Type as one,
            # replacing bad bytes with U+FFFD).
            return NoVars(f'Not an HTML form submission (Content-Type: {content_type})')
        charset = _CHARSET(env.get('CONTENT_TYPE', ''))
        if charset and charset[1].lower() not in _UTF8_NAMES:
            raise exc.HTTPBadRequest(f'unsupported form charset {charset[1]!r}')
        if content_type == 'multipart/form-data':
            fields = self._parse_multipart()
        else:
            fields = self._parse_urlencoded()
        env['webob._parsed_post_vars'] = (fields, self.body_file_raw)
        return fields

    def _parse_urlencoded(self):
        body = self.body
        if body.count(b'&') >= self.max_form_fields:
            raise exc.HTTPRequestEntityTooLarge('too many form fields')
        try:
            pairs = parse_qsl(body.decode('latin-1'), keep_blank_values=True,
                              encoding='utf-8', errors='strict')
        except UnicodeDecodeError:
            raise exc.HTTPBadRequest('the form is not valid UTF-8') from None
        return MultiDict(pairs)

    def _parse_multipart(self):
        body = self.body
        params = self.environ.get('CONTENT_TYPE', '').partition(';')[2]
        environ = {'REQUEST_METHOD': 'POST', 'QUERY_STRING': '',
                   'CONTENT_TYPE': 'multipart/form-data;' + params,
                   'CONTENT_LENGTH': str(len(body))}
        try:
            # errors='strict': WebOb's 'replace' would turn bad bytes into U+FFFD.
            form = cgi_FieldStorage(fp=io.BytesIO(body), environ=environ,
                                    keep_blank_values=True, encoding='utf-8',
                                    errors='strict')
        except ValueError:  # UnicodeDecodeError too
            raise exc.HTTPBadRequest('the multipart body is malformed') from None
        if b'--' + form.innerboundary + b'--' not in body:
            raise exc.HTTPBadRequest('the multipart body is truncated')
        parts = form.list or ()
        if len(parts) > self.max_form_fields:
            raise exc.HTTPRequestEntityTooLarge('too many form fields')
        for part in parts:
            charset = part.type_options.get('charset')
            if part.name is None or (charset and charset.lower() not in _UTF8_NAMES):
                raise exc.HTTPBadRequest('a part of the multipart body has no name '
                                         'or a charset other than UTF-8')
        try:
            return MultiDict.from_fieldstorage(form)
        except ValueError:  # a base64 or quoted-printable part that is not UTF-8
            raise exc.HTTPBadRequest('the form is not valid UTF-8') from None

    @property
    def json_body(self):
        """The body parsed as JSON; invalid JSON raises ``HTTPBadRequest``."""
        try:
            return json.loads(self.body.decode('utf-8'))
        except (ValueError, RecursionError):  # ValueError: JSON and UTF-8 errors
            raise exc.HTTPBadRequest('the body is not valid JSON') from None

    json = json_body
