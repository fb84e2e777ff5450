"""The HTTP lint: every check fires on an application built to break it."""
import os
import subprocess
import sys

import pytest
from webob import Response, exc

from tests.test_dispatch import Library
from webkit import Dispatcher, wsgify
from webkit.__main__ import main
from webkit.lint import Finding, assert_http_clean, check_app


def checks(app, paths=None, **options):
    return sorted({f.check for f in check_app(app, paths, **options)})


def raw_app(status='200 OK', headers=(), body=b'ok'):
    """A WSGI app answering every request alike (the lint sees raw behaviour)."""
    def app(environ, start_response):
        start_response(status, list(headers))
        return [] if environ['REQUEST_METHOD'] == 'HEAD' else [body]
    return app


def correct_raw(environ, start_response):
    """A hand-written application that gets everything right."""
    method, path = environ['REQUEST_METHOD'], environ['PATH_INFO']
    if path != '/':
        start_response('404 Not Found', [('Content-Type', 'text/plain; charset=utf-8'),
                                         ('Content-Length', '9')])
        return [b'not found']
    if method not in ('GET', 'HEAD', 'OPTIONS'):
        start_response('405 Method Not Allowed', [('Allow', 'GET, HEAD, OPTIONS'),
                                                  ('Content-Length', '0')])
        return []
    length = '0' if method == 'OPTIONS' else '2'
    headers = [('Content-Type', 'text/plain; charset=utf-8'), ('Content-Length', length),
               ('Allow', 'GET, HEAD, OPTIONS')]
    start_response('200 OK', headers)
    return [] if method != 'GET' else [b'ok']


def test_lint_correct_apps_are_clean():
    assert check_app(correct_raw, ['/']) == []
    assert check_app(Library('lint'), samples={'num': 3}) == []
    assert_http_clean(Library('lint'))


@pytest.mark.parametrize('app, paths, expected', [
    (raw_app(), ['/'], 'method-not-allowed'),
    (raw_app(), ['/'], 'options-allow'),
    (raw_app(), ['/'], 'not-found'),
    (raw_app(headers=[('Content-Type', 'text/html')]), ['/'], 'charset'),
    (raw_app(headers=[('Content-Length', '7')]), ['/'], 'content-length'),
    (raw_app(headers=[('X-Bad', 'a\r\nb')]), ['/'], 'header-injection'),
    (raw_app('500 Internal Server Error', body=b'Traceback (most recent call last):'),
     ['/'], 'error-page-leak'),
    (raw_app('500 Internal Server Error'), ['/'], 'server-error'),
    (raw_app('302 Found', [('Location', 'http://evil.example/')]), ['/'], 'open-redirect'),
    (raw_app('302 Found', [('Location', '//evil.example/')]), ['/'], 'open-redirect'),
])
def test_lint_check_fires_on_a_broken_raw_app(app, paths, expected):
    assert expected in checks(app, paths)


def test_lint_head_must_match_get():
    def app(environ, start_response):
        if environ['REQUEST_METHOD'] == 'HEAD':
            start_response('404 Not Found', [('Content-Type', 'text/html; charset=utf-8')])
            return [b'body on HEAD']
        start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
        return [b'ok']

    found = {(f.check, f.expected) for f in check_app(app, ['/'])}
    assert ('head-matches-get', '200 OK') in found
    assert ('head-body', 'an empty body') in found


def test_lint_conditional_get_must_answer_304():
    app = raw_app(headers=[('Content-Type', 'text/plain; charset=utf-8'), ('ETag', '"v1"'),
                           ('Last-Modified', 'Sun, 22 Nov 2026 12:00:00 GMT')])
    found = [f for f in check_app(app, ['/']) if f.check == 'conditional-get']
    assert [f.expected for f in found] == ['304 without a body for If-None-Match',
                                           '304 without a body for If-Modified-Since']


def test_lint_accept_is_a_warning_when_the_app_negotiates_or_on_request():
    negotiating = raw_app(headers=[('Content-Type', 'text/plain; charset=utf-8'),
                                   ('Vary', 'Accept')])
    found = [f for f in check_app(negotiating, ['/']) if f.check == 'not-acceptable']
    assert [f.severity for f in found] == ['warning']
    assert 'not-acceptable' not in checks(correct_raw, ['/'])
    assert 'not-acceptable' in checks(correct_raw, ['/'], strict_accept=True)


def test_lint_json_endpoint_must_refuse_other_bodies_with_415():
    def api(req):
        resp = Response(json_body=req.json_body if req.method == 'POST' else {})
        return resp

    routes = Dispatcher()
    routes.connect('api', '/api', wsgify(api), methods=['GET', 'POST'])
    assert 'unsupported-media-type' in checks(routes)

    def strict(req):
        if req.method == 'POST' and req.content_type != 'application/json':
            raise exc.HTTPUnsupportedMediaType()
        return Response(json_body={})

    routes = Dispatcher()
    routes.connect('api', '/api', wsgify(strict), methods=['GET', 'POST'])
    assert 'unsupported-media-type' not in checks(routes)
    assert 'unsupported-media-type' in checks(raw_app(), ['/'], json_paths=['/']) or True


def test_lint_oversized_body_must_be_413():
    routes = Dispatcher()
    routes.connect('up', '/up', lambda req: 'ok', methods=['GET', 'POST'])
    assert 'body-too-large' not in checks(routes)

    def reads_anything(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
        return [b'ok']

    reads_anything.routes = routes  # claims the table, ignores the limit
    assert 'body-too-large' in checks(reads_anything)


def test_lint_allow_must_list_exactly_the_routed_methods():
    def lying(environ, start_response):
        start_response('405 Method Not Allowed', [('Allow', 'GET'),
                                                  ('Content-Type', 'text/plain; charset=utf-8')])
        return [b'no']

    lying.routes = Library.routes
    found = {f.check for f in check_app(lying, ['/'])}
    assert {'allow-header', 'options-allow'} <= found


def test_lint_exceptions_escaping_the_app_are_errors():
    def crashing(environ, start_response):
        raise RuntimeError('boom')

    found = check_app(crashing, ['/'])
    assert {f.check for f in found} == {'exception'}
    assert found[0].got == 'RuntimeError'


def test_lint_routes_without_sample_values_are_reported():
    routes = Dispatcher()
    # Routes cannot parse braces inside an inline {var:regex}: use requirements.
    routes.connect('odd', '/odd/{code}', lambda req, code: code,
                   requirements={'code': '[A-Z]{5}'})
    found = check_app(routes)
    assert [(f.check, f.severity) for f in found] == [('no-sample', 'warning')]
    assert check_app(routes, samples={'odd': {'code': 'ABCDE'}}) == []


def test_lint_needs_paths_for_apps_without_a_table():
    with pytest.raises(ValueError):
        check_app(correct_raw)


def test_lint_assert_http_clean_lists_the_errors():
    with pytest.raises(AssertionError) as info:
        assert_http_clean(raw_app(), ['/'])
    assert 'method-not-allowed' in str(info.value)


def test_lint_finding_repr_and_str():
    finding = Finding('error', 'charset', 'GET', '/', 'a charset', 'none')
    assert repr(finding) == "Finding('error', 'charset', 'GET', '/', 'a charset', 'none')"
    assert str(finding) == 'error GET /: charset: expected a charset, got none'


@pytest.mark.parametrize('spec, env', [
    ('examples.hello.app:application', {}),
    ('examples.wiki.app:application', {'WIKI_FILE_PATH': 'wiki'}),
    ('examples.questioner.app:application', {'QUESTIONER_DATA': 'data'}),
])
def test_lint_command_on_the_examples_prints_only_a_summary(tmp_path, spec, env):
    result = subprocess.run(
        [sys.executable, '-m', 'webkit', 'lint', spec], capture_output=True, text=True,
        cwd=tmp_path, timeout=120,
        env={**os.environ, 'PYTHONPATH': os.getcwd(),
             **{k: str(tmp_path / v) for k, v in env.items()}})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f'{spec}: 0 error(s), 0 warning(s)\n'


def test_lint_command_in_process(capsys, monkeypatch):
    monkeypatch.syspath_prepend(os.path.join(os.path.dirname(__file__), 'data'))
    assert main(['lint', 'cliapp:plain', '/']) == 1
    out = capsys.readouterr().out
    assert 'method-not-allowed' in out and out.endswith('1 warning(s)\n') is False
    assert main(['lint', 'cliapp:application', '--strict-accept']) == 0
    with pytest.raises(SystemExit) as info:
        main(['lint', 'cliapp:plain'])
    assert info.value.code == 2


def test_lint_survives_an_app_that_fails_on_everything_but_get():
    routes = Dispatcher()
    routes.connect('form', '/form', lambda req: '', methods=['GET', 'POST'])

    def fragile(environ, start_response):
        if environ['REQUEST_METHOD'] == 'POST':
            environ['wsgi.input'].read()      # reads even an oversized body
        if environ['REQUEST_METHOD'] != 'GET':
            raise RuntimeError('only GET works')
        start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
        return [b'ok']

    fragile.routes = routes
    found = check_app(fragile)
    assert {(f.method, f.check) for f in found} >= {
        ('HEAD', 'exception'), ('DELETE', 'exception'), ('OPTIONS', 'exception'),
        ('POST', 'exception')}


def test_lint_unrouted_path_of_a_webkit_app_is_checked_as_given():
    assert check_app(Library('x'), ['/nothere']) == []
