"""Form filling, validation and the JSON variant, end to end."""
import json
from pathlib import Path

import pytest
from formencode import Schema, validators
from webob.multidict import MultiDict
from webtest import TestApp

from tests.conftest import PAGE, SECRET, Signup
from webkit import Request, wsgify
from webkit.forms import (FORM_ERROR, flatten_errors, json_body, json_errors, negotiate,
                          render_form, validate, wants_json)

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

def csrf_request(**environ):
    """A request as CSRFProtection passes it on, its client's token being TOKEN."""
    from webkit.csrf import CSRFProtection
    seen = []
    app = CSRFProtection(wsgify(lambda req: seen.append(req)), SECRET)
    cookie = app._cookie.bind(Request.blank('/')).get_headers('TOKEN')[0][1].split(';')[0]
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
