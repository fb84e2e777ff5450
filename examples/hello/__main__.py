"""``python -m examples.hello [--host H] [--port P] [--greeting G]``: serve it on waitress."""
import argparse

from webkit import serve

from .app import Hello

parser = argparse.ArgumentParser(prog=f'python -m {__package__}')  # also when copied
parser.add_argument('--host', default='127.0.0.1', help='default: %(default)s')
parser.add_argument('--port', type=int, default=8080, help='default: %(default)s')
parser.add_argument('--greeting', default='Hello', help='default: %(default)s')
args = parser.parse_args()
serve(Hello(args.greeting), args.host, args.port)
