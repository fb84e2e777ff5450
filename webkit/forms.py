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

from formencode import Invalid, htmlfill
from webob import Response, exc

__all__ = ['render_form', 'validate', 'wants_json', 'json_errors', 'negotiate',
           'json_body', 'FORM_ERROR']

#: The key of errors that belong to the whole form rather than one field.
FORM_ERROR = 'form'

_POST_FORM = re.compile(r'<form\b[^>]*\bmethod\s*=\s*["\']?post\b[^>]*>', re.I)
_ANY_FORM = re.compile(r'<form\b[^>]*>', re.I)
_FIELD_NAME = re.compile(r'\bname\s*=\s*["\']([^"\']*)["\']', re.I)
# htmlfill's formatters minus 'none', which would put messages in unescaped.
_FORMATTERS = {name: formatter for name, formatter in htmlfill.default_formatter_dict.items()
               if name != 'none'}


def render_form(html, defaults=None, errors=None, *, req=None, form=None):
    """Fill ``html`` with ``defaults`` and ``errors``; returns ``str``.

    - password fields are never filled in, error messages are escaped;
    - ``defaults`` may be a WebOb ``MultiDict`` (``req.POST``): every
      value of a repeated field (checkboxes) is kept;
    - errors for names the page has no field for are shown at
      ``<form:error name="form">``, placed after the form's opening tag
      when the page has no such marker (htmlfill would put them before
      ``<html>``);
    - given ``req`` behind :class:`~webkit.csrf.CSRFProtection`, every
      POST form gets the CSRF token, which filling does not blank;
    - given ``form``, only the fields marked ``data-formencode-form="..."``
      with that name are filled (for pages holding several forms).
    """
    if isinstance(html, bytes):
        html = html.decode('utf-8')  # htmlfill would render bytes as b'...'
    defaults = _plain_defaults(defaults)
    errors = dict(errors or {})
    token = req.environ.get('webkit.csrf_token') if req is not None else None
    if token is not None:
        field = req.environ['webkit.csrf_field']
        hidden = f'<input type="hidden" name="{field}" value="{token}">'
        html = _POST_FORM.sub(lambda found: found[0] + hidden, html)
        defaults[field] = token
    html = _place_orphan_errors(html, errors)
    return htmlfill.render(html, defaults=defaults, errors=errors,
                           error_formatters=_FORMATTERS, skip_passwords=True,
                           force_defaults=True, data_formencode_form=form,
                           data_formencode_ignore=True)


def _plain_defaults(defaults):
    if defaults is None:
        return {}
    if hasattr(defaults, 'mixed'):
        return defaults.mixed()  # a list for repeated fields, else the value
    return dict(defaults)


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
      ``values`` is then ``params`` as a plain dict if it returned errors only;
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
    result = validator(params)
    if isinstance(result, tuple):
        values, errors = result
        return values, errors
    return _single_values(params), result


def _single_values(params):
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
    """The request body as JSON; 415 for another media type, 400 if invalid."""
    if req.content_type != 'application/json':
        raise exc.HTTPUnsupportedMediaType('send application/json')
    return req.json_body
