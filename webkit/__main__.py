"""The command line: ``python -m webkit serve|routes package.module:app``."""
import argparse
import logging
import os
import sys
import traceback

from ._util import LoadError, load_object
from .dispatch import route_table
from .exc import WebkitError
from .server import ServerError, serve

__all__ = ['main']


def _parser():
    parser = argparse.ArgumentParser(prog='python -m webkit',
                                     description='Serve or inspect a WSGI application.')
    commands = parser.add_subparsers(dest='command', required=True)
    run = commands.add_parser('serve', help='serve an application on waitress')
    run.add_argument('app', help="the application, as 'package.module:name'")
    run.add_argument('--host', default='127.0.0.1',
                     help='address to listen on (default: %(default)s)')
    run.add_argument('--port', type=int, default=8080,
                     help='port to listen on (default: %(default)s)')
    run.add_argument('--threads', type=int, default=4,
                     help='worker threads (default: %(default)s)')
    run.add_argument('--reload', action='store_true',
                     help='restart when a source file changes (development)')
    table = commands.add_parser('routes', help="print an application's route table")
    table.add_argument('app', help="the application, as 'package.module:name'")
    lint = commands.add_parser('lint', help="check an application's HTTP answers")
    lint.add_argument('app', help="the application, as 'package.module:name'")
    lint.add_argument('paths', nargs='*',
                      help='paths to check (default: from the route table)')
    lint.add_argument('--strict-accept', action='store_true',
                      help='warn whenever an unsatisfiable Accept gets a 200')
    lint.add_argument('--sample', action='append', default=[], metavar='VAR=VALUE',
                      type=_sample, help='the value of a route variable (repeatable)')
    lint.add_argument('--json-path', action='append', metavar='PATH',
                      help='a JSON endpoint, which must refuse other bodies with 415 '
                           '(repeatable)')
    return parser


def _sample(text):
    name, equals, value = text.partition('=')
    if not (equals and name.isidentifier()):
        raise argparse.ArgumentTypeError(f'expected VAR=VALUE, got {text!r}')
    return name, value


def _lint(parser, args):
    from .lint import check_app
    app = _load_app(parser, args.app)
    try:
        findings = check_app(app, args.paths or None, samples=dict(args.sample),
                             strict_accept=args.strict_accept, json_paths=args.json_path)
    except ValueError as error:
        parser.exit(2, f'error: {error}\n')
    for finding in findings:
        print(finding)
    errors = sum(f.severity == 'error' for f in findings)
    warnings = len(findings) - errors
    print(f'{args.app}: {errors} error(s), {warnings} warning(s)')
    return 1 if errors else 0


def _load_app(parser, spec):
    # As under `python -m`: the `webkit` script finds modules in this folder too.
    if '' not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        app = load_object(spec)
    except LoadError as error:
        parser.exit(2, f'error: {error}\n')
    except Exception as error:  # the module itself is broken: show where, then why
        traceback.print_exc()
        # Python 3.11 wraps an error in __set_name__ (a bad route) in a RuntimeError.
        cause = error.__cause__ if isinstance(error.__cause__, WebkitError) else error
        parser.exit(2, f'error: cannot load {spec!r}: importing it raised '
                       f'{type(cause).__name__}: {cause}\n')
    if isinstance(app, type):
        parser.exit(2, f'error: {spec} is the class {app.__qualname__}: give an instance '
                       f'(application = {app.__qualname__}(...))\n')
    if not callable(app):
        hint = ('; its class needs `__call__ = routes`' if route_table(app) is not None
                else ', not a WSGI application')
        parser.exit(2, f'error: {spec} is {app!r:.80}, which is not callable{hint}\n')
    return app


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == 'lint':
        return _lint(parser, args)
    if args.command == 'routes':
        routes = route_table(_load_app(parser, args.app))  # looks through middleware
        if routes is None:
            parser.exit(2, f'error: {args.app} has no route table\n')
        print(routes)
        return 0
    if args.reload:
        import hupper
        if not hupper.is_active():
            hupper.start_reloader('webkit.__main__.main', worker_args=[argv])
    app = _load_app(parser, args.app)
    logging.basicConfig(level=logging.INFO, format='%(levelname)s %(name)s: %(message)s')
    try:
        serve(app, args.host, args.port, threads=args.threads)
    except ServerError as error:
        parser.exit(1, f'error: {error}\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
