"""Signed cookie sessions: tampering, when the cookie is sent, size and max_age."""
import base64
import copy
import hashlib
import hmac
import json
import time

import pytest
import webob.exc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webob.cookies import SignedSerializer
from webtest import TestApp

from tests.conftest import SECRET, make_app
from webkit import Request, Sessions, session, wsgify
from webkit.exc import MissingLayerError
from webkit.sessions import MAX_FLASHES, flash, pop_flashes


@wsgify
def visits(req):
    """Counts this client's visits in its session."""
    data = session(req)
    data['n'] = data.get('n', 0) + 1
    return str(data['n'])


def test_session_tampered_cookie_gives_an_empty_session():
    app = TestApp(Sessions(visits, SECRET))
    assert [app.get('/').text for _ in range(3)] == ['1', '2', '3']
    value = app.cookies['webkit_session']
    app.set_cookie('webkit_session', value[:-4] + 'AAAA')
    assert app.get('/').text == '1'


def test_session_cookie_is_sent_only_when_changed_and_removed_when_empty():
    @wsgify
    def toggle(req):
        data = session(req)
        if 'clear' in req.GET:
            data.clear()
        elif 'set' in req.GET:
            data['x'] = 1
        return ''

    app = TestApp(Sessions(toggle, SECRET))
    assert 'Set-Cookie' not in app.get('/').headers
    assert 'HttpOnly' in app.get('/?set').headers['Set-Cookie']
    assert 'Set-Cookie' not in app.get('/').headers
    assert 'Max-Age=0' in app.get('/?clear').headers['Set-Cookie']


@pytest.mark.parametrize('vary, expected', [
    (None, 'Cookie'), ('Accept-Encoding', 'Accept-Encoding, Cookie'), ('cookie', 'cookie')])
def test_session_read_makes_the_page_vary_on_cookie(vary, expected):
    # "Hello Ada" must not be served from a shared cache to someone else.
    @wsgify
    def page(req):
        if vary:
            req.response.vary = vary
        if 'read' in req.GET:
            return f'hello {session(req).get("user")}'
        if 'fail' in req.GET:
            session(req)['user'] = 'x'
            return webob.exc.HTTPServiceUnavailable()
        return 'hello'

    app = TestApp(Sessions(page, SECRET))
    assert app.get('/?read').headers['Vary'] == expected
    assert app.get('/').headers.get('Vary') == vary  # never read: nothing added
    # A failure saves nothing, and still varies (its own page, not req.response).
    assert app.get('/?fail', status=503).headers['Vary'] == 'Cookie'


def test_session_too_large_is_not_saved_but_the_answer_goes_out(caplog):
    done = []

    @wsgify
    def hoard(req):
        session(req)['blob'] = 'x' * 5000
        done.append(True)           # the action committed: no 5xx may follow
        return 'saved'

    app = TestApp(Sessions(hoard, SECRET))
    resp = app.get('/', status=200)
    assert resp.text == 'saved' and done == [True]
    assert 'Set-Cookie' not in resp.headers
    assert 'session not saved: 5' in caplog.text


def test_session_flashes_keep_only_the_last_few():
    @wsgify
    def save(req):
        if req.method == 'POST':
            flash(req, f'Saved {req.POST["n"]}.')
            return 'ok'
        return ' '.join(pop_flashes(req))

    app = TestApp(Sessions(save, SECRET))
    for n in range(300):            # nobody follows the redirects
        app.post('/', {'n': str(n)}, status=200)
    shown = app.get('/').text.split(' ')
    assert len(shown) == MAX_FLASHES * 2 and shown[-1] == '299.'


def test_session_outside_the_middleware_says_what_to_do():
    with pytest.raises(MissingLayerError) as info:
        session(Request.blank('/'))
    assert isinstance(info.value, LookupError)
    assert (info.value.function, info.value.layer) == ('session', 'Sessions')
    assert 'webkit.Sessions(app, secret)' in str(info.value)
    assert repr(Sessions(wsgify(lambda req: ''), SECRET)).startswith('Sessions(wsgify(')


def _signed_session(value, salt='webkit.session'):
    """A session cookie value as the middleware signs it, made independently."""
    from webob.cookies import SignedSerializer
    return SignedSerializer(SECRET, salt).dumps(value).decode('ascii')


def test_session_with_max_age_refuses_a_cookie_kept_longer():
    middleware = Sessions(visits, SECRET, max_age=3600)
    app = TestApp(middleware)
    assert [app.get('/').text for _ in range(2)] == ['1', '2']
    assert 'Max-Age=3600' in app.get('/').headers['Set-Cookie']
    now = int(time.time())
    for stored, expected in (({'at': now - 60, 'data': {'n': 41}}, '42'),
                             ({'at': now - 3601, 'data': {'n': 41}}, '1'),
                             ({'data': {'n': 41}}, '1'),
                             ({'at': 'soon', 'data': {'n': 41}}, '1')):
        app = TestApp(middleware)  # a client holding only this cookie
        app.set_cookie('webkit_session', _signed_session(stored))
        assert app.get('/').text == expected


def test_session_without_max_age_keeps_an_old_cookie():
    for stored, expected in (({'at': 0, 'data': {'n': 6}}, '7'),
                             ({'at': 0, 'data': ['not', 'a', 'dict']}, '1')):
        app = TestApp(Sessions(visits, SECRET))
        app.set_cookie('webkit_session', _signed_session(stored))
        assert app.get('/').text == expected


def test_session_and_csrf_cookies_signed_with_another_secret_are_not_trusted():
    # Well-formed cookies, valid JSON inside, but signed with a secret that is
    # not ours (the attacker's own): the session is empty, the token refused.
    from webob.cookies import SignedSerializer
    other = 'attacker-secret-' * 3

    forged = SignedSerializer(other, 'webkit.session').dumps(
        {'at': int(time.time()), 'data': {'n': 41}}).decode('ascii')
    client = TestApp(Sessions(visits, SECRET))
    client.set_cookie('webkit_session', forged)
    assert client.get('/').text == '1'
    client = TestApp(Sessions(visits, SECRET))
    client.set_cookie('webkit_session', _signed_session({'at': int(time.time()),
                                                         'data': {'n': 41}}))
    assert client.get('/').text == '42'  # the same cookie, signed by us, is kept

    calls = []
    client = make_app(calls)
    client.set_cookie('webkit_csrf',
                      SignedSerializer(other, 'webkit.csrf').dumps('planted').decode('ascii'))
    client.post('/', {'email': 'ada@example.org', 'password': 'long enough',
                      'csrf_token': 'planted'}, status=403)
    assert calls == []


# -- when the session counts as changed -------------------------------------------
#
# Exactly when its key-sorted JSON after the request differs from before, as
# ever: a change deep inside is one, a change of key order alone is not.

def _signed_text(text, salt='webkit.session'):
    """``text`` signed as WebOb signs a cookie value, whatever its JSON looks like."""
    key = SignedSerializer(SECRET, salt).salted_secret
    payload = text.encode()
    signature = hmac.new(key, payload, hashlib.sha512).digest()
    return base64.urlsafe_b64encode(signature + payload).rstrip(b'=').decode('ascii')


def _saved(change, stored, cookie=None):
    """Whether a request holding ``stored`` (or the signed ``cookie``) that runs
    ``change(session)`` gets the cookie again, and the session it then holds."""
    @wsgify
    def app(req):
        change(session(req))
        return ''

    client = TestApp(Sessions(app, SECRET))
    client.set_cookie('webkit_session', cookie or _signed_session(stored))
    res = client.get('/')
    if 'Set-Cookie' not in res.headers:
        return False, None
    written = res.headers['Set-Cookie']
    if 'Max-Age=0' in written:                               # the session was emptied
        return True, None
    value = written.split(';')[0].partition('=')[2]
    return True, SignedSerializer(SECRET, 'webkit.session').loads(value.encode())['data']


def _reorder(data):
    items = list(data.items())[::-1]
    data.clear()
    data.update(items)


@pytest.mark.parametrize('change, saved', [
    (lambda data: None, None),
    (lambda data: data['cart'].append('pear'), {'cart': ['apple', 'pear'], 'user': {'id': 7}}),
    (lambda data: data['user'].update(id=8), {'cart': ['apple'], 'user': {'id': 8}}),
    (lambda data: data.update(user={'id': 7}), None),         # the same value again
    (_reorder, None),                                          # only the key order
    (lambda data: data['user'].update(id=7.0), {'cart': ['apple'], 'user': {'id': 7.0}}),
    (lambda data: data['user'].update(id=True), {'cart': ['apple'], 'user': {'id': True}}),
    (lambda data: data.update(cart=('apple',)), None),         # a tuple is the same JSON
    (lambda data: data.clear(), {}),
])
def test_session_is_saved_when_it_changed_even_deep_inside(change, saved):
    stored = {'at': int(time.time()), 'data': {'cart': ['apple'], 'user': {'id': 7}}}
    assert _saved(change, stored) == ((False, None) if saved is None else (True, saved or None))


def test_session_cookie_written_otherwise_is_compared_by_its_content():
    # A cookie whose JSON is not what json.dumps writes (sorted, compact):
    # an unchanged session is still not sent again.
    stored = {'data': {'b': 1, 'a': [1, 2]}, 'at': int(time.time())}
    cookie = _signed_text(json.dumps(stored, sort_keys=True, separators=(',', ':')))
    assert _saved(lambda data: None, None, cookie) == (False, None)
    assert _saved(lambda data: data['a'].append(3), None, cookie) == \
        (True, {'b': 1, 'a': [1, 2, 3]})


def test_session_signed_but_not_json_is_a_new_session():
    assert _saved(lambda data: None, None, _signed_text('{not json')) == (False, None)
    assert _saved(lambda data: data.update(n=1), None, _signed_text('{not json')) == \
        (True, {'n': 1})


def test_session_cookie_keeps_its_name_when_an_inner_layer_changes_the_scheme():
    # Read as webkit_session over HTTP; written back under that name, though
    # the application below rewrote the scheme meanwhile.
    @wsgify
    def app(req):
        req.environ['wsgi.url_scheme'] = 'https'
        session(req)['n'] = session(req).get('n', 0) + 1
        return str(session(req)['n'])

    client = TestApp(Sessions(app, SECRET))
    client.set_cookie('webkit_session', _signed_session({'at': int(time.time()),
                                                         'data': {'n': 1}}))
    res = client.get('/')
    assert res.text == '2' and res.headers['Set-Cookie'].startswith('webkit_session=')


json_leaves = (st.none() | st.booleans() | st.integers(-3, 3)
               | st.sampled_from([0.0, 1.0, -0.0, 1.5]) | st.text('ab', max_size=2))
json_values = st.recursive(json_leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text('abc', max_size=2), inner, max_size=3), max_leaves=8)
session_dicts = st.dictionaries(st.text('abc', max_size=2), json_values, max_size=4)


def _containers(value):
    """Every list and dict inside ``value``, itself first."""
    found = [value] if isinstance(value, (list, dict)) else []
    for inner in (value.values() if isinstance(value, dict) else
                  value if isinstance(value, list) else ()):
        found += _containers(inner)
    return found


@st.composite
def changes(draw):
    """A change a handler may make to its session: in place, anywhere in it, or none."""
    kind = draw(st.sampled_from(['none', 'reorder', 'replace', 'set', 'add', 'remove', 'copy']))
    new = draw(json_values)
    pick = draw(st.integers(0, 100))
    other = draw(session_dicts)

    def change(data):
        targets = _containers(data)
        target = targets[pick % len(targets)]
        if kind == 'reorder':
            for container in targets:
                if isinstance(container, dict):
                    _reorder(container)
        elif kind == 'replace':
            data.clear()
            data.update(copy.deepcopy(other))
        elif kind == 'set' and isinstance(target, dict):
            target[str(pick % 3)] = new                     # a key there or a new one
        elif kind == 'set' and target:
            target[pick % len(target)] = new
        elif kind == 'add' and isinstance(target, list):
            target.insert(pick % (len(target) + 1), new)
        elif kind == 'add':
            target[str(pick)] = new
        elif kind == 'remove' and target:
            target.pop(list(target)[pick % len(target)] if isinstance(target, dict)
                       else pick % len(target))
        elif kind == 'copy':
            for key in list(data):
                data[key] = copy.deepcopy(data[key])
    return change


@settings(max_examples=300, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(before=session_dicts, change=changes(), sorted_cookie=st.booleans())
def test_session_is_saved_exactly_when_its_sorted_json_changed(before, change, sorted_cookie):
    stored = {'at': int(time.time()), 'data': before}
    cookie = _signed_text(json.dumps(stored, sort_keys=True)) if sorted_cookie else None
    after = json.loads(json.dumps(stored, sort_keys=sorted_cookie))['data']  # as the app sees it
    change(after)
    changed = json.dumps(after, sort_keys=True) != json.dumps(before, sort_keys=True)
    assert _saved(change, stored, cookie) == ((True, after or None) if changed else (False, None))


def test_session_changed_by_a_request_answered_5xx_is_not_saved():
    from webob import exc

    @wsgify
    def fail(req):
        flash(req, 'Saved.')                         # then it failed after all
        return exc.HTTPServiceUnavailable()

    res = TestApp(Sessions(fail, SECRET)).get('/', status=503)
    assert 'Set-Cookie' not in res.headers


@pytest.mark.parametrize('header', ['webkit_session=\xff', 'x="\xff"; webkit_session=1',
                                    'webkit_csrf=\xc3'])
def test_a_cookie_header_that_is_not_utf8_is_no_session_and_no_token(header):
    # WebOb's cookie parser raises UnicodeDecodeError on it: a 500 for any client
    # sending such a header, before the application could say anything.
    from webkit import CSRFProtection

    @wsgify
    def app(req):
        return f'{session(req)} {req.method}'

    client = TestApp(Sessions(CSRFProtection(app, SECRET), SECRET))
    environ = {'HTTP_COOKIE': header}
    assert client.get('/', extra_environ=environ).text == '{} GET'
    assert client.post('/', {'x': '1'}, extra_environ=environ, status=403)


def test_the_cookies_are_read_only_by_requests_that_need_them(monkeypatch):
    # Verifying a signed cookie is most of what sessions and CSRF cost a
    # request: one that never reads the session nor shows a form pays nothing.
    from webkit import CSRFProtection, csrf_token
    from webkit._cookies import SignedCookie

    @wsgify
    def app(req):
        if req.path_info == '/visit':
            session(req)['visits'] = session(req).get('visits', 0) + 1
            return f'{session(req)["visits"]} {csrf_token(req) == csrf_token(req)}'
        return 'plain'

    reads = []
    read_signed = SignedCookie.read_signed
    monkeypatch.setattr(SignedCookie, 'read_signed', lambda self, req, secure: (
        reads.append(self.name), read_signed(self, req, secure))[1])
    client = TestApp(Sessions(CSRFProtection(app, SECRET), SECRET))
    assert client.get('/visit').text == '1 True'
    assert client.get('/visit').text == '2 True'
    assert reads == ['webkit_session', 'webkit_csrf'] * 2  # once each per request
    reads.clear()
    assert client.get('/').text == 'plain'
    assert reads == []
    assert client.post('/', {'csrf_token': 'forged'}, status=403)
    assert reads == ['webkit_csrf']  # the check reads the token, not the session


def test_session_keys_json_makes_text_are_compared_as_text():
    # {1: ...} is saved as {"1": ...}: sorting 1 beside "visits" failed (a 500).
    @wsgify
    def visit(req):
        data = session(req)
        data[1] = 'last page'
        data['visits'] = data.get('visits', 0) + 1
        return str(data['visits'])

    app = TestApp(Sessions(visit, SECRET))
    assert [app.get('/').text for _ in range(3)] == ['1', '2', '3']


def test_session_holding_what_has_no_repr_is_not_saved_but_the_answer_goes_out(caplog):
    class Opaque:
        def __repr__(self):
            raise RuntimeError('no repr')

    @wsgify
    def keep(req):
        session(req)['thing'] = Opaque()
        return 'kept'

    client = TestApp(Sessions(keep, SECRET))
    client.set_cookie('webkit_session', _signed_session({'at': int(time.time()),
                                                         'data': {'n': 1}}))
    resp = client.get('/', status=200)
    assert resp.text == 'kept' and 'Set-Cookie' not in resp.headers
    assert 'session not saved, not JSON' in caplog.text


def test_session_that_is_not_json_is_not_saved_but_the_answer_goes_out(caplog):
    @wsgify
    def tag(req):
        session(req)['tags'] = {'a', 'b'}  # a set: no JSON for it
        return 'tagged'

    resp = TestApp(Sessions(tag, SECRET)).get('/', status=200)
    assert resp.text == 'tagged' and 'Set-Cookie' not in resp.headers
    assert 'session not saved, not JSON' in caplog.text
