"""Form filling, validation and the JSON variant, end to end."""
import functools
import json
import os
import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import pytest
from formencode import ForEach, Schema, htmlfill, validators
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from webob.multidict import MultiDict
from webtest import TestApp

from tests.conftest import PAGE, SECRET, Signup
from webkit import Request, forms, wsgify
from webkit.csrf import form_field
from webkit.forms import (FORM_ERROR, _message, _message_id, _posts_here, _single_values,
                          flatten_errors, json_body, json_errors, negotiate, render_form,
                          validate, wants_json)

XSS = ['"><script>alert(1)</script>', '</textarea><script>alert(1)</script>',
       '<img src=x onerror=alert(1)>']
GOLDEN = sorted((Path(__file__).parent / 'data' / 'forms').glob('*.txt'))


# -- render_form ----------------------------------------------------------------

@pytest.mark.parametrize('path', GOLDEN, ids=[p.stem for p in GOLDEN])
def test_render_form_golden_files(path):
    source, expected, namespace = path.read_text(encoding='utf-8').split('----\n')
    options = eval(namespace, {'MultiDict': MultiDict})  # test data we wrote ourselves
    assert render_form(source, **options) == expected


@pytest.mark.parametrize('payload', XSS)
def test_render_form_escapes_values_and_messages(payload):
    page = render_form(PAGE, {'email': payload, 'bio': payload}, {'email': payload})
    assert '<script' not in page and '<img' not in page


def test_render_form_never_echoes_passwords():
    assert 'hunter2' not in render_form(PAGE, {'password': 'hunter2'})


def test_render_form_keeps_every_checked_box_of_a_multidict():
    page = render_form(PAGE, MultiDict([('tags', 'a'), ('tags', 'b')]))
    assert page.count('checked="checked"') == 2


def test_render_form_places_orphan_errors_at_the_marker_or_form_start():
    marked = render_form('<p><form:error name="form"></p><form><input name="a"></form>',
                         {}, {'ghost': 'Something went wrong'})
    assert marked.startswith('<p><span class="error-message" id="form-error">Something went wrong')
    unmarked = render_form('<h1>x</h1><form><input name="a"></form>', {}, {'ghost': 'Oops'})
    assert unmarked.startswith('<h1>x</h1><form><span class="error-message" id="form-error">Oops')
    bare = render_form('<input name="a">', {}, {'ghost': 'Oops'})
    assert bare.startswith('<span class="error-message" id="form-error">Oops')


def test_render_form_escapes_messages_whatever_the_marker_asks():
    filled = render_form('<form:error name="a" format="none"><input name="a">', {}, {'a': '<b>'})
    assert '&lt;b&gt;' in filled and '<b>' not in filled and 'form:error' not in filled


def test_render_form_reads_fields_as_html_not_as_text():
    page = '<form><input data-name="email" name="mail"><input name="email"></form>'
    filled = render_form(page, {}, {'email': 'Bad'})
    assert filled.count('aria-invalid="true"') == 1
    assert '<input data-name="email" name="mail" value="">' in filled
    assert 'form-error' not in filled       # the error has its field: no orphan


def test_render_form_ties_each_error_to_its_field_and_leaves_no_comments():
    page = ('<form method="post"><input name="pw" type="password">'
            '<select name="c"><option value="">-</option></select></form>')
    filled = render_form(page, {'pw': 'secret'}, {'pw': 'Too short', 'c': 'Choose one'})
    assert '<!--' not in filled and 'secret' not in filled
    assert ('<input name="pw" type="password" class="error" aria-invalid="true" '
            'aria-describedby="pw-error">') in filled
    assert '<span class="error-message" id="pw-error">Too short</span>' in filled
    assert 'aria-describedby="c-error"' in filled and 'id="c-error"' in filled


def test_render_form_fills_only_the_named_form():
    page = ('<form><input name="q" data-formencode-form="a"></form>'
            '<form><input name="q" data-formencode-form="b"></form>')
    filled = render_form(page, {'q': 'x'}, form='a')
    assert filled.count('value="x"') == 1


def test_render_form_accepts_bytes_as_utf8():
    assert render_form('<input name="q">'.encode(), {'q': 'é'}) == '<input name="q" value="é">'



# -- validate -----------------------------------------------------------------------

def test_validate_drops_fields_the_schema_does_not_know():
    values, errors = validate(Signup, {'email': 'a@example.org', 'password': 'longenough',
                                       'is_admin': '1'})
    assert errors == {} and 'is_admin' not in values


def test_validate_refuses_a_repeated_single_field():
    params = MultiDict([('email', 'a@example.org'), ('email', 'b@example.org'),
                        ('password', 'longenough')])
    values, errors = validate(Signup, params)
    assert values == {} and errors == {'email': 'Please give this field only once'}


def test_validate_takes_lists_where_the_schema_does():
    params = MultiDict([('email', 'a@example.org'), ('password', 'longenough'),
                        ('tags', 'x'), ('tags', 'y')])
    assert validate(Signup(), params)[0]['tags'] == ['x', 'y']


def test_validate_runs_plain_functions():
    def check(params):
        return {} if params.get('a') == '1' else {'a': 'Say 1'}

    assert validate(check, {'a': '1', 'is_admin': '1'}) == ({'a': '1'}, {})
    assert validate(check, MultiDict(a='2'))[1] == {'a': 'Say 1'}
    assert validate(lambda params: ({'n': 1}, {}), {}) == ({'n': 1}, {})


def test_validate_flattens_form_level_and_nested_errors():
    class Pair(Schema):
        a = validators.Int()
        b = validators.Int()
        chained_validators = [validators.FieldsMatch('a', 'b')]

    assert validate(Pair, {'a': '1', 'b': '2'})[1] == {'b': 'Fields do not match'}
    assert flatten_errors({'x': {'y': 'bad'}, 'l': [None, 'no']}) == \
        {'x.y': 'bad', 'l.1': 'no'}
    assert flatten_errors('whole form') == {FORM_ERROR: 'whole form'}



# -- the application round trip -------------------------------------------------

def test_form_refill_keeps_values_and_csrf_token_but_not_password(app, calls):
    form = app.get('/').form
    form['email'] = 'not-an-email'
    form['password'] = 'short'
    res = form.submit()
    assert res.status_int == 200 and calls == []
    assert res.form['email'].value == 'not-an-email'
    assert res.form['password'].value == ''
    assert res.form['csrf_token'].value == form['csrf_token'].value
    res.form['email'] = 'ada@example.org'
    res.form['password'] = 'long enough'
    assert res.form.submit().status_int == 303
    assert calls[0]['email'] == 'ada@example.org'


def test_form_flash_survives_exactly_one_redirect(app):
    form = app.get('/').form
    form['email'] = 'ada@example.org'
    form['password'] = 'long enough'
    page = form.submit().follow()
    assert page.text.startswith('Welcome!')
    assert not app.get('/').text.startswith('Welcome!')


@pytest.mark.parametrize('payload', XSS)
def test_form_xss_payloads_come_back_escaped(app, payload):
    form = app.get('/').form
    form['email'] = payload
    form['bio'] = payload
    res = form.submit()
    assert '<script>' not in res.text and '<img' not in res.text



# -- the JSON variant -------------------------------------------------------------

def test_json_client_gets_structured_400(app, calls):
    token = app.get('/').form['csrf_token'].value
    res = app.post('/', {'email': 'nope', 'password': 'x', 'csrf_token': token},
                   headers={'Accept': 'application/json'}, status=400)
    assert res.json == {'status': 'error', 'errors': [
        {'location': 'body', 'name': 'email',
         'description': 'An email address must contain a single @'},
        {'location': 'body', 'name': 'password',
         'description': 'Enter a value 8 characters long or more'}]}
    assert calls == []


@pytest.mark.parametrize('headers, expected', [
    ({}, False),
    ({'Accept': 'text/html'}, False),
    ({'Accept': 'application/json'}, True),
    ({'Accept': 'text/html;q=0.5, application/json'}, True),
    ({'Content-Type': 'application/json'}, True),
])
def test_wants_json(headers, expected):
    assert wants_json(Request.blank('/', headers=headers)) is expected


def test_negotiate_answers_406_when_nothing_fits():
    @wsgify
    def report(req):
        return negotiate(req, ['text/csv', 'application/json'])

    app = TestApp(report)
    assert app.get('/', headers={'Accept': 'text/csv'}).text == 'text/csv'
    assert app.get('/', headers={'Accept': 'image/png'}, status=406).status_int == 406


def test_json_body_answers_415_and_400():
    @wsgify
    def api(req):
        return json.dumps(json_body(req))

    app = TestApp(api)
    assert json.loads(app.post_json('/', {'a': 1}).text) == {'a': 1}
    app.post('/', 'a=1', status=415)
    app.post('/', '{bad', content_type='application/json', status=400)


def test_json_errors_shape_and_status():
    res = json_errors({'b': 'second', 'a': 'first'}, status=422)
    assert res.status_int == 422
    assert [e['name'] for e in res.json['errors']] == ['a', 'b']



# -- hardening found in review --------------------------------------------------

def csrf_request(field='csrf_token', **environ):
    """A request as CSRFProtection passes it on, its client's token being TOKEN."""
    from webkit.csrf import CSRFProtection
    seen = []
    app = CSRFProtection(wsgify(lambda req: seen.append(req)), SECRET, field=field)
    cookie = app._cookie.get_headers('TOKEN', secure=False)[0][1].split(';')[0]
    Request.blank('/', environ=environ, headers={'Cookie': cookie}).get_response(app)
    return seen[0]


@pytest.mark.parametrize('form, expected', [
    ('<form method="post">', True),
    ('<form method=POST action="/save">', True),
    ("<form method='post' action='save?x=1'>", True),
    ('<form method="post" action="http://localhost/save">', True),
    ('<form method="post" action="https://evil.example/steal">', False),
    ('<form method="post" action="//evil.example/steal">', False),
    ('<form method="post" action="/\\evil.example/steal">', False),
    ('<form method="post" action="/&#9;/evil.example/steal">', False),
    ('<form method="post" action=" HTTPS://evil.example">', False),
    ('<form method="post" action=https://evil.example>', False),
    ('<form method="post" action="https://localhost/save">', False),  # another origin
    ('<form data-method="post" method="get">', False),
    ('<form method="post" action="///evil.example/steal">', False),
    ('<form method="post" action="/\\/evil.example/steal">', False),
    ('<form method="post" action="http:evil.example/steal">', False),
    ('<form method="post" action="https:///evil.example/steal">', False),
    ('<form method="post" action="javascript:alert(1)">', False),
    ('<form method="post" action="&#47;&#47;evil.example/steal">', False),
    ('<form method="post" action="HTTP://LOCALHOST:80/save">', True),
    ('<form method="post" action="http://[/save">', False),  # no URL: no origin
    ('<form method="get">', False),
])
def test_render_form_gives_the_token_only_to_forms_posting_here(form, expected):
    filled = render_form(form + '<input name="q"></form>', req=csrf_request())
    assert ('value="TOKEN"' in filled) is expected


def test_validate_function_values_hold_only_the_fields_it_read():
    def check(params):
        errors = {}
        if 'email' not in params:
            errors['email'] = 'Required'
        if len(params.getall('tags')) > 2:
            errors['tags'] = 'Two at most'
        params.getone('name')
        return errors

    params = MultiDict([('email', 'a@example.org'), ('name', 'Ada'), ('tags', 'x'),
                        ('tags', 'y'), ('is_admin', '1')])
    values, errors = validate(check, params)
    assert errors == {} and values == {'email': 'a@example.org', 'name': 'Ada',
                                       'tags': ['x', 'y']}
    assert validate(lambda p: {'n': p['n']}, {'n': '1', 'x': '2'}) == ({'n': '1'}, {'n': '1'})
    assert validate(lambda p: {'t': p.getall('t')}, {'t': 'v'})[1] == {'t': ['v']}
    assert validate(lambda p: {'o': p.getone('o')}, {'o': 'v'}) == ({'o': 'v'}, {'o': 'v'})
    # A function that reads every field (deliberately) gets every field.
    assert validate(lambda p: {} if len(p) == 2 and all(p.values()) else {'n': 'x'},
                    {'a': '1', 'b': '2'}) == ({'a': '1', 'b': '2'}, {})


@pytest.mark.parametrize('body', [
    '[' * 100_000 + ']' * 100_000,           # deeper than Python's recursion limit
    '{"role": "user", "role": "admin"}',     # which one? neither
    '{"name": "\\ud800"}',                     # a lone surrogate: not text at all
    '{"n": NaN}', '[Infinity]',             # not JSON, though Python reads it
])
def test_json_body_refuses_what_json_cannot_mean_with_a_400(body):
    @wsgify
    def api(req):
        return json.dumps(json_body(req))

    res = TestApp(api).post('/', body.encode(), content_type='application/json', status=400)
    assert res.status_int == 400


def test_render_form_first_render_keeps_the_templates_own_values():
    page = ('<form method="post"><input type="hidden" name="next" value="/x">'
            '<input type="checkbox" name="s" value="y" checked="checked">'  # htmlfill drops
            '<select name="c"><option value="a">a</option><option value="b" selected>b</option>'
            '</select><input name="q" value="default"></form>')  # a bare `checked`
    first = render_form(page, req=csrf_request())
    assert 'value="/x"' in first and 'checked' in first and 'selected' in first
    assert 'value="default"' in first and 'value="TOKEN"' in first
    # A refill (defaults given, even empty) shows what was sent, and only that.
    refill = render_form(page, {}, req=csrf_request())
    assert 'value="/x"' not in refill and 'checked' not in refill
    assert 'value="TOKEN"' in refill


def test_render_form_appends_the_error_class_and_keeps_self_closing_tags():
    filled = render_form('<form><input class="wide" name="a" /></form>', {}, {'a': 'No'})
    assert '<input class="wide error" name="a" aria-invalid="true" ' in filled
    assert 'aria-describedby="a-error" value="" />' in filled



# -- render_form against the algorithm before it ------------------------------------
#
# render_form writes the error marks and the token while htmlfill parses the
# page. Before, it edited the page's text first (from an HTML parser's offsets)
# and htmlfill parsed the edited page: that algorithm is kept here, as the
# reference the output must equal byte for byte, on generated pages.
#
# Left out: pages htmlfill's parser does not read in one go, before or after
# the edits (an unterminated comment, a "&#" starting no character reference,
# a "<" or "&" ending the page, or one that removing a <form:error> makes so).
# It reads their rest when closed, and loses the text of their last token;
# which token that is, the edits could change. Both outputs are broken then.
# And fields whose marked tag, as written, read as other attributes (see
# test_render_form_marks_a_field_keeping_the_attributes_it_has): a difference
# on purpose.

class _OldTag:
    __slots__ = ('name', 'attrs', 'start', 'end', 'closing', 'empty')

    def __init__(self, name, attrs, start, end, closing=False, empty=False):
        self.name, self.attrs, self.start, self.end = name, attrs, start, end
        self.closing, self.empty = closing, empty

    def get(self, key):
        return next((value for name, value in self.attrs if name == key), None)

    def rewritten(self, **extra):
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


class _OldScanner(HTMLParser):
    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.lines = [0] + [index + 1 for index, char in enumerate(html) if char == '\n']
        self.tags = []

    def _offset(self):
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def handle_starttag(self, tag, attrs, empty=False):
        if tag in {'input', 'select', 'textarea', 'button', 'form', 'form:error'}:
            start = self._offset()
            self.tags.append(_OldTag(tag, attrs, start, start + len(self.get_starttag_text()),
                                     empty=empty))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs, empty=True)

    def handle_endtag(self, tag):
        if tag in ('form', 'form:error'):
            start = self._offset()
            end = self.html.find('>', start) + 1 or len(self.html)
            self.tags.append(_OldTag(tag, [], start, end, closing=True))


def _old_scan(html):
    scanner = _OldScanner(html)
    scanner.feed(html)
    scanner.close()
    return scanner.tags


def render_form_before(html, defaults=None, errors=None, *, req=None, form=None):
    """render_form as it was: the page edited as text, then filled by htmlfill."""
    html, defaults, force_defaults, _ = edit_before(html, defaults, errors, req=req, form=form)
    return htmlfill.render(html, defaults=defaults, auto_insert_errors=False,
                           skip_passwords=True, force_defaults=force_defaults,
                           data_formencode_form=form, data_formencode_ignore=True)


def edit_before(html, defaults, errors, *, req, form):
    """The page as render_form edited it for htmlfill, with htmlfill's defaults,
    and the text of the fields it marked."""
    fields_ = {'input', 'select', 'textarea', 'button'}
    force_defaults = defaults is not None
    defaults = _single_values(defaults) if force_defaults else {}
    errors = {key: str(value) for key, value in (errors or {}).items()}
    token = form_field(req) if req is not None else None
    tags = _old_scan(html)
    edits = []
    marked = []

    def inside_form(index):
        inside = []
        for tag in tags[index + 1:]:
            if tag.name == 'form':
                break
            inside.append(tag)
        return inside

    if token is not None:
        field, value = token
        hidden = f'<input type="hidden" name="{escape(field)}" value="{escape(value)}">'
        for index, tag in enumerate(tags):
            if tag.name != 'form' or tag.closing or (tag.get('method') or '').lower() != 'post':
                continue
            if _posts_here(tag.get('action'), req) and not any(
                    t.name in fields_ and t.get('name') == field for t in inside_form(index)):
                edits.append((tag.end, tag.end, hidden))
        defaults[field] = value
    if errors:
        fields = [tag for tag in tags if tag.name in fields_ and tag.get('name') is not None
                  and tag.get('data-formencode-ignore') is None
                  and (form is None or tag.get('data-formencode-form') == form)]
        names = {tag.get('name') for tag in fields}
        orphans = [key for key in errors if key not in names]
        if orphans:
            errors[FORM_ERROR] = ' '.join(errors.pop(key) for key in orphans)
        markers = {tag.get('name') for tag in tags if tag.name == 'form:error' and not tag.closing}
        for tag in tags:
            if tag.name == 'form:error':
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
            marked.append(text)
            if name not in shown:
                shown.add(name)
                text = _message(name, errors[name]) + '\n' + text
            edits.append((tag.start, tag.end, text))
        if FORM_ERROR in errors and FORM_ERROR not in shown:
            first = next((tag for tag in tags if tag.name == 'form' and not tag.closing), None)
            at = first.end if first is not None else 0
            edits.append((at, at, _message(FORM_ERROR, errors[FORM_ERROR])))
    for at, end, text in sorted(edits, key=lambda edit: (edit[0], edit[1]), reverse=True):
        html = html[:at] + text + html[end:]
    return html, defaults, force_defaults, marked


def reads_as_written(tag):
    """Whether the text of a tag is read as the attributes it was written from."""
    return _old_scan(tag)[0].rewritten() == tag


# The same examples on every run; WEBKIT_EXAMPLES=5000 explores further, at random.
EXPLORE = int(os.environ.get('WEBKIT_EXAMPLES', '0'))
DIFFERENTIAL = settings(max_examples=EXPLORE or 300, derandomize=not EXPLORE, deadline=None,
                        database=None,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NAMES = ['a', 'b', 'a', 'b', 'form', 'csrf_token', 'x y', 'é"&']  # a and b most often
WORDS = ['', 'x', ' ', '\n', 'a &amp; b', '&lt;', '&#39;', '&#x41;', 'a & b', '1 < 2', ';',
         '<!-- <input name="a"> -->', '<p class=x>', '</p>', '<br/>', '<!DOCTYPE html>',
         '<script>if (a<b) {}<input name="a"></script>', '<option value="o">o</option>',
         '&#z;', '<!-- open', '<', '&']  # the last ones can stop htmlfill's parser
VALUES = ['x', '', 'a', 'b', 'o', 'a&amp;b', '&lt;b&gt;', 'post', 'é', "it's", 'a"b',
          'two\nlines']
ATTRIBUTE_NAMES = ['name', 'NAME', 'value', 'class', 'id', 'data-formencode-form',
                   'data-formencode-ignore', 'aria-invalid', 'aria-describedby', 'checked',
                   'selected', 'multiple', 'data-name', 'a"b', "a'", '=x', 'form:x']
INPUT_TYPES = ['text', 'TEXT', 'hidden', 'password', 'checkbox', 'radio', 'submit', 'file',
               'email', 'button', 'image', 'reset', 'unknown']
ACTIONS = [None, None, '/save', 'https://evil.example/', '//evil.example', 'http://localhost/x',
           'javascript:x']


@st.composite
def attribute(draw, names=st.sampled_from(ATTRIBUTE_NAMES), values=st.sampled_from(VALUES)):
    """`` name="value"`` in any quoting a browser reads, or a bare name."""
    name, value = draw(names), draw(values)
    quoting = draw(st.sampled_from(['"', "'", '', None]))
    space = draw(st.sampled_from([' ', '\n', '  ']))
    if quoting is None:
        return f'{space}{name}'
    if (quoting and quoting not in value) or re.fullmatch(r'[^\s"\'>=`<]+', value):
        return f'{space}{name}={quoting}{value}{quoting}'
    return f'{space}{name}="{escape(value)}"'


@st.composite
def start_tag(draw, tag, first=st.just(''), ends=('>', ' />', '/>')):
    """``<tag`` with ``first``, a few attributes of any kind, and an end."""
    attrs = draw(first) + ''.join(draw(st.lists(attribute(), max_size=3)))
    return f'<{tag}{attrs}{draw(st.sampled_from(ends))}'


def with_name(extra=st.just('')):
    """Usually a name attribute first, then perhaps another attribute."""
    name = attribute(names=st.just('name'), values=st.sampled_from(NAMES))
    name = st.one_of(st.just(''), name, name, name)
    return st.builds(lambda name, extra: name + extra, name, extra)


field = st.one_of(
    start_tag('input', with_name(attribute(names=st.just('type'),
                                           values=st.sampled_from(INPUT_TYPES)))),
    start_tag('input', with_name()),
    start_tag('INPUT', with_name()),
    st.builds(lambda tag, text, end: tag + text + end,
              start_tag('textarea', with_name(), ends=('>',)),
              st.sampled_from(['', 'old', '<b>x</b>', '&amp;']),
              st.sampled_from(['</textarea>', '</TEXTAREA>', ''])),
    st.builds(lambda tag, options: tag + options + '</select>',
              start_tag('select', with_name(), ends=('>',)),
              st.lists(st.sampled_from(['<option value="a">A</option>', '<option>b</option>',
                                        '<option value="b" selected>B</option>']),
                       max_size=3).map(''.join)),
    st.builds(lambda tag: tag + 'Go</button>', start_tag('button', with_name(), ends=('>',))),
)
form_tag = start_tag('form', st.builds(
    lambda method, action: method + action,
    st.sampled_from(['', ' method="post"', ' method=POST', " method='get'", ' method="post"']),
    st.sampled_from(ACTIONS).map(lambda action: '' if action is None else
                                 f' action="{action}"')))
marker = st.one_of(
    start_tag('form:error', attribute(names=st.just('name'),
                                      values=st.sampled_from(NAMES + ['ghost']))),
    st.sampled_from(['</form:error>', '</form:iferror>', '<form:error>']),
    st.sampled_from(NAMES + ['not a']).map(lambda name: f'<form:iferror name="{name}">'))
pages = st.lists(st.one_of(st.sampled_from(WORDS), field, field, field, form_tag, form_tag,
                           st.just('</form>'), marker),
                 max_size=12).map(''.join)
messages = st.sampled_from(['Bad', 'Too <long> & "odd"', "it's; fine", 'two\nlines', '', 5])
value = st.sampled_from(VALUES)
values = st.dictionaries(st.sampled_from(NAMES + ['ghost']), st.one_of(value, st.lists(value)))


@functools.cache
def token_request(field):
    return csrf_request(field)


def read_in_one_go(page):
    """Whether htmlfill's parser reads all of ``page`` as it is fed."""
    parser = HTMLParser(convert_charrefs=False)
    parser.feed(page)
    return not parser.rawdata


def _outcome(render, page, defaults, errors, req, form):
    try:
        return render(page, defaults, errors, req=req, form=form)
    except AssertionError:  # htmlfill's, on a <form:error> without a name, say
        return 'AssertionError'


@DIFFERENTIAL
# A field named "form" shows the errors of names without a field, once.
@example(page='<input name="form">', defaults=None, errors={'a': 'Bad'}, token_field=None,
         form=None)
@given(page=pages,
       defaults=st.one_of(st.none(), values, values.map(lambda d: MultiDict(
           (key, item) for key, value in d.items()
           for item in (value if isinstance(value, list) else [value])))),
       errors=st.one_of(st.none(), *[st.dictionaries(st.sampled_from(NAMES + ['ghost']),
                                                     messages, min_size=1)] * 3),
       token_field=st.sampled_from([None, 'csrf_token', 'a']),
       form=st.sampled_from([None, None, None, 'a', 'b']))
def test_render_form_writes_what_editing_the_page_first_wrote(page, defaults, errors,
                                                              token_field, form):
    req = token_request(token_field) if token_field else None
    edited, _, _, marked = edit_before(page, defaults, errors, req=req, form=form)
    assume(read_in_one_go(page) and read_in_one_go(edited))
    assume(all(reads_as_written(tag) for tag in marked))
    assert _outcome(render_form, page, defaults, errors, req, form) == \
        _outcome(render_form_before, page, defaults, errors, req, form)


def test_render_form_marks_a_field_keeping_the_attributes_it_has():
    # The marked tag was written out and read again: a bare attribute, then
    # one named "=x", read as type='x="x"', a type htmlfill refused.
    filled = render_form('<input name="a" type aria-invalid="x" =x="x">', {}, {'a': 'Bad'})
    assert ('<input name="a" type="" =x="x" class="error" aria-invalid="true" '
            'aria-describedby="a-error" value="">') in filled
    with pytest.raises(AssertionError):
        render_form_before('<input name="a" type aria-invalid="x" =x="x">', {}, {'a': 'Bad'})


# Text, references, comments and tags that are no fields, cut anywhere:
# what the parser keeps back at the end of a page ("Q&A", "<!-- open").
PAGE_PIECES = ['Q&A', '&', '&#', '&#x', '&amp', '&amp;', '<', '<!--', '-->', '<p>', '</p>',
               '<b', 'text', '\n', ' ', ';', '>', '<!', '<?', ']]>', '<![CDATA[', "'", '"',
               '=', 'é', '<!DOCTYPE html>', '</', '<br/>']


@settings(max_examples=300, deadline=None)
@example(page='<p>Questions? See our Q&A', defaults=None)
@given(page=st.lists(st.sampled_from(PAGE_PIECES), max_size=12).map(''.join),
       defaults=st.sampled_from([None, {}, {'a': 'x'}]))
def test_render_form_gives_back_a_page_without_fields_whole(page, defaults):
    assert render_form(page, defaults) == page


class _ParsingFiller(forms._Filler):
    """The filler parsing the page itself, as htmlfill's parser does: what
    telling it the page's reading again must write, character for character."""

    goahead = HTMLParser.goahead
    get_starttag_text = HTMLParser.get_starttag_text


@DIFFERENTIAL
# Every kind of event the parser has: a marked section, a declaration, a
# processing instruction, a comment, references, text kept back at the end.
@example(page='<!DOCTYPE html><![CDATA[x]]><?pi x?><!-- c --><form method="post">'
              '<input name="a" value="&amp;&#39;">AT&T</form>Q&A', defaults={'a': 'x'},
         errors={'a': 'Bad'}, token_field='csrf_token', form=None)
@given(page=st.one_of(pages, st.lists(st.one_of(st.sampled_from(PAGE_PIECES), field, marker,
                                                form_tag, st.just('</form>')),
                                      max_size=12).map(''.join)),
       defaults=st.one_of(st.none(), values),
       errors=st.one_of(st.none(), st.dictionaries(st.sampled_from(NAMES + ['ghost']),
                                                   messages, min_size=1)),
       token_field=st.sampled_from([None, 'csrf_token', 'a']),
       form=st.sampled_from([None, None, 'a']))
def test_render_form_tells_the_page_read_once_as_parsing_it_would(page, defaults, errors,
                                                                  token_field, form):
    req = token_request(token_field) if token_field else None
    told = _outcome(render_form, page, defaults, errors, req, form)
    with mock.patch.object(forms, '_Filler', _ParsingFiller):
        parsed = _outcome(render_form, page, defaults, errors, req, form)
    assert told == parsed


def test_render_form_fills_a_long_page_without_keeping_it():
    text = 'x' * forms._KEPT_PAGE_SIZE
    before = forms._read_kept.cache_info()
    filled = render_form(f'<form method="post"><textarea name="a">{text}</textarea></form>',
                         {'a': 'new'})
    assert filled == '<form method="post"><textarea name="a">new</textarea></form>'
    assert forms._read_kept.cache_info() == before
    page = '<form method="post"><input name="a"></form>'
    assert render_form(page, {'a': '1'}) == render_form(page, {'a': '1'})
    assert forms._read_kept.cache_info().hits > before.hits


def test_render_form_keeps_the_last_text_after_a_form():
    filled = render_form('<form><input name="a"></form>AT&T', {'a': '1'})
    assert filled == '<form><input name="a" value="1"></form>AT&T'


def _with_a_file(name):
    """req.POST of a multipart form that sends field ``name`` as a file."""
    body = (b'--B\r\nContent-Disposition: form-data; name="email"\r\n\r\nnope\r\n'
            b'--B\r\nContent-Disposition: form-data; name="%s"; filename="f.txt"\r\n\r\n'
            b'36\r\n--B--\r\n' % name.encode())
    req = Request.blank('/', method='POST', body=body)
    req.environ['CONTENT_TYPE'] = 'multipart/form-data; boundary=B'
    return req.POST


def test_validate_refuses_a_file_where_the_schema_takes_text():
    # FormEncode's text validators fail on a file with an AttributeError (a 500).
    values, errors = validate(Signup, _with_a_file('password'))
    assert values == {} and errors['password'] == 'Please enter text here, not a file'


class _Filename(validators.FancyValidator):
    """An application's own validator of an upload."""

    def _convert_to_python(self, value, state):
        return value.filename


@pytest.mark.parametrize('validator', [
    validators.FieldStorageUploadConverter(), _Filename(),
    ForEach(validators.FieldStorageUploadConverter()),  # a multiple file input, one file
])
def test_validate_passes_a_file_to_a_validator_that_takes_files(validator):
    class Upload(Schema):
        email = validators.String()
        age = validator
    values, errors = validate(Upload, _with_a_file('age'))
    assert errors == {}
    uploaded = values['age'][0] if isinstance(values['age'], list) else values['age']
    assert getattr(uploaded, 'filename', uploaded) == 'f.txt'


class _Buggy(validators.FancyValidator):
    def _convert_to_python(self, value, state):
        return value.no_such_method()


def test_validate_lets_an_application_error_without_a_file_through():
    class Broken(Schema):
        email = _Buggy()
    with pytest.raises(AttributeError):
        validate(Broken, {'email': 'a@example.org'})


def test_render_form_never_fills_a_field_with_a_file():
    filled = render_form('<form><input name="email"><input name="age"></form>',
                         _with_a_file('age'), {'age': 'Enter text'})
    assert 'value="nope"' in filled and 'f.txt' not in filled and 'FieldStorage' not in filled


@pytest.mark.parametrize('page, filled', [
    ('<p>x <!-- open</p><form><input name="q">',
     '<p>x <!-- open</p><form><input name="q" value="Q">'),
    ('<p>x <!-- open</p><select name="s"><option value="1">One</option></select>',
     '<p>x <!-- open</p><select name="s"><option value="1" selected="selected">One</option>'
     '</select>'),
])
def test_render_form_writes_a_last_tag_htmlfill_replaced_once(page, filled):
    # Behind an unclosed comment the parser reads the rest in close(): the
    # last tag, written by htmlfill, is not copied again as the page's tail.
    assert render_form(page, {'q': 'Q', 's': '1'}) == filled
