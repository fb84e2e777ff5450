"""The questioner in Chromium: each screen, looked at (test-artifacts/<test name>.png)."""
import sqlite3

import pytest

from examples.questioner.app import make_app
from tests.conftest import ARTIFACTS

RED = 'rgb(176, 0, 32)'   # the error colour of templates/site.css


@pytest.fixture
def base(live_server, tmp_path):
    return live_server(make_app(data_dir=str(tmp_path / 'data')))


def registered(tmp_path):
    with sqlite3.connect(tmp_path / 'data' / 'registrations.sqlite3') as db:
        return db.execute('SELECT username FROM registrations').fetchall()


def fill(page, **overrides):
    values = {'#username': 'ada', '#password': 'analytical',
              '#password_confirm': 'analytical', '#q-name': 'Ada', '#q-quest': 'Engines',
              **overrides}
    for selector, value in values.items():
        page.fill(selector, value)
    page.select_option('#q-color', 'blue')


def assert_fits(page, width):
    """Nothing sticks out sideways: no horizontal scrolling, inputs inside the form."""
    assert page.evaluate('document.documentElement.scrollWidth') <= width
    form = page.locator('form').bounding_box()
    for field in page.locator('input:not([type=hidden]), select').all():
        box = field.bounding_box()
        assert box['x'] >= form['x'] - 0.5
        assert box['x'] + box['width'] <= form['x'] + form['width'] + 0.5


def border_colour(page, selector):
    return page.eval_on_selector(selector, 'e => getComputedStyle(e).borderTopColor')


def test_screen_questioner_form(base, page):
    page.goto(base + '/')
    assert page.title() == 'Register · Questioner'
    assert page.inner_text('h1') == 'Register'
    assert_fits(page, page.viewport_size['width'])
    assert border_colour(page, '#password') != RED


def test_screen_questioner_form_errors(base, page, tmp_path):
    page.goto(base + '/')
    fill(page, **{'#password_confirm': 'different', '#q-quest': ''})
    page.select_option('#q-color', '')
    page.click('button[type=submit]')
    assert 'The passwords do not match' in page.inner_text('#password_confirm-error')
    assert page.inner_text('#color-error') == 'Please choose one'
    # Password fields are styled as in error too, and tied to their message.
    assert border_colour(page, '#password_confirm') == RED
    assert border_colour(page, '#q-quest') == RED
    assert page.get_attribute('#password_confirm', 'aria-describedby') == 'password_confirm-error'
    assert page.input_value('#username') == 'ada' and page.input_value('#password') == ''
    assert '<!--' not in page.content()
    assert_fits(page, page.viewport_size['width'])
    assert registered(tmp_path) == []


def test_screen_questioner_thanks(base, page, tmp_path):
    page.goto(base + '/')
    fill(page)
    page.click('button[type=submit]')
    page.wait_for_url(base + '/thanks')
    assert page.inner_text('h1') == 'Thank you!'
    assert registered(tmp_path) == [('ada',)]


def test_screen_questioner_404_in_layout(base, page):
    response = page.goto(base + '/no/such/page')
    assert response.status == 404
    assert page.inner_text('h1') == 'Page not found'
    page.click('text=Back to the registration form')
    page.wait_for_url(base + '/')


def test_screen_questioner_405_in_layout(base, page):
    page.goto(base + '/thanks')
    # A form posting where only GET is served (the CSRF check never runs for a 405).
    with page.expect_navigation() as navigation:
        page.evaluate('''() => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = '/thanks';
            document.body.append(form);
            form.submit();
        }''')
    assert navigation.value.status == 405
    assert page.inner_text('h1') == 'Method not allowed'


def test_screen_questioner_csrf_expired_keeps_what_was_typed(base, page, tmp_path):
    page.goto(base + '/')
    fill(page, **{'#q-quest': 'To seek the <Grail>'})
    page.context.clear_cookies()    # the cookie expired while the user was typing
    with page.expect_navigation() as navigation:
        page.click('button[type=submit]')
    assert navigation.value.status == 403
    assert page.inner_text('#form-error').startswith('This form had expired')
    assert page.input_value('#username') == 'ada'
    assert page.input_value('#q-quest') == 'To seek the <Grail>'
    assert page.input_value('#q-color') == 'blue'
    assert page.input_value('#password') == ''
    assert registered(tmp_path) == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)   # this screen; the fixture keeps the last
    page.screenshot(path=ARTIFACTS / 'test_screen_questioner_csrf_expired_form.png',
                    full_page=True)
    page.fill('#password', 'analytical')
    page.fill('#password_confirm', 'analytical')
    page.click('button[type=submit]')
    page.wait_for_url(base + '/thanks')
    assert registered(tmp_path) == [('ada',)]


def test_screen_questioner_form_errors_phone(base, page):
    page.set_viewport_size({'width': 375, 'height': 812})
    page.goto(base + '/')
    fill(page, **{'#username': 'a b', '#password': 'short', '#password_confirm': 'short'})
    page.click('button[type=submit]')
    assert page.inner_text('#username-error').startswith('Use 3 to 30 letters')
    assert border_colour(page, '#password') == RED
    assert_fits(page, 375)
