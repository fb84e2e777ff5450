"""The questioner: a registration form with a dynamic set of questions.

``GET /`` shows the form; ``POST /`` validates it and either shows it
again, filled in and with the errors next to their fields, or stores the
registration and redirects to ``/thanks``. A JSON client posting the
same fields gets ``201 Created`` or the errors as a structured 400.
A form whose CSRF token has expired comes back filled in (passwords
aside) with a fresh token; every error page is in the site's layout (a
JSON client gets JSON); ``GET /-/health`` answers ``ok`` for load
balancers.
"""
import json
import logging
import os
from pathlib import Path
from urllib.parse import quote

import tempita
from webob import exc

from webkit import CSRFProtection, Dispatcher, Response, TemplateLoader, wsgify
from webkit.csrf import load_secret
from webkit.forms import FORM_ERROR, json_body, json_errors, render_form, validate, wants_json
from webkit.log import printable
from webkit.proxy import PublicOrigin
from webkit.request import FORM_TYPES
from webkit.static import Static

from .questions import DEFAULT_QUESTIONS, load_questions, registration_schema
from .storage import UsernameTaken, open_store

__all__ = ['Questioner', 'make_app', 'application']

_EXPIRED = ('This form had expired, so nothing was saved yet. Everything you typed is '
            'still here except the passwords: type them again, then register.')
# What an error page says: fixed text, never anything from the request.
_PROBLEMS = {
    400: ('Bad request', 'The request could not be understood.'),
    403: ('Forbidden', 'This request was refused.'),
    404: ('Page not found', 'There is no page at this address.'),
    405: ('Method not allowed', 'This page cannot be used that way.'),
    413: ('Too large', 'What was sent is larger than this site accepts.'),
    415: ('Unsupported content', 'Send the form from its page, or send JSON.'),
    500: ('Something went wrong', 'The server could not complete the request. '
                                  'Please try again in a moment.'),
}
# The error's own headers worth keeping (Allow on a 405); the page brings the rest.
_KEPT = frozenset({'allow', 'retry-after', 'set-cookie', 'vary', 'cache-control'})


class Questioner:
    """The registration application, configured by its constructor.

    - ``data_dir``: where the SQLite database and the signing secret
      live (created if missing);
    - ``questions``: the :class:`~examples.questioner.questions.Question`
      list to ask;
    - ``secret``: signs the CSRF cookie (default: a secret made once in
      ``data_dir``); give the same one to every machine;
    - ``database_url``: ``postgresql://...`` keeps registrations in
      PostgreSQL (psycopg 3); empty, SQLite in ``data_dir``.

    An instance is the whole WSGI application, CSRF protection, error
    pages and security headers included.
    """

    routes = Dispatcher()
    routes.connect('form', '/', 'form')
    routes.connect('register', '/', 'register', methods=['POST'])
    routes.connect('thanks', '/thanks', 'thanks')
    routes.connect('health', '/-/health', 'health')
    routes.connect('static', '/-/static/{path:.*}', view=Static(Path(__file__).parent / 'static'))

    def __init__(self, data_dir='questioner-data', questions=DEFAULT_QUESTIONS,
                 site_name='Questioner', *, secret=None, database_url=None):
        self.store = open_store(database_url, data_dir)
        self.questions = tuple(questions)
        self.schema = registration_schema(self.questions)
        self.templates = TemplateLoader.beside(__file__)
        self.templates.namespace.update(site_name=site_name)
        self.headers = security_headers()
        protected = CSRFProtection(self.routes, secret or load_secret(Path(data_dir) / 'secret'),
                                   exempt=_json_request, on_refusal=self._refused)
        self._wsgi = _site_pages(protected, site=self)

    def __repr__(self):
        return f'Questioner({self.store!r}, {len(self.questions)} questions)'

    def __call__(self, environ, start_response):
        return self._wsgi(environ, start_response)

    # -- pages -------------------------------------------------------------

    def page(self, req, title, content):
        """``content`` (trusted HTML) inside the site's layout."""
        # req.link exists only once a route matched; a 404 page has none.
        prefix = quote(req.script_name)
        return self.templates.render(
            'layout.html', title=title, home=prefix + self.routes.url('form'),
            stylesheet=prefix + self.routes.url('static', path='site.css'),
            content=tempita.html(content))

    def form(self, req, errors=None):
        form = self.templates.render('form.html', action=req.link('register'),
                                     questions=self.questions)
        return self.page(req, 'Register', render_form(form, req.POST, errors, req=req))

    def register(self, req):
        sent_json = req.media_type == 'application/json'
        if not sent_json and req.media_type not in FORM_TYPES:
            raise exc.HTTPUnsupportedMediaType('send a form or application/json')
        params = json_body(req) if sent_json else req.POST
        if not isinstance(params, dict) and not hasattr(params, 'mixed'):
            return json_errors({FORM_ERROR: 'Send a JSON object'})
        values, errors = validate(self.schema, params)
        if not errors:
            answers = {q.name: values[q.name] or '' for q in self.questions}
            try:
                self.store.add(values['username'], values['password'], answers)
            except UsernameTaken:
                errors = {'username': 'That username is already taken'}
        if errors:
            if sent_json or wants_json(req):
                return json_errors(errors)
            return self.form(req, errors)
        if sent_json:
            body = json.dumps({'username': values['username']})
            return Response(body, status=201, content_type='application/json',
                            charset='UTF-8', location=req.link('thanks'))
        return exc.HTTPSeeOther(location=req.link('thanks'))

    def thanks(self, req):
        content = self.templates.render('thanks.html', form_url=req.link('form'))
        return self.page(req, 'Thank you!', content)

    def health(self, req):
        # For load balancers: no template, no store, no cookie.
        return Response('ok', content_type='text/plain', charset='UTF-8',
                        cache_control='no-store')

    def _refused(self, req, refusal):
        """A POST without a valid CSRF token: nothing typed is lost.

        The form comes back with what was sent (passwords aside), a fresh
        token and a message; a cross-site post gets the plain 403, so no
        other site can prefill the form for our users.
        """
        if req.media_type not in FORM_TYPES or refusal.cross_site:
            return refusal
        req.response.status = 403
        return self.form(req, {FORM_ERROR: _EXPIRED})

    def error_page(self, req, error):
        """The answer for an HTTP error: a page in the layout, or JSON."""
        code = error.status_int
        title, message = _PROBLEMS.get(code, (error.title, error.explanation))
        if wants_json(req):
            resp = json_errors({'request': message}, status=code)
        else:
            resp = Response(self.page(req, title, self.templates.render(
                'error.html', message=message, home=quote(req.script_name) + '/')),
                status=code, charset='UTF-8')
        for name, value in error.headerlist:
            if name.lower() in _KEPT:
                resp.headerlist.append((name, value))
        return resp


def security_headers():
    """The headers every page gets: no framing, no sniffing, only our own style.

    The style is the site's own file (``static/site.css``, served by
    :class:`webkit.Static`), so the policy needs no ``'unsafe-inline'``;
    an inline ``style=`` attribute or a ``<style>`` would be refused: add
    rules to ``static/site.css``.
    """
    return {
        'Content-Security-Policy': ("default-src 'self'; style-src 'self'; "
                                    "frame-ancestors 'none'; form-action 'self'; "
                                    "base-uri 'none'"),
        'X-Frame-Options': 'DENY',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'same-origin',
    }


@wsgify.middleware
def _site_pages(req, app, site):
    """Every answer with the security headers; every error in the layout."""
    try:
        resp = req.get_response(app)
    except Exception:
        logging.getLogger('webkit').exception('error handling %s %s', printable(req.method),
                                              printable(req.path_qs))
        resp = exc.HTTPInternalServerError()
    if isinstance(resp, exc.HTTPException) and resp.status_int >= 400:
        resp = site.error_page(req, resp)
    resp.headers.update(site.headers)
    return resp


def _json_request(req):
    # A cross-site page cannot send application/json without a CORS
    # preflight, which this application never grants: such requests need
    # no CSRF token, so API clients post without a cookie.
    return req.media_type == 'application/json'


def make_app(global_config=None, data_dir='questioner-data', questions_file=None,
             secret=None, site_name='Questioner', database_url=None, base_url=None,
             allowed_hosts=(), trusted_proxies=()):
    """Build the application from settings (a Paste Deploy factory too).

    ``secret`` may list several secrets (newest first, separated by white
    space in an ini file); ``base_url``, ``allowed_hosts`` and
    ``trusted_proxies`` describe the public address behind a proxy
    (:class:`webkit.proxy.PublicOrigin`).
    """
    questions = load_questions(questions_file) if questions_file else DEFAULT_QUESTIONS
    if isinstance(secret, str) and len(secret.split()) > 1:
        secret = secret.split()
    app = Questioner(data_dir, questions, site_name=site_name, secret=secret,
                     database_url=database_url or None)
    if base_url or allowed_hosts or trusted_proxies:
        return PublicOrigin(app, base_url, allowed_hosts, trusted_proxies)
    return app


def application(environ, start_response):
    """A WSGI entry point configured from the environment, built on first use.

    ``QUESTIONER_DATA``, ``QUESTIONER_QUESTIONS`` and
    ``QUESTIONER_DATABASE_URL`` are the settings. Built lazily so that
    importing this module creates no directory; two first requests
    racing build two equal applications, which is harmless.
    """
    global _application
    if _application is None:
        _application = make_app(data_dir=os.environ.get('QUESTIONER_DATA', 'questioner-data'),
                                questions_file=os.environ.get('QUESTIONER_QUESTIONS'),
                                database_url=os.environ.get('QUESTIONER_DATABASE_URL'))
    return _application(environ, start_response)


_application = None
application.routes = Questioner.routes  # the route table, for tools such as the lint
