"""Signing secrets: several machines, one secret; rotation; the secret from the environment."""
import json
import os
import subprocess
import sys

import pytest
from webob.cookies import SignedSerializer
from webtest import TestApp

from webkit import CSRFProtection, Sessions, wsgify
from webkit._cookies import check_secret
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


def test_csrf_token_signed_with_the_old_secret_passes_after_rotation():
    @wsgify
    def form(req):
        return 'saved' if req.method == 'POST' else render_form(
            '<form method="post"></form>', req=req)
    before = TestApp(CSRFProtection(form, OLD))
    page = before.get('/')
    after = TestApp(CSRFProtection(form, [NEW, OLD]))
    after.set_cookie('webkit_csrf', before.cookies['webkit_csrf'])
    token = page.form['csrf_token'].value
    assert after.post('/', {'csrf_token': token}).text == 'saved'
    dropped = TestApp(CSRFProtection(form, [NEW]))
    dropped.set_cookie('webkit_csrf', before.cookies['webkit_csrf'])
    dropped.post('/', {'csrf_token': token}, status=403)


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
