"""wsgify: a plain function that is also a WSGI application."""
import inspect

import pytest
import webob
from webob import Response, exc
from webtest import TestApp

from webkit import Request, wsgify


@wsgify
def hello(req, name='world', punctuation='!'):
    """Say hello."""
    return f'Hello, {name}{punctuation}'


class Forms:
    def __init__(self):
        self.saved = []

    @wsgify
    def form(self, req, errors=None):
        return f'form errors={errors}'

    @wsgify
    def form_post(self, req):
        if not req.POST.get('name'):
            return self.form(req, {'name': 'required'})
        self.saved.append(req.POST['name'])
        return exc.HTTPSeeOther(location='/done')


def test_wsgify_keeps_name_doc_and_signature():
    assert hello.__name__ == 'hello' and hello.__doc__ == 'Say hello.'
    assert str(inspect.signature(hello)) == "(req, name='world', punctuation='!')"
    assert hello.__wrapped__.__name__ == 'hello'


def test_wsgify_direct_call_returns_what_the_function_returns():
    assert hello(Request.blank('/'), 'Ada', punctuation='?') == 'Hello, Ada?'
    assert hello(webob.Request.blank('/')) == 'Hello, world!'


def test_wsgify_methods_bind_and_call_each_other_with_extra_arguments():
    forms = Forms()
    assert forms.form(Request.blank('/'), {'x': 1}) == "form errors={'x': 1}"
    app = TestApp(forms.form_post.wsgi_app)
    assert app.post('/', {'name': ''}).text == "form errors={'name': 'required'}"
    assert app.post('/', {'name': 'Ada'}, status=303).location == 'http://localhost/done'
    assert forms.saved == ['Ada']
    assert Forms.form is Forms.__dict__['form']


@pytest.mark.parametrize('result, status, body', [
    (Response('a response'), 200, b'a response'),
    (exc.HTTPNotFound(), 404, None),
    ('text', 200, b'text'),
    (b'bytes', 200, b'bytes'),
    (None, 200, b''),
    (wsgify(lambda req: 'another app'), 200, b'another app'),
])
def test_wsgify_return_contract(result, status, body):
    app = TestApp(wsgify(lambda req: result))
    res = app.get('/', status=status)
    if body is not None:
        assert res.body == body


def test_wsgify_raised_http_exception_is_the_answer():
    @wsgify
    def forbidden(req):
        raise exc.HTTPForbidden()

    assert TestApp(forbidden).get('/', status=403).status == '403 Forbidden'


def test_wsgify_none_answers_req_response_changed_in_place():
    @wsgify
    def teapot(req):
        req.response.status = 418
        req.response.text = 'short and stout'

    res = TestApp(teapot).get('/', status=418)
    assert res.text == 'short and stout'


def test_wsgify_str_after_touching_response_keeps_its_headers():
    @wsgify
    def plain(req):
        req.response.content_type = 'text/plain'
        return 'x'

    assert TestApp(plain).get('/').content_type == 'text/plain'


def test_wsgify_bound_arguments_are_the_same_on_both_paths():
    bound = wsgify(hello.func, args=('Ada',), kwargs={'punctuation': '.'})
    assert bound(Request.blank('/')) == 'Hello, Ada.'
    assert TestApp(bound).get('/').text == 'Hello, Ada.'
    assert bound(Request.blank('/'), punctuation='?') == 'Hello, Ada?'


def test_wsgify_head_has_no_body():
    res = TestApp(hello).head('/')
    assert res.body == b'' and res.content_length == len('Hello, world!')


@pytest.mark.parametrize('args, kwargs, what', [
    (('not a request',), {}, 'not str'),
    (({'REQUEST_METHOD': 'GET'},), {}, '1 positional'),
    (({'REQUEST_METHOD': 'GET'}, None, None), {}, '3 positional'),
    (({'REQUEST_METHOD': 'GET'}, None), {'x': 1}, "['x']"),
])
def test_wsgify_wrong_calls_say_what_was_given(args, kwargs, what):
    with pytest.raises(TypeError) as info:
        hello(*args, **kwargs)
    assert what in str(info.value)


def test_wsgify_with_settings_then_the_function():
    class MyRequest(Request):
        pass

    deco = wsgify(RequestClass=MyRequest)
    assert repr(deco) == f'wsgify(RequestClass={MyRequest!r})'
    seen = deco(lambda req: type(req).__name__)
    assert TestApp(seen).get('/').text == 'MyRequest'
    with pytest.raises(TypeError) as info:
        deco('not a function')
    assert 'not str' in str(info.value)


def test_wsgify_plain_webob_request_class_gets_a_response():
    class Plain(webob.Request):
        pass

    @wsgify(RequestClass=Plain)
    def app(req):
        req.response.text = 'made by webob'

    assert TestApp(app).get('/').text == 'made by webob'


@pytest.mark.parametrize('obj, text', [
    (hello, 'wsgify(hello)'),
    (wsgify(hello.func, args=(1,), kwargs={'a': 2}), "wsgify(hello, args=(1,), kwargs={'a': 2})"),
    (Forms().form, 'wsgify(Forms.form)'),
])
def test_wsgify_reprs_read_like_code(obj, text):
    assert repr(obj) == text


def test_wsgify_clone_and_helpers():
    clone = hello.clone(args=('Bob',))
    assert clone(Request.blank('/')) == 'Hello, Bob!'
    assert hello.get('/?x=1').text == 'Hello, world!'

    @wsgify
    def echo(req):
        return req.POST.get('a', '')

    assert echo.post('/', {'a': 'posted'}).text == 'posted'


def test_wsgify_wrapping_a_callable_without_get_does_not_bind():
    class Callable:
        __name__ = __qualname__ = 'Callable'

        def __call__(self, req):
            return 'called'

    wrapped = wsgify(Callable())

    class Holder:
        attr = wrapped

    assert Holder().attr is wrapped


# -- middleware --------------------------------------------------------------------

@wsgify.middleware
def cap(req, app, upper=False, suffix=''):
    resp = req.get_response(app)
    resp.text = (resp.text.upper() if upper else resp.text) + suffix
    return resp


def test_middleware_wraps_an_app_with_or_without_config():
    assert TestApp(cap(hello)).get('/').text == 'Hello, world!'
    assert TestApp(cap(hello, upper=True)).get('/').text == 'HELLO, WORLD!'


def test_middleware_binds_config_first():
    shout = cap(upper=True)
    louder = shout(suffix='!!')
    assert TestApp(louder(hello)).get('/').text == 'HELLO, WORLD!!!'


def test_middleware_decorator_with_config():
    @wsgify.middleware(greeting='hi')
    def add_header(req, app, greeting):
        resp = req.get_response(app)
        resp.headers['X-Greeting'] = greeting
        return resp

    assert TestApp(add_header(hello)).get('/').headers['X-Greeting'] == 'hi'


def test_middleware_at_once_with_app():
    def tag(req, app):
        return req.get_response(app)

    wrapped = wsgify.middleware(tag, hello)
    assert TestApp(wrapped).get('/').text == 'Hello, world!'


def test_middleware_refuses_a_non_application():
    with pytest.raises(TypeError) as info:
        cap('not an app')
    assert 'not str' in str(info.value)


def test_middleware_reprs_at_each_stage():
    assert repr(cap) == 'wsgify.middleware(cap)'
    assert repr(cap(upper=True)) == 'wsgify.middleware(cap, upper=True)'
    assert repr(cap(hello, upper=True)) == 'wsgify.middleware(cap)(wsgify(hello), upper=True)'


def test_middleware_instance_never_binds_as_a_method():
    wrapped = cap(hello)

    class Holder:
        app = wrapped

    assert Holder().app is wrapped


@pytest.mark.parametrize('make', [lambda: wsgify(42), lambda: wsgify.middleware('no function'),
                                  lambda: wsgify(RequestClass=Request)(None)])
def test_wsgify_refuses_what_cannot_be_called_when_decorating(make):
    with pytest.raises(TypeError) as info:
        make()
    assert 'int' in str(info.value) or 'str' in str(info.value) or 'NoneType' in str(info.value)


def test_middleware_of_a_wsgify_subclass_uses_its_request_class():
    class TracedRequest(Request):
        traced = True

    class traced_wsgify(wsgify):
        RequestClass = TracedRequest

    @traced_wsgify.middleware
    def passthrough(req, app):
        return f'{type(req).__name__} {getattr(req, "traced", False)}'

    wrapped = passthrough(wsgify(lambda req: 'inner'))
    assert wrapped.get('/').text == 'TracedRequest True'
    assert repr(wrapped).startswith('wsgify.middleware(')


# -- WebOb's contract, where ported code relies on it ---------------------------

def _login(req):
    req.response.set_cookie('sid', 'abc')
    return exc.HTTPSeeOther(location='/home')


def _login_raising(req):
    req.response.set_cookie('sid', 'abc')
    raise exc.HTTPSeeOther(location='/home')


@pytest.mark.parametrize('handler', [_login, _login_raising], ids=['returned', 'raised'])
def test_wsgify_cookies_set_on_req_response_survive_another_response(handler):
    res = TestApp(wsgify(handler)).get('/', status=303)
    assert res.headers['Location'].endswith('/home')
    assert 'sid=abc' in res.headers['Set-Cookie']


def test_wsgify_cookies_survive_a_returned_response_object():
    @wsgify
    def page(req):
        req.response.set_cookie('sid', 'abc')
        return Response('other')

    res = TestApp(page).get('/')
    assert res.text == 'other' and 'sid=abc' in res.headers['Set-Cookie']


def test_wsgify_call_func_of_a_subclass_is_used_on_both_paths():
    class WithUser(wsgify):
        def call_func(self, req, *args, **kwargs):
            return self.func(req, 'ada', *args, **kwargs)

    @WithUser
    def hello(req, user):
        return f'hello {user}'

    assert hello(Request.blank('/')) == 'hello ada'
    assert TestApp(hello).get('/').text == 'hello ada'


def test_wsgify_request_and_undecorated():
    def echo(req):
        return f'{req.method} {req.body.decode()}'

    app = wsgify(echo)
    assert app.undecorated is echo
    resp = app.request('/', method='PUT', body=b'new')
    assert isinstance(resp, Response) and resp.text == 'PUT new'


def test_wsgify_takes_a_plain_webob_base_request():
    @wsgify
    def path(req):
        return req.path_info

    assert path(webob.BaseRequest.blank('/x')) == '/x'


def test_wsgify_body_written_then_returned_is_appended():
    @wsgify
    def both(req):
        req.response.write('a')
        return 'b'

    assert TestApp(both).get('/').text == 'ab'


def test_wsgify_str_result_uses_a_custom_response_class():
    class Tagged(Response):
        default_content_type = 'text/plain'

    class TaggedRequest(Request):
        ResponseClass = Tagged

    @wsgify(RequestClass=TaggedRequest)
    def hello(req):
        return 'hi'

    assert TestApp(hello).get('/').content_type == 'text/plain'


def test_wsgify_middleware_request_class_is_a_setting_not_configuration():
    class Marked(Request):
        pass

    @wsgify.middleware(RequestClass=Marked)
    def which(req, app):
        return type(req).__name__

    assert TestApp(which(wsgify(lambda req: ''))).get('/').text == 'Marked'


def test_wsgify_middleware_clones_as_itself():
    @wsgify.middleware
    def passing(req, app):
        return req.get_response(app)

    wrapped = passing(wsgify(lambda req: 'x'))
    assert repr(wrapped.clone()) == repr(wrapped)


class Markup(str):
    """A str subclass, as template engines return (markupsafe's Markup)."""


@pytest.mark.parametrize('content_type, body', [
    ('application/json', '{"a": "é"}'.encode()),            # no charset named: UTF-8
    ('text/plain; charset=latin-1', '{"a": "é"}'.encode('latin-1')),
])
def test_wsgify_writes_a_str_subclass_as_a_str(content_type, body):
    @wsgify
    def page(req):
        req.response.content_type = content_type
        return Markup('{"a": "é"}')
    res = TestApp(page).get('/')
    assert res.body == body and res.content_type == content_type.split(';')[0]
