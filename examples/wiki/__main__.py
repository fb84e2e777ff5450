"""``python -m examples.wiki``: serve the wiki on waitress."""
import argparse
import sys
from pathlib import Path

from webkit import serve


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f'python -m {__package__}',
                                     description='Serve a wiki kept in files.')
    parser.add_argument('--host', default='127.0.0.1', help='default: %(default)s')
    parser.add_argument('--port', type=int, default=8080, help='default: %(default)s')
    parser.add_argument('--file-path', default='wiki-data',
                        help='the folder holding the pages, created if missing '
                             '(default: %(default)s)')
    parser.add_argument('--reload', action='store_true',
                        help='restart when a source file changes (development)')
    args = parser.parse_args(argv)
    if args.reload:
        import hupper
        if not hupper.is_active():
            # Named from __package__, so a copied and renamed folder reloads itself.
            hupper.start_reloader(f'{__package__}.__main__.main', worker_args=[argv])
    if args.reload:
        # hupper watches the modules imported; templates and styles are files.
        here = Path(__file__).resolve().parent
        hupper.get_reloader().watch_files([str(here / 'templates' / '*.html'),
                                           str(here / 'static' / '*')])
    from .app import make_app
    serve(make_app(file_path=args.file_path), args.host, args.port)


if __name__ == '__main__':
    sys.exit(main())
