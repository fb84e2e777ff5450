"""The questioner: a registration form with a dynamic set of questions.

``GET /`` shows the form; ``POST /`` validates it and either shows it
again, filled in and with the errors next to their fields, or stores the
registration and redirects to ``/thanks``. A JSON client posting the
same fields gets ``201 Created`` or the errors as a structured 400.
"""
import json
import os
from pathlib import Path

from webob import Response, exc

from webkit import CSRFProtection, Dispatcher, TemplateLoader
from webkit.csrf import load_secret
from webkit.forms import json_body, json_errors, render_form, validate, wants_json

from .questions import DEFAULT_QUESTIONS, load_questions, registration_schema
from .storage import RegistrationStore, UsernameTaken

__all__ = ['Questioner', 'make_app']

_FORM_TYPES = ('application/x-www-form-urlencoded', 'multipart/form-data')


class Questioner:
    """The registration application, configured by its constructor.

    ``data_dir`` is where registrations are stored (created if missing),
    ``questions`` the :class:`~examples.questioner.questions.Question`
    list to ask.
    """

    routes = Dispatcher()
    routes.connect('form', '/', 'form')
    routes.connect('register', '/', 'register', methods=['POST'])
    routes.connect('thanks', '/thanks', 'thanks')

    def __init__(self, data_dir, questions=DEFAULT_QUESTIONS, site_name='Questioner'):
        self.store = RegistrationStore(data_dir)
        self.questions = tuple(questions)
        self.schema = registration_schema(self.questions)
        self.templates = TemplateLoader.beside(__file__, namespace={'site_name': site_name})

    def __repr__(self):
        return f'Questioner({str(self.store.directory)!r}, {len(self.questions)} questions)'

    def form(self, req, errors=None):
        page = self.templates.render('form.html', action=req.link('register'),
                                     questions=self.questions)
        return render_form(page, req.POST, errors, req=req)

    def register(self, req):
        sent_json = req.content_type == 'application/json'
        if not sent_json and req.content_type not in _FORM_TYPES:
            raise exc.HTTPUnsupportedMediaType('send a form or application/json')
        params = json_body(req) if sent_json else req.POST
        if not isinstance(params, dict) and not hasattr(params, 'mixed'):
            return json_errors({'form': 'Send a JSON object'})
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
        return self.templates.render('thanks.html', form_url=req.link('form'))

    __call__ = routes


def _json_request(req):
    # A cross-site page cannot send application/json without a CORS
    # preflight, which this application never grants: such requests need
    # no CSRF token, so API clients post without a cookie.
    return req.content_type == 'application/json'


def make_app(global_config=None, data_dir='questioner-data', questions_file=None,
             secret=None, site_name='Questioner'):
    """Build the protected application from settings (a Paste Deploy factory too)."""
    questions = load_questions(questions_file) if questions_file else DEFAULT_QUESTIONS
    app = Questioner(data_dir, questions, site_name=site_name)
    secret = secret or load_secret(Path(data_dir) / 'secret')
    return CSRFProtection(app, secret, exempt=_json_request)


def application(environ, start_response):
    """A WSGI entry point configured from the environment, built on first use.

    Built lazily so that importing this module creates no directory; two
    first requests racing build two equal applications, which is harmless.
    """
    global _application
    if _application is None:
        _application = make_app(data_dir=os.environ.get('QUESTIONER_DATA', 'questioner-data'),
                                questions_file=os.environ.get('QUESTIONER_QUESTIONS'))
    return _application(environ, start_response)


_application = None
application.routes = Questioner.routes  # the route table, for tools such as the lint
