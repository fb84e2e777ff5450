"""``python -m examples.questioner``: serve the questioner on waitress."""
import argparse
import os
import sys
from pathlib import Path

from webkit import serve


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f'python -m {__package__}',
                                     description='Serve the registration form.')
    parser.add_argument('--host', default='127.0.0.1', help='default: %(default)s')
    parser.add_argument('--port', type=int, default=8080, help='default: %(default)s')
    parser.add_argument('--data', default='questioner-data',
                        help='where registrations are kept (default: %(default)s)')
    parser.add_argument('--questions', help='a JSON file of questions to ask')
    parser.add_argument('--database-url', default=os.environ.get('QUESTIONER_DATABASE_URL'),
                        help='postgresql://... to keep registrations in PostgreSQL '
                             '(default: $QUESTIONER_DATABASE_URL, else SQLite in --data)')
    parser.add_argument('--reload', action='store_true',
                        help='restart when a source file changes (development)')
    args = parser.parse_args(argv)
    if args.reload:
        import hupper
        if not hupper.is_active():
            # Named from __package__, so a copied and renamed folder reloads itself.
            hupper.start_reloader(f'{__package__}.__main__.main', worker_args=[argv])
        # hupper watches the modules imported; templates and questions are files.
        here = Path(__file__).resolve().parent
        watched = [str(here / 'templates' / '*'), str(here / '*.json')]
        hupper.get_reloader().watch_files(watched + ([args.questions] if args.questions else []))
    from webkit import ConfigurationError

    from .app import make_app
    from .questions import InvalidQuestion
    try:
        app = make_app(data_dir=args.data, questions_file=args.questions,
                       database_url=args.database_url)
    except (InvalidQuestion, ConfigurationError) as error:
        parser.error(str(error))  # a clear message and exit status 2, no traceback
    serve(app, args.host, args.port)


if __name__ == '__main__':
    sys.exit(main())
