"""The wiki application through WebTest, on real temporary directories."""
import json
import logging
import os
import re
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from webtest import TestApp, Upload

from examples.wiki.app import SECURITY_HEADERS, WikiApp, make_app
from examples.wiki.storage import PageStore
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
def wiki(wiki_root):
    return make_app(file_path=str(wiki_root))


@pytest.fixture
def app(wiki):
    return TestApp(wiki)


def create(app, title, text, summary=''):
    form = app.get(f'/{quote(title)}/edit').forms['edit']
    form['text'] = text
    form['summary'] = summary
    return form.submit()


def article(res):
    return res.html.find('article').text.strip()


def outside_untouched(tmp_path):
    assert (tmp_path / 'canary.txt').read_text() == 'canary'
    assert sorted(os.listdir(tmp_path)) == ['canary.txt', 'wiki', 'wiki-evil']
    assert os.listdir(tmp_path / 'wiki-evil') == ['x.json']


# -- the front page, one URL per page ---------------------------------------------


def test_wiki_fresh_front_page_invites_to_write_it_and_writes_nothing(app, wiki_root):
    res = app.get('/', status=200)
    assert 'its front page has not been written yet' in res.text
    assert res.click('Write the front page').request.path == '/Front%20Page/edit'
    assert os.listdir(wiki_root / 'pages') == []


def test_wiki_missing_ordinary_page_is_404_with_a_link_to_create_it(app):
    res = app.get('/Caf%C3%A9%20Menu', status=404)
    assert 'There is no page called “Café Menu” yet.' in res.text
    assert res.click('Create it').request.path == '/Caf%C3%A9%20Menu/edit'


def test_wiki_front_page_lives_at_the_root_only(app):
    saved = create(app, 'Front Page', 'Hello')
    assert saved.status_int == 303 and saved.location == 'http://localhost/'
    assert app.get('/Front%20Page', status=301).location == 'http://localhost/'
    assert app.get('/Front%20%20Page%20', status=301).location == 'http://localhost/'
    create(app, 'Other', 'back to [[Front Page]]')
    assert app.get('/Other').html.find('a', string='Front Page')['href'] == '/'
    assert article(app.get('/')) == 'Hello'


def test_wiki_create_view_edit_cycle(app):
    res = create(app, 'Front Page', 'Hello [[Café Menu]]', summary='start')
    page = res.follow()
    assert 'Saved.' in page.text
    link = page.html.find('a', string='Café Menu')
    assert link['href'] == '/Caf%C3%A9%20Menu' and link['class'] == ['missing']
    create(app, 'Café Menu', 'Soup')
    assert article(app.get('/Caf%C3%A9%20Menu')) == 'Soup'
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
    assert article(app.get('/Page')) == 'first editor'
    merge['text'] = 'merged'
    merge.submit(status=303)
    assert article(app.get('/Page')) == 'merged'


# -- history, revisions, diffs, restoring -------------------------------------------


def test_wiki_history_revision_and_diff(app):
    create(app, 'Page', 'line one\n', summary='first')
    create(app, 'Page', 'line one\nline two\n', summary='<b>second</b>')
    history = app.get('/Page/history')
    assert [a.text for a in history.html.select('td a')] == ['2', '1']
    assert '&lt;b&gt;second&lt;/b&gt;' in history.text
    old = app.get('/Page/revisions/1')
    assert 'line one' in old.text and 'line two' not in article(old)
    diff = history.forms['compare'].submit()
    assert diff.html.find('span', class_='add').text == '+line two'
    app.get('/Page/revisions/9', status=404)
    app.get('/Page/diff?from=1&to=9', status=404)
    app.get('/Page/diff?from=x&to=1', status=400)
    app.get('/Nothing/history', status=404)


def test_wiki_diff_of_the_same_text_says_so(app):
    create(app, 'Page', 'same')
    assert 'hold the same text' in app.get('/Page/diff?from=1&to=1').text


def test_wiki_diff_too_different_links_to_both_revisions(app, wiki):
    create(app, 'Page', 'one\ntwo\nthree\n')
    create(app, 'Page', 'four\nfive\nsix\n')
    wiki.store.diff_max_lines = 4                  # the real budget is 20,000 lines
    res = app.get('/Page/diff?from=1&to=2', status=200)
    notice = res.html.find(class_='notice')
    assert 'too different to show' in notice.text
    assert [a['href'] for a in notice.find_all('a')] == ['/Page/revisions/1',
                                                         '/Page/revisions/2']
    assert res.html.find('pre', class_='diff') is None


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


def test_wiki_restore_saves_an_old_revision_as_the_newest(app):
    for text in ('first', 'second', 'third'):
        create(app, 'Page', text)
    assert 'restore' not in app.get('/Page/revisions/3').forms    # already the current text
    res = app.get('/Page/revisions/1').forms['restore'].submit(status=303)
    assert res.location == 'http://localhost/Page'
    assert 'Restored revision 1.' in res.follow().text
    assert article(app.get('/Page')) == 'first'
    latest = app.get('/Page/history').html.select('table.history tr')[1]
    assert [td.text.strip() for td in latest.find_all('td')][2:5:2] == ['4',
                                                                        'Restored revision 1']


def test_wiki_restore_after_someone_saved_is_a_conflict(app):
    create(app, 'Page', 'first')
    create(app, 'Page', 'second')
    restore = app.get('/Page/revisions/1').forms['restore']
    create(app, 'Page', 'third, meanwhile')
    conflict = restore.submit(status=409)
    assert conflict.html.find('pre', class_='theirs').text == 'third, meanwhile'
    merge = conflict.forms['edit']
    assert merge['text'].value == 'first' and merge['base_rev'].value == '3'
    assert merge['summary'].value == 'Restored revision 1'
    assert article(app.get('/Page')) == 'third, meanwhile'


def test_wiki_restore_with_an_expired_form_asks_again_and_restores_nothing(app):
    create(app, 'Page', 'first')
    create(app, 'Page', 'second')
    restore = app.get('/Page/revisions/1').forms['restore']
    app.reset()                                    # the cookie is gone: the token is stale
    again = restore.submit(status=403)
    assert 'nothing was restored' in again.text
    assert article(app.get('/Page')) == 'second'
    again.forms['restore'].submit(status=303)
    assert article(app.get('/Page')) == 'first'


# -- edit preview, nothing typed is lost ----------------------------------------------


def test_wiki_preview_shows_the_rendered_text_and_saves_nothing(app, wiki_root):
    form = app.get('/Page/edit').forms['edit']
    form['text'] = '# Title\nSome *emphasis* and [[Other]]'
    form['summary'] = 'my summary'
    res = form.submit('preview', status=200)
    preview = res.html.find(class_='preview')
    assert preview.find('em').text == 'emphasis' and preview.find('h2', string='Title')
    again = res.forms['edit']
    assert again['text'].value == '# Title\nSome *emphasis* and [[Other]]'
    assert again['summary'].value == 'my summary' and again['base_rev'].value == '0'
    assert os.listdir(wiki_root / 'pages') == []
    again.submit(status=303)                       # Save, not Preview
    assert article(app.get('/Page')).startswith('Title')


def test_wiki_preview_of_a_text_too_large_to_keep_says_so(app):
    form = app.get('/Page/edit').forms['edit']
    form['text'] = '[[x]] ' * 50_000
    res = form.submit('preview', status=413)
    assert 'a page holds at most 262,144' in res.text and 'class="preview"' not in res.text


def test_wiki_preview_of_hostile_text_comes_out_escaped(app):
    form = app.get('/Page/edit').forms['edit']
    form['text'] = '<script>alert(1)</script> [x](javascript:alert(1))'
    res = form.submit('preview')
    assert '<script>alert' not in res.text and 'href="javascript:' not in res.text


def test_wiki_save_with_the_cookie_gone_keeps_the_text_and_a_second_save_works(app, wiki_root):
    form = app.get('/Page/edit').forms['edit']
    form['text'] = 'a long text, typed with care'
    form['summary'] = 'careful'
    app.reset()                                    # expired or cleared: no cookie at all
    res = form.submit(status=403)
    assert 'Set-Cookie' in res.headers
    message = res.html.find(id='form-error')
    assert 'nothing was saved' in message.text
    again = res.forms['edit']
    assert again['text'].value == 'a long text, typed with care'
    assert again['summary'].value == 'careful' and again['base_rev'].value == '0'
    assert again['csrf_token'].value != form['csrf_token'].value
    assert os.listdir(wiki_root / 'pages') == []
    again.submit(status=303)
    assert article(app.get('/Page')) == 'a long text, typed with care'


def test_wiki_post_without_csrf_token_writes_nothing(app, wiki_root):
    app.get('/')
    res = app.post('/Page/edit', {'text': 'x', 'base_rev': '0'}, status=403)
    assert res.forms['edit']['text'].value == 'x'
    assert os.listdir(wiki_root / 'pages') == []


def test_wiki_cross_site_post_is_refused_without_offering_its_text(app, wiki_root):
    csrf = app.get('/Page/edit').forms['edit']['csrf_token'].value
    res = app.post('/Page/edit', {'text': 'planted by evil', 'base_rev': '0',
                                  'csrf_token': csrf},
                   headers={'Origin': 'https://evil.example'}, status=403)
    assert 'planted by evil' not in res.text and 'edit' not in res.forms
    assert res.html.find(class_='problem') is not None
    assert os.listdir(wiki_root / 'pages') == []


def test_wiki_field_errors_are_tied_to_their_field(app):
    form = app.get('/Page/edit').forms['edit']
    form['text'] = 'x' * (300 * 1024)
    res = form.submit(status=413)
    # Only the tag: Python's HTML parser misreads the attributes of a 300 KB textarea.
    tag = BeautifulSoup(re.search(r'<textarea[^>]*>', res.text)[0], 'html.parser').textarea
    assert tag['id'] == 'text' and tag['aria-invalid'] == 'true' and 'error' in tag['class']
    assert 'a page holds at most 262,144' in res.html.find(id=tag['aria-describedby']).text
    assert '<!-- for:' not in res.text


def test_wiki_pages_with_a_token_are_not_stored_by_caches(app):
    create(app, 'Page', 'text')
    for url in ('/Page/edit', '/Page/revisions/1'):
        assert app.get(url).headers['Cache-Control'] == 'private, no-store'


# -- lists in pages -------------------------------------------------------------------


@pytest.fixture
def small_pages(wiki):
    wiki.list_page = 3
    wiki.changes_page = 2
    return wiki


def titles_in(res, selector):
    return [a.text for a in res.html.select(selector)]


def test_wiki_page_list_comes_in_pages(app, small_pages, wiki_root):
    store = PageStore(wiki_root)
    for name in 'ABCDEFG':
        store.save(name, 'text', 0)
    first = app.get('/-/all')
    assert titles_in(first, 'ul.pages a') == ['A', 'B', 'C']
    assert '7 pages in this wiki' in first.text
    second = first.click('Next')
    assert second.request.path_qs == '/-/all?page=2'
    assert titles_in(second, 'ul.pages a') == ['D', 'E', 'F']
    third = second.click('Next')
    assert titles_in(third, 'ul.pages a') == ['G'] and 'Next' not in third.text
    assert third.click('Previous').request.path_qs == '/-/all?page=2'
    assert second.click('Previous').request.path_qs == '/-/all'   # page 1 has one URL
    app.get('/-/all?page=4', status=404)


def test_wiki_recent_changes_and_search_come_in_pages(app, small_pages, wiki_root):
    store = PageStore(wiki_root)
    for name in 'ABCDE':
        store.save(name, f'common word {name}', 0)
    recent = app.get('/-/recent')
    pages = [titles_in(recent, 'ul.recent a')]
    while 'Next' in recent.text:
        recent = recent.click('Next')
        pages.append(titles_in(recent, 'ul.recent a'))
    assert pages == [['E', 'D'], ['C', 'B'], ['A']]
    found = app.get('/-/search', {'q': 'common'})
    pages = [titles_in(found, 'ul.results a')]
    while 'Next' in found.text:
        found = found.click('Next')
        assert found.request.GET['q'] == 'common'
        pages.append(titles_in(found, 'ul.results a'))
    assert sorted(sum(pages, [])) == list('ABCDE') and [len(p) for p in pages] == [2, 2, 1]
    app.get('/-/recent?page=4', status=404)
    app.get('/-/search?q=common&page=4', status=404)


@pytest.mark.parametrize('value', ['0', '-1', 'x', '', '1.5', '١', '1_0', '9' * 7, '9' * 5000])
@pytest.mark.parametrize('url', ['/-/all', '/-/recent', '/-/search?q=a'])
def test_wiki_bad_page_numbers_are_400(app, url, value):
    sep = '&' if '?' in url else '?'
    res = app.get(f'{url}{sep}page={quote(value)}', status=400)
    assert 'page= takes a page number' in res.text


def test_wiki_all_pages_recent_changes_and_search(app):
    create(app, 'Beta', 'the quick brown fox')
    create(app, 'alpha', 'lazy dog', summary='dogs')
    pages = app.get('/-/all')
    assert titles_in(pages, 'ul.pages a') == ['alpha', 'Beta']
    assert '2 pages in this wiki.' in pages.text
    assert titles_in(app.get('/-/recent'), 'ul.recent a') == ['alpha', 'Beta']
    found = app.get('/-/search', {'q': 'QUICK fox'})
    assert titles_in(found, 'ul.results a') == ['Beta']
    assert '1 page mentions “QUICK fox”.' in found.text
    assert 'Type words to search for' in app.get('/-/search').text


def test_wiki_empty_states_say_what_to_do(app):
    pages = app.get('/-/all')
    assert 'This wiki has no pages yet.' in pages.text and '0 page' not in pages.text
    assert pages.click('Write the front page').request.path == '/Front%20Page/edit'
    recent = app.get('/-/recent')
    assert 'Nothing has changed yet' in recent.text
    assert recent.click('Write the front page').request.path == '/Front%20Page/edit'
    nothing = app.get('/-/search', {'q': 'Soup Kitchen'})
    assert 'No page mentions “Soup Kitchen”.' in nothing.text
    assert nothing.click('create a page').request.path == '/Soup%20Kitchen/edit'
    assert 'create a page' not in app.get('/-/search', {'q': '../nowhere'}).text


# -- conditional GET and the entity tag -----------------------------------------------


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


def _base36(number):
    digits = '0123456789abcdefghijklmnopqrstuvwxyz'
    return ''.join(digits[number // 36 ** k % 36] for k in (2, 1, 0))


def test_wiki_etag_stays_small_for_a_page_of_30000_links(app, wiki_root):
    """Headers past a few KiB make nginx answer 502; the tag was one digit per link."""
    store = PageStore(wiki_root)
    titles = [_base36(i) for i in range(30_000)]
    store.save('Links', '\n'.join(f'[[{t}]]' for t in titles), 0)
    store.save(titles[-1], 'exists', 0)
    res = app.get('/Links')
    assert res.text.count('class="missing"') == 29_999
    etag = res.headers['ETag']
    assert len(etag) <= 40 and sum(len(k) + len(v) for k, v in res.headerlist) < 2048
    app.get('/Links', headers={'If-None-Match': etag}, status=304)
    store.save(titles[0], 'exists too', 0)         # a link turns blue: a new tag
    changed = app.get('/Links', headers={'If-None-Match': etag}, status=200)
    assert len(changed.headers['ETag']) == len(etag) and changed.headers['ETag'] != etag


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


# -- errors in the layout, JSON for JSON clients, headers -----------------------------


def _broken(*args, **kwargs):
    raise RuntimeError('the disk caught fire at /secret/place')


@pytest.mark.parametrize('method, url, status, says', [
    ('GET', '/no/such/address', 404, 'There is nothing at this address'),
    ('DELETE', '/Page', 405, 'cannot be used that way'),
    ('GET', '/Page/revisions/7', 404, 'This page has no such revision.'),
    ('GET', '/Page/diff?from=1', 400, 'Give two revision numbers'),
    ('GET', '/Page/diff?from=1&to=7', 404, 'This page has no such revision.'),
    ('GET', '/%2e%2e', 400, 'That is not a valid page name.'),
    ('GET', '/Nothing/history', 404, 'This page has no such revisions.'),
    ('GET', '/-/all?page=0', 400, 'page= takes a page number'),
    ('GET', '/-/search?q=%FF', 400, 'The request could not be understood.'),
    ('POST', '/Page/edit', 413, 'larger than this wiki accepts'),
    ('GET', '/Page?broken', 500, 'Something went wrong on our side'),
])
def test_wiki_errors_are_pages_of_the_site_or_json(app, wiki, caplog, method, url, status,
                                                   says):
    create(app, 'Page', 'text')
    if status == 500:
        wiki.store.get = _broken
    body = {'body': b'text=' + b'x' * (2 * 1024 * 1024),
            'content_type': 'application/x-www-form-urlencoded'} if status == 413 else {}
    res = app.request(url, method=method, status=status, expect_errors=True, **body)
    assert res.html.find('header').find('a', class_='site').text == 'Wiki'
    assert says in res.html.find(class_='problem').text
    assert res.headers['X-Frame-Options'] == 'DENY'
    data = app.request(url, method=method, status=status, expect_errors=True,
                       headers={'Accept': 'application/json'}, **body).json
    assert data['code'] == status and says in data['message']
    if status == 500:
        assert 'the disk caught fire' in caplog.text
        assert 'disk caught fire' not in res.text and 'Traceback' not in res.text


@pytest.mark.parametrize('url, status', [('/Missing', 404), ('/-/all?page=9', 404)])
def test_wiki_json_clients_get_json_for_the_wikis_own_error_pages_too(app, url, status):
    res = app.get(url, headers={'Accept': 'application/json'}, status=status)
    assert res.json['code'] == status and res.json['message']


def test_wiki_405_keeps_its_allow_header(app):
    res = app.delete('/-/all', status=405)
    assert res.headers['Allow'] == 'GET, HEAD, OPTIONS'
    assert res.html.find(class_='problem')


def test_wiki_error_pages_never_echo_the_request(app):
    res = app.get('/%3Cscript%3Ealert(1)%3C%2Fscript%3E/revisions/5', status=404)
    assert '<script>' not in res.text and 'alert(1)' not in res.text
    res = app.request('/Page/edit', method='POST', body=b'text=x', expect_errors=True,
                      headers={'Content-Type': 'application/x-www-form-urlencoded; '
                                               'charset=Call-555-Now'})
    assert res.status_int == 400 and 'Call-555-Now' not in res.text


@pytest.mark.parametrize('url, status', [('/', 200), ('/Page', 200), ('/Front%20Page', 301),
                                         ('/Page/edit', 200), ('/nope/nope', 404),
                                         ('/-/health', 200), ('/-/all?page=x', 400)])
def test_wiki_security_headers_on_every_answer(app, url, status):
    create(app, 'Page', 'text')
    res = app.get(url, status=status)
    for name, value in SECURITY_HEADERS:
        assert res.headers[name] == value
    policy = res.headers['Content-Security-Policy']
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy


def test_wiki_style_is_a_static_file_the_policy_allows(app):
    """The layout links its stylesheet, served with a cache-busting hash; no inline style."""
    res = app.get('/')
    assert res.html.find('style') is None and res.html.find(style=True) is None
    href = res.html.find('link', rel='stylesheet')['href']
    assert href.startswith('/-/static/wiki.css?v=')
    assert "style-src 'self'" in res.headers['Content-Security-Policy']
    css = app.get(href)
    assert css.content_type == 'text/css' and 'box-sizing: border-box' in css.text
    assert css.headers['Cache-Control'] == 'public, max-age=31536000, immutable'
    assert app.get('/-/static/wiki.css', headers={'If-None-Match': css.headers['ETag']},
                   status=304).body == b''


def test_wiki_health_answers_ok_and_touches_no_session(app):
    create(app, 'Page', 'text')                    # the client holds a session and a token
    app.get('/Page/edit')
    res = app.get('/-/health', status=200)
    assert res.text == 'ok' and res.content_type == 'text/plain'
    assert 'Set-Cookie' not in res.headers and 'Vary' not in res.headers
    assert 'Set-Cookie' not in TestApp(app.app).get('/-/health').headers


# -- hostile input ------------------------------------------------------------------


@pytest.mark.parametrize('payload', [
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    "[[x|<img src=x onerror=alert(1)>]]",
    '[click](javascript:alert(1))',
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
    assert titles_in(app.get('/-/all'), 'ul.pages a') == [title]


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
    assert article(app.get('/Page')) == 'original'


@pytest.mark.parametrize('rev', ['0', '2', '1000000', '9' * 300, '9' * 5000, '%D9%A1'])
def test_wiki_revision_numbers_out_of_range_are_404(app, rev):
    create(app, 'Page', 'text')
    app.get(f'/Page/revisions/{rev}', status=404)
    app.get(f'/Page/diff?from=1&to={rev}', status=(400, 404))


def test_wiki_view_looks_each_linked_page_up_once(wiki, app):
    """A page of many links costs one lookup per distinct linked page, not two per link."""
    create(app, 'Links', ' '.join(f'[[L{i}]] [[L{i}|again]]' for i in range(2000)))
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
    assert 'a page holds at most 262,144' in res.text
    assert res.forms['edit']['text'].value == 'x' * (300 * 1024)


def test_wiki_body_over_the_limit_is_413(app):
    csrf = app.get('/Page/edit').forms['edit']['csrf_token'].value
    app.post('/Page/edit', {'text': 'x' * (2 * 1024 * 1024), 'base_rev': '0',
                            'csrf_token': csrf}, status=413)


def test_wiki_full_disk_is_a_generic_500_and_old_page_survives(app, wiki_root, caplog):
    create(app, 'Page', 'old text')
    form = app.get('/Page/edit').forms['edit']
    form['text'] = 'new text ' * 5000
    with caplog.at_level(logging.ERROR), disk_full_after(4096):
        res = form.submit(status=500)
    assert 'Traceback' not in res.text and 'File too large' not in res.text
    assert 'Something went wrong on our side' in res.text
    assert 'File too large' in caplog.text
    assert article(app.get('/Page')) == 'old text'
    leftovers = [n for n in os.listdir(wiki_root / 'pages' / 'Page') if n.startswith('.tmp')]
    assert leftovers == []


def test_wiki_serves_alone_with_its_own_secret_file(wiki_root):
    app = TestApp(WikiApp(str(wiki_root)))
    create(app, 'Page', 'works').follow()
    assert (wiki_root / 'secret').stat().st_mode & 0o777 == 0o600
    assert article(app.get('/Page')) == 'works'


def test_wiki_repr():
    assert repr(WikiApp.routes) == '<Dispatcher on WikiApp with 13 routes>'


def test_wiki_link_to_a_title_holding_an_entity_leads_to_that_page(app):
    # The href is HTML-escaped: once the browser decodes the attribute, a
    # link to "Tom&lt;Jerry" still leads there, not to "Tom<Jerry".
    title = 'Tom&lt;Jerry'
    create(app, title, 'the target')
    create(app, 'Front Page', f'see [[{title}]]')
    link = app.get('/').html.find('a', string=title)
    assert article(app.get(link['href'])) == 'the target'


def test_wiki_reload_restarts_when_a_template_changes(server_process, tmp_path):
    """`python -m examples.wiki --reload` (what `./run serve` runs) watches templates."""
    import shutil
    import sys
    import time
    import urllib.request
    from pathlib import Path

    from tests.conftest import free_port
    repo = Path(__file__).parent.parent
    shutil.copytree(repo / 'examples' / 'wiki', tmp_path / 'site' / 'notes',
                    ignore=shutil.ignore_patterns('__pycache__'))
    port = free_port()
    server_process([sys.executable, '-m', 'notes', '--port', str(port), '--file-path', 'pages',
                    '--reload'], port, cwd=tmp_path / 'site',
                   extra_env={'PYTHONPATH': os.pathsep.join([str(repo)])})

    def front():
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=5) as res:
                return res.read().decode()
        except OSError:  # restarting
            return ''

    assert 'has not been written yet' in front()
    time.sleep(1.1)  # a modification time the poller tells apart
    welcome = tmp_path / 'site' / 'notes' / 'templates' / 'welcome.html'
    welcome.write_text('<p>Edited while serving.</p>')
    deadline = time.monotonic() + 20
    while 'Edited while serving.' not in front() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert 'Edited while serving.' in front()


@pytest.mark.parametrize('field', ['text', 'summary', 'base_rev'])
def test_wiki_save_with_a_file_for_a_field_is_a_400_and_saves_nothing(app, field):
    # A multipart form may send any field as a file: it is not text to save.
    create(app, 'Page', 'first')
    form = app.get('/Page/edit').forms['edit']
    fields = {name: form[name].value for name in ('text', 'summary', 'base_rev', 'csrf_token')}
    fields['text'] = 'second'
    upload = fields.pop(field)
    res = app.post(form.action, {**fields, field: Upload('f.txt', upload.encode())},
                   content_type='multipart/form-data', status=400)
    assert 'takes text, not a file' in res.text
    assert article(app.get('/Page')) == 'first'


def test_wiki_restore_with_a_file_for_its_revision_is_a_400(app):
    for text in ('first', 'second'):
        create(app, 'Page', text)
    form = app.get('/Page/revisions/1').forms['restore']
    fields = {'csrf_token': form['csrf_token'].value,
              'base_rev': Upload('f.txt', form['base_rev'].value.encode())}
    app.post(form.action, fields, content_type='multipart/form-data', status=400)
    assert article(app.get('/Page')) == 'second'
