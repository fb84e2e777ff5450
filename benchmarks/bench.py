"""Measure webkit beside its peers, in one run, and report ratios.

    python -m benchmarks.bench --quick          # about a minute
    python -m benchmarks.bench --write-docs     # the full run, into docs/benchmarks.rst
    python -m benchmarks.bench --servers 8      # raw WSGI and webkit under each server, 8 rounds

In-process figures call each WSGI application with a fresh environ per
request and consume the body; each figure is the fastest of several
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

from . import apps
from .apps import BUILDERS, GUARDED, PARTIAL, SHAPE_PATHS, SHAPES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE_ENVIRON = {
    'SCRIPT_NAME': '', 'QUERY_STRING': '', 'SERVER_NAME': 'localhost', 'SERVER_PORT': '80',
    'SERVER_PROTOCOL': 'HTTP/1.1', 'HTTP_HOST': 'localhost', 'wsgi.url_scheme': 'http',
    'wsgi.version': (1, 0), 'wsgi.errors': sys.stderr, 'wsgi.multithread': False,
    'wsgi.multiprocess': False, 'wsgi.run_once': False,
}
FORM_BODY = b'email=nobody&age=3'
JSON_BODY = b'{"a": 1}'
#: (label, method, path, body): each shape of request, one route each.
SCENARIOS = [
    ('GET str', 'GET', '/view/x', b''),
    ('GET, content type', 'GET', '/ct/x', b''),
    ('GET, header', 'GET', '/hdr/x', b''),
    ('GET, cookie', 'GET', '/cookie/x', b''),
    ('GET, Response', 'GET', '/resp/x', b''),
    ('controller action', 'GET', '/ctl/view/x', b''),
    ('JSON POST', 'POST', '/json', JSON_BODY),
    ('form POST + htmlfill', 'POST', '/form', FORM_BODY),
    ('404', 'GET', '/nothere/x', b''),
    ('405', 'POST', '/view/x', b''),
]
GUARDED_LABEL = 'form POST, session + CSRF'


def environ_for(method, path, body=b'', script_name='', cookie=None):
    environ = dict(BASE_ENVIRON)
    environ.update(REQUEST_METHOD=method, PATH_INFO=path, SCRIPT_NAME=script_name,
                   CONTENT_LENGTH=str(len(body)))
    environ['wsgi.input'] = io.BytesIO(body)
    if body:
        environ['CONTENT_TYPE'] = ('application/json' if body[:1] == b'{'
                                   else 'application/x-www-form-urlencoded')
    if cookie is not None:
        environ['HTTP_COOKIE'] = cookie
    return environ


def _start_response(status, headers, exc_info=None):
    _start_response.status = status


def call(app, method, path, body=b'', cookie=None):
    """One request: the status line, the body consumed and the iterable closed."""
    result = app(environ_for(method, path, body, cookie=cookie), _start_response)
    try:
        b''.join(result)
    finally:
        if hasattr(result, 'close'):
            result.close()
    return _start_response.status


def in_turns(funcs, number, repeat):
    """Microseconds per call of each of ``funcs`` (a dict): the fastest of ``repeat`` rounds.

    In each round every function runs ``number`` times, one after the other,
    so a slow spell of a shared machine falls on all of them alike and the
    ratios between them stay honest. The fastest round counts, as with
    :mod:`timeit`: other processes only ever add time.
    """
    runs = {key: [] for key in funcs}
    for _ in range(repeat):
        for key, func in funcs.items():
            start = time.perf_counter()
            for _ in range(number):
                func()
            runs[key].append((time.perf_counter() - start) / number * 1e6)
    return {key: min(times) for key, times in runs.items()}


def _request(app, method, path, body=b'', cookie=None):
    return lambda: call(app, method, path, body, cookie)


def build_all(extra, builders=BUILDERS):
    apps, missing = {}, {}
    for name, builder in builders.items():
        try:
            apps[name] = builder(extra)
        except ImportError as error:
            missing[name] = f'not installed ({error.name})'
    return apps, missing


def expected_status(label):
    return {'404': '404', '405': '405'}.get(label, '200')


def in_process(number, repeat):
    apps, missing = build_all(10)
    funcs, notes = {}, {}
    for name, (app, _) in apps.items():
        for label, method, path, body in SCENARIOS:
            if label not in PARTIAL.get(name, [label]):
                continue
            status = call(app, method, path, body)
            ok = status.startswith(expected_status(label))
            notes[name, label] = '' if ok else f' ({status[:3]})'
            funcs[name, label] = _request(app, method, path, body)
    guarded, _ = build_all(10, GUARDED)
    for name, (app, (cookie, body)) in guarded.items():
        status = call(app, 'POST', '/guarded', body, cookie)
        notes[name, GUARDED_LABEL] = '' if status.startswith('200') else f' ({status[:3]})'
        funcs[name, GUARDED_LABEL] = _request(app, 'POST', '/guarded', body, cookie)
    rows = {}
    for (name, label), micros in in_turns(funcs, number, repeat).items():
        rows.setdefault(name, {})[label] = (micros, notes[name, label])
    return rows, missing


def scaling(number, repeat, sizes=(10, 100, 1000)):
    """The last of N routes and a miss, for each shape of route table."""
    rows = {}
    for shape, template in SHAPES.items():
        last, miss = SHAPE_PATHS[shape]
        funcs = {}
        for size in sizes:
            apps, _ = build_all((size, template))
            for name, (app, _) in apps.items():
                if name in ('raw WSGI', 'webob wsgify + ifs'):
                    continue
                path = last.format(i=size - 1)
                if not call(app, 'GET', path).startswith('200'):
                    raise AssertionError(f'{name} does not route {path} ({shape})')
                funcs[name, f'last of {size}'] = _request(app, 'GET', path)
                funcs[name, f'miss, {size}'] = _request(app, 'GET', miss)
        for (name, label), micros in in_turns(funcs, number, repeat).items():
            rows.setdefault((name, shape), {})[label] = micros
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
    rate = re.search(r'Requests/sec:\s+([\d.]+)', output)
    count = re.search(r'(\d+) requests in', output)
    return (float(rate[1]) if rate else None), (int(count[1]) if count else None)


def _cpu_seconds(pid):
    """The CPU time (user and system) process ``pid`` and its children have used so far.

    gunicorn serves from worker processes, children of the one started.
    """
    total = 0
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as stat:
                fields = stat.read().rsplit(')', 1)[1].split()  # the name may hold spaces
        except OSError:  # gone meanwhile
            continue
        if int(entry) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf('SC_CLK_TCK')


def servers(names, seconds, rounds, keep_rounds=False):
    """Requests per second under waitress and gunicorn (median of the rounds).

    The apps and the servers take turns within each round, so a slow
    spell of a shared machine falls on all of them rather than on
    whichever ran then. The raw callable and webkit also run on
    ``webkit.serve``, which is waitress with webkit's settings and its
    stricter connection handling.

    The server's own CPU time per request (its workers' too) is kept as
    ``'<server> cpu'`` (microseconds): on a shared machine it moves far
    less than requests per second, which also count what wrk and the
    other processes took.
    """
    if shutil.which('wrk') is None:
        return None
    import tempfile
    samples = {}
    for _ in range(rounds):
        for server in SERVERS:
            for name in names:
                if server == 'webkit.serve' and name not in ('raw WSGI', 'webkit'):
                    continue
                port = _free_port()
                with tempfile.TemporaryDirectory() as tmp:
                    process = _serve(server, name, port, tmp)
                    try:
                        if _wait(port, process):
                            before = _cpu_seconds(process.pid)
                            rate, count = _wrk(port, seconds)
                            row = samples.setdefault(name, {})
                            if rate:
                                row.setdefault(server, []).append(rate)
                            if count:
                                used = _cpu_seconds(process.pid) - before
                                row.setdefault(f'{server} cpu', []).append(used / count * 1e6)
                    finally:
                        os.killpg(process.pid, signal.SIGTERM)
                        try:
                            process.wait(timeout=10)
                        except subprocess.TimeoutExpired:
                            os.killpg(process.pid, signal.SIGKILL)
                            process.wait()
    if keep_rounds:
        return samples
    return {name: {server: statistics.median(rates) for server, rates in row.items()}
            for name, row in samples.items()}


# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child
# would report the peak of the (large) benchmark process that started it.
# The child imports nothing of the harness: only the framework is measured.
# Paste is installed here for the tests only, and WebOb's exceptions import
# it whenever it is there: the child runs as a production install would.
_MEMORY = '''
import io, re, sys
sys.path.insert(0, {root!r})
sys.modules['paste'] = None
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
    # Measured as installed: pip compiles the bytecode of what it installs,
    # and a source tree run under PYTHONDONTWRITEBYTECODE has none, so each
    # child would compile webkit and the harness on import, a MiB or more
    # of peak that no deployment pays.
    subprocess.run([sys.executable, '-m', 'compileall', '-q', 'webkit', 'benchmarks'],
                   cwd=ROOT, env={**os.environ, 'PYTHONDONTWRITEBYTECODE': ''},
                   capture_output=True, timeout=120, check=True)
    rows = {}
    for name in names:
        result = subprocess.run([sys.executable, '-c', _MEMORY.format(root=ROOT, name=name)],
                                capture_output=True, text=True, timeout=60)
        if result.returncode == 0:
            rows[name] = int(result.stdout.split()[-1])
    return rows


# -- report ---------------------------------------------------------------------------

def costs(number, repeat):
    """What a routed GET costs in webkit, piece by piece, beside the floors.

    Each piece runs alone in a loop, the way the dispatcher runs it for
    ``GET /view/x``; the pieces add up to roughly the whole request.
    """
    from webkit import Request, _wsgi

    apps, _ = build_all(10)
    app = apps['webkit'][0]
    routes = type(app).routes
    environ = environ_for('GET', '/view/x')
    call(app, 'GET', '/view/x')  # the route table is prepared on the first request

    def request():
        req = Request(environ_for('GET', '/view/x'))
        path = req.environ.get('PATH_INFO', '')
        return req.environ['REQUEST_METHOD'], path.isascii()

    req = Request(environ)
    pieces = {
        'raw WSGI callable (the floor)': _request(apps['raw WSGI'][0], 'GET', '/view/x'),
        'regex router on PATH_INFO, no framework': _request(apps['regex router'][0],
                                                            'GET', '/view/x'),
        'environ (the harness, in every figure)': lambda: environ_for('GET', '/view/x'),
        'request: Request(environ), method, path': request,
        'routing: Dispatcher._lookup': lambda: routes._lookup('/view/x', 'GET'),
        'req.urlvars and req.link (made if read)': lambda: (
            environ.__setitem__('wsgiorg.routing_args', ((), {'item': 'x'})),
            req.__dict__.__setitem__('_routed_by', routes), req.__dict__.pop('link', None)),
        'handler call (the method, urlvars as arguments)': lambda: getattr(
            type(app), 'view')(app, req, **{'item': 'x'}),
        'response: a str written out': lambda: _wsgi._plain_body('x', environ, _start_response),
        'webkit, the whole routed GET': _request(app, 'GET', '/view/x'),
    }
    return in_turns(pieces, number, repeat)


# -- report ---------------------------------------------------------------------------

#: (label, at most this many times Falcon's time)
TARGETS = [
    ('GET str', 1.0), ('GET, content type', 1.3), ('GET, header', 1.3),
    ('GET, cookie', 1.3), ('GET, Response', 1.3), ('controller action', 1.2),
    ('JSON POST', 1.2), (GUARDED_LABEL, 1.0),
]
HANDLER_LABELS = [label for label, *_ in SCENARIOS[:7]]
OTHER_LABELS = [label for label, *_ in SCENARIOS[7:]] + [GUARDED_LABEL]


def _table(headers, rows):
    widths = [max(len(str(row[i])) for row in [headers] + rows) for i in range(len(headers))]
    rule = '  '.join('=' * w for w in widths)

    def line(cells):
        return '  '.join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    return '\n'.join([rule, line(headers), rule] + [line(row) for row in rows] + [rule])


def _ratio(value, base):
    return f'{value / base:.2f}x' if value and base else '-'


def _met(ratio, limit):
    return 'yes' if ratio <= limit else f'no, {ratio / limit - 1:+.0%} over'


def _timings(timed, labels):
    rows = []
    for name, row in timed.items():
        if not any(label in row for label in labels):
            continue
        cells = [f'{row[label][0]:.2f}{row[label][1]}' if label in row else '-'
                 for label in labels]
        rows.append([name] + cells)
    return _table(['app'] + labels, rows)


def _targets(timed):
    webkit, falcon = timed.get('webkit', {}), timed.get('falcon', {})
    rows = []
    for label, limit in TARGETS:
        if label in webkit and label in falcon:
            ratio = webkit[label][0] / falcon[label][0]
            rows.append([label, f'{webkit[label][0]:.2f}', f'{falcon[label][0]:.2f}',
                         f'{ratio:.2f}x', f'{limit:.1f}x', _met(ratio, limit)])
    return _table(['shape', 'webkit', 'falcon', 'webkit/falcon', 'target', 'met'], rows)


def _scaling(scale):
    columns = list(next(iter(scale.values())))
    sizes = sorted({int(c.split()[-1]) for c in columns})
    small, large = sizes[0], sizes[-1]
    rows = []
    for (name, shape), row in scale.items():
        growth = [_ratio(row[f'last of {large}'], row[f'last of {small}']),
                  _ratio(row[f'miss, {large}'], row[f'miss, {small}'])]
        rows.append([name, shape] + [f'{row[c]:.2f}' for c in columns] + growth)
    return _table(['app', 'routes'] + columns + [f'last {large}/{small}',
                                                 f'miss {large}/{small}'], rows)


def report(results, quick):
    lines = []
    timed, missing = results['in_process']
    lines += ['Handlers, in process, microseconds per request (fastest round)', '',
              _timings(timed, HANDLER_LABELS), '',
              'Forms and refusals, in process, microseconds per request (fastest round); the '
              'guarded form runs behind sessions and CSRF protection (webkit: '
              'Sessions(CSRFProtection(app)); Falcon: a middleware doing the same)', '',
              _timings(timed, OTHER_LABELS), '',
              'Targets: webkit against Falcon, same shape, same run', '',
              _targets(timed), '']
    lines += ['Route-count scaling, microseconds per request: the last of N routes and a '
              'miss, for each shape of table', '', _scaling(results['scaling']), '']
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
        raw = served.get('raw WSGI', {})
        if raw.get('waitress') and raw.get('webkit.serve'):
            rows.append(['raw WSGI, webkit.serve / waitress',
                         f'{raw["webkit.serve"] / raw["waitress"] * 100:.1f}%', '', ''])
        if raw.get('waitress cpu') and raw.get('webkit.serve cpu'):
            rows.append(['raw WSGI, server CPU us/request',
                         f'{raw["waitress cpu"]:.0f}',
                         f'{raw["webkit.serve cpu"]:.0f} '
                         f'({raw["webkit.serve cpu"] / raw["waitress cpu"] * 100:.0f}%)', ''])
        lines += ['Under real servers (wrk, 1 thread, 8 connections; apps take turns, '
                  'median of the rounds), requests/s (% of raw WSGI)', '',
                  _table(['app', 'waitress', 'webkit.serve', 'gunicorn, 2 workers'], rows), '']
        rows = []
        for name, row in served.items():
            cells = [name]
            for server in SERVERS:
                base = raw.get(f'{server} cpu')
                value = row.get(f'{server} cpu')
                # As a share of raw's speed: raw's CPU time over the app's.
                share = f' ({base / value * 100:.0f}%)' if value and base else ''
                cells.append(f'{value:.0f}{share}' if value else '-')
            rows.append(cells)
        lines += ['The same runs, the server\'s CPU time per request (its workers\' for '
                  'gunicorn), microseconds (raw WSGI\'s time as a share of it: the speed '
                  'a CPU-bound server keeps)', '',
                  _table(['app', 'waitress', 'webkit.serve', 'gunicorn, 2 workers'], rows), '']
    else:
        lines += ['Under real servers: skipped (wrk is not installed)', '']
    mem = results['memory']
    rows = [[name, f'{kib / 1024:.1f}'] for name, kib in mem.items()]
    if 'webkit' in mem and 'bottle' in mem:
        rows.append(['webkit / bottle', f'{mem["webkit"] / mem["bottle"] * 100:.0f}%'])
    lines += ['Peak memory of a process serving one request, MiB', '',
              _table(['app', 'MiB'], rows), '']
    if results.get('costs'):
        rows = [[piece, f'{micros:.2f}'] for piece, micros in results['costs'].items()]
        lines += ['What costs what in a webkit routed GET (each piece alone, in a loop), '
                  'microseconds', '', _table(['piece', 'us'], rows), '']
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


def add_previous(rev):
    """Add webkit as of commit ``rev`` to the in-process runs, as ``webkit @ rev``.

    ``git archive`` copies that commit's ``webkit/`` into a temporary folder
    (the working tree and the repository are left alone), where it is
    imported under another name.
    """
    import functools
    import tarfile
    import tempfile
    sha = subprocess.run(['git', 'rev-parse', '--short', rev], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    folder = tempfile.mkdtemp(prefix='webkit-bench-')
    archive = subprocess.run(['git', 'archive', '--format=tar', sha, 'webkit'], cwd=ROOT,
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter='data')
    package = f'webkit_{sha}'
    os.rename(os.path.join(folder, 'webkit'), os.path.join(folder, package))
    sys.path.insert(0, folder)
    name = f'webkit @ {sha}'
    BUILDERS[name] = functools.partial(apps.webkit_minimal, package=package)
    PARTIAL[name] = {'GET str', 'controller action', '404', '405'}
    return name


def run(quick):
    number, repeat = (2000, 3) if quick else (5000, 5)
    seconds, rounds = (2, 2) if quick else (3, 3)
    results = {'in_process': in_process(number, repeat),
               'scaling': scaling(number // 4, repeat, (10, 1000) if quick else (10, 100, 1000)),
               'urls': url_generation(number, repeat),
               'costs': costs(number, repeat)}
    # The floors and an earlier webkit are compared in process only.
    names = [name for name in results['in_process'][0]
             if name != 'regex router' and not name.startswith('webkit @')]
    results['servers'] = servers(['raw WSGI', 'webkit'] + ([] if quick else [
        n for n in names if n not in ('raw WSGI', 'webkit')]), seconds, rounds)
    results['memory'] = memory(names)
    return results


#: Where the generated part of docs/benchmarks.rst begins; the text above it is kept.
RESULTS_MARK = 'Results\n-------\n\n.. Written by python -m benchmarks.bench --write-docs.'


def server_rounds(rounds, seconds=3):
    """The raw callable and webkit under each server, every round shown."""
    if shutil.which('wrk') is None:
        return 'Under real servers: skipped (wrk is not installed)'
    samples = servers(['raw WSGI', 'webkit'], seconds, rounds, keep_rounds=True)
    lines = [f'{rounds} rounds of {seconds} s; each figure the median, then every round']
    for server in SERVERS:
        for measure, unit in ((server, 'requests/s'), (f'{server} cpu', 'CPU us/request')):
            raw, app = samples['raw WSGI'][measure], samples['webkit'][measure]
            share = (statistics.median(app) / statistics.median(raw) if unit == 'requests/s'
                     else statistics.median(raw) / statistics.median(app))
            lines.append(f'{server:13} {unit:15} raw {statistics.median(raw):4.0f}, webkit '
                         f'{statistics.median(app):4.0f} ({share * 100:.1f}% of raw); rounds: '
                         f'raw {[round(x) for x in raw]}, webkit {[round(x) for x in app]}')
    raw = {key: statistics.median(values) for key, values in samples['raw WSGI'].items()}
    rate = raw['webkit.serve'] / raw['waitress'] * 100
    cpu = raw['webkit.serve cpu'] / raw['waitress cpu'] * 100
    lines.append(f'raw WSGI on webkit.serve against plain waitress: {rate:.1f}% of its '
                 f'requests/s, {cpu:.1f}% of its CPU per request')
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m benchmarks.bench')
    parser.add_argument('--quick', action='store_true', help='a short run, about a minute')
    parser.add_argument('--write-docs', action='store_true',
                        help='write the tables into docs/benchmarks.rst')
    parser.add_argument('--against', metavar='REV',
                        help='also time webkit as of this commit (e.g. HEAD)')
    parser.add_argument('--servers', metavar='ROUNDS', type=int,
                        help='only the servers, raw WSGI and webkit, over this many rounds')
    args = parser.parse_args(argv)
    if args.servers:
        print(server_rounds(args.servers))
        return 0
    if args.against:
        add_previous(args.against)
    text = report(run(args.quick), args.quick)
    header = f'Machine: {machine()}.\n\nVersions: {versions()}.\n'
    print(header + '\n' + text)
    if args.write_docs:
        path = os.path.join(ROOT, 'docs', 'benchmarks.rst')
        with open(path) as doc:
            kept = doc.read().partition(RESULTS_MARK)[0]
        with open(path, 'w') as doc:
            doc.write(kept + RESULTS_MARK + '\n\n' + header + '\n' + _as_rst(text))
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
