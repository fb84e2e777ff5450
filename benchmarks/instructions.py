"""Instructions per request, counted by valgrind: the work itself, apart from
how fast this machine runs it.

    python -m benchmarks.instructions         # about three minutes (needs valgrind)

Rows: the handler shapes of the benchmark's first table; the guarded form;
the same request to a handler that reads the session and returns an empty
page (the guard alone: sessions, CSRF, the form read for its token), and
to one that makes its page twice (what a second render costs within a
request); and the refill alone, of the same page with the same values on
both sides, and of a page never seen before on every call (webkit reads
a page once and fills it from that reading afterwards).

The time of the guarded form is not the sum of its parts' times: run one
after the other, a request and a render each take longer than alone, more
so for webkit than for Falcon (``docs/benchmarks.rst``). Instructions do add
up, and say how much each framework executes for the same work. Each figure
is the count of a process running the request ``COUNT`` times, less the
count of the same process running it none, over ``COUNT``; beside it, the
time per request in process (the fastest of several rounds, taking turns).

Beside them, the Python bytecodes each request executes, counted by a
trace function: what the interpreter's own loop goes through, a share of
the instructions that costs more time per instruction than the rest (the
C of a hash, a regular expression or a parser runs fast). Where the two
frameworks' ratios of instructions and of time differ, this one usually
lies close to the time's.
"""
import itertools
import os
import re
import shutil
import subprocess
import sys
import time

from . import apps
from .bench import SCENARIOS, call

COUNT = 1000
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _render_params():
    from webob.multidict import MultiDict
    return MultiDict([('email', 'nobody'), ('age', '3'), ('csrf_token', apps.TOKEN)])


def _handler(name, method, path, body):
    app = apps.BUILDERS[name](10)[0]
    return lambda: call(app, method, path, body)


def _guarded(name, path='/guarded'):
    app, (cookie, body) = apps.GUARDED[name](10)
    return lambda: call(app, 'POST', path, body, cookie)


def _pages(new_each_time):
    """The page to refill on each call: always the same, or one never seen before."""
    if not new_each_time:
        return itertools.repeat(apps.GUARDED_FORM)
    return (apps.GUARDED_FORM.replace('<form', f'<!-- {n} --><form') for n in itertools.count())


def _webkit_render(new_each_time=False):
    from webkit.forms import render_form
    params, pages = _render_params(), _pages(new_each_time)
    # The page Falcon's handler refills, token field included, with the same values.
    return lambda: render_form(next(pages), params, {'email': 'Enter an email'})


def _falcon_render(new_each_time=False):
    params, pages = _render_params(), _pages(new_each_time)
    return lambda: apps.refill(params, next(pages))


#: (label, framework) -> a builder of the call to count: the handler shapes
#: of the benchmark's first table, the guarded form and its refill.
WORK = {
    **{(label, name): (lambda name=name, shape=shape: _handler(name, *shape))
       for label, *shape in SCENARIOS[:6] for name in ('webkit', 'falcon')},
    ('form POST, session + CSRF', 'webkit'): lambda: _guarded('webkit'),
    ('form POST, session + CSRF', 'falcon'): lambda: _guarded('falcon'),
    ('the same, without the page', 'webkit'): lambda: _guarded('webkit', '/guard'),
    ('the same, without the page', 'falcon'): lambda: _guarded('falcon', '/guard'),
    ('the same, page made twice', 'webkit'): lambda: _guarded('webkit', '/twice'),
    ('the same, page made twice', 'falcon'): lambda: _guarded('falcon', '/twice'),
    ('the refill alone', 'webkit'): _webkit_render,
    ('the refill alone', 'falcon'): _falcon_render,
    # webkit reads a page once and fills it from that reading after: a page
    # that differs on every request (its text made per request) is read each time.
    ('the refill, a page never seen', 'webkit'): lambda: _webkit_render(True),
    ('the refill, a page never seen', 'falcon'): lambda: _falcon_render(True),
}


def _run(index, count):
    """In the counted process: build the call, warm it up, make it ``count`` times."""
    work = list(WORK.values())[index]()
    for _ in range(200):
        work()
    for _ in range(count):
        work()


def _instructions(index, count):
    result = subprocess.run(
        ['valgrind', '--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null',
         sys.executable, '-m', 'benchmarks.instructions', '--run', str(index), str(count)],
        cwd=ROOT, capture_output=True, text=True, check=True,
        env={**os.environ, 'PYTHONHASHSEED': '0'})  # the same count on every run
    return int(re.search(r'I\s+refs:\s+([\d,]+)', result.stderr)[1].replace(',', ''))


def _bytecodes(index, count=20):
    """The bytecodes one call of ``WORK``'s ``index``-th entry executes.

    Counted in a process of its own, as the instructions are: tracing
    opcodes instruments every function the process runs (Python 3.12 keeps
    them so), which nothing else measured or tested should pay for.
    """
    result = subprocess.run(
        [sys.executable, '-m', 'benchmarks.instructions', '--bytecodes', str(index), str(count)],
        cwd=ROOT, capture_output=True, text=True, check=True,
        env={**os.environ, 'PYTHONHASHSEED': '0'})
    return int(result.stdout)


def _count_bytecodes(work, count):
    """In the counting process: the bytecodes one call of ``work`` executes, warmed up."""
    executed = 0

    def trace(frame, event, arg):
        nonlocal executed
        frame.f_trace_opcodes = True
        if event == 'opcode':
            executed += 1
        return trace

    for _ in range(200):
        work()
    sys.settrace(trace)  # once before: Python 3.12.1 reports no opcodes the first time
    work()
    sys.settrace(None)
    executed = 0
    sys.settrace(trace)
    try:
        for _ in range(count):
            work()
    finally:
        sys.settrace(None)
    return executed // count


def _micros(rounds=7, number=2000):
    calls = {key: build() for key, build in WORK.items()}
    best = dict.fromkeys(calls, float('inf'))
    for _ in range(rounds):
        for key, work in calls.items():
            start = time.perf_counter()
            for _ in range(number):
                work()
            best[key] = min(best[key], (time.perf_counter() - start) / number * 1e6)
    return best


def main():
    if shutil.which('valgrind') is None:
        sys.exit('valgrind is needed: apt-get install valgrind')
    micros = _micros()
    bytecodes = {key: _bytecodes(index) for index, key in enumerate(WORK)}
    print(f'{"":28} {"":8} {"instructions":>12} {"bytecodes":>9} {"µs":>7}')
    counted = {}
    for index, key in enumerate(WORK):
        counted[key] = (_instructions(index, COUNT) - _instructions(index, 0)) // COUNT
        print(f'{key[0]:28} {key[1]:8} {counted[key]:12,} {bytecodes[key]:9,} '
              f'{micros[key]:7.1f}')
    for label in dict.fromkeys(label for label, _ in WORK):
        def ratio(figures):
            return figures[label, 'webkit'] / figures[label, 'falcon']
        print(f'{label}: webkit/falcon {ratio(counted):.2f}x instructions, '
              f'{ratio(bytecodes):.2f}x bytecodes, {ratio(micros):.2f}x time')


if __name__ == '__main__':
    if sys.argv[1:2] == ['--run']:
        _run(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1:2] == ['--bytecodes']:
        print(_count_bytecodes(list(WORK.values())[int(sys.argv[2])](), int(sys.argv[3])))
    else:
        main()
