"""The benchmark runs: every variant answers its routes correctly (nothing is timed here)."""
import pytest

from benchmarks import bench
from benchmarks.apps import BUILDERS

EXPECTED = {  # what each scenario answers; frameworks without 405 answer 404
    'raw WSGI': ['200'] * 5,
    'webob wsgify + ifs': ['200', '404', '404', '404', '404'],
    'seed (Routes per request)': ['200', '404', '404', '404', '404'],
    'pyramid': ['200', '404', '404', '200', '200'],
}


@pytest.mark.parametrize('name', sorted(BUILDERS))
def test_benchmark_apps_answer_their_routes(name):
    app, url_for = BUILDERS[name](3)
    statuses = [bench.call(app, method, path, body)[:3]
                for _, method, path, body in bench.SCENARIOS]
    assert statuses == EXPECTED.get(name, ['200', '404', '405', '200', '200'])
    if name not in ('raw WSGI', 'webob wsgify + ifs'):
        assert bench.call(app, 'GET', '/r2/view/x')[:3] == '200'
    if url_for is not None and name != 'bottle':
        assert url_for(bench.environ_for('GET', '/', script_name='/m')) == '/m/view/x'


def test_benchmark_report_from_a_tiny_run(monkeypatch):
    monkeypatch.setattr(bench, 'servers', lambda names, seconds, rounds: None)
    monkeypatch.setattr(bench, 'memory', lambda names: {'webkit': 20480})
    results = {'in_process': bench.in_process(3, 1), 'scaling': bench.scaling(2, 1),
               'urls': bench.url_generation(3, 1), 'servers': None,
               'memory': {'webkit': 20480}}
    text = bench.report(results, quick=True)
    assert 'routed GET' in text and 'last of 1000' in text and '20.0' in text
    assert 'Under real servers: skipped' in text
    rst = bench._as_rst(text)
    assert '::\n\n    ====' in rst and '>>>' not in rst
