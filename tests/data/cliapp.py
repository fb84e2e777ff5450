"""Applications for the command-line tests."""
from webkit import Dispatcher, wsgify


class Site:
    routes = Dispatcher()
    routes.connect('index', '/', 'index')
    routes.connect('page', '/page/{name}', 'page')

    def index(self, req):
        return 'cli index'

    def page(self, req, name):
        return f'page {name}'

    __call__ = routes


application = Site()
plain = wsgify(lambda req: 'plain app')
not_an_app = 42
