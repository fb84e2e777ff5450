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
from typing import Any, NamedTuple

from formencode import Invalid, htmlfill
from webob import Response, exc
from webob.compat import cgi_FieldStorage

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

#: Where a tag starts, as ``HTMLParser.getpos()`` gives it: ``(line, column)``.
_Pos = tuple[int, int]
_Attrs = list[tuple[str, str | None]]
#: One thing the parser met, as it tells htmlfill's parser: the handler, its
#: arguments, where it starts (line, column), and a start tag's own text.
_Event = tuple[str, tuple[Any, ...], int, int, str | None]
#: The events of a page up to some point, and where the parser then stands.
_Reading = tuple[tuple[_Event, ...], _Pos]


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
    defaults = _text_values(defaults) if force_defaults else {}
    messages = {key: str(value) for key, value in (errors or {}).items()}
    page = _read(html, form)
    filler = _Filler(page.reading, defaults, skip_passwords=True,
                     force_defaults=force_defaults, data_formencode_form=form,
                     data_formencode_ignore=page.ignores)
    token = form_field(req) if req is not None else None
    if token is not None:
        field, value = token
        defaults[field] = value
        # What htmlfill writes for a hidden field filled with the token.
        filler.token = (f'<input type="hidden" name="{escape(field)}" '
                        f'value="{escape(value)}">')
        filler.token_forms = _token_forms(page, req, field)
    if messages:
        filler.mark(page, messages)
    filler.feed(html)
    filler.close()
    return filler.text()


class _Filler(htmlfill.FillingParser):
    """htmlfill's parser, also writing the error messages, the marks of the
    fields in error and the CSRF token as it fills: the page is read once.

    Each addition is written as htmlfill would write it had the page held
    it: a marked field is handed to htmlfill with its added attributes, the
    token field is written as htmlfill writes a filled hidden field, and text is dropped where
    htmlfill drops the page's own (inside a replaced ``<textarea>``, a
    ``<form:iferror>``). Which forms and fields get them needs the whole
    page: that comes from :func:`_read`.
    """

    def __init__(self, reading: tuple['_Reading', '_Reading'], defaults: dict[str, Any],
                 **options: Any) -> None:
        super().__init__(defaults, **options)
        self.reading = reading  # the page's, from _read: told again, not parsed
        self.starttag_text = ''
        self.messages: dict[str, str] = {}  # by name; FillingParser's errors stay empty
        self.fields: dict[_Pos, str] = {}
        self.shown: set[str | None] = set()
        self.form_message = ''  # the orphan errors', after the first form's opening tag
        self.form_message_at: _Pos | None = None
        self.token = ''  # the token's hidden field, written out
        self.token_forms: set[_Pos] = set()

    # The page is not parsed again: what its reading met (_read, once per
    # page) is told to htmlfill's handlers as the parser would tell them.
    def goahead(self, end: bool) -> None:
        events, stop = self.reading[end]
        for handler, args, self.lineno, self.offset, text in events:
            if text is not None:  # a start tag: htmlfill edits its attributes in place
                self.starttag_text = text
                args = (args[0], list(args[1]))
            getattr(self, handler)(*args)
        self.lineno, self.offset = stop

    def get_starttag_text(self) -> str:
        return self.starttag_text

    def mark(self, page: '_Page', messages: dict[str, str]) -> None:
        """Show ``messages`` beside their fields, at their markers, or as the form's."""
        orphans = [key for key in messages if key not in page.names]
        if orphans:
            messages[FORM_ERROR] = ' '.join(messages.pop(key) for key in orphans)
        self.messages = messages
        self.fields = page.fields
        self.shown = set(page.markers)
        if FORM_ERROR in messages and FORM_ERROR not in page.markers | page.names:
            message = _message(FORM_ERROR, messages[FORM_ERROR])
            if page.first_form is None:
                self.write_text(message)  # the page's very start
            else:
                self.form_message, self.form_message_at = message, page.first_form

    # A tag starts at the same (line, column) here as in _Reader's reading:
    # its events are told again here.
    def handle_starttag(self, tag: str, attrs: _Attrs, startend: bool = False) -> None:
        if tag == 'form':
            self._form(attrs, startend)
        elif self.messages and tag == 'form:error':
            self._marker(attrs)
        elif self.messages and self.fields.get((self.lineno, self.offset)) in self.messages:
            self._field(tag, attrs, startend)
        else:
            super().handle_starttag(tag, attrs, startend)

    def _form(self, attrs: _Attrs, startend: bool) -> None:
        """After a form's opening tag: the orphan errors' message, the token."""
        super().handle_starttag('form', attrs, startend)  # writes what precedes it
        at = self.getpos()
        message = at == self.form_message_at
        token = at in self.token_forms
        if not message and not token:
            return
        # htmlfill copies a tag's text when it reaches the next one: this goes first.
        self._write(self.get_starttag_text())
        if message:
            self._write(self.form_message)
        if token:
            self.write_text(self.token)  # as htmlfill's write_tag: even where it skips text
        self.skip_next = True  # the opening tag is written

    def _marker(self, attrs: _Attrs) -> None:
        """A ``<form:error>`` marker: its message, if any, in its place."""
        self.write_pos()
        name = _get(attrs, 'name')
        if name in self.messages:
            self._write(_message(name, self.messages[name]))
        self.skip_next = True  # the marker itself is left out

    def _field(self, tag: str, attrs: _Attrs, startend: bool) -> None:
        """A field in error: its message first (unless shown already), then the
        field with its marks, filled by htmlfill or, if it leaves it, as is."""
        name = self.fields[self.getpos()]
        if name not in self.shown:
            self.shown.add(name)
            self.write_pos()
            self._write(_message(name, self.messages[name]) + '\n')
        attrs = _marked(attrs, name)
        super().handle_starttag(tag, list(attrs), startend)
        if not self.skip_next and not self.skip_output():
            # htmlfill would copy the tag (a password, a button): the marked one.
            self.write_text(_start_tag(tag, attrs, startend))
            self.skip_next = True

    def _write(self, text: str) -> None:
        if not self.skip_output():
            self.write_text(text)

    def close(self) -> None:
        super().close()
        # The parser keeps back a page's last text while it may still become
        # a reference or a tag ("Q&A", "a <b") and hands it over in close(),
        # after htmlfill has copied the page up to it: copied here instead
        # of lost. Nothing is left when htmlfill copied to the end, or wrote
        # the last tag itself (skip_next: the tag it replaced ends the page).
        if not self.skip_output() and not self.skip_next:
            line, column = self.source_pos
            self._text += '\n'.join(self.lines[line - 1:])[column:]


class _Tag:
    """One tag of the page: its name, attributes and where it starts."""

    __slots__ = ('name', 'attrs', 'pos', 'closing')

    def __init__(self, name: str, attrs: _Attrs, pos: _Pos, closing: bool = False) -> None:
        self.name = name
        self.attrs = attrs
        self.pos = pos
        self.closing = closing

    def get(self, key: str) -> Any:  # str, or None: absent, or present without a value
        return _get(self.attrs, key)


def _get(attrs: _Attrs, key: str) -> Any:
    return next((value for name, value in attrs if name == key), None)


class _Reader(HTMLParser):
    """A page read once as htmlfill's parser reads it (references apart from
    text): each event it met, with where it starts, to be told again to
    every filling of the same page; and the form, field and marker tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)  # as htmlfill's RewritingParser
        self.events: list[_Event] = []
        self.tags: list[_Tag] = []

    @classmethod
    def read(cls, html: str) -> tuple[list[_Tag], tuple[_Reading, _Reading]]:
        """The tags of ``html``; its events up to the end of ``feed()``, and of ``close()``."""
        reader = cls()
        reader.feed(html)
        fed = (tuple(reader.events), reader.getpos())
        reader.events = []
        reader.close()
        return reader.tags, (fed, (tuple(reader.events), reader.getpos()))

    def _keep(self, handler: str, *args: Any) -> None:
        self.events.append((handler, args, self.lineno, self.offset, None))

    def handle_starttag(self, tag: str, attrs: _Attrs,
                        handler: str = 'handle_starttag') -> None:
        self.events.append((handler, (tag, attrs), self.lineno, self.offset,
                            self.get_starttag_text()))
        if tag in _SCANNED:
            self.tags.append(_Tag(tag, attrs, self.getpos()))

    def handle_startendtag(self, tag: str, attrs: _Attrs) -> None:
        self.handle_starttag(tag, attrs, 'handle_startendtag')

    def handle_endtag(self, tag: str) -> None:
        self._keep('handle_endtag', tag)
        if tag == 'form':
            self.tags.append(_Tag(tag, [], self.getpos(), closing=True))


# Every other event the parser has is kept as it came, under its handler's name.
for _handler in ('handle_data', 'handle_charref', 'handle_entityref', 'handle_comment',
                 'handle_decl', 'handle_pi', 'unknown_decl'):
    setattr(_Reader, _handler, functools.partialmethod(_Reader._keep, _handler))


class _Page(NamedTuple):
    """What :func:`render_form` needs to know of a page before filling it:
    what htmlfill would know only once past the place it matters."""

    #: The name of each field (of ``form``), by where it starts.
    fields: dict[_Pos, str]
    names: frozenset[str]
    #: The names of the ``<form:error>`` markers.
    markers: frozenset[str | None]
    first_form: _Pos | None
    #: Each POST form: where it starts, its action, the names of its fields.
    post_forms: tuple[tuple[_Pos, str | None, frozenset[str | None]], ...]
    #: What the parser met up to the end of ``feed()``, and of ``close()``.
    reading: tuple['_Reading', '_Reading']
    #: Whether any tag may be marked ``data-formencode-ignore`` (htmlfill
    #: looks through every tag's attributes for it otherwise).
    ignores: bool


#: Pages up to this many characters are read once and kept (with their
#: reading, about as large again); longer ones are read on every fill.
_KEPT_PAGE_SIZE = 64 * 1024


def _read(html: str, form: str | None) -> _Page:
    """``html`` read once per distinct page (and ``form``): a form's template
    gives the same text request after request, errors and token aside."""
    if len(html) > _KEPT_PAGE_SIZE:
        return _read_page(html, form)
    return _read_kept(html, form)


def _read_page(html: str, form: str | None) -> _Page:
    tags, reading = _Reader.read(html)
    fields = {tag.pos: tag.get('name') for tag in tags
              if tag.name in _FIELDS and tag.get('name') is not None
              and tag.get('data-formencode-ignore') is None
              and (form is None or tag.get('data-formencode-form') == form)}
    markers = frozenset(tag.get('name') for tag in tags if tag.name == 'form:error')
    forms = [index for index, tag in enumerate(tags) if tag.name == 'form' and not tag.closing]
    post_forms = tuple(
        (tags[index].pos, tags[index].get('action'),
         frozenset(tag.get('name') for tag in _inside_form(tags, index) if tag.name in _FIELDS))
        for index in forms if (tags[index].get('method') or '').lower() == 'post')
    return _Page(fields, frozenset(fields.values()), markers,
                 tags[forms[0]].pos if forms else None, post_forms, reading,
                 'data-formencode-ignore' in html.lower())


_read_kept = functools.lru_cache(maxsize=256)(_read_page)


def _token_forms(page: _Page, req: Any, field: str) -> set[_Pos]:
    """The POST forms posting to this site that lack a ``field`` of their own."""
    return {at for at, action, names in page.post_forms
            if field not in names and _posts_here(action, req)}


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


def _marked(attrs: _Attrs, name: str) -> _Attrs:
    """A field's ``attrs`` with its error marks (``class`` appended to)."""
    extra: dict[str, str] = {'class': 'error', 'aria-invalid': 'true',
                             'aria-describedby': _message_id(name)}
    marked = []
    for key, value in attrs:
        if key == 'class' and 'class' in extra:
            value = f'{value or ""} {extra.pop("class")}'.strip()
        if key not in extra:
            marked.append((key, value))
    return marked + list(extra.items())


def _start_tag(tag: str, attrs: _Attrs, startend: bool) -> str:
    text = ''.join(f' {name}' if value is None else f' {name}="{escape(value)}"'
                   for name, value in attrs)
    return f'<{tag}{text}{" /" if startend else ""}>'


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


def _is_file(value: object) -> bool:
    """Whether ``value`` is a file a multipart form sent (WebOb gives it as the parser's)."""
    return isinstance(value, cgi_FieldStorage)


def _text_values(params: Any) -> dict[str, Any]:
    """The values of ``params`` a page can show: no file (a browser never fills one in)."""
    values: dict[str, Any] = {}
    for key, value in _single_values(params).items():
        if type(value) is str:  # nearly every value: nothing to look into
            values[key] = value
        elif isinstance(value, list):
            values[key] = [item for item in value if not _is_file(item)]
        elif not _is_file(value):
            values[key] = value
    return values


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
    except (AttributeError, TypeError):
        # FormEncode's text validators fail so on a file (no .strip()): a
        # file sent where the form has text is the client's error. Without
        # a file, the error is the application's.
        files = [key for key, value in given.items()
                 if any(map(_is_file, value if isinstance(value, list) else [value]))]
        if not files:
            raise
        return {}, {key: 'Please enter text here, not a file' for key in files}


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
