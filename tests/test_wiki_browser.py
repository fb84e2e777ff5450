"""The wiki in Chromium: a user's journey, nothing typed lost, and every screen.

Each ``test_screen_wiki_*`` test leaves a screenshot named after it in
``test-artifacts/`` (see the ``page`` fixture), at desktop and phone width;
each also checks that nothing sticks out sideways and the style applies.
"""
import pytest
from playwright.sync_api import expect

from examples.wiki.app import make_app

WIDTHS = {'desktop': 1024, 'phone': 375}


@pytest.fixture
def wiki(wiki_root):
    return make_app(file_path=str(wiki_root))


@pytest.fixture
def wiki_root(tmp_path):
    return tmp_path / 'wiki'


@pytest.fixture
def base(live_server, wiki):
    return live_server(wiki)


@pytest.fixture(params=list(WIDTHS))
def screen(request, page):
    """The page at a desktop or a phone's width."""
    page.set_viewport_size({'width': WIDTHS[request.param], 'height': 800})
    return page


def fits(page):
    """Nothing is wider than the window, and the layout's style is applied (CSP allows it)."""
    width = page.evaluate('window.innerWidth')
    assert page.evaluate('document.documentElement.scrollWidth') <= width
    assert page.evaluate('getComputedStyle(document.body).maxWidth') == '800px'
    main = page.locator('main').bounding_box()
    for field in page.locator('main textarea, main input[type=text]').all():
        box = field.bounding_box()
        assert box['x'] + box['width'] <= main['x'] + main['width'] + 0.5


def test_wiki_in_a_real_browser(base, page, chromium):
    page.goto(base + '/')
    page.click('text=Write the front page')
    page.fill('#text', 'Welcome! See [[Second Page]] for *more*.')
    page.fill('#summary', 'first words')
    page.click('#edit button.primary')
    assert page.url == base + '/'
    assert page.inner_text('.flash') == 'Saved.'
    assert page.get_attribute('a.missing', 'href') == '/Second%20Page'
    page.click('a.missing')                                   # follow the new link
    page.click('text=Create it')
    page.fill('#text', '# Second\nIt exists now.')
    page.click('#edit button.primary')
    assert page.inner_text('article h2') == 'Second'
    page.goto(base + '/')
    assert page.locator('a.missing').count() == 0
    page.click('.actions >> text=Edit')
    page.fill('#text', 'Welcome back! See [[Second Page]] for *more*.')
    page.click('#edit button.primary')
    page.click('.actions >> text=History')
    expect(page.locator('table.history tr')).to_have_count(3)     # header + 2 revisions
    page.click('#compare button[type=submit]')
    assert '+Welcome back!' in page.inner_text('pre.diff')
    # Two tabs edit the same revision: the second to save gets the conflict page.
    other = chromium.new_context().new_page()
    page.goto(base + '/Front%20Page/edit')
    other.goto(base + '/Front%20Page/edit')
    page.fill('#text', 'Saved by the first tab.')
    page.click('#edit button.primary')
    other.fill('#text', 'Saved by the second tab.')
    other.click('#edit button.primary')
    assert 'Someone saved this page' in other.inner_text('.notice')
    assert other.inner_text('pre.theirs') == 'Saved by the first tab.'
    other.fill('#text', 'Merged by hand.')
    other.click('#edit button.primary')
    assert other.inner_text('article') == 'Merged by hand.'
    other.context.close()


def test_wiki_expired_cookie_keeps_the_typed_text_in_chromium(base, page, wiki_root):
    page.goto(base + '/Notes/edit')
    page.fill('#text', 'Three paragraphs typed over an hour.')
    page.fill('#summary', 'long work')
    page.context.clear_cookies()                   # the cookie expired meanwhile
    page.click('#edit button.primary')
    assert 'nothing was saved' in page.inner_text('#form-error')
    assert page.input_value('#text') == 'Three paragraphs typed over an hour.'
    assert page.input_value('#summary') == 'long work'
    assert not (wiki_root / 'pages' / 'Notes').exists()
    page.click('#edit button.primary')             # a fresh token came with the form
    assert page.url == base + '/Notes'
    assert page.inner_text('article') == 'Three paragraphs typed over an hour.'


def test_wiki_preview_in_chromium(base, page, wiki_root):
    page.goto(base + '/Notes/edit')
    page.fill('#text', '## Plan\n\n* one\n* two')
    page.click('text=Preview')
    assert page.inner_text('.preview h3') == 'Plan'
    assert page.locator('.preview li').count() == 2
    assert page.input_value('#text') == '## Plan\n\n* one\n* two'
    assert not (wiki_root / 'pages' / 'Notes').exists()


# -- every screen, at desktop and phone width ----------------------------------------

LONG = ('# A page about soup\n\nSoup is a primarily liquid food, generally served warm '
        'or hot. See [[Bread]], [[Recipes]] and [[A page that does not exist yet]].\n\n'
        '## Kinds\n\n* clear soups\n* thick soups, such as **chowder**\n\n'
        '| Soup | Served |\n|------|--------|\n| Gazpacho | cold |\n| Pho | hot |\n\n'
        '```\na_long_line_of_code = "' + 'x' * 120 + '"\n```\n')


def seed(wiki, pages=('Bread', 'Recipes')):
    for title in pages:
        wiki.store.save(title, f'All about {title.lower()}.', 0, summary=f'start {title}')
    wiki.store.save('Front Page', LONG, 0, summary='first words')


def test_screen_wiki_front_empty(base, screen):
    screen.goto(base + '/')
    assert 'has not been written yet' in screen.inner_text('main')
    fits(screen)


def test_screen_wiki_front(base, wiki, screen):
    seed(wiki)
    screen.goto(base + '/')
    assert screen.inner_text('h1') == 'Front Page'
    assert screen.locator('article a.missing').count() == 1
    fits(screen)


def test_screen_wiki_view(base, wiki, screen):
    seed(wiki)
    wiki.store.save('Soup', LONG, 0)
    screen.goto(base + '/Soup')
    assert screen.locator('article table').count() == 1
    fits(screen)


def test_screen_wiki_edit_error(base, wiki, screen):
    seed(wiki)
    screen.goto(base + '/Front%20Page/edit')
    screen.fill('#text', 'x' * (257 * 1024))
    screen.click('#edit button.primary')
    assert 'a page holds at most 262,144' in screen.inner_text('#text-error')
    assert screen.get_attribute('#text', 'aria-invalid') == 'true'
    border = screen.evaluate("getComputedStyle(document.querySelector('#text')).borderTopColor")
    assert border == 'rgb(187, 0, 0)'
    fits(screen)


def test_screen_wiki_edit_expired(base, wiki, screen):
    seed(wiki)
    screen.goto(base + '/Front%20Page/edit')
    screen.fill('#text', 'My careful edit.')
    screen.context.clear_cookies()
    screen.click('#edit button.primary')
    assert 'nothing was saved' in screen.inner_text('#form-error')
    fits(screen)


def test_screen_wiki_preview(base, wiki, screen):
    seed(wiki)
    screen.goto(base + '/Front%20Page/edit')
    screen.click('text=Preview')
    expect(screen.locator('.preview table')).to_have_count(1)  # once the preview is in
    fits(screen)


def test_screen_wiki_conflict(base, wiki, screen):
    seed(wiki)
    screen.goto(base + '/Front%20Page/edit')
    wiki.store.save('Front Page', 'Someone else was quicker.', 1)
    screen.fill('#text', LONG + '\nMy addition.')
    screen.click('#edit button.primary')
    assert screen.inner_text('pre.theirs') == 'Someone else was quicker.'
    fits(screen)


def test_screen_wiki_history(base, wiki, screen):
    seed(wiki)
    for rev in range(1, 6):
        wiki.store.save('Front Page', f'{LONG}\nEdit {rev}.', rev,
                        summary=f'edit number {rev}, with a longer summary of what changed')
    screen.goto(base + '/Front%20Page/history')
    assert screen.locator('table.history tr').count() == 7
    fits(screen)


def test_screen_wiki_diff(base, wiki, screen):
    seed(wiki)
    wiki.store.save('Front Page', LONG.replace('warm', 'lukewarm') + '\nOne more line.', 1)
    screen.goto(base + '/Front%20Page/diff?from=1&to=2')
    assert screen.locator('pre.diff .add').count() == 3
    fits(screen)


def test_screen_wiki_diff_too_different(base, wiki, screen):
    seed(wiki)
    wiki.store.save('Front Page', 'All new.', 1)
    wiki.store.diff_max_lines = 4                  # the real budget is 20,000 lines
    screen.goto(base + '/Front%20Page/diff?from=1&to=2')
    assert 'too different to show' in screen.inner_text('.notice')
    fits(screen)


def test_screen_wiki_revision(base, wiki, screen):
    seed(wiki)
    wiki.store.save('Front Page', 'Short now.', 1)
    screen.goto(base + '/Front%20Page/revisions/1')
    screen.click('text=Restore this revision')
    assert screen.inner_text('.flash') == 'Restored revision 1.'
    screen.goto(base + '/Front%20Page/revisions/1')
    assert screen.locator('#restore').count() == 1
    fits(screen)


def test_screen_wiki_all_pages_paged(base, wiki, screen):
    wiki.list_page = 12
    seed(wiki, pages=[f'Page number {n:02}' for n in range(30)])
    screen.goto(base + '/-/all')
    screen.click('text=Next')
    expect(screen.locator('ul.pages li')).to_have_count(12)  # once the next page is in
    assert screen.url == base + '/-/all?page=2'
    fits(screen)


def test_screen_wiki_recent_empty(base, screen):
    screen.goto(base + '/-/recent')
    assert 'Nothing has changed yet' in screen.inner_text('main')
    fits(screen)


def test_screen_wiki_recent(base, wiki, screen):
    wiki.changes_page = 10
    seed(wiki, pages=[f'Page number {n:02}' for n in range(12)])
    screen.goto(base + '/-/recent')
    assert screen.locator('ul.recent li').count() == 10
    assert screen.locator('.pager a[rel=next]').count() == 1
    fits(screen)


def test_screen_wiki_search(base, wiki, screen):
    seed(wiki)
    screen.goto(base + '/')
    screen.fill('#search input', 'about')
    screen.press('#search input', 'Enter')
    expect(screen.locator('ul.results li')).to_have_count(3)  # once the results are in
    fits(screen)


def test_screen_wiki_search_none(base, wiki, screen):
    seed(wiki)
    screen.goto(base + '/-/search?q=Minestrone+with+rice')
    assert 'No page mentions' in screen.inner_text('main')
    fits(screen)


def test_screen_wiki_404(base, screen):
    response = screen.goto(base + '/no/such/address')
    assert response.status == 404
    assert 'nothing at this address' in screen.inner_text('.problem')
    fits(screen)


def test_screen_wiki_missing_page(base, screen):
    response = screen.goto(base + '/Unwritten%20Page')
    assert response.status == 404
    assert 'There is no page called' in screen.inner_text('main')
    fits(screen)


def test_screen_wiki_405(base, screen):
    screen.goto(base + '/')
    with screen.expect_navigation() as navigation:   # a form posting where only GET goes
        screen.evaluate("""() => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = '/-/all';
            document.body.append(form);
            form.submit();
        }""")
    assert navigation.value.status == 405
    assert 'cannot be used that way' in screen.inner_text('.problem')
    fits(screen)
