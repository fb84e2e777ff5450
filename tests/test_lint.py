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
from webkit.proxy import PublicOrigin


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
    assert [f.headers for f in found] == [
        (('If-None-Match', '"v1"'),), (('If-Modified-Since', 'Sun, 22 Nov 2026 12:00:00 GMT'),)]
    assert {f.expected for f in found} == {'304 without a body'}


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
    # Any other application: POST announced in Allow, the endpoint named.
    lenient = raw_app(headers=[('Content-Type', 'text/plain; charset=utf-8'),
                               ('Allow', 'GET, HEAD, POST, OPTIONS')])
    assert 'unsupported-media-type' in checks(lenient, ['/'], json_paths=['/'])
    assert 'unsupported-media-type' not in checks(lenient, ['/'])


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


@pytest.mark.parametrize('settings, host', [
    ({'allowed_hosts': ['shop.example']}, 'shop.example'),
    ({'allowed_hosts': ['.shop.example:8443']}, 'shop.example:8443'),
    ({'base_url': 'https://shop.example', 'allowed_hosts': ['other.example']}, 'shop.example'),
    ({'trusted_proxies': ['10.0.0.0/8']}, 'localhost'),   # any Host goes
])
def test_lint_sends_a_host_the_application_allows(settings, host):
    # Sent as localhost, every request was a 400 from PublicOrigin: 36
    # false findings on the wiki.
    seen = set()

    @wsgify
    def app(req):
        seen.add(req.host)
        return 'fine' if req.method in ('GET', 'HEAD') else exc.HTTPMethodNotAllowed()

    wrapped = PublicOrigin(app, **settings)
    assert [f.check for f in check_app(wrapped, ['/'])] == ['options-allow', 'method-not-allowed',
                                                            'not-found', 'undecodable-path']
    assert seen == {host}
    # A routed application: the same findings as without the layer.
    assert check_app(PublicOrigin(Library('x'), **settings)) == check_app(Library('x'))
    seen.clear()
    check_app(app, ['/'], host='other.example:81')
    assert seen == {'other.example:81'}


def test_lint_command_sends_the_host_it_is_given(capsys, monkeypatch):
    monkeypatch.syspath_prepend(os.path.join(os.path.dirname(__file__), 'data'))
    assert main(['lint', 'cliapp:guarded_host']) == 0
    capsys.readouterr()
    assert main(['lint', 'cliapp:guarded_host', '--host', 'evil.example']) == 1
    assert '400 Bad Request' in capsys.readouterr().out


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


# -- the lint itself must survive what it is meant to find -------------------

def streamed_then_fails(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    yield b'half'
    raise RuntimeError('the stream broke')


def started_then_fails(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    return (chunk() for chunk in (lambda: b'half', lambda: 1 / 0))


@pytest.mark.parametrize('app, check, got', [
    (streamed_then_fails, 'exception', 'RuntimeError'),
    (started_then_fails, 'exception', 'ZeroDivisionError'),
    (raw_app(headers=[('Content-Length', 'abc')]), 'content-length', 'abc'),
    (raw_app(headers=[('Content-Length', '7')], body=b'a'), 'content-length', '7'),
    (raw_app(headers=[('X-Count', 3)]), 'header-type', "('X-Count', 3)"),
    (raw_app('OK'), 'status-line', "'OK'"),
])
def test_lint_reports_broken_answers_instead_of_crashing(app, check, got):
    found = [f for f in check_app(app, ['/']) if f.check == check]
    assert found and found[0].got == got


def test_lint_content_length_of_a_chunked_body_is_compared():
    def chunked(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8'),
                                  ('Content-Length', '7')])
        return [b'a', b'b']

    found = [f for f in check_app(chunked, ['/']) if f.check == 'content-length']
    assert (found[0].expected, found[0].got) == ('Content-Length 2', '7')


def test_lint_a_304_may_announce_the_full_length():
    def cached(environ, start_response):
        headers = [('Content-Type', 'text/plain; charset=utf-8'), ('Content-Length', '2'),
                   ('ETag', '"v1"')]
        if environ.get('HTTP_IF_NONE_MATCH') == '"v1"':
            start_response('304 Not Modified', headers)
            return []
        start_response('200 OK', headers)
        return [] if environ['REQUEST_METHOD'] == 'HEAD' else [b'ok']

    assert not {'content-length', 'conditional-get'} & set(checks(cached, ['/']))


# -- redirects ---------------------------------------------------------------

@pytest.mark.parametrize('location', [
    'http://evil.example/', '//evil.example/', '/\\evil.example/', '\\\\evil.example/',
    '/\t/evil.example/', ' //evil.example/', 'https:evil.example', 'HTTP://EVIL.example/',
    'http://localhost@evil.example/', 'javascript:alert(1)', 'http://[evil.example/',
])
def test_lint_redirect_off_host_is_found(location):
    app = raw_app('302 Found', [('Location', location)])
    assert 'open-redirect' in checks(app, ['/'])


@pytest.mark.parametrize('location', [
    '/elsewhere', 'elsewhere', '?page=2', 'http://localhost/x', 'https://localhost/x',
    'http://localhost:80/x', 'HTTP://LOCALHOST/x',
])
def test_lint_redirect_on_host_is_fine(location):
    app = raw_app('302 Found', [('Location', location)])
    assert 'open-redirect' not in checks(app, ['/'])


def test_lint_redirect_to_the_configured_base_url_is_fine():
    routes = Dispatcher(base_url='https://www.example.org')
    routes.connect('old', '/old',
                   lambda req: exc.HTTPFound(location=req.link('new', qualified=True)))
    routes.connect('new', '/new', lambda req: 'new')
    assert check_app(routes) == []


# -- error pages -------------------------------------------------------------

@pytest.mark.parametrize('body', [
    b'Traceback (most recent call last):',
    b'KeyError: \'secret\'',
    b"failed: KeyError('secret')",
    b'failed in /home/joe/site/app/models.py',
    b'failed in C:\\sites\\app\\models.py',
    b'<pre>File &quot;/srv/app.py&quot;, line 3, in view</pre>',
    b"[Errno 2] No such file or directory: 'pages'",
    b'could not open /home/joe/wiki/pages/Home.txt',
    b'storage is full (/srv/site/data)',
])
def test_lint_error_page_leaks_are_found(body):
    app = raw_app('404 Not Found', [('Content-Type', 'text/html; charset=utf-8')], body)
    assert 'error-page-leak' in checks(app, ['/'])


@pytest.mark.parametrize('body', [
    b'404 Not Found: there is no page called sample',
    b'500 Internal Server Error',
    b'Errors were found in your form: see /help',
    b'There is no page at /home/sample',
    b'<a href="/var/log/today">the log</a>',
    b'See http://localhost/home/a/b',
])
def test_lint_plain_error_pages_are_fine(body):
    app = raw_app('404 Not Found', [('Content-Type', 'text/html; charset=utf-8')], body)
    assert 'error-page-leak' not in checks(app, ['/'])


# -- methods and Allow -------------------------------------------------------

def allowing(allow, methods):
    """A hand-written app: ``methods`` work on ``/`` and ``allow`` is what it says."""
    sent = []

    def app(environ, start_response):
        method = environ['REQUEST_METHOD']
        sent.append(method)
        text = [('Content-Type', 'text/plain; charset=utf-8')]
        if environ['PATH_INFO'] != '/':
            start_response('404 Not Found', text)
            return [b'not found']
        if method not in methods:
            start_response('405 Method Not Allowed', text + [('Allow', allow)])
            return [b'no']
        start_response('200 OK', text + [('Allow', allow)])
        return [b'ok'] if method == 'GET' else []

    app.sent = sent
    return app


def test_lint_does_not_send_delete_where_allow_lists_it():
    app = allowing('GET, HEAD, DELETE, OPTIONS', {'GET', 'HEAD', 'DELETE', 'OPTIONS'})
    assert check_app(app, ['/']) == []
    assert 'DELETE' not in app.sent


def test_lint_does_not_send_delete_when_nothing_says_it_is_refused():
    app = raw_app(headers=[('Content-Type', 'text/plain; charset=utf-8')])
    sent = []

    def spy(environ, start_response):
        sent.append(environ['REQUEST_METHOD'])
        return app(environ, start_response)

    check_app(spy, ['/'])
    assert 'BREW' in sent and 'DELETE' not in sent


def test_lint_allow_must_list_get_when_get_works():
    app = allowing('POST, OPTIONS', {'GET', 'HEAD', 'OPTIONS'})
    found = [f for f in check_app(app, ['/']) if f.check == 'allow-header']
    assert [(f.method, f.got) for f in found] == [('GET', 'OPTIONS, POST')]


def test_lint_allow_must_not_list_get_when_get_is_refused():
    app = allowing('GET, OPTIONS', {'OPTIONS'})
    assert 'allow-header' in checks(app, ['/'])


def test_lint_oversized_body_must_be_413_for_put_too():
    routes = Dispatcher()
    routes.connect('doc', '/doc', lambda req: 'ok', methods=['GET', 'PUT'])
    assert 'body-too-large' not in checks(routes)

    def reads_anything(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
        return [b'ok']

    reads_anything.routes = routes
    assert [f.method for f in check_app(reads_anything) if f.check == 'body-too-large'] == ['PUT']


def test_lint_json_type_with_a_suffix_is_a_json_endpoint():
    def api(req):
        return Response(json_body={}, content_type='application/problem+json', charset=None)

    routes = Dispatcher()
    routes.connect('api', '/api', wsgify(api), methods=['GET', 'POST'])
    assert 'unsupported-media-type' in checks(routes)


# -- negotiation -------------------------------------------------------------

def test_lint_negotiation_without_vary_is_noticed():
    def either(req):
        offers = req.accept.acceptable_offers(['text/html', 'application/json'])
        if offers and offers[0][0] == 'application/json':
            return Response(json_body={'hello': 1})
        return Response('<p>hello</p>', charset='utf-8')

    routes = Dispatcher()
    routes.connect('either', '/either', wsgify(either))
    found = [f for f in check_app(routes) if f.check == 'not-acceptable']
    assert [(f.severity, f.headers) for f in found] == [
        ('warning', (('Accept', 'application/x-webkit-lint-unsatisfiable'),))]

    from webkit.forms import negotiate

    def careful(req):
        if negotiate(req, ['text/html', 'application/json']) == 'application/json':
            return Response(json_body={'hello': 1})
        return Response('<p>hello</p>', charset='utf-8')

    routes = Dispatcher()
    routes.connect('careful', '/careful', wsgify(careful))
    assert check_app(routes) == []


# -- paths and samples -------------------------------------------------------

def test_lint_paths_that_need_quoting_are_checked_like_any_other():
    routes = Dispatcher()
    routes.connect('spaced', '/n/{name:[a-z ]+}', lambda req, name: name)
    sent = []

    def spy(environ, start_response):
        sent.append((environ['REQUEST_METHOD'], environ['PATH_INFO']))
        return routes(environ, start_response)

    spy.routes = routes
    assert check_app(spy, samples={'name': 'a b'}) == []
    assert ('BREW', '/n/a b') in sent and ('OPTIONS', '/n/a b') in sent
    sent.clear()
    assert check_app(spy, ['/n/a b?x=1', '/n/é']) == []
    assert ('BREW', '/n/a b') in sent
    assert ('GET', '/n/\xc3\xa9') in sent  # UTF-8 bytes, as a server passes them


def test_lint_samples_that_do_not_fit_the_route_are_reported():
    routes = Dispatcher()
    routes.connect('number', '/n/{num:\\d+}', lambda req, num: num)
    routes.connect('any', '/{name}', lambda req, name: name)
    routes.connect('all', '/all', lambda req: 'all')   # shadowed by /{name}
    found = check_app(routes, samples={'num': 'abc'})
    assert [(f.check, f.path) for f in found] == [('no-sample', '/n/{num:\\d+}'),
                                                  ('no-sample', '/all'),
                                                  ('route-shadowed', '/all')]
    assert 'abc' in found[0].got


def test_lint_finding_shows_the_headers_sent_and_a_short_path():
    finding = Finding('warning', 'not-acceptable', 'GET', '/?q=' + 'x' * 100, '406', '200 OK',
                      [('Accept', 'image/png')])
    assert repr(finding) == ("Finding('warning', 'not-acceptable', 'GET', "
                             f"'/?q={'x' * 100}', '406', '200 OK', (('Accept', 'image/png'),))")
    assert str(finding) == ('warning GET /?q=' + 'x' * 56 + '...[104 chars] (Accept: image/png):'
                            ' not-acceptable: expected 406, got 200 OK')


def test_lint_head_must_carry_the_get_validators():
    def app(environ, start_response):
        headers = [('Content-Type', 'text/plain; charset=utf-8')]
        if environ['REQUEST_METHOD'] == 'HEAD':
            start_response('200 OK', headers)
            return []
        start_response('200 OK', headers + [('ETag', '"v1"')])
        return [b'ok']

    found = [f.expected for f in check_app(app, ['/']) if f.check == 'head-matches-get']
    assert found == ['ETag: "v1"']


def test_lint_a_route_named_like_a_variable_takes_plain_samples():
    routes = Dispatcher()
    routes.connect('page', '/page/{page:\\d+}', lambda req, page: page)
    assert check_app(routes, samples={'page': '7'}) == []
    assert check_app(routes, samples={'page': {'page': '7'}}) == []


def _files(root):
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob('*') if p.is_file()}


def test_lint_examples_with_data_are_clean_and_left_unchanged(tmp_path):
    from examples.questioner.app import make_app as make_questioner
    from examples.wiki.app import make_app as make_wiki
    from examples.wiki.storage import PageStore

    wiki = make_wiki(file_path=str(tmp_path / 'wiki'))
    store = PageStore(tmp_path / 'wiki')
    store.save('Sample', 'Hello [[Other Page]]', 0, 'first')
    store.save('Sample', 'Hello again [[Sample]]', 1, 'second')
    questioner = make_questioner(data_dir=str(tmp_path / 'answers'))
    before = _files(tmp_path)
    # A page that exists: its ETag, Last-Modified, history and revisions are checked too.
    assert check_app(wiki, samples={'title': 'Sample', 'rev': '1'}) == []
    assert check_app(questioner) == []
    assert _files(tmp_path) == before      # the lint changed nothing


def test_lint_allow_without_get_is_fine_where_get_fails_for_other_reasons():
    def app(environ, start_response):
        text = [('Content-Type', 'text/plain; charset=utf-8')]
        if environ['REQUEST_METHOD'] in ('GET', 'HEAD'):
            start_response('401 Unauthorized', text)     # not a refused method
            return [b'who are you?']
        start_response('405 Method Not Allowed', text + [('Allow', 'POST, OPTIONS')])
        return [b'no']

    assert 'allow-header' not in checks(app, ['/'])


def test_lint_leak_search_stays_linear_on_a_long_error_page():
    import time

    app = raw_app('404 Not Found', [('Content-Type', 'text/plain; charset=utf-8')],
                  b'/a' * 10_000)                    # a path-like page with no .py in it
    start = time.perf_counter()
    assert 'error-page-leak' not in checks(app, ['/'])
    assert time.perf_counter() - start < 5         # a backtracking pattern took minutes


def test_lint_undecodable_path_must_be_refused():
    def one_level(environ, start_response):
        # Every '/{name}' is a page: latin-1 decoding lets '\xff' through.
        found = environ['PATH_INFO'].count('/') == 1
        start_response('200 OK' if found else '404 Not Found',
                       [('Content-Type', 'text/plain; charset=utf-8')])
        return [b'page' if found else b'not found']

    found = [f for f in check_app(one_level, ['/x']) if f.check == 'undecodable-path']
    assert [(f.path, f.got) for f in found] == [('/%FF', '200 OK')]
    assert 'undecodable-path' not in checks(Library('x'))


def test_lint_command_takes_samples_and_json_paths(capsys, monkeypatch):
    monkeypatch.syspath_prepend(os.path.join(os.path.dirname(__file__), 'data'))
    assert main(['lint', 'cliapp:application', '--sample', 'name=a/b']) == 0
    out = capsys.readouterr().out
    assert 'no-sample' in out and 'may not contain "/"' in out
    assert main(['lint', 'cliapp:application', '--sample', 'name=Ada']) == 0
    assert capsys.readouterr().out.endswith('0 error(s), 0 warning(s)\n')
    assert main(['lint', 'cliapp:api']) == 0
    capsys.readouterr()
    assert main(['lint', 'cliapp:api', '--json-path', '/items']) == 1
    assert 'unsupported-media-type: expected 415' in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(['lint', 'cliapp:application', '--sample', 'no-equals-sign'])
    assert info.value.code == 2
    assert 'expected VAR=VALUE' in capsys.readouterr().err
