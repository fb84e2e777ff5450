"""Serve one benchmark application: ``python -m benchmarks.serve NAME PORT``.

On plain waitress, or with ``--webkit`` on :func:`webkit.serve` (waitress
with webkit's settings and its stricter channel). ``BENCH_APP=NAME
gunicorn benchmarks.serve:application`` serves it under gunicorn.
"""
import os
import sys

from .apps import BUILDERS


def build(name):
    app, _ = BUILDERS[name](int(os.environ.get('BENCH_EXTRA', '10')))
    return app


def application(environ, start_response):
    global _app
    if _app is None:
        _app = build(os.environ['BENCH_APP'])
    return _app(environ, start_response)


_app = None

if __name__ == '__main__':
    if '--webkit' in sys.argv[3:]:
        import webkit
        webkit.serve(build(sys.argv[1]), '127.0.0.1', int(sys.argv[2]), threads=4)
    else:
        import waitress
        waitress.serve(build(sys.argv[1]), host='127.0.0.1', port=int(sys.argv[2]),
                       threads=4, _quiet=True)
