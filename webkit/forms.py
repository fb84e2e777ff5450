"""Forms the "throw out your frameworks" way: plain HTML, filled afterwards.

A template renders a plain form; validation (by hand, or a FormEncode
schema) gives ``(values, errors)``; :func:`render_form` fills the page
with what the user sent and the errors, safely::

    >>> page = '''<form method="post">
    ... <input name="email"> <input type="password" name="password">
    ... </form>'''
    >>> print(render_form(page, {'email': '"><script>', 'password': 'hunter2'},
    ...                   {'email': 'Not an <email>'}))
    <form method="post">
    <span class="error-message" id="email-error">Not an &lt;email&gt;</span>
    <input name="email" class="error" aria-invalid="true" aria-describedby="email-error" value="&quot;&gt;&lt;script&gt;"> <input type="password" name="password">
    </form>

The same validation answers a JSON client with a structured 400
(:func:`json_errors`); :func:`negotiate` and :func:`json_body` give the
406 and 415 answers.
"""
import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from html import escape
from html.parser import HTMLParser
from typing import Any

from formencode import Invalid, htmlfill
from webob import Response, exc

from .csrf import form_field
from .request import Request, as_browsers_read

__all__ = ['render_form', 'validate', 'wants_json', 'json_errors', 'negotiate',
           'json_body', 'FORM_ERROR']

#: The key of errors that belong to the whole form rather than one field.
FORM_ERROR = 'form'

_FIELDS = frozenset({'input', 'select', 'textarea', 'button'})
_SCANNED = _FIELDS | {'form', 'form:error'}
_SPECIAL_SCHEMES = ('http', 'https')
_SCHEME = re.compile(r'([A-Za-z][A-Za-z0-9+.-]*):').match
_AUTHORITY_END = re.compile(r'[/?#]')


def render_form(html: str | bytes, defaults: Mapping[str, Any] | None = None,
                errors: Mapping[str, object] | None = None, *, req: Request | None = None,
                form: str | None = None) -> str:
    """Fill ``html`` with ``defaults`` and ``errors``; returns ``str``.

    - password fields are never filled in, error messages are escaped;
    - with ``defaults`` (even empty) every field shows only what they hold,
      as after a POST; without (``None``), the template's own values stay;
    - ``defaults`` may be a WebOb ``MultiDict`` (``req.POST``): every
      value of a repeated field (checkboxes) is kept;
    - a field with an error gets ``class="error"``, ``aria-invalid`` and
      ``aria-describedby`` naming its message, which is put before it (or
      at ``<form:error name="...">``) as ``<span class="error-message"
      id="NAME-error">``;
    - errors for names the page has no field for are shown at
      ``<form:error name="form">``, placed after the form's opening tag
      when the page has no such marker (htmlfill would put them before
      ``<html>``);
    - given ``req`` behind :class:`~webkit.csrf.CSRFProtection`, every
      POST form gets the CSRF token, which filling does not blank; a form
      posting to another site does not (the token would leak there);
    - given ``form``, only the fields marked ``data-formencode-form="..."``
      with that name are filled (for pages holding several forms).

    The page is read with an HTML parser, as a browser reads it, not
    with patterns: ``data-name="x"`` is no field ``x``.
    """
    if isinstance(html, bytes):
        html = html.decode('utf-8')  # htmlfill would render bytes as b'...'
    # A refill replaces every value with what was sent (an unchecked box sends
    # nothing); a first render must not blank the template's own values.
    force_defaults = defaults is not None
    defaults = _single_values(defaults) if force_defaults else {}
    errors = {key: str(value) for key, value in (errors or {}).items()}
    token = form_field(req) if req is not None else None
    tags = _scan(html)
    edits: list[tuple[int, int, str]] = []
    if token is not None:
        field, value = token
        edits += _token_fields(tags, req, field, value)
        defaults[field] = value
    if errors:
        edits += _error_marks(tags, errors, form)
    for at, end, text in sorted(edits, key=lambda edit: (edit[0], edit[1]), reverse=True):
        html = html[:at] + text + html[end:]
    return htmlfill.render(html, defaults=defaults, auto_insert_errors=False,
                           skip_passwords=True, force_defaults=force_defaults,
                           data_formencode_form=form, data_formencode_ignore=True)


class _Tag:
    """One tag of the page: its name, attributes and where its text lies."""

    __slots__ = ('name', 'attrs', 'start', 'end', 'closing', 'empty')

    def __init__(self, name: str, attrs: list[tuple[str, str | None]], start: int, end: int,
                 closing: bool = False, empty: bool = False) -> None:
        self.name = name
        self.attrs = attrs
        self.start = start
        self.end = end
        self.closing = closing
        self.empty = empty

    def get(self, key: str) -> Any:  # str, or None: absent, or present without a value
        return next((value for name, value in self.attrs if name == key), None)

    def rewritten(self, **extra: str) -> str:
        """The tag's text with attributes added (``class`` appended to)."""
        extra = {name.rstrip('_').replace('_', '-'): value for name, value in extra.items()}
        attrs = []
        for name, value in self.attrs:
            if name == 'class' and 'class' in extra:
                value = f'{value or ""} {extra.pop("class")}'.strip()
            if name not in extra:
                attrs.append((name, value))
        attrs += list(extra.items())
        text = ''.join(f' {name}' if value is None else f' {name}="{escape(value)}"'
                       for name, value in attrs)
        return f'<{self.name}{text}{" /" if self.empty else ""}>'


class _Scanner(HTMLParser):
    """The form, field and marker tags of a page, with their offsets."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.lines = [0]
        self.lines += [index + 1 for index, char in enumerate(html) if char == '\n']
        self.tags: list[_Tag] = []

    @classmethod
    def scan(cls, html: str) -> list[_Tag]:
        scanner = cls(html)
        scanner.feed(html)
        scanner.close()
        return scanner.tags

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]],
                        empty: bool = False) -> None:
        if tag in _SCANNED:
            start = self._offset()
            text = self.get_starttag_text()
            end = start + len(text)  # type: ignore[arg-type]  # set in a start tag
            self.tags.append(_Tag(tag, attrs, start, end, empty=empty))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs, empty=True)

    def handle_endtag(self, tag: str) -> None:
        if tag in ('form', 'form:error'):
            start = self._offset()
            end = self.html.find('>', start) + 1 or len(self.html)
            self.tags.append(_Tag(tag, [], start, end, closing=True))


@functools.lru_cache(maxsize=256)
def _scan(html: str) -> tuple[_Tag, ...]:
    """The tags of ``html``, read once per distinct page: a form's template
    gives the same text request after request, errors and token aside."""
    return tuple(_Scanner.scan(html))


def _token_fields(tags: Sequence[_Tag], req: Any, field: str,
                 value: str) -> list[tuple[int, int, str]]:
    """Insert the hidden token into each POST form posting to this site."""
    hidden = f'<input type="hidden" name="{escape(field)}" value="{escape(value)}">'
    edits: list[tuple[int, int, str]] = []
    for index, tag in enumerate(tags):
        if tag.name != 'form' or tag.closing or (tag.get('method') or '').lower() != 'post':
            continue
        inside = _inside_form(tags, index)
        if _posts_here(tag.get('action'), req) and not any(
                t.name in _FIELDS and t.get('name') == field for t in inside):
            edits.append((tag.end, tag.end, hidden))
    return edits


def _inside_form(tags: Sequence[_Tag], index: int) -> list[_Tag]:
    """The tags from the form opened at ``tags[index]`` to its end."""
    inside = []
    for tag in tags[index + 1:]:
        if tag.name == 'form':
            break
        inside.append(tag)
    return inside


def _posts_here(action: str | None, req: Request) -> bool:
    """Whether a form's ``action`` leads to this site, as a browser reads it."""
    url = as_browsers_read(action or '')
    scheme = _SCHEME(url)
    if scheme is not None:
        if scheme[1].lower() not in _SPECIAL_SCHEMES:
            return False  # javascript:, data:, mailto: ... never get the token
        scheme, rest = scheme[1].lower(), url[scheme.end():]  # type: ignore[assignment]
    elif url.startswith('//'):
        scheme, rest = req.scheme, url
    else:
        return True  # a path on this site
    # Browsers skip every slash after an http(s) scheme: "http:///evil" is evil.
    authority = _AUTHORITY_END.split(rest.lstrip('/'), maxsplit=1)[0]
    return bool(authority) and req.is_same_origin(f'{scheme}://{authority}')


def _error_marks(tags: Sequence[_Tag], errors: dict[str, Any],
                 form: str | None) -> list[tuple[int, int, str]]:
    """Show each error beside its field, or at its marker; tie them with aria."""
    fields = [tag for tag in tags if tag.name in _FIELDS and tag.get('name') is not None
              and tag.get('data-formencode-ignore') is None
              and (form is None or tag.get('data-formencode-form') == form)]
    names = {tag.get('name') for tag in fields}
    orphans = [key for key in errors if key not in names]
    if orphans:
        errors[FORM_ERROR] = ' '.join(errors.pop(key) for key in orphans)
    markers = {tag.get('name') for tag in tags if tag.name == 'form:error' and not tag.closing}
    edits: list[tuple[int, int, str]] = []
    for tag in tags:
        if tag.name == 'form:error':  # replaced by its message, or by nothing
            message = errors.get(tag.get('name')) if not tag.closing else None
            text = _message(tag.get('name'), message) if message is not None else ''
            edits.append((tag.start, tag.end, text))
    shown = set(markers)
    for tag in fields:
        name = tag.get('name')
        if name not in errors:
            continue
        text = tag.rewritten(class_='error', aria_invalid='true',
                             aria_describedby=_message_id(name))
        if name not in shown:
            shown.add(name)
            text = _message(name, errors[name]) + '\n' + text
        edits.append((tag.start, tag.end, text))
    if FORM_ERROR in errors and FORM_ERROR not in shown:
        first_form = next((tag for tag in tags if tag.name == 'form' and not tag.closing), None)
        at = first_form.end if first_form is not None else 0
        edits.append((at, at, _message(FORM_ERROR, errors[FORM_ERROR])))
    return edits


def _message_id(name: str) -> str:
    return '-'.join(f'{name}-error'.split())  # an id holds no white space


def _message(name: str, message: str) -> str:
    return (f'<span class="error-message" id="{escape(_message_id(name))}">'
            f'{escape(message)}</span>')


def validate(validator: Any,
             params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Run a FormEncode schema or a function over ``params``: ``(values, errors)``.

    - a schema (class or instance): values hold only its fields, so an
      extra ``is_admin=1`` never gets through; a field sent several times
      is an error unless the schema's validator takes lists (``ForEach``);
    - a function ``f(params)`` returns an errors dict, or ``(values, errors)``;
      if it returned errors only, ``values`` hold the fields it read (by
      ``[]``, ``get``, ``in``, ``getall`` or ``getone``), so here too a
      field nobody looked at never gets through;
    - errors are flat: ``{field: message}``, nested schemas as ``a.b``,
      errors of the whole form under :data:`~webkit.forms.FORM_ERROR`.

    >>> from formencode import Schema, validators
    >>> class Signup(Schema):
    ...     email = validators.Email(not_empty=True)
    ...     age = validators.Int(min=13)
    >>> validate(Signup, {'email': 'ada@example.org', 'age': '36', 'is_admin': '1'})
    ({'email': 'ada@example.org', 'age': 36}, {})
    >>> values, errors = validate(Signup, {'email': 'nope', 'age': '3'})
    >>> sorted(errors.items())
    [('age', 'Please enter a number that is 13 or greater'), ('email', 'An email address must contain a single @')]
    """
    if isinstance(validator, type):
        validator = validator()
    if hasattr(validator, 'to_python'):
        return _validate_schema(validator, params)
    reads = _Reads(params)
    result = validator(reads)
    if isinstance(result, tuple):
        values, errors = result
        return values, errors
    given = _single_values(params)
    return {key: given[key] for key in reads.read if key in given}, result


class _Reads(Mapping[str, Any]):
    """The form fields as a validation function sees them: notes what it read."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self._params: Any = params
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return self._params[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def getall(self, key: str) -> list[Any]:
        self.read.add(key)
        if hasattr(self._params, 'getall'):
            return self._params.getall(key)
        return [self._params[key]] if key in self._params else []

    def getone(self, key: str) -> Any:
        self.read.add(key)
        if hasattr(self._params, 'getone'):
            return self._params.getone(key)
        return self._params[key]


def _single_values(params: Any) -> dict[str, Any]:
    """A plain dict: a list for a field sent several times, else its value."""
    return params.mixed() if hasattr(params, 'mixed') else dict(params)


def _validate_schema(schema: Any,
                     params: Any) -> tuple[dict[str, Any], dict[str, str]]:
    fields = getattr(schema, 'fields', None)
    given = _single_values(params)
    errors: dict[str, str] = {}
    if fields is not None:
        given = {key: value for key, value in given.items() if key in fields}
        for key, value in given.items():
            if isinstance(value, list) and not getattr(fields[key], 'accept_iterator', False):
                errors[key] = 'Please give this field only once'
    if errors:
        return {}, errors
    try:
        return schema.to_python(given), {}
    except Invalid as invalid:
        return {}, flatten_errors(invalid.unpack_errors())


def flatten_errors(unpacked: Any, prefix: str = '') -> dict[str, str]:
    """FormEncode's nested ``unpack_errors()`` as one ``{field: message}`` dict."""
    if isinstance(unpacked, dict):
        flat: dict[str, str] = {}
        for key, value in unpacked.items():
            flat.update(flatten_errors(value, f'{prefix}{key}.' if prefix or key else ''))
        return flat
    if isinstance(unpacked, list):
        flat = {}
        for index, value in enumerate(unpacked):
            if value is not None:
                flat.update(flatten_errors(value, f'{prefix}{index}.'))
        return flat
    return {prefix[:-1] or FORM_ERROR: str(unpacked)}


def wants_json(req: Request) -> bool:
    """Whether the client sent JSON, or prefers JSON to HTML in its Accept."""
    if req.media_type == 'application/json':
        return True
    offers = req.accept.acceptable_offers(['text/html', 'application/json'])
    return bool(offers) and offers[0][0] == 'application/json'


def json_errors(errors: Mapping[str, object], status: int = 400) -> Response:
    """The Cornice-shaped JSON answer listing ``errors`` (a flat dict)."""
    body = {'status': 'error',
            'errors': [{'location': 'body', 'name': name, 'description': str(message)}
                       for name, message in sorted(errors.items())]}
    return Response(json.dumps(body), status=status, content_type='application/json',
                    charset='UTF-8')


def negotiate(req: Request, offers: list[str]) -> str:
    """The best of ``offers`` (media types) for the request, or a 406.

    >>> from webkit import Request
    >>> negotiate(Request.blank('/', accept='application/json'), ['text/html', 'application/json'])
    'application/json'
    >>> negotiate(Request.blank('/', accept='image/png'), ['text/html'])
    Traceback (most recent call last):
    ...
    webob.exc.HTTPNotAcceptable: this resource is available as text/html
    """
    acceptable = req.accept.acceptable_offers(offers)
    if not acceptable:
        raise exc.HTTPNotAcceptable(f'this resource is available as {", ".join(offers)}')
    return acceptable[0][0]


def json_body(req: Request) -> Any:
    """The request body as JSON: 415 for another media type, 400 if invalid.

    The JSON is read by :attr:`webkit.Request.json_body`, strictly.
    """
    if req.media_type != 'application/json':
        raise exc.HTTPUnsupportedMediaType('send application/json')
    return req.json_body
