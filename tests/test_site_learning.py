"""The learning parts of the built site in a browser: the "Open as a notebook" link (reached by
keyboard, and what it serves is a valid notebook), a solution opened with the keyboard, a quiz
answered wrong and then right (graded in the page: no request leaves it), print (no quiz
controls; every explanation and solution shown), a keyboard walk through the exercises with
visible focus rings, and axe on the new pages with a quiz answered. Screenshots go to
test-artifacts/."""
import json

import pytest

from conftest import ARTIFACTS
from test_site_a11y import DESCRIBE_FOCUS, WCAG_TAGS, axe_source, contrast  # noqa: F401 (a fixture)

MASKING = 'transformers/mlm/index.html'
LESSONS = ['transformers/mlm/readme.html', MASKING, 'transformers/mlm/model.html',
           'transformers/mlm/experiment.html']


def axe_violations(page, axe_source) -> list:
    r"""The WCAG violations axe finds on the page as it stands, one line each."""
    page.add_script_tag(content=axe_source)
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
            .then(r => r.violations.map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))""",
        WCAG_TAGS)


def tab_to(page, test, limit=800):
    """Press Tab until `test(focused element's description)` holds; returns the description."""
    for _ in range(limit):
        page.keyboard.press('Tab')
        stop = page.evaluate(DESCRIBE_FOCUS)
        if test(stop):
            return stop
        if stop['tag'] == 'body':
            break
    raise AssertionError('never reached')


def test_the_notebook_link_is_reachable_by_keyboard_and_serves_a_notebook(browser, origin):
    nbformat = pytest.importorskip('nbformat')
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    page = context.new_page()
    page.goto(f'{origin}/{MASKING}')
    stop = tab_to(page, lambda s: s['text'] == 'Open as a notebook')
    assert stop['href'] == 'index.ipynb' and stop['outlineWidth'] >= 2
    page.screenshot(path=str(ARTIFACTS / 'learn-notebook-link.png'))
    response = page.request.get(f'{origin}/transformers/mlm/index.ipynb')
    assert response.ok
    nb = nbformat.reads(response.text(), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata['annotated']['source'] == 'labml_nn/transformers/mlm/__init__.py'
    # Without a repo_url (this site has none), no Colab link
    assert page.locator('a.colab-link').count() == 0
    context.close()


def test_the_chapter_notebook_is_a_page_with_its_outputs(browser, origin):
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    page = context.new_page()
    page.goto(f'{origin}/transformers/mlm/notebook.html')
    images = page.locator('img.cell-image')
    assert images.count() == 2
    for i in range(2):
        assert images.nth(i).get_attribute('alt')
        assert images.nth(i).evaluate('img => img.complete && img.naturalWidth > 300')
    assert page.locator('.cell-output', has_text='what became of it').count() == 1
    images.first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / 'learn-chapter-notebook.png'))
    context.close()


def test_a_solution_opens_with_the_keyboard(browser, origin):
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    page = context.new_page()
    page.goto(f'{origin}/transformers/mlm/model.html')
    details = page.locator('.exercises details').first
    assert details.evaluate('d => !d.open')
    assert not details.locator('pre, p').first.is_visible()
    # (The page's folds come first: "On this page", then each exercise's solution)
    stop = tab_to(page, lambda s: s['tag'] == 'summary' and s['text'] == 'Solution')
    assert stop['outlineWidth'] >= 2
    assert contrast(stop['outlineColor'], stop['bg']) >= 3
    page.keyboard.press('Enter')
    assert details.evaluate('d => d.open')
    assert details.locator('p').first.is_visible()
    details.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / 'learn-solution-open.png'))
    context.close()


@pytest.mark.parametrize('scheme', ['light', 'dark'])
def test_a_quiz_answered_wrong_then_right_in_the_page(browser, origin, axe_source, scheme):  # noqa: F811
    context = browser.new_context(viewport={'width': 1280, 'height': 900}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f'{origin}/{MASKING}')
    page.wait_for_load_state('networkidle')
    requests = []
    page.on('request', lambda r: requests.append(r.url))
    quiz = page.locator('form.quiz').first
    quiz.scroll_into_view_if_needed()
    status = quiz.locator('.quiz-status')
    whys = quiz.locator('.quiz-why')
    assert all(not whys.nth(i).is_visible() for i in range(whys.count()))
    # Check with nothing picked
    quiz.locator('.quiz-check').click()
    assert status.inner_text() == 'Pick one of the choices first.'
    # Wrong, by keyboard: focus the first choice (15%), Space picks it, then the button
    quiz.locator('input[type=radio]').first.focus()
    page.keyboard.press('Space')
    page.keyboard.press('Tab')
    page.keyboard.press('Enter')
    assert status.inner_text().startswith('Not quite: the explanation is under your choice.')
    assert whys.nth(0).is_visible() and whys.nth(0).inner_text().startswith('Not this one.')
    assert not whys.nth(1).is_visible() and not whys.nth(2).is_visible()
    page.screenshot(path=str(ARTIFACTS / f'learn-quiz-wrong-{scheme}.png'))
    # Right: 12%; then every choice's explanation is there to read
    quiz.locator('label', has_text='12%').click()
    quiz.locator('.quiz-check').click()
    assert status.inner_text().startswith('Right.')
    assert whys.nth(1).inner_text().startswith('Right. 15% are chosen and 80% of them')
    assert all(whys.nth(i).is_visible() for i in range(whys.count()))
    assert whys.nth(1).inner_text().startswith('Right.')
    page.screenshot(path=str(ARTIFACTS / f'learn-quiz-right-{scheme}.png'))
    # Graded here: the page asked nothing of anyone
    assert requests == []
    # And the answered quiz passes axe
    assert axe_violations(page, axe_source) == []
    context.close()


def test_print_hides_quiz_controls_and_shows_every_answer(browser, origin):
    context = browser.new_context(viewport={'width': 800, 'height': 1100})
    page = context.new_page()
    page.goto(f'{origin}/{MASKING}')
    page.emulate_media(media='print')
    quiz = page.locator('form.quiz').first
    assert not quiz.locator('input[type=radio]').first.is_visible()
    assert not quiz.locator('.quiz-check').is_visible()
    whys = quiz.locator('.quiz-why')
    assert all(whys.nth(i).is_visible() for i in range(whys.count()))
    # Solutions print open: the page opens them before printing (and CSS shows them anyway)
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    details = page.locator('.exercises details')
    assert details.count() >= 3
    assert all(details.nth(i).evaluate('d => d.open') for i in range(details.count()))
    assert details.first.locator('p').first.is_visible()
    page.locator('.exercises').scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / 'learn-print.png'))
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert details.first.evaluate('d => !d.open')
    context.close()


@pytest.mark.parametrize('path', LESSONS)
def test_every_lesson_ends_with_three_exercises_and_a_quiz(browser, origin, path):
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    page = context.new_page()
    page.goto(f'{origin}/{path}')
    exercises = page.locator('.exercises')
    assert exercises.count() == 1
    assert exercises.locator('details > summary').count() >= 3
    assert all(not d for d in exercises.locator('details').evaluate_all('ds => ds.map(d => d.open)'))
    quizzes = exercises.locator('form.quiz')
    assert quizzes.count() >= 2
    for i in range(quizzes.count()):
        choices = quizzes.nth(i).locator('.quiz-choice')
        assert choices.count() >= 2
        assert quizzes.nth(i).locator('.quiz-choice[data-right=true]').count() == 1
        # An explanation for every choice, right or wrong
        assert all(t.strip() for t in quizzes.nth(i).locator('.quiz-why').all_text_contents())
    # The exercises close the page: nothing of the page's own comes after them
    assert page.evaluate("""() => { const s = [...document.querySelectorAll('#annotated > .section')];
        return s[s.length - 1].contains(document.querySelector('.exercises')); }""")
    context.close()


@pytest.mark.parametrize('scheme', ['light', 'dark'])
def test_keyboard_walk_through_the_exercises_and_quizzes(browser, origin, scheme):
    context = browser.new_context(viewport={'width': 1280, 'height': 900}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f'{origin}/transformers/mlm/experiment.html')
    reached = {}
    for _ in range(900):
        page.keyboard.press('Tab')
        stop = page.evaluate(DESCRIBE_FOCUS)
        if stop['tag'] == 'body':
            break
        name = ('solution' if stop['tag'] == 'summary' else 'choice' if stop['tag'] == 'input'
                and page.evaluate('document.activeElement.type') == 'radio'
                else 'check' if 'quiz-check' in stop['cls'] else None)
        if name:
            reached.setdefault(name, []).append(stop)
    context.close()
    assert len(reached.get('solution', [])) >= 3 and len(reached.get('choice', [])) >= 2 \
        and len(reached.get('check', [])) >= 2, {k: len(v) for k, v in reached.items()}
    for stops in reached.values():
        for stop in stops:
            assert stop['outline'] != 'none' and stop['outlineWidth'] >= 2, stop
            assert contrast(stop['outlineColor'], stop['bg']) >= 3, stop


def test_notebooks_in_the_site_are_json(site_dir):
    for path in ('transformers/mlm/index.ipynb', 'transformers/mlm/notebook.ipynb'):
        assert json.loads((site_dir / path).read_text(encoding='utf-8'))['nbformat'] == 4


# ## Practice across the site
#
# The encoder's pages and the fine-tuning chapter end the way the lesson does: three exercises
# with closed solutions and two quizzes, each choice explained.
PRACTICE = ['transformers/embeddings.html', 'transformers/mha.html', 'transformers/feed_forward.html',
            'transformers/models.html', 'transformers/mlm_fine_tuning/readme.html',
            'transformers/mlm_fine_tuning/index.html', 'transformers/mlm_fine_tuning/classifier.html',
            'transformers/mlm_fine_tuning/experiment.html', 'transformers/mlm_fine_tuning/export.html',
            'transformers/mlm_fine_tuning/hugging_face_classifier.html']


@pytest.mark.parametrize('path', PRACTICE)
def test_encoder_and_fine_tuning_pages_end_with_exercises_and_two_quizzes(browser, origin, path):
    test_every_lesson_ends_with_three_exercises_and_a_quiz(browser, origin, path)
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    page = context.new_page()
    page.goto(f'{origin}/{path}')
    exercises = page.locator('.exercises')
    assert exercises.locator('details > summary').count() == 3
    assert exercises.locator('form.quiz').count() == 2
    context.close()


@pytest.mark.parametrize('path', ['transformers/mha.html', 'transformers/mlm_fine_tuning/classifier.html'])
def test_new_quizzes_are_graded_in_the_page(browser, origin, axe_source, path):  # noqa: F811
    """On an encoder page and on a fine-tuning page: a wrong choice first, then the right one."""
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    page = context.new_page()
    page.goto(f'{origin}/{path}')
    page.wait_for_load_state('networkidle')
    requests = []
    page.on('request', lambda r: requests.append(r.url))
    for q in range(2):
        quiz = page.locator('form.quiz').nth(q)
        quiz.scroll_into_view_if_needed()
        status, whys = quiz.locator('.quiz-status'), quiz.locator('.quiz-why')
        wrong = quiz.locator('.quiz-choice[data-right=false]').first
        wrong.locator('label').click()
        quiz.locator('.quiz-check').click()
        assert status.inner_text().startswith('Not quite')
        assert wrong.locator('.quiz-why').is_visible()
        assert wrong.locator('.quiz-why').inner_text().startswith('Not this one.')
        right = quiz.locator('.quiz-choice[data-right=true]')
        assert not right.locator('.quiz-why').is_visible()
        right.locator('label').click()
        quiz.locator('.quiz-check').click()
        assert status.inner_text().startswith('Right.')
        assert right.locator('.quiz-why').inner_text().startswith('Right.')
        assert all(whys.nth(i).is_visible() for i in range(whys.count()))
    assert requests == []
    page.screenshot(path=str(ARTIFACTS / f"learn-quiz-{path.replace('/', '-').removesuffix('.html')}.png"))
    assert axe_violations(page, axe_source) == []
    context.close()


def test_the_lesson_keeps_its_reading_budget(site_dir, browser):
    r"""`bench/lesson_budget.py --check` on this session's site: at most 900 prose words before the
    first masking code and 2,000 before the backward pass, at most 8 measured figures in a page's
    teaching prose, no code block cut, title and first paragraph on the first screen. (Round 4
    let the path to the backward pass grow past its budget unnoticed until it was measured.)"""
    import os
    import subprocess
    import sys

    from conftest import ROOT, python_path
    result = subprocess.run([sys.executable, '-m', 'bench.lesson_budget', '--site', str(site_dir), '--check',
                             '--no-record'], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, 'PYTHONPATH': python_path()})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
