"""The command line: ``python -m webkit serve|routes package.module:app``."""
import argparse
import logging
import sys

from ._util import LoadError, load_object
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
    return parser


def _lint(parser, args):
    from .lint import check_app
    app = _load_app(parser, args.app)
    try:
        findings = check_app(app, args.paths or None, strict_accept=args.strict_accept)
    except ValueError as error:
        parser.exit(2, f'error: {error}\n')
    for finding in findings:
        print(finding)
    errors = sum(f.severity == 'error' for f in findings)
    warnings = len(findings) - errors
    print(f'{args.app}: {errors} error(s), {warnings} warning(s)')
    return 1 if errors else 0


def _load_app(parser, spec):
    try:
        app = load_object(spec)
    except LoadError as error:
        parser.exit(2, f'error: {error}\n')
    if not callable(app) or isinstance(app, type):
        parser.exit(2, f'error: {spec} is {app!r}, not a WSGI application '
                       '(give an instance, not a class)\n')
    return app


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == 'lint':
        return _lint(parser, args)
    if args.command == 'routes':
        app = _load_app(parser, args.app)
        routes = getattr(app, 'routes', app)
        if not hasattr(routes, 'match'):
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
