"""Measure webkit beside its peers, in one run, and report ratios.

    python -m benchmarks.bench --quick          # about a minute
    python -m benchmarks.bench --write-docs     # the full run, into docs/benchmarks.rst

In-process figures call each WSGI application with a fresh environ per
request and consume the body; each figure is the median of several
repetitions, in microseconds per request. Server figures run ``wrk``
against waitress and gunicorn on 127.0.0.1 and report requests per
second as a percentage of the raw WSGI callable under the same server.
These machines are noisy: read the ratios, which are measured side by
side in one run, rather than the absolute numbers.
"""
import argparse
import io
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from importlib import metadata

from .apps import BUILDERS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE_ENVIRON = {
    'SCRIPT_NAME': '', 'QUERY_STRING': '', 'SERVER_NAME': 'localhost', 'SERVER_PORT': '80',
    'SERVER_PROTOCOL': 'HTTP/1.1', 'HTTP_HOST': 'localhost', 'wsgi.url_scheme': 'http',
    'wsgi.version': (1, 0), 'wsgi.errors': sys.stderr, 'wsgi.multithread': False,
    'wsgi.multiprocess': False, 'wsgi.run_once': False,
}
FORM_BODY = b'email=nobody&age=3'
SCENARIOS = [
    ('routed GET', 'GET', '/view/x', b''),
    ('404', 'GET', '/nothere/x', b''),
    ('405', 'POST', '/view/x', b''),
    ('controller action', 'GET', '/ctl/view/x', b''),
    ('form POST + htmlfill', 'POST', '/form', FORM_BODY),
]


def environ_for(method, path, body=b'', script_name=''):
    environ = dict(BASE_ENVIRON)
    environ.update(REQUEST_METHOD=method, PATH_INFO=path, SCRIPT_NAME=script_name,
                   CONTENT_LENGTH=str(len(body)), wsgi_input=None)
    environ['wsgi.input'] = io.BytesIO(body)
    if body:
        environ['CONTENT_TYPE'] = 'application/x-www-form-urlencoded'
    del environ['wsgi_input']
    return environ


def _start_response(status, headers, exc_info=None):
    _start_response.status = status


def call(app, method, path, body=b''):
    """One request: the status line, the body consumed and the iterable closed."""
    result = app(environ_for(method, path, body), _start_response)
    try:
        b''.join(result)
    finally:
        if hasattr(result, 'close'):
            result.close()
    return _start_response.status


def in_turns(funcs, number, repeat):
    """Median microseconds per call of each of ``funcs`` (a dict), over ``repeat`` rounds.

    In each round every function runs ``number`` times, one after the other,
    so a slow spell of a shared machine falls on all of them alike and the
    ratios between them stay honest.
    """
    runs = {key: [] for key in funcs}
    for _ in range(repeat):
        for key, func in funcs.items():
            start = time.perf_counter()
            for _ in range(number):
                func()
            runs[key].append((time.perf_counter() - start) / number * 1e6)
    return {key: statistics.median(times) for key, times in runs.items()}


def _request(app, method, path, body=b''):
    return lambda: call(app, method, path, body)


def build_all(extra):
    apps, missing = {}, {}
    for name, builder in BUILDERS.items():
        try:
            apps[name] = builder(extra)
        except ImportError as error:
            missing[name] = f'not installed ({error.name})'
    return apps, missing


def in_process(number, repeat):
    apps, missing = build_all(10)
    funcs, notes = {}, {}
    for name, (app, _) in apps.items():
        for label, method, path, body in SCENARIOS:
            if name == 'raw WSGI' and label != 'routed GET':
                continue
            status = call(app, method, path, body)
            expected = {'404': '404', '405': '405'}.get(label, '200')
            notes[name, label] = '' if status.startswith(expected) else f' ({status[:3]})'
            funcs[name, label] = _request(app, method, path, body)
    rows = {}
    for (name, label), micros in in_turns(funcs, number, repeat).items():
        rows.setdefault(name, {})[label] = (micros, notes[name, label])
    return rows, missing


def scaling(number, repeat):
    rows = {}
    for extra in (10, 100, 1000):
        apps, _ = build_all(extra)
        funcs = {}
        for name, (app, _) in apps.items():
            if name in ('raw WSGI', 'webob wsgify + ifs'):
                continue
            funcs[name, f'last of {extra}'] = _request(app, 'GET', f'/r{extra - 1}/view/x')
            funcs[name, f'miss, {extra}'] = _request(app, 'GET', '/nothere/x')
        for (name, label), micros in in_turns(funcs, number, repeat).items():
            rows.setdefault(name, {})[label] = micros
    return rows


def url_generation(number, repeat):
    apps, _ = build_all(10)
    plain = environ_for('GET', '/')
    mounted = environ_for('GET', '/', script_name='/mount')
    funcs, notes = {}, {}
    for name, (_, url_for) in apps.items():
        if url_for is None:
            continue
        # Bottle builds URLs from its thread-local request, not from this environ.
        honoured = url_for(mounted).startswith('/mount/view/x')
        notes[name] = '' if honoured else ' (prefix ignored)'
        funcs[name, 'plain'] = lambda url_for=url_for: url_for(plain)
        funcs[name, 'SCRIPT_NAME'] = lambda url_for=url_for: url_for(mounted)
    rows = {}
    for (name, label), micros in in_turns(funcs, number, repeat).items():
        rows.setdefault(name, {'note': notes[name]})[label] = micros
    return rows


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _wait(port, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            urllib.request.urlopen(f'http://127.0.0.1:{port}/view/x', timeout=2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def _serve(server, name, port, tmp):
    env = {**os.environ, 'PYTHONPATH': ROOT, 'BENCH_APP': name}
    if server == 'waitress':
        argv = [sys.executable, '-m', 'benchmarks.serve', name, str(port)]
    elif server == 'webkit.serve':
        argv = [sys.executable, '-m', 'benchmarks.serve', name, str(port), '--webkit']
    else:
        argv = [sys.executable, '-m', 'gunicorn', '--workers', '2', '--bind',
                f'127.0.0.1:{port}', '--worker-tmp-dir', tmp, '--control-socket',
                os.path.join(tmp, 'ctl'), '--log-level', 'warning',
                'benchmarks.serve:application']
    return subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


SERVERS = ('waitress', 'webkit.serve', 'gunicorn')


def _wrk(port, seconds):
    # One load thread: on a two-core machine a second one fights the server
    # for the CPU and the figures swing by a quarter from run to run.
    output = subprocess.run(['wrk', '-t1', '-c8', f'-d{seconds}s',
                             f'http://127.0.0.1:{port}/view/x'],
                            capture_output=True, text=True, timeout=seconds + 30).stdout
    found = re.search(r'Requests/sec:\s+([\d.]+)', output)
    return float(found[1]) if found else None


def servers(names, seconds, rounds):
    """Requests per second under waitress and gunicorn (median of the rounds).

    The apps take turns within each round, so a slow spell of a shared
    machine falls on all of them rather than on whichever ran then. The
    raw callable and webkit also run on ``webkit.serve``, which is
    waitress with webkit's settings and its stricter connection handling.
    """
    if shutil.which('wrk') is None:
        return None
    import tempfile
    samples = {}
    for server in SERVERS:
        for _ in range(rounds):
            for name in names:
                if server == 'webkit.serve' and name not in ('raw WSGI', 'webkit'):
                    continue
                port = _free_port()
                with tempfile.TemporaryDirectory() as tmp:
                    process = _serve(server, name, port, tmp)
                    try:
                        if _wait(port, process):
                            rate = _wrk(port, seconds)
                            if rate:
                                samples.setdefault(name, {}).setdefault(server, []).append(rate)
                    finally:
                        os.killpg(process.pid, signal.SIGTERM)
                        try:
                            process.wait(timeout=10)
                        except subprocess.TimeoutExpired:
                            os.killpg(process.pid, signal.SIGKILL)
                            process.wait()
    return {name: {server: statistics.median(rates) for server, rates in row.items()}
            for name, row in samples.items()}


# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child
# would report the peak of the (large) benchmark process that started it.
# The child imports nothing of the harness: only the framework is measured.
_MEMORY = '''
import io, re, sys
sys.path.insert(0, {root!r})
from benchmarks.apps import BUILDERS
app, _ = BUILDERS[{name!r}](10)
environ = {{'REQUEST_METHOD': 'GET', 'PATH_INFO': '/view/x', 'SCRIPT_NAME': '',
            'QUERY_STRING': '', 'SERVER_NAME': 'localhost', 'SERVER_PORT': '80',
            'SERVER_PROTOCOL': 'HTTP/1.1', 'wsgi.url_scheme': 'http', 'wsgi.version': (1, 0),
            'wsgi.input': io.BytesIO(), 'wsgi.errors': sys.stderr, 'wsgi.multithread': False,
            'wsgi.multiprocess': False, 'wsgi.run_once': False}}
b''.join(app(environ, lambda status, headers, exc_info=None: None))
print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])
'''


def memory(names):
    """Peak resident memory (KiB) of a process that builds the app, serves one request."""
    rows = {}
    for name in names:
        result = subprocess.run([sys.executable, '-c', _MEMORY.format(root=ROOT, name=name)],
                                capture_output=True, text=True, timeout=60)
        if result.returncode == 0:
            rows[name] = int(result.stdout.split()[-1])
    return rows


# -- report ---------------------------------------------------------------------------

def _table(headers, rows):
    widths = [max(len(str(row[i])) for row in [headers] + rows) for i in range(len(headers))]
    rule = '  '.join('=' * w for w in widths)

    def line(cells):
        return '  '.join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    return '\n'.join([rule, line(headers), rule] + [line(row) for row in rows] + [rule])


def _ratio(value, base):
    return f'{value / base:.2f}x' if value and base else '-'


def report(results, quick):
    lines = []
    timed, missing = results['in_process']
    labels = [label for label, *_ in SCENARIOS]
    webkit = timed.get('webkit', {})
    rows = []
    for name, row in timed.items():
        cells = []
        for label in labels:
            if label in row:
                value, note = row[label]
                cells.append(f'{value:.2f}{note}')
            else:
                cells.append('-')
        rows.append([name] + cells)
    lines += ['In process, microseconds per request (median)', '',
              _table(['app'] + labels, rows), '']
    rows = [[name] + [_ratio(row[label][0], webkit[label][0]) if label in row else '-'
                      for label in labels] for name, row in timed.items() if name != 'webkit']
    lines += ['Time relative to webkit (above 1.00x: slower than webkit)', '',
              _table(['app'] + labels, rows), '']
    scale = results['scaling']
    columns = [c for c in next(iter(scale.values()))]
    rows = [[name] + [f'{row[c]:.2f}' for c in columns] for name, row in scale.items()]
    lines += ['Route-count scaling, microseconds per request', '',
              _table(['app'] + columns, rows), '']
    urls = results['urls']
    rows = [[name, f'{row["plain"]:.2f}', f'{row["SCRIPT_NAME"]:.2f}{row["note"]}']
            for name, row in urls.items()]
    lines += ['URL generation, microseconds per call', '',
              _table(['app', 'plain', 'under SCRIPT_NAME'], rows), '']
    served = results['servers']
    if served:
        rows = []
        for name, row in served.items():
            cells = [name]
            for server in SERVERS:
                base = served.get('raw WSGI', {}).get(server)
                value = row.get(server)
                share = f' ({value / base * 100:.0f}%)' if value and base else ''
                cells.append(f'{value:.0f}{share}' if value else '-')
            rows.append(cells)
        lines += ['Under real servers (wrk, 1 thread, 8 connections; apps take turns, '
                  'median of the rounds), requests/s (% of raw WSGI)', '',
                  _table(['app', 'waitress', 'webkit.serve', 'gunicorn, 2 workers'], rows), '']
    else:
        lines += ['Under real servers: skipped (wrk is not installed)', '']
    rows = [[name, f'{kib / 1024:.1f}'] for name, kib in results['memory'].items()]
    lines += ['Peak memory of a process serving one request, MiB', '',
              _table(['app', 'MiB'], rows), '']
    for name, why in missing.items():
        lines.append(f'- {name}: {why}')
    return '\n'.join(lines)


def versions():
    found = []
    for dist in ('webob', 'routes', 'formencode', 'waitress', 'gunicorn', 'falcon', 'bottle',
                 'pyramid', 'flask'):
        try:
            found.append(f'{dist} {metadata.version(dist)}')
        except metadata.PackageNotFoundError:
            found.append(f'{dist} (not installed)')
    return ', '.join(found)


def machine():
    model = ''
    try:
        with open('/proc/cpuinfo') as cpuinfo:
            model = re.search(r'model name\s*:\s*(.*)', cpuinfo.read())[1]
    except (OSError, TypeError):
        pass
    return (f'{model or platform.processor()}, {os.cpu_count()} cores, '
            f'Python {platform.python_version()} on {platform.system()}')


def run(quick):
    number, repeat = (2000, 3) if quick else (10000, 7)
    seconds, rounds = (2, 2) if quick else (3, 5)
    results = {'in_process': in_process(number, repeat),
               'scaling': scaling(number // 2, repeat),
               'urls': url_generation(number, repeat)}
    names = list(results['in_process'][0])
    results['servers'] = servers(['raw WSGI', 'webkit'] + ([] if quick else [
        n for n in names if n not in ('raw WSGI', 'webkit')]), seconds, rounds)
    results['memory'] = memory(names)
    return results


DOC_HEAD = '''Benchmarks
==========

webkit measured beside a raw WSGI callable (the floor), WebOb's
``wsgify`` with hand-written dispatch, the seed's WebOb + Routes pattern,
Falcon, Bottle, Pyramid and Flask, each built the idiomatic way for the
same routes (``benchmarks/apps.py``). Reproduce with::

    pip install -e '.[bench]'
    python -m benchmarks.bench --write-docs      # or --quick, about a minute

Absolute numbers move from run to run on shared machines; the ratios,
measured side by side in one run, are what to read.

'''


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m benchmarks.bench')
    parser.add_argument('--quick', action='store_true', help='a short run, about a minute')
    parser.add_argument('--write-docs', action='store_true',
                        help='write the tables into docs/benchmarks.rst')
    args = parser.parse_args(argv)
    text = report(run(args.quick), args.quick)
    header = f'Machine: {machine()}.\n\nVersions: {versions()}.\n'
    print(header + '\n' + text)
    if args.write_docs:
        with open(os.path.join(ROOT, 'docs', 'benchmarks.rst'), 'w') as doc:
            doc.write(DOC_HEAD + header + '\n' + _as_rst(text))
    return 0


def _as_rst(text):
    """The report with each table as a literal block (tables, not doctests)."""
    out = []
    for block in text.split('\n\n'):
        if block.startswith('='):
            out.append('::\n\n' + '\n'.join('    ' + line for line in block.splitlines()))
        else:
            out.append(block)
    return '\n\n'.join(out) + '\n'


if __name__ == '__main__':
    sys.exit(main())
