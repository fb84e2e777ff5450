"""Hello, webkit: a configured application with two routes."""
from webkit import Dispatcher


class Hello:
    routes = Dispatcher()
    routes.connect('index', '/', 'index')
    routes.connect('greet', '/greet/{name}', 'greet')

    def __init__(self, greeting='Hello'):
        self.greeting = greeting            # configuration lives on the instance

    def index(self, req):
        link = req.link('greet', name='Ada Lovelace')
        return f'<p>{self.greeting}! Try <a href="{link}">{link}</a>.</p>'

    def greet(self, req, name):
        req.response.content_type = 'text/plain'   # the name is echoed: no HTML
        return f'{self.greeting}, {name}!'

    __call__ = routes                       # instances are WSGI applications


def make_app(global_config=None, **settings):
    """Build the application from settings (also a Paste Deploy app factory)."""
    return Hello(settings.get('greeting', 'Hello'))


application = make_app()
