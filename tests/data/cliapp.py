"""Applications for the command-line tests."""
from webkit import Dispatcher, wsgify
from webkit.proxy import PublicOrigin


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
# Behind a layer that refuses any Host but its own.
guarded_host = PublicOrigin(Site(), allowed_hosts=['.shop.example:8443'])
plain = wsgify(lambda req: 'plain app')
not_an_app = 42


class Api:
    """Takes any body at /items, though it is meant to be a JSON endpoint."""
    routes = Dispatcher()
    routes.connect('items', '/items', 'items', methods=('GET', 'POST'))

    def items(self, req):
        return 'items'

    __call__ = routes


api = Api()


class Uncallable:
    """A route table, but no `__call__ = routes`: instances are not applications."""
    routes = Dispatcher()
    routes.connect('index', '/', 'index')

    def index(self, req):
        return 'never served'


uncallable = Uncallable()
