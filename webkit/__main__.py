"""The command line: ``python -m webkit serve|routes package.module:app``."""
import argparse
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from . import __version__
from .dispatch import route_table
from .exc import ConfigurationError, LoadError, ServerError, WebkitError
from .server import parse_size, serve

__all__ = ['main', 'load_object']


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m webkit',
                                     description='Serve or inspect a WSGI application.')
    parser.add_argument('--version', action='version', version=f'webkit {__version__}')
    commands = parser.add_subparsers(dest='command', required=True)
    run = commands.add_parser('serve', help='serve an application on waitress')
    run.add_argument('app', help="the application, as 'package.module:name'")
    run.add_argument('--host', default='127.0.0.1',
                     help='address to listen on (default: %(default)s)')
    run.add_argument('--port', type=int, default=8080,
                     help='port to listen on (default: %(default)s)')
    run.add_argument('--threads', type=int, default=4,
                     help='worker threads (default: %(default)s)')
    run.add_argument('--max-body-size', type=_size, metavar='BYTES',
                     help="the largest request body, e.g. 1048576, 512K or 50M "
                          "(default: the application's request class's limit)")
    run.add_argument('--base-url', metavar='URL',
                     help="the public URL clients use, such as https://shop.example: "
                          'redirects and links go there, and forms posted from it pass')
    run.add_argument('--allowed-host', action='append', default=[], metavar='HOST',
                     help="a host name to answer for, such as shop.example or "
                          '.shop.example with its subdomains; other hosts get a 400 '
                          '(repeatable; default: any)')
    run.add_argument('--trusted-proxy', action='append', default=[], metavar='ADDRESS',
                     help='the address or network (10.0.0.0/8) of a proxy in front, '
                          'whose X-Forwarded-For, -Proto and -Host are honoured (repeatable)')
    run.add_argument('--proxy-headers', choices=('x-forwarded', 'forwarded'),
                     default='x-forwarded',
                     help='what the trusted proxies send: X-Forwarded-* or Forwarded '
                          '(RFC 7239) (default: %(default)s)')
    run.add_argument('--access-log', action='store_true',
                     help='log one line per request (to stderr)')
    run.add_argument('--reload', action='store_true',
                     help='restart when a source file, or a file other than Python '
                          "code in the application's package folder, changes (development)")
    table = commands.add_parser('routes', help="print an application's route table")
    table.add_argument('app', help="the application, as 'package.module:name'")
    table.add_argument('--check', action='store_true',
                       help='also report shadowed routes and URLs that do not route '
                            'back (exit status 1 if any)')
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
    lint.add_argument('--host', help='the Host header to send (default: one the '
                                     "application's PublicOrigin allows, else localhost)")
    return parser


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _sample(text: str) -> tuple[str, str]:
    name, equals, value = text.partition('=')
    if not (equals and name.isidentifier()):
        raise argparse.ArgumentTypeError(f'expected VAR=VALUE, got {text!r}')
    return name, value


def _lint(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from .lint import check_app
    app = _load_app(parser, args.app)
    try:
        findings = check_app(app, args.paths or None, samples=dict(args.sample),
                             strict_accept=args.strict_accept, json_paths=args.json_path,
                             host=args.host)
    except ValueError as error:
        parser.exit(2, f'error: {error}\n')
    for finding in findings:
        print(finding)
    errors = sum(f.severity == 'error' for f in findings)
    warnings = len(findings) - errors
    print(f'{args.app}: {errors} error(s), {warnings} warning(s)')
    return 1 if errors else 0


def _load_app(parser: argparse.ArgumentParser, spec: str) -> Any:
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


#: What ``--reload`` watches besides the Python modules imported (which
#: hupper watches itself): templates, data and configuration.
DATA_SUFFIXES = ('html', 'htm', 'json', 'ini', 'txt', 'css', 'js', 'toml', 'yaml', 'yml')


def _data_files(spec: str) -> list[str]:
    """Patterns for the files next to the application's module.

    The whole folder of its package, subfolders included (``templates/``);
    only the module's own folder for a module outside any package (it may
    be the project's root, with a virtualenv in it). Hidden folders and
    files are skipped, as ``glob`` does.
    """
    module: Any = sys.modules[spec.partition(':')[0]]  # loaded from a file
    folder = os.path.dirname(os.path.abspath(module.__file__))
    depth = '**' if module.__spec__.parent else ''
    return [os.path.join(folder, depth, f'*.{suffix}') for suffix in DATA_SUFFIXES]


def main(argv: Sequence[str] | None = None) -> int:
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
        if not args.check:
            return 0
        from .routecheck import check_routes
        problems = check_routes(routes)
        for problem in problems:
            print(problem)
        print(f'{args.app}: {len(problems)} route problem(s)')
        return 1 if problems else 0
    if args.reload:
        import hupper
        if not hupper.is_active():
            hupper.start_reloader('webkit.__main__.main', worker_args=[argv])
    app = _load_app(parser, args.app)
    if args.reload:
        hupper.get_reloader().watch_files(_data_files(args.app))
    logging.basicConfig(level=logging.INFO, format='%(levelname)s %(name)s: %(message)s')
    try:
        serve(app, args.host, args.port, threads=args.threads, access_log=args.access_log,
              max_body_size=args.max_body_size, base_url=args.base_url,
              allowed_hosts=args.allowed_host, trusted_proxies=args.trusted_proxy,
              proxy_headers=args.proxy_headers)
    except (ServerError, ConfigurationError) as error:
        parser.exit(1, f'error: {error}\n')
    return 0


def load_object(spec: str) -> Any:
    """Import ``'package.module:attribute.path'`` and return the object.

    >>> load_object('webkit.dispatch:Dispatcher')
    <class 'webkit.dispatch.Dispatcher'>
    >>> load_object('webkit')
    Traceback (most recent call last):
    ...
    webkit.exc.LoadError: cannot load 'webkit': expected 'package.module:name'
    """
    module_name, colon, attr_path = spec.partition(':')
    if not colon or not module_name or not attr_path:
        raise LoadError(spec, "expected 'package.module:name'")
    try:
        obj = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and (module_name == error.name
                           or module_name.startswith(error.name + '.')):
            raise LoadError(spec, f'no module named {error.name!r} (run from the folder '
                                  'that holds it, or add that folder to PYTHONPATH)') from None
        raise
    for attr in attr_path.split('.'):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            raise LoadError(spec, f'{module_name} has no attribute {attr_path!r}') from None
    return obj


if __name__ == '__main__':
    sys.exit(main())
