"""``python -m examples.hello [--host H] [--port P]``: serve the demo on waitress."""
import argparse

from webkit import serve

from .app import Hello

parser = argparse.ArgumentParser(prog='python -m examples.hello')
parser.add_argument('--host', default='127.0.0.1')
parser.add_argument('--port', type=int, default=8080)
parser.add_argument('--greeting', default='Hello')
args = parser.parse_args()
serve(Hello(args.greeting), args.host, args.port)
