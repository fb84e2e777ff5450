"""The README's example application, through WebTest and a real browser."""
from webtest import TestApp

from examples.hello.app import Hello, application


def test_hello_index_links_to_a_generated_url():
    res = TestApp(application).get('/')
    assert res.click('/greet/Ada%20Lovelace').text == 'Hello, Ada Lovelace!'


def test_hello_echo_is_plain_text_so_markup_stays_inert():
    res = TestApp(Hello()).get('/greet/%3Cscript%3E')
    assert res.content_type == 'text/plain'


def test_hello_in_a_real_browser(live_server, page):
    base = live_server(Hello('Bonjour'))
    page.goto(base + '/')
    page.click('a')
    assert page.inner_text('body') == 'Bonjour, Ada Lovelace!'
    assert page.url == base + '/greet/Ada%20Lovelace'
