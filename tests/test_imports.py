"""What a process serving routed requests loads: only what it uses.

Every module costs each process memory (``benchmarks/`` measures the
peak against Bottle's); these are loaded when an application first uses
what needs them, never by a routed request that does not.
"""
import os
import subprocess
import sys

import pytest

_SERVE_ONE = '''
import io, sys
sys.modules['paste'] = None  # installed for the tests; WebOb's errors import it if present
import webkit

class Items(webkit.Controller):
    def view(self, item):
        return item

class App:
    routes = webkit.Dispatcher()
    routes.connect('view', '/view/{item}', 'view')
    routes.connect('items', '/items/{action}/{item}', Items)

    def view(self, req, item):
        req.response.content_type = 'text/plain'
        return req.link('view', item=item)

    __call__ = routes

for path in ['/view/x', '/items/view/y', '/nothing']:
    environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': path, 'SCRIPT_NAME': '',
               'QUERY_STRING': '', 'SERVER_NAME': 'localhost', 'SERVER_PORT': '80',
               'SERVER_PROTOCOL': 'HTTP/1.1', 'wsgi.url_scheme': 'http', 'wsgi.version': (1, 0),
               'wsgi.input': io.BytesIO(), 'wsgi.errors': sys.stderr}
    print(b''.join(App()(environ, lambda status, headers, exc_info=None: None)).decode()[:20])
print(' '.join(sorted(sys.modules)))
'''


@pytest.fixture(scope='module')
def loaded():
    # Without the coverage the suite may run under: it would load its own modules.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('COV_CORE', 'COVERAGE_'))}
    result = subprocess.run([sys.executable, '-c', _SERVE_ONE], capture_output=True,
                            text=True, timeout=60, check=True, env=env)
    *answers, modules = result.stdout.splitlines()
    assert answers[:2] == ['/view/x', 'y']  # the requests were answered
    return set(modules.split())


@pytest.mark.parametrize('module', [
    'typing',       # annotations are for the type checker
    'inspect',      # handler signatures are read from code objects
    'logging',      # loaded when there is something to log
    'formencode',   # forms
    'tempita',      # templates
    'waitress',     # the server
    'webkit.csrf', 'webkit.sessions', 'webkit.forms', 'webkit.server',
])
def test_a_routed_request_does_not_load(loaded, module):
    assert module not in loaded
