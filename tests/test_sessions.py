"""Signed cookie sessions: tampering, when the cookie is sent, size and max_age."""
import time

import pytest
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
