"""Signing secrets: several machines, one secret; rotation; the secret from the
environment; and cookies read as WebOb reads them, side by side with it."""
import base64
import hashlib
import hmac
import json
import os
import string
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from webob import Request as WebObRequest
from webob.cookies import CookieProfile, SignedSerializer
from webtest import TestApp

from webkit import CSRFProtection, Sessions, wsgify
from webkit._cookies import SignedCookie, _Rotation, check_secret, json_value, request_cookie
from webkit.csrf import load_secret
from webkit.exc import ConfigurationError
from webkit.forms import render_form
from webkit.sessions import session

OLD = 'old-secret-' * 4
NEW = 'new-secret-' * 4
OTHER = 'someone-else-' * 4


@wsgify
def visits(req):
    data = session(req)
    data['visits'] = data.get('visits', 0) + 1
    return str(data['visits'])


def _signed(secret, salt, value):
    return SignedSerializer(secret, salt).dumps(value).decode('ascii')


def _session_cookie(secret, visits_so_far):
    return _signed(secret, 'webkit.session', {'at': 2 ** 31, 'data': {'visits': visits_so_far}})


def _set_cookie(res, name):
    values = [value.split(';')[0].partition('=')[2] for header, value in res.headerlist
              if header == 'Set-Cookie' and value.startswith(name + '=')]
    return values[0] if values else None


def test_session_signed_with_the_old_secret_is_read_after_rotation_and_resigned():
    client = TestApp(Sessions(visits, [NEW, OLD]))
    client.set_cookie('webkit_session', _session_cookie(OLD, 4))
    res = client.get('/')
    assert res.text == '5'
    rewritten = _set_cookie(res, 'webkit_session')
    # Signed again with the new secret only: the old one may now be dropped.
    assert SignedSerializer(NEW, 'webkit.session').loads(rewritten.encode())['data'] == \
        {'visits': 5}
    with pytest.raises(ValueError):
        SignedSerializer(OLD, 'webkit.session').loads(rewritten.encode())
    client = TestApp(Sessions(visits, NEW))
    client.set_cookie('webkit_session', rewritten)
    assert client.get('/').text == '6'


@pytest.mark.parametrize('secrets', [[NEW, OLD], NEW])
def test_session_signed_with_an_unlisted_secret_is_refused(secrets):
    client = TestApp(Sessions(visits, secrets))
    client.set_cookie('webkit_session', _session_cookie(OTHER, 4))
    assert client.get('/').text == '1'


@wsgify
def form(req):
    """A page with a POST form, and what the form posts to."""
    return 'saved' if req.method == 'POST' else render_form('<form method="post"></form>', req=req)


def test_csrf_token_signed_with_the_old_secret_passes_after_rotation():
    before = TestApp(CSRFProtection(form, OLD))
    page = before.get('/')
    after = TestApp(CSRFProtection(form, [NEW, OLD]))
    after.set_cookie('webkit_csrf', before.cookies['webkit_csrf'])
    token = page.form['csrf_token'].value
    assert after.post('/', {'csrf_token': token}).text == 'saved'
    dropped = TestApp(CSRFProtection(form, [NEW]))
    dropped.set_cookie('webkit_csrf', before.cookies['webkit_csrf'])
    dropped.post('/', {'csrf_token': token}, status=403)


@wsgify
def reads_only(req):
    return str(session(req).get('visits')) if req.path_info == '/read' else 'untouched'


def test_session_only_read_is_signed_again_under_the_new_secret():
    # A logged-in user who only browses never changes the session: without
    # this, retiring the old secret would log every such user out.
    client = TestApp(Sessions(reads_only, [NEW, OLD]))
    client.set_cookie('webkit_session', _session_cookie(OLD, 4))
    assert _set_cookie(client.get('/untouched'), 'webkit_session') is None  # never read
    res = client.get('/read')
    assert res.text == '4'
    rewritten = _set_cookie(res, 'webkit_session')
    assert SignedSerializer(NEW, 'webkit.session').loads(rewritten.encode())['data'] == \
        {'visits': 4}
    retired = TestApp(Sessions(reads_only, NEW))
    retired.set_cookie('webkit_session', rewritten)
    assert retired.get('/read').text == '4'
    # Signed by the newest already: nothing to write.
    assert _set_cookie(retired.get('/read'), 'webkit_session') is None


def test_session_signed_again_keeps_its_age():
    # Signing it again must not make an old session (or a stolen copy) new.
    written = int(time.time()) - 95
    client = TestApp(Sessions(reads_only, [NEW, OLD], max_age=100))
    client.set_cookie('webkit_session', _signed(
        OLD, 'webkit.session', {'at': written, 'data': {'visits': 4}}))
    rewritten = _set_cookie(client.get('/read'), 'webkit_session')
    assert SignedSerializer(NEW, 'webkit.session').loads(rewritten.encode())['at'] == written


def test_csrf_token_signed_with_the_old_secret_is_signed_again_under_the_new_one():
    before = TestApp(CSRFProtection(form, OLD))
    token = before.get('/').form['csrf_token'].value
    after = TestApp(CSRFProtection(form, [NEW, OLD]))
    after.set_cookie('webkit_csrf', before.cookies['webkit_csrf'])
    # The POST the form makes, answered without a page showing the token:
    # the cookie is written again all the same, the token unchanged.
    res = after.post('/', {'csrf_token': token})
    assert res.text == 'saved' and res.headers['Cache-Control'] == 'private, no-store'
    rewritten = _set_cookie(res, 'webkit_csrf')
    assert SignedSerializer(NEW, 'webkit.csrf').loads(rewritten.encode()) == token
    retired = TestApp(CSRFProtection(form, [NEW]))
    retired.set_cookie('webkit_csrf', rewritten)
    assert retired.post('/', {'csrf_token': token}).text == 'saved'
    assert _set_cookie(retired.post('/', {'csrf_token': token}), 'webkit_csrf') is None


@pytest.mark.parametrize('secret', [
    '', 'short', None, [], [NEW, 'short'], [NEW, None], b'x' * 10, 12345])
def test_check_secret_refuses_short_or_missing_secrets(secret):
    with pytest.raises(ConfigurationError) as info:
        check_secret(secret, 'Sessions')
    assert info.value.what == 'Sessions'


def test_check_secret_gives_the_secrets_newest_first():
    assert check_secret(NEW, 'x') == (NEW,)
    assert check_secret([NEW, OLD.encode()], 'x') == (NEW, OLD)
    assert check_secret((s for s in [NEW, OLD]), 'x') == (NEW, OLD)


# -- load_secret: the environment first, then the folder's file ------------------

@pytest.mark.parametrize('value, expected', [
    (NEW, NEW),
    (f' {NEW}\n', NEW),
    (f'{NEW} {OLD}', (NEW, OLD)),
    (f'{NEW},{OLD}', (NEW, OLD)),
    (f'{NEW},\n  {OLD}', (NEW, OLD)),
])
def test_load_secret_from_webkit_secret(tmp_path, value, expected):
    assert load_secret(tmp_path / 'secret', {'WEBKIT_SECRET': value}) == expected
    assert not (tmp_path / 'secret').exists()   # no file made when the secret is given


@pytest.mark.parametrize('value', ['short', f'{NEW} short'])
def test_load_secret_refuses_a_short_webkit_secret(tmp_path, value):
    with pytest.raises(ConfigurationError) as info:
        load_secret(tmp_path / 'secret', {'WEBKIT_SECRET': value})
    assert info.value.what == 'WEBKIT_SECRET'


def test_load_secret_from_webkit_secret_file(tmp_path):
    path = tmp_path / 'shared-secret'
    path.write_text(f'{NEW}\n{OLD}\n')
    path.chmod(0o600)
    environ = {'WEBKIT_SECRET_FILE': str(path)}
    assert load_secret(tmp_path / 'secret', environ) == (NEW, OLD)
    path.chmod(0o644)
    with pytest.raises(ConfigurationError) as info:
        load_secret(tmp_path / 'secret', environ)
    assert 'chmod 600' in info.value.problem


@pytest.mark.parametrize('content, what', [(None, 'WEBKIT_SECRET_FILE'), ('  \n', 'shared')])
def test_load_secret_refuses_a_missing_or_empty_secret_file(tmp_path, content, what):
    path = tmp_path / 'shared'
    if content is not None:
        path.write_text(content)
        path.chmod(0o600)
    with pytest.raises(ConfigurationError) as info:
        load_secret(tmp_path / 'secret', {'WEBKIT_SECRET_FILE': str(path)})
    assert info.value.what.endswith(what)


def test_load_secret_webkit_secret_wins_over_the_file(tmp_path):
    environ = {'WEBKIT_SECRET': NEW, 'WEBKIT_SECRET_FILE': str(tmp_path / 'nowhere')}
    assert load_secret(tmp_path / 'secret', environ) == NEW


def test_load_secret_reads_the_process_environment(tmp_path):
    """Two processes given one WEBKIT_SECRET, each with a folder of its own, agree."""
    code = ('import sys, json; from webkit.csrf import load_secret; '
            'print(json.dumps(load_secret(sys.argv[1])))')
    env = {**os.environ, 'WEBKIT_SECRET': f'{NEW},{OLD}'}
    found = [json.loads(subprocess.run([sys.executable, '-c', code, str(tmp_path / name)],
                                       env=env, capture_output=True, text=True, timeout=60,
                                       check=True).stdout) for name in ('a', 'b')]
    assert found == [[NEW, OLD], [NEW, OLD]]


# -- reading cookies: what WebOb reads, read cheaper ------------------------------
#
# Side by side with WebOb, on generated input: the Cookie header lookup
# gives what webob.Request(environ).cookies.get(name) gives (or raises
# what it raises), and a signed value verifies exactly when WebOb's
# SignedSerializer (each secret in turn, as before) loads it.

# The same examples on every run; WEBKIT_EXAMPLES=5000 explores further, at random.
EXPLORE = int(os.environ.get('WEBKIT_EXAMPLES', '0'))
SETTINGS = settings(max_examples=EXPLORE or 500, derandomize=not EXPLORE, deadline=None,
                    database=None, suppress_health_check=[HealthCheck.too_slow])

# Names a header may hold: valid ones, the ones sessions and CSRF use, and
# ones WebOb's parser drops ("$x", "path", "a?b") or reads differently.
NAMES = ['a', 'b', 'webkit_csrf', '__Host-webkit_csrf', 'webkit_session', 'A', 'x-y',
         "a'b", '$a', 'path', 'Max-Age', 'SECURE', 'a?b', 'a@b', 'a(b', 'a"b', 'a b', '',
         'é', 'a=b', 'a;b', 'a,b', 'a\\b', 'a[b]', 'ab\t']
PLAIN = string.ascii_letters + string.digits + "_~!@#$%^&*()+=-`.?|:/{}<>'"
names = st.sampled_from(NAMES) | st.text(PLAIN, min_size=1, max_size=6)
values = st.one_of(
    st.text(PLAIN, max_size=12),                                   # as WebOb writes them
    st.text(string.ascii_letters + ' ;,"\\=[]\t', max_size=12),   # characters read specially
    st.builds(lambda text: f'"{text}"', st.text(PLAIN + ' ;,\\"\'', max_size=10)),  # quoted
    st.sampled_from(['\\073', '\\"', '\\\\', '"a\\"b"', '"', '""', '\\',
                     'Wed, 09-Jun-2021 10:18:14 GMT', 'Wed, 09 Jun 2021']),
    st.text(st.characters(max_codepoint=0xff), max_size=6),        # latin-1, as WSGI gives it
    st.sampled_from(['\xc3\xa9', '\xe9', '\u20ac']),                # UTF-8, not, not latin-1
)
separators = st.sampled_from(['; ', ';', ' ;', ' ; ', ';;', '; ;', ',', ', ', ' ', '\t', ''])
parts = st.one_of(
    st.tuples(names, st.sampled_from(['=', ' =', '= ', ' = ', '==']), values).map(''.join),
    names, values, st.just(''))


@st.composite
def wild_headers(draw):
    items = draw(st.lists(parts, max_size=6))
    header = ''
    for item in items:
        header += draw(separators) + item if header else item
    return draw(st.sampled_from(['', ' ', '; '])) + header + draw(st.sampled_from(['', ' ', ';']))


@st.composite
def plain_headers(draw):
    """Headers as browsers send them (a few names, some twice), now and then with
    one character WebOb's parser reads otherwise, anywhere."""
    pool = ['a', 'b', 'webkit_csrf', '__Host-webkit_csrf', 'Max-Age', 'SECURE', '$a', 'a?b']
    pairs = draw(st.lists(st.tuples(st.sampled_from(pool) | names, st.text(PLAIN, max_size=8)),
                          max_size=6))
    joins = st.sampled_from(['; ', '; ', ';', ' ; ', ';  ', '; ;', ';\t'])
    header = ''.join(draw(joins) + f'{name}={value}' for name, value in pairs)[2:]
    if header and draw(st.booleans()):
        at = draw(st.integers(0, len(header)))
        odd = draw(st.sampled_from(list(' \t",\\[]\xe9\x7f\x00;=') + ['\\073', '"x"', ' = ']))
        header = header[:at] + odd + header[at:]
    return header


cookie_headers = st.one_of(plain_headers(), wild_headers())


def _outcome(read):
    """What ``read()`` returns, or the type of what it raises."""
    try:
        return 'returns', read()
    except Exception as error:  # WebOb raises on some headers; so must we
        return 'raises', type(error)


@SETTINGS
@given(header=cookie_headers, asked=st.lists(names, min_size=1, max_size=4))
def test_request_cookie_reads_what_webob_reads(header, asked):
    ours = {'HTTP_COOKIE': header}                   # one environ: its parse is reused
    asked = [*asked, *(part.partition('=')[0].strip() for part in header.split(';'))]
    for name in asked:
        theirs = WebObRequest({'HTTP_COOKIE': header}).cookies
        assert _outcome(lambda: request_cookie(ours, name)) == \
            _outcome(lambda: theirs.get(name)), name


@pytest.mark.parametrize('header', [
    'a=b\tc=d', 'a=b;\tc=d', 'ab\t=c', 'a=b,c=d', 'a=b, c=d', 'a=Wed, 09-Jun-2021 10:18:14 GMT',
    'a="b;c"; c=d', 'a="b\\"c"', 'a=b\\073c', 'a=b\\', 'a=[b]; c=d', 'a=b c=d', 'a = b', 'a= b',
    'a=b; a=c', 'a=; b', '$a=1; a=2', 'path=1; PATH=2; Max-Age=3; secure=4', 'a?b=1; c=2',
    '=a=b', '==c', 'a=b=c', 'a', 'a=\xe9', 'a=\xc3\xa9', 'a=\x7f; c=d', 'a=\x00', 'é=1',
    'a=b;;  ;c=d ;', ' a=b ', "a='b'; c=(d)", 'a=b\nc=d', 'a=\u20ac',
])
def test_request_cookie_reads_what_webob_reads_here_too(header):
    ours = {'HTTP_COOKIE': header}
    for name in ['a', 'b', 'c', '$a', 'path', 'PATH', 'Max-Age', 'secure', 'a?b', '=a', '',
                 'ab', 'é']:
        theirs = WebObRequest({'HTTP_COOKIE': header}).cookies
        assert _outcome(lambda: request_cookie(ours, name)) == \
            _outcome(lambda: theirs.get(name)), name


def test_request_cookie_follows_the_header_when_it_changes():
    environ = {}
    assert request_cookie(environ, 'a') is None      # no Cookie header at all
    environ['HTTP_COOKIE'] = 'a=1; b=2'
    assert request_cookie(environ, 'a') == '1'
    WebObRequest(environ).cookies['a'] = 'changed'   # WebOb rewrites the header
    assert request_cookie(environ, 'a') == 'changed'
    environ['HTTP_COOKIE'] = 'a="quoted value"'
    assert request_cookie(environ, 'a') == 'quoted value'
    environ['HTTP_COOKIE'] = 'a=1; $a=2; path=/; a?b=3'
    assert [request_cookie(environ, name) for name in ('a', '$a', 'path', 'a?b')] == \
        ['1', None, None, None]


SALTS = ['webkit.session', 'webkit.csrf']
SECRETS = [NEW, OLD, OTHER, 'caf\xe9-secret-' * 3, 'caf\u20ac-secret-' * 3]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=12)


def _signed_bytes(secret, salt, payload):
    """``payload`` signed as WebOb signs it, whatever it is (JSON or not)."""
    key = SignedSerializer(secret, salt).salted_secret
    mac = hmac.new(key, payload, hashlib.sha512).digest()
    return base64.urlsafe_b64encode(mac + payload).rstrip(b'=').decode('ascii')


@st.composite
def cookie_values(draw):
    """A cookie value as a client may send it: signed (by us or not), then maybe spoilt."""
    secret, salt = draw(st.sampled_from(SECRETS)), draw(st.sampled_from(SALTS))
    kind = draw(st.sampled_from(['signed', 'signed', 'raw', 'random', 'base64']))
    if kind == 'signed':
        value = _signed(secret, salt, draw(json_values))
    elif kind == 'raw':   # signed, but not UTF-8 JSON (or only just)
        value = _signed_bytes(secret, salt, draw(st.binary(max_size=12) | st.sampled_from(
            [b'', b'{}', b'"x"', b'\xff', b'{"a": 1', b'[1, 2]', b'"\xc3\xa9"', b'"\xe9"'])))
    elif kind == 'random':
        return draw(st.text(max_size=20) | st.text(st.characters(max_codepoint=0xff)))
    else:
        value = draw(st.text('ABCabc0123-_+/=', max_size=120))
    spoil = draw(st.sampled_from(['', '', 'truncate', 'tamper', 'append', 'pad']))
    at = draw(st.integers(0, max(len(value) - 1, 0)))
    if spoil == 'truncate':
        value = value[:at]
    elif spoil == 'tamper' and value:
        value = value[:at] + draw(st.sampled_from('Aa0-_+/=é')) + value[at + 1:]
    elif spoil == 'append':
        value += draw(st.text('A=+/ \xe9\u20ac\n', min_size=1, max_size=3))
    elif spoil == 'pad':
        value += '=' * draw(st.integers(1, 3))
    return value


def _webob_loads(secrets, salt, value):
    """What the cookie profile read before: WebOb's loads with each secret, None when refused."""
    try:
        data = value.encode('latin-1')                   # as the profile hands it over
    except UnicodeEncodeError:
        return 'refused', None
    for secret in secrets:
        try:
            return 'value', SignedSerializer(secret, salt).loads(data)
        except ValueError:
            continue
    return 'refused', None


def _our_loads(rotation, value):
    text = rotation.verified(value)                      # never raises
    if text is None:
        return 'refused', None
    try:
        return 'value', json.loads(text)
    except ValueError:
        return 'refused', None


@SETTINGS
@given(value=cookie_values(), salt=st.sampled_from(SALTS),
       secrets=st.lists(st.sampled_from(SECRETS), min_size=1, max_size=3))
def test_signed_values_verify_exactly_when_webob_loads_them(value, salt, secrets):
    rotation = _Rotation(secrets, salt)
    expected = _webob_loads(secrets, salt, value)
    assert _our_loads(rotation, value) == expected
    if expected[0] == 'value':
        assert rotation.loads(value.encode('latin-1')) == expected[1]
    elif value.isascii():
        with pytest.raises(ValueError):
            rotation.loads(value.encode())


def test_a_signed_value_changed_anywhere_is_refused():
    value = _signed(NEW, 'webkit.session', {'at': 1, 'data': {'user': 'ada'}})
    rotation = _Rotation([NEW], 'webkit.session')
    assert _our_loads(rotation, value)[0] == 'value'
    for at in range(len(value)):
        for char in 'AQ_':
            if value[at] != char:
                changed = value[:at] + char + value[at + 1:]
                assert _our_loads(rotation, changed) == _webob_loads([NEW], 'webkit.session',
                                                                    changed)


def test_signed_values_verify_with_any_secret_of_the_rotation():
    value = _signed(OLD, 'webkit.csrf', 'token')
    assert _our_loads(_Rotation([NEW, OLD], 'webkit.csrf'), value) == ('value', 'token')
    assert _our_loads(_Rotation([NEW], 'webkit.csrf'), value) == ('refused', None)
    assert _our_loads(_Rotation([OLD], 'webkit.session'), value) == ('refused', None)


@SETTINGS
@given(value=json_values, secure=st.booleans(), others=cookie_headers)
def test_signed_cookie_reads_back_what_it_wrote_as_webob_did(value, secure, others):
    cookie = SignedCookie([NEW, OLD], 'webkit.session', 'webkit_session')
    blank = WebObRequest.blank('https://example.org/' if secure else '/')
    try:
        written = cookie.get_headers(value, secure)
    except ValueError:                                   # too large for a browser
        return
    profile = CookieProfile('__Host-webkit_session' if secure else 'webkit_session',
                            secure=secure, httponly=True, samesite='Lax', path='/',
                            serializer=_WebObRotation([NEW, OLD], 'webkit.session'))
    assert written == profile.bind(blank).get_headers(value)
    pair = written[0][1].split(';')[0]
    for header in (pair, f'{others}; {pair}', f'{pair}; {others}'):
        req = WebObRequest.blank(blank.url, headers={'Cookie': header})
        # The profile of before: WebOb's parser, WebOb's loads with each secret.
        before = CookieProfile(pair.partition('=')[0],
                               serializer=_WebObRotation([NEW, OLD], 'webkit.session'))
        assert _outcome(lambda: _read(cookie, req, secure)) == \
            _outcome(lambda: before.bind(req).get_value())
    req = WebObRequest.blank(blank.url, headers={'Cookie': pair})
    assert _read(cookie, req, secure) == json.loads(json.dumps(value))
    assert _read(cookie, req, not secure) is None          # the other scheme's name


@SETTINGS
@given(text=st.text(st.sampled_from('a"\\nu0\x00\x7f\xe9\u2028 ') | st.characters(), max_size=12)
       .map(lambda inner: f'"{inner}"') | st.text(max_size=12))
@example(text=r'"\n"')
@example(text=r'"\\"')
@example(text=r'"\u00e9"')
@example(text='"\x00"')
@example(text='"a"b"')
@example(text='"')
@example(text='""')
@example(text=' "a"')
@example(text='{"a": 1} ')
@example(text='[1] x')
def test_json_value_reads_as_json_does(text):
    try:
        expected = json.loads(text)
    except ValueError:
        expected = None
    assert json_value(text) == expected and type(json_value(text)) is type(expected)


def _read(cookie, req, secure):
    """The value ``req``'s cookie holds, as sessions and CSRF read it; None if none."""
    found = cookie.read_signed(req, secure)
    return None if found is None else json_value(found[0])


class _WebObRotation:
    """The serializer signed cookies were read with before: WebOb's, each secret in turn."""

    def __init__(self, secrets, salt):
        self.signers = [SignedSerializer(secret, salt) for secret in secrets]

    def dumps(self, value):
        return self.signers[0].dumps(value)

    def loads(self, data):
        for signer in self.signers:
            try:
                return signer.loads(data)
            except ValueError:
                continue
        raise ValueError('the cookie is signed with none of the secrets')


@pytest.mark.parametrize('payload, text', [
    (b'"\xc3\xa9"', '"\xe9"'),                      # UTF-8 JSON
    (b'"\xe9"', None),                                # not UTF-8
    (b'{not json', '{not json'),                     # signed, but not JSON
    (b'', ''),
])
def test_a_signed_value_reads_as_webob_reads_it(payload, text):
    cookie = SignedCookie(NEW, 'webkit.csrf', 'webkit_csrf')
    value = _signed_bytes(NEW, 'webkit.csrf', payload)
    req = WebObRequest.blank('/', headers={'Cookie': 'webkit_csrf=' + value})
    assert (cookie.read_signed(req, False) or [None])[0] == text
    expected = _webob_loads([NEW], 'webkit.csrf', value)[1]
    assert _read(cookie, req, False) == expected


def test_signed_cookie_repr_names_the_cookie():
    assert repr(SignedCookie(NEW, 'webkit.csrf', 'webkit_csrf')) == "<SignedCookie 'webkit_csrf'>"
