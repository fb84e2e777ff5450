"""The benchmark runs: every variant answers its routes correctly (nothing is timed here)."""
import json
import os

import pytest

from benchmarks import bench
from benchmarks.apps import BUILDERS, GUARDED, PARTIAL, SHAPE_PATHS, SHAPES

#: Where a variant answers otherwise than bench.expected_status (no 405 there).
EXCEPTIONS = {('pyramid', '405'): '404'}


@pytest.mark.parametrize('name', sorted(BUILDERS))
def test_benchmark_apps_answer_their_routes(name):
    app, url_for = BUILDERS[name](3)
    for label, method, path, body in bench.SCENARIOS:
        if label in PARTIAL.get(name, [label]):
            expected = EXCEPTIONS.get((name, label), bench.expected_status(label))
            assert bench.call(app, method, path, body)[:3] == expected, label
    if name not in ('raw WSGI', 'webob wsgify + ifs'):
        assert bench.call(app, 'GET', '/r2/view/x')[:3] == '200'
    if url_for is not None and name != 'bottle':
        assert url_for(bench.environ_for('GET', '/', script_name='/m')) == '/m/view/x'


def _answer(app, method, path, body=b'', cookie=None):
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=status, headers={k.lower(): v for k, v in headers})
    answer['body'] = b''.join(app(bench.environ_for(method, path, body, cookie=cookie),
                                  start_response))
    return answer


@pytest.mark.parametrize('name', sorted(set(BUILDERS) - set(PARTIAL)))
def test_benchmark_frameworks_do_the_same_work(name):
    app, _ = BUILDERS[name](3)
    assert _answer(app, 'GET', '/view/x')['body'] == b'x'
    typed = _answer(app, 'GET', '/ct/x')
    assert typed['headers']['content-type'].startswith('text/plain') and typed['body'] == b'x'
    assert _answer(app, 'GET', '/hdr/x')['headers']['x-item'] == 'x'
    assert _answer(app, 'GET', '/cookie/x')['headers']['set-cookie'].startswith('seen=x')
    assert _answer(app, 'GET', '/resp/x')['body'] == b'x'
    answer = _answer(app, 'POST', '/json', bench.JSON_BODY)
    assert answer['headers']['content-type'].startswith('application/json')
    assert json.loads(answer['body']) == {'got': 1}
    assert b'Enter an email' in _answer(app, 'POST', '/form', bench.FORM_BODY)['body']


@pytest.mark.parametrize('name', sorted(GUARDED))
def test_benchmark_guarded_form_checks_the_token(name):
    app, (cookie, body) = GUARDED[name](3)
    answer = _answer(app, 'POST', '/form', body, cookie)
    assert answer['status'].startswith('200') and b'Enter an email' in answer['body']
    assert answer['headers']['vary'] == 'Cookie'
    forged = body.replace(b'csrf_token=', b'csrf_token=x')
    assert _answer(app, 'POST', '/form', forged, cookie)['status'].startswith('403')


@pytest.mark.parametrize('shape', sorted(SHAPES))
@pytest.mark.parametrize('name', sorted(set(BUILDERS) - {'raw WSGI', 'webob wsgify + ifs'}))
def test_benchmark_route_shapes_are_routed(name, shape):
    app, _ = BUILDERS[name]((3, SHAPES[shape]))
    last, miss = SHAPE_PATHS[shape]
    assert bench.call(app, 'GET', last.format(i=2))[:3] == '200'
    assert bench.call(app, 'GET', miss)[:3] == '404'


def test_benchmark_report_from_a_tiny_run(monkeypatch):
    results = {'in_process': bench.in_process(3, 1), 'scaling': bench.scaling(2, 1, (10, 20)),
               'urls': bench.url_generation(3, 1), 'costs': bench.costs(3, 1),
               'servers': None, 'memory': {'webkit': 20480, 'bottle': 20480}}
    text = bench.report(results, quick=True)
    assert 'GET, cookie' in text and 'last of 20' in text and 'common prefix' in text
    assert 'Under real servers: skipped' in text and '100%' in text
    assert 'routing: Dispatcher._lookup' in text
    rst = bench._as_rst(text)
    assert '::\n\n    ====' in rst and '>>>' not in rst


def test_benchmark_server_rounds_report_every_round(monkeypatch):
    rounds = {'raw WSGI': {'waitress': [100, 110, 90], 'waitress cpu': [200, 190, 210],
                           'webkit.serve': [105, 95, 100], 'webkit.serve cpu': [190, 200, 195],
                           'gunicorn': [120, 120, 120], 'gunicorn cpu': [150, 150, 150]},
              'webkit': {'waitress': [95, 90, 100], 'waitress cpu': [210, 200, 220],
                         'webkit.serve': [95, 90, 100], 'webkit.serve cpu': [200, 210, 205],
                         'gunicorn': [114, 114, 114], 'gunicorn cpu': [160, 160, 160]}}
    monkeypatch.setattr(bench.shutil, 'which', lambda name: '/usr/bin/' + name)
    monkeypatch.setattr(bench, 'servers', lambda names, seconds, count, keep_rounds: rounds)
    text = bench.server_rounds(3)
    assert 'gunicorn      requests/s      raw  120, webkit  114 (95.0% of raw)' in text
    assert 'raw [200, 190, 210], webkit [210, 200, 220]' in text
    assert text.endswith('100.0% of its requests/s, 97.5% of its CPU per request')


def test_benchmark_earlier_webkit_is_imported_under_its_own_name(monkeypatch):
    if not os.path.exists(os.path.join(bench.ROOT, '.git')):
        pytest.skip('not a git checkout')
    monkeypatch.setattr(bench, 'BUILDERS', dict(BUILDERS))
    monkeypatch.setattr(bench, 'PARTIAL', dict(PARTIAL))
    monkeypatch.setattr(bench.sys, 'path', list(bench.sys.path))
    name = bench.add_previous('f5a3502')  # the request path before its redesign
    app, _ = bench.BUILDERS[name](3)
    assert type(type(app).routes).__module__.startswith('webkit_')
    assert bench.call(app, 'GET', '/view/x')[:3] == '200'
    assert bench.PARTIAL[name] >= {'GET str', '404'}


def test_benchmark_counted_work_runs_and_refills_alike():
    from benchmarks import instructions
    for index in range(len(instructions.WORK)):
        instructions._run(index, 1)
    for render in instructions._webkit_render, instructions._falcon_render:
        page = render()()
        assert 'Enter an email' in page and 'value="nobody"' in page


def test_benchmark_bytecodes_are_counted_apart_and_the_same_every_time():
    import sys

    from benchmarks import instructions

    keys = list(instructions.WORK)
    get, form = keys.index(('GET str', 'webkit')), keys.index(('form POST, session + CSRF',
                                                                'webkit'))
    tracer = sys.gettrace()  # coverage's, in a coverage run: counting happens elsewhere
    first, again, guarded = (instructions._bytecodes(index, 3) for index in (get, get, form))
    assert sys.gettrace() is tracer
    assert 0 < first == again < guarded
