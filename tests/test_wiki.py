"""The wiki application through WebTest, on real temporary directories."""
import json
import os
from urllib.parse import quote

import pytest
from webtest import TestApp

from examples.wiki.app import WikiApp, make_app
from examples.wiki.storage import PageStore
from tests.conftest import ARTIFACTS
from tests.test_wiki_storage import disk_full_after


@pytest.fixture
def wiki_root(tmp_path):
    """The wiki's folder, with a canary file and a look-alike sibling beside it."""
    root = tmp_path / 'wiki'
    (tmp_path / 'canary.txt').write_text('canary')
    (tmp_path / 'wiki-evil').mkdir()
    (tmp_path / 'wiki-evil' / 'x.json').write_text('{"evil": true}')
    return root


@pytest.fixture
def app(wiki_root):
    return TestApp(make_app(file_path=str(wiki_root)))


def create(app, title, text, summary=''):
    form = app.get(f'/{quote(title)}/edit').forms['edit']
    form['text'] = text
    form['summary'] = summary
    return form.submit()


def outside_untouched(tmp_path):
    assert (tmp_path / 'canary.txt').read_text() == 'canary'
    assert sorted(os.listdir(tmp_path)) == ['canary.txt', 'wiki', 'wiki-evil']
    assert os.listdir(tmp_path / 'wiki-evil') == ['x.json']


def test_wiki_front_page_missing_says_so_and_writes_nothing(app, wiki_root):
    res = app.get('/', status=404)
    assert 'There is no page called “Front Page” yet.' in res.text
    assert res.click('Create it').request.path == '/Front%20Page/edit'
    assert os.listdir(wiki_root / 'pages') == []


def test_wiki_create_view_edit_cycle(app, wiki_root):
    res = create(app, 'Front Page', 'Hello [[Café Menu]]', summary='start')
    assert res.status_int == 303 and res.location == 'http://localhost/Front%20Page'
    page = res.follow()
    assert 'Saved.' in page.text
    link = page.html.find('a', string='Café Menu')
    assert link['href'] == '/Caf%C3%A9%20Menu' and link['class'] == ['missing']
    menu = app.get(link['href'], status=404)
    assert 'There is no page called “Café Menu” yet.' in menu.text
    create(app, 'Café Menu', 'Soup')
    assert app.get('/Caf%C3%A9%20Menu').html.find('article').text.strip() == 'Soup'
    assert 'class="missing"' not in app.get('/').text


def test_wiki_edit_form_carries_the_base_revision(app):
    create(app, 'Page', 'one')
    form = app.get('/Page/edit').forms['edit']
    assert form['base_rev'].value == '1' and form['text'].value == 'one'
    assert form['csrf_token'].value


def test_wiki_second_editor_from_same_base_gets_409_and_first_text_survives(app):
    create(app, 'Page', 'original')
    first = app.get('/Page/edit').forms['edit']
    second = app.get('/Page/edit').forms['edit']
    first['text'] = 'first editor'
    first.submit(status=303)
    second['text'] = 'second editor'
    conflict = second.submit(status=409)
    assert 'first editor' in conflict.html.find('pre', class_='theirs').text
    merge = conflict.forms['edit']
    assert merge['text'].value == 'second editor' and merge['base_rev'].value == '2'
    assert app.get('/Page').html.find('article').text.strip() == 'first editor'
    merge['text'] = 'merged'
    merge.submit(status=303)
    assert app.get('/Page').html.find('article').text.strip() == 'merged'


def test_wiki_history_revision_and_diff(app):
    create(app, 'Page', 'line one\n', summary='first')
    create(app, 'Page', 'line one\nline two\n', summary='<b>second</b>')
    history = app.get('/Page/history')
    assert [a.text for a in history.html.select('td a')] == ['2', '1']
    assert '&lt;b&gt;second&lt;/b&gt;' in history.text
    old = app.get('/Page/revisions/1')
    assert 'line one' in old.text and 'line two' not in old.text
    diff = history.forms['compare'].submit()
    assert diff.html.find('span', class_='add').text == '+line two'
    app.get('/Page/revisions/9', status=404)
    app.get('/Page/diff?from=1&to=9', status=404)
    app.get('/Page/diff?from=x&to=1', status=400)
    app.get('/Nothing/history', status=404)


def test_wiki_long_history_comes_in_pages(app, wiki_root):
    store = PageStore(wiki_root)
    for rev in range(250):
        store.save('Busy', f'text {rev}', rev, summary=f'edit {rev + 1}')
    history = app.get('/Busy/history')
    assert [a.text for a in history.html.select('td a')] == [str(r) for r in range(250, 150, -1)]
    older = history.click('Older revisions')
    assert [a.text for a in older.html.select('td a')] == [str(r) for r in range(150, 50, -1)]
    oldest = older.click('Older revisions')
    assert [a.text for a in oldest.html.select('td a')] == [str(r) for r in range(50, 0, -1)]
    assert 'Older revisions' not in oldest.text
    assert oldest.forms['compare'].submit().status_int == 200
    app.get('/Busy/history?before=x', status=400)
    app.get('/Busy/history?before=1', status=404)


def test_wiki_all_pages_recent_changes_and_search(app):
    create(app, 'Beta', 'the quick brown fox')
    create(app, 'alpha', 'lazy dog', summary='dogs')
    assert [a.text for a in app.get('/-/all').html.select('ul.pages a')] == ['alpha', 'Beta']
    recent = app.get('/-/recent').html.select('ul.recent a')
    assert [a.text for a in recent] == ['alpha', 'Beta']
    found = app.get('/-/search', {'q': 'QUICK fox'})
    assert [a.text for a in found.html.select('ul.results a')] == ['Beta']
    assert 'Type words to search for.' in app.get('/-/search').text
    assert 'No pages yet.' not in app.get('/-/all').text


def test_wiki_all_pages_empty(app):
    assert 'No pages yet.' in app.get('/-/all').text


def test_wiki_view_answers_conditional_get_with_304(app):
    create(app, 'Page', 'text')
    first = app.get('/Page')
    assert first.headers['Cache-Control'] == 'private, no-cache'
    again = app.get('/Page', headers={'If-None-Match': first.headers['ETag']}, status=304)
    assert again.body == b''
    app.get('/Page', headers={'If-Modified-Since': first.headers['Last-Modified']},
            status=304)
    create(app, 'Page', 'changed').follow()   # shows "Saved.", never a 304
    app.get('/Page', headers={'If-None-Match': first.headers['ETag']}, status=200)


def test_wiki_etag_changes_when_a_linked_page_appears(app):
    create(app, 'Page', 'see [[Other]]').follow()
    etag = app.get('/Page').headers['ETag']
    app.get('/Page', headers={'If-None-Match': etag}, status=304)
    create(app, 'Other', 'here now').follow()     # the "Saved." message is shown there
    res = app.get('/Page', headers={'If-None-Match': etag}, status=200)
    assert 'class="missing"' not in res.text


def test_wiki_last_modified_moves_when_a_linked_page_appears(app, wiki_root):
    """A client that sends only If-Modified-Since must not keep the red link either."""
    create(app, 'Page', 'see [[Other]]').follow()
    revision = wiki_root / 'pages' / 'Page' / '000001.json'
    record = json.loads(revision.read_text())
    revision.write_text(json.dumps({**record, 'time': record['time'] - 3600}))  # an hour ago
    since = app.get('/Page').headers['Last-Modified']
    app.get('/Page', headers={'If-Modified-Since': since}, status=304)
    create(app, 'Other', 'here now').follow()     # the "Saved." message is shown there
    res = app.get('/Page', headers={'If-Modified-Since': since}, status=200)
    assert 'class="missing"' not in res.text


def test_wiki_non_canonical_title_redirects(app):
    res = app.get('/Front%20%20Page%20', status=301)
    assert res.location == 'http://localhost/Front%20Page'


@pytest.mark.parametrize('payload', [
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    "[[x|<img src=x onerror=alert(1)>]]",
    '[javascript:alert(1) click]',
    '{{py:import os}}{{os.system("id")}}',
    '</textarea><script>alert(1)</script>',
])
def test_wiki_stored_xss_comes_out_escaped(app, payload):
    create(app, 'Page', payload, summary=payload)
    for url in ('/Page', '/Page/history', '/Page/revisions/1', '/-/recent',
                '/Page/edit'):
        body = app.get(url).text
        assert '<script>alert' not in body and '<img src=x' not in body
        assert 'href="javascript:' not in body
    assert '{{py:import os}}' in app.get('/Page').text or 'py:import' not in payload


@pytest.mark.parametrize('title', ['<img src=x onerror=alert(1)>', '"><svg onload=alert(1)>',
                                   "{{__import__('os').getcwd()}}", 'javascript:alert(1)'])
def test_wiki_hostile_titles_come_out_escaped(app, title):
    create(app, title, f'[[{title}]]', summary='x')
    url = '/' + quote(title, safe='')
    for path in (url, url + '/history', url + '/edit', url + '/revisions/1', '/-/all',
                 '/-/recent', '/-/search?q=' + quote(title)):
        res = app.get(path)
        assert '<img' not in res.text and '<svg' not in res.text and os.getcwd() not in res.text
        assert not [a for a in res.html.find_all('a') if a['href'].startswith('javascript')]
    assert [a.text for a in app.get('/-/all').html.select('ul.pages a')] == [title]


@pytest.mark.parametrize('url', [
    '/..', '/../canary.txt', '/%2e%2e', '/%2e%2e/edit', '/..%2F..%2Fcanary.txt',
    '/.hidden', '/a%5Cb', '/%00', '/x%00y/edit', '/' + 'a' * 300,
])
def test_wiki_traversal_and_bad_names_never_reach_outside(app, tmp_path, url):
    res = app.get(url, expect_errors=True)
    assert res.status_int in (400, 404)
    assert 'canary' not in res.text
    outside_untouched(tmp_path)


@pytest.mark.parametrize('title', ['..', '../canary.txt', '/etc/passwd', '.hidden',
                                   'a\\b', 'x\x00y'])
def test_wiki_saving_bad_names_writes_nothing_outside(app, tmp_path, title):
    csrf = app.get('/Some/edit').forms['edit']['csrf_token'].value
    app.post(f'/{quote(title, safe="")}/edit',
             {'text': 'x', 'base_rev': '0', 'csrf_token': csrf}, expect_errors=True)
    outside_untouched(tmp_path)
    assert os.listdir(tmp_path / 'wiki' / 'pages') == []


def test_wiki_planted_symlink_is_not_followed(app, wiki_root, tmp_path):
    (wiki_root / 'pages' / 'Evil').symlink_to(tmp_path / 'wiki-evil')
    res = app.get('/Evil', status=400)
    assert 'true' not in res.text
    csrf = app.get('/Some/edit').forms['edit']['csrf_token'].value
    app.post('/Evil/edit', {'text': 'x', 'base_rev': '0', 'csrf_token': csrf},
             expect_errors=True)
    assert os.listdir(tmp_path / 'wiki-evil') == ['x.json']


def test_wiki_post_without_csrf_token_is_403_and_writes_nothing(app, wiki_root):
    app.get('/', status=404)
    app.post('/Page/edit', {'text': 'x', 'base_rev': '0'}, status=403)
    assert os.listdir(wiki_root / 'pages') == []


def test_wiki_missing_base_revision_is_400(app):
    csrf = app.get('/Page/edit').forms['edit']['csrf_token'].value
    app.post('/Page/edit', {'text': 'x', 'csrf_token': csrf}, status=400)


@pytest.mark.parametrize('title, base_rev', [('New', '3'), ('New', '-1'), ('Page', '-1'),
                                             ('Page', '2'), ('Page', '١'), ('Page', '1_0')])
def test_wiki_base_revision_the_page_never_had_is_400(app, wiki_root, title, base_rev):
    """Not a conflict (nobody saved meanwhile): the form is forged or broken."""
    create(app, 'Page', 'original')
    csrf = app.get('/Page/edit').forms['edit']['csrf_token'].value
    app.post(f'/{title}/edit', {'text': 'x', 'base_rev': base_rev, 'csrf_token': csrf},
             status=400)
    assert os.listdir(wiki_root / 'pages') == ['Page']
    assert app.get('/Page').html.find('article').text.strip() == 'original'


@pytest.mark.parametrize('rev', ['0', '2', '1000000', '9' * 300, '9' * 5000, '%D9%A1'])
def test_wiki_revision_numbers_out_of_range_are_404(app, rev):
    create(app, 'Page', 'text')
    app.get(f'/Page/revisions/{rev}', status=404)
    app.get(f'/Page/diff?from=1&to={rev}', status=(400, 404))


def test_wiki_view_looks_each_linked_page_up_once(wiki_root):
    """A page of many links costs one lookup per distinct linked page, not two per link."""
    outer = make_app(file_path=str(wiki_root))
    app = TestApp(outer)
    create(app, 'Links', ' '.join(f'[[L{i}]] [[L{i}|again]]' for i in range(2000)))
    wiki = outer
    while not isinstance(wiki, WikiApp):
        wiki = wiki.app
    asked = []
    created = wiki.store.created
    wiki.store.created = lambda title: asked.append(title) or created(title)
    res = app.get('/Links')
    assert res.text.count('class="missing"') == 4000
    assert sorted(asked) == sorted(f'L{i}' for i in range(2000))


def test_wiki_oversized_page_is_refused_with_the_form(app):
    form = app.get('/Page/edit').forms['edit']
    form['text'] = 'x' * (300 * 1024)
    res = form.submit(status=413)
    assert 'at most 262144 are kept' in res.text


def test_wiki_body_over_the_limit_is_413(app):
    csrf = app.get('/Page/edit').forms['edit']['csrf_token'].value
    app.post('/Page/edit', {'text': 'x' * (2 * 1024 * 1024), 'base_rev': '0',
                            'csrf_token': csrf}, status=413)


def test_wiki_full_disk_is_a_generic_500_and_old_page_survives(app, wiki_root, caplog):
    create(app, 'Page', 'old text')
    form = app.get('/Page/edit').forms['edit']
    form['text'] = 'new text ' * 5000
    with disk_full_after(4096):
        res = form.submit(status=500)
    assert 'Traceback' not in res.text and 'File too large' not in res.text
    assert 'File too large' in caplog.text
    assert app.get('/Page').html.find('article').text.strip() == 'old text'
    leftovers = [n for n in os.listdir(wiki_root / 'pages' / 'Page') if n.startswith('.tmp')]
    assert leftovers == []


def test_wiki_repr():
    assert repr(WikiApp.routes) == '<Dispatcher on WikiApp with 10 routes>'


def test_wiki_in_a_real_browser(live_server, page, chromium, wiki_root):
    base = live_server(make_app(file_path=str(wiki_root)))
    page.goto(base + '/')
    page.click('text=Create it')
    page.fill('#text', "Welcome! See [[Second Page]] for ''more''.")
    page.fill('#summary', 'first words')
    page.click('#edit button[type=submit]')
    assert page.inner_text('.flash') == 'Saved.'
    assert page.get_attribute('a.missing', 'href') == '/Second%20Page'
    page.click('a.missing')                                   # follow the new link
    page.click('text=Create it')
    page.fill('#text', '= Second =\nIt exists now.')
    page.click('#edit button[type=submit]')
    assert page.inner_text('article h2') == 'Second'
    page.goto(base + '/')
    assert page.locator('a.missing').count() == 0
    page.click('footer >> text=Edit')
    page.fill('#text', "Welcome back! See [[Second Page]] for ''more''.")
    page.click('#edit button[type=submit]')
    page.click('footer >> text=History')
    assert page.locator('table.history tr').count() == 3          # header + 2 revisions
    page.click('#compare button[type=submit]')
    assert '+Welcome back!' in page.inner_text('pre.diff')
    # Two tabs edit the same revision: the second to save gets the conflict page.
    other = chromium.new_context().new_page()
    page.goto(base + '/Front%20Page/edit')
    other.goto(base + '/Front%20Page/edit')
    page.fill('#text', 'Saved by the first tab.')
    page.click('#edit button[type=submit]')
    other.fill('#text', 'Saved by the second tab.')
    other.click('#edit button[type=submit]')
    assert 'Someone saved this page' in other.inner_text('.conflict')
    assert other.inner_text('pre.theirs') == 'Saved by the first tab.'
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    other.screenshot(path=ARTIFACTS / 'wiki-conflict.png', full_page=True)
    other.fill('#text', 'Merged by hand.')
    other.click('#edit button[type=submit]')
    assert other.inner_text('article') == 'Merged by hand.'
    other.context.close()


def test_wiki_link_to_a_title_holding_an_entity_leads_to_that_page(app):
    # The href is HTML-escaped: once the browser decodes the attribute, a
    # link to "Tom&lt;Jerry" still leads there, not to "Tom<Jerry".
    title = 'Tom&lt;Jerry'
    create(app, title, 'the target')
    create(app, 'Front Page', f'see [[{title}]]')
    link = app.get('/').html.find('a', string=title)
    assert app.get(link['href']).html.find('article').text.strip() == 'the target'
