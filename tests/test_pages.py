"""
How the lesson pages read: a page is its module, and its prose is its docstrings and full-line
comments. The experiment page must stay short (at most 320 lines) and explain at least as much
as it codes (prose / code at least 0.9). Run this file as a script for the table of all modules.
"""
import ast
import io
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def page_stats(path: Path):
    r"""`(lines, prose lines, code lines)`: blank lines count as neither."""
    source = path.read_text(encoding='utf-8')
    prose = set()
    # Docstrings: the first statement of the module, a class or a function, when it is a string
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                prose.update(range(first.lineno, first.end_lineno + 1))
    lines = source.splitlines()
    # Comments that fill their line (an end-of-line comment annotates code, it is not a paragraph)
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and lines[token.start[0] - 1].lstrip().startswith('#'):
            prose.add(token.start[0])
    non_blank = {n for n, line in enumerate(lines, 1) if line.strip()}
    return len(lines), len(non_blank & prose), len(non_blank - prose)


def test_experiment_page_is_short_and_explains_itself():
    lines, prose, code = page_stats(ROOT / 'labml_nn/transformers/mlm/experiment.py')
    assert lines <= 320, lines
    assert prose / code >= 0.9, (prose, code)


def test_fine_tuning_pages_explain_as_much_as_the_experiment_page():
    r"""The fine-tuning chapter's pages read as a lesson too: prose / code at least 0.9 each."""
    for path in sorted((ROOT / 'labml_nn/transformers/mlm_fine_tuning').glob('*.py')):
        lines, prose, code = page_stats(path)
        assert prose / code >= 0.9, (path.name, prose, code)


def test_stats_count_docstrings_and_full_line_comments(tmp_path):
    f = tmp_path / 'page.py'
    f.write_text('"""Doc\n\nmore"""\n\n# note\nx = 1  # not prose\n\n\ndef f():\n    """One."""\n    return x\n')
    assert page_stats(f) == (11, 4, 3)


if __name__ == '__main__':
    print(f"{'module':52s} {'lines':>5s} {'prose':>5s} {'code':>5s} {'ratio':>5s}")
    for path in sorted((ROOT / 'labml_nn').rglob('*.py')) + sorted((ROOT / 'site_src').rglob('*.py')):
        if 'node_modules' in path.parts:
            continue
        n, p, c = page_stats(path)
        print(f"{str(path.relative_to(ROOT)):52s} {n:5d} {p:5d} {c:5d} {p / max(c, 1):5.2f}")
    sys.exit(0)
