"""``python -m examples.questioner``: serve the questioner on waitress."""
import argparse
import sys

from webkit import serve


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m examples.questioner',
                                     description='Serve the registration form.')
    parser.add_argument('--host', default='127.0.0.1', help='default: %(default)s')
    parser.add_argument('--port', type=int, default=8080, help='default: %(default)s')
    parser.add_argument('--data', default='questioner-data',
                        help='where registrations are kept (default: %(default)s)')
    parser.add_argument('--questions', help='a JSON file of questions to ask')
    parser.add_argument('--reload', action='store_true',
                        help='restart when a source file changes (development)')
    args = parser.parse_args(argv)
    if args.reload:
        import hupper
        if not hupper.is_active():
            hupper.start_reloader('examples.questioner.__main__.main', worker_args=[argv])
    from .app import make_app
    serve(make_app(data_dir=args.data, questions_file=args.questions), args.host, args.port)


if __name__ == '__main__':
    sys.exit(main())
