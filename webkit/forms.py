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
    <!-- for: email -->
    <span class="error-message">Not an &lt;email&gt;</span><br />
    <input name="email" class="error" value="&quot;&gt;&lt;script&gt;"> <input type="password" name="password">
    </form>

The same validation answers a JSON client with a structured 400
(:func:`json_errors`); :func:`negotiate` and :func:`json_body` give the
406 and 415 answers.
"""
import json
import re
from collections.abc import Mapping
from html import unescape
from urllib.parse import urlsplit

from formencode import Invalid, htmlfill
from webob import Response, exc

from ._util import as_browsers_read, origin

__all__ = ['render_form', 'validate', 'wants_json', 'json_errors', 'negotiate',
           'json_body', 'FORM_ERROR']

#: The key of errors that belong to the whole form rather than one field.
FORM_ERROR = 'form'

_POST_FORM = re.compile(r'<form\b[^>]*(?<![\w-])method\s*=\s*["\']?post\b[^>]*>', re.I)
_ACTION = re.compile(r'(?<![\w-])action\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s>]+))', re.I)
_ANY_FORM = re.compile(r'<form\b[^>]*>', re.I)
_FORM_END = re.compile(r'</form\s*>', re.I)
_FIELD_NAME = re.compile(r'\bname\s*=\s*["\']([^"\']*)["\']', re.I)
# htmlfill's formatters minus 'none', which would put messages in unescaped.
_FORMATTERS = {name: formatter for name, formatter in htmlfill.default_formatter_dict.items()
               if name != 'none'}


def render_form(html, defaults=None, errors=None, *, req=None, form=None):
    """Fill ``html`` with ``defaults`` and ``errors``; returns ``str``.

    - password fields are never filled in, error messages are escaped;
    - with ``defaults`` (even empty) every field shows only what they hold,
      as after a POST; without (``None``), the template's own values stay;
    - ``defaults`` may be a WebOb ``MultiDict`` (``req.POST``): every
      value of a repeated field (checkboxes) is kept;
    - errors for names the page has no field for are shown at
      ``<form:error name="form">``, placed after the form's opening tag
      when the page has no such marker (htmlfill would put them before
      ``<html>``);
    - given ``req`` behind :class:`~webkit.csrf.CSRFProtection`, every
      POST form gets the CSRF token, which filling does not blank; a form
      posting to another site does not (the token would leak there);
    - given ``form``, only the fields marked ``data-formencode-form="..."``
      with that name are filled (for pages holding several forms).
    """
    if isinstance(html, bytes):
        html = html.decode('utf-8')  # htmlfill would render bytes as b'...'
    # A refill replaces every value with what was sent (an unchecked box sends
    # nothing); a first render must not blank the template's own values.
    force_defaults = defaults is not None
    defaults = _single_values(defaults) if force_defaults else {}
    errors = dict(errors or {})
    token = req.environ.get('webkit.csrf_token') if req is not None else None
    if token is not None:
        req.environ['webkit.csrf_used'] = True  # the page carries it: see CSRFProtection
        field = req.environ['webkit.csrf_field']
        hidden = f'<input type="hidden" name="{field}" value="{token}">'
        html = _POST_FORM.sub(
            lambda found: found[0] + (hidden if _posts_here(found[0], req)
                                      and not _has_field(found, field) else ''), html)
        defaults[field] = token
    html = _place_orphan_errors(html, errors)
    return htmlfill.render(html, defaults=defaults, errors=errors,
                           error_formatters=_FORMATTERS, skip_passwords=True,
                           force_defaults=force_defaults, data_formencode_form=form,
                           data_formencode_ignore=True)


def _has_field(form_match, name):
    """Whether the form opened at ``form_match`` already has a field ``name``.

    A template may write the token itself (:func:`webkit.csrf.csrf_token`);
    a second one would make the form send two, which is refused.
    """
    page = form_match.string
    end = _FORM_END.search(page, form_match.end())
    body = page[form_match.end():end.start() if end else len(page)]
    return name in _FIELD_NAME.findall(body)


def _posts_here(form_tag, req):
    """Whether the form posts to this site: the token must not go elsewhere."""
    found = _ACTION.search(form_tag)
    if found is None:
        return True
    action = unescape(next(g for g in found.groups() if g is not None))
    parts = urlsplit(as_browsers_read(action))
    if not parts.scheme and not parts.netloc:
        return True  # a path on this site
    target = f'{parts.scheme}://{parts.netloc}'.lower()
    # This site is where the request came, or its configured public address
    # (what req.link(..., qualified=True) builds behind a proxy).
    public = getattr(getattr(req, 'link', None), 'dispatcher', None)
    return target == req.host_url.lower() or (
        public is not None and public.base_url is not None
        and target == origin(public.base_url))


def _place_orphan_errors(html, errors):
    names = set(_FIELD_NAME.findall(html))
    orphans = [key for key in errors if key not in names]
    if not orphans:
        return html
    errors[FORM_ERROR] = ' '.join(str(errors.pop(key)) for key in orphans)
    if FORM_ERROR in names:
        return html
    marker = f'<form:error name="{FORM_ERROR}">'
    found = _ANY_FORM.search(html)
    if found is None:
        return marker + html
    return html[:found.end()] + marker + html[found.end():]


def validate(validator, params):
    """Run a FormEncode schema or a function over ``params``: ``(values, errors)``.

    - a schema (class or instance): values hold only its fields, so an
      extra ``is_admin=1`` never gets through; a field sent several times
      is an error unless the schema's validator takes lists (``ForEach``);
    - a function ``f(params)`` returns an errors dict, or ``(values, errors)``;
      if it returned errors only, ``values`` hold the fields it read (by
      ``[]``, ``get``, ``in``, ``getall`` or ``getone``), so here too a
      field nobody looked at never gets through;
    - errors are flat: ``{field: message}``, nested schemas as ``a.b``,
      errors of the whole form under :data:`FORM_ERROR`.

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


class _Reads(Mapping):
    """The form fields as a validation function sees them: notes what it read."""

    def __init__(self, params):
        self._params = params
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return self._params[key]

    def __iter__(self):
        return iter(self._params)

    def __len__(self):
        return len(self._params)

    def getall(self, key):
        self.read.add(key)
        if hasattr(self._params, 'getall'):
            return self._params.getall(key)
        return [self._params[key]] if key in self._params else []

    def getone(self, key):
        self.read.add(key)
        if hasattr(self._params, 'getone'):
            return self._params.getone(key)
        return self._params[key]


def _single_values(params):
    """A plain dict: a list for a field sent several times, else its value."""
    return params.mixed() if hasattr(params, 'mixed') else dict(params)


def _validate_schema(schema, params):
    fields = getattr(schema, 'fields', None)
    given = _single_values(params)
    errors = {}
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


def flatten_errors(unpacked, prefix=''):
    """FormEncode's nested ``unpack_errors()`` as one ``{field: message}`` dict."""
    if isinstance(unpacked, dict):
        flat = {}
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


def wants_json(req):
    """Whether the client sent JSON, or prefers JSON to HTML in its Accept."""
    if req.content_type == 'application/json':
        return True
    offers = req.accept.acceptable_offers(['text/html', 'application/json'])
    return bool(offers) and offers[0][0] == 'application/json'


def json_errors(errors, status=400):
    """The Cornice-shaped JSON answer listing ``errors`` (a flat dict)."""
    body = {'status': 'error',
            'errors': [{'location': 'body', 'name': name, 'description': str(message)}
                       for name, message in sorted(errors.items())]}
    return Response(json.dumps(body), status=status, content_type='application/json',
                    charset='UTF-8')


def negotiate(req, offers):
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


def json_body(req):
    """The request body as JSON; 415 for another media type, 400 if invalid.

    Strict where Python's ``json`` is lenient: an object naming a key
    twice, ``NaN``/``Infinity``, lone surrogates (not text, and a 500 in
    whatever stores them) and nesting deeper than Python can recurse are
    all a 400.
    """
    if req.content_type != 'application/json':
        raise exc.HTTPUnsupportedMediaType('send application/json')
    try:
        value = json.loads(req.body.decode('utf-8'), object_pairs_hook=_unique_keys,
                           parse_constant=_no_constant)
        json.dumps(value, ensure_ascii=False).encode('utf-8')  # lone surrogates fail here
    except (ValueError, RecursionError) as error:  # UnicodeError is a ValueError
        raise exc.HTTPBadRequest(f'the body is not valid JSON: {error}'[:200]) from None
    return value


def _unique_keys(pairs):
    value = dict(pairs)
    if len(value) != len(pairs):
        raise ValueError('an object names a key more than once')
    return value


def _no_constant(name):
    raise ValueError(f'{name} is not a JSON value')
