"""
The house's import rules, checked on the import graph rather than by reading code:

* the contracts in `.importlinter` (helpers import no lesson, the tools use the lesson and
  never the other way, the encoder knows nothing of the MLM, the app imports no lesson), run
  by import-linter's `lint-imports`;
* no circles: no module imports one that imports it back, directly or through others
  (imports inside functions count too: grimp reads every import statement);
* the model module imports only torch and the encoder's modules (and the stdlib-only config
  types of `helpers.ranges`, which travel with it into every export folder).
"""
import subprocess
import sys
import textwrap

import grimp
import pytest

from conftest import ROOT

PACKAGES = ('labml_nn', 'site_src')


def cycles(graph: grimp.ImportGraph) -> list:
    r"""Every direct import `a → b` for which `b` also reaches `a`: each is part of a circle."""
    found = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported in graph.modules and graph.chain_exists(importer=imported, imported=module):
                chain = graph.find_shortest_chain(importer=imported, imported=module)
                found.append(' → '.join([module, *chain]))
    return found


def test_import_linter_contracts_are_kept():
    # In a process of its own, started in the repository, so that it reads this checkout's modules
    r = subprocess.run([sys.executable, '-c', 'import sys; from importlinter.cli import lint_imports; '
                        'sys.exit(lint_imports(config_filename=".importlinter", no_cache=True, no_logo=True))'],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert ' 0 broken' in r.stdout and 'broken.' in r.stdout


@pytest.mark.parametrize('package', PACKAGES)
def test_no_module_imports_one_that_imports_it_back(package, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    graph = grimp.build_graph(package, cache_dir=None)
    assert graph.modules, package
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_planted_circle(tmp_path, monkeypatch):
    r"""The check above would see a circle (here through an import inside a function, as `model.py` once had)."""
    package = tmp_path / 'circle_pkg'
    package.mkdir()
    (package / '__init__.py').write_text('')
    (package / 'model.py').write_text(textwrap.dedent('''
        def from_pretrained(folder):
            from . import export
            return export.load(folder)
    '''))
    (package / 'export.py').write_text('from circle_pkg.model import from_pretrained\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    found = cycles(grimp.build_graph('circle_pkg', cache_dir=None))
    assert found and all('circle_pkg.model' in c and 'circle_pkg.export' in c for c in found)


def test_the_model_module_imports_only_torch_and_the_encoder(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    graph = grimp.build_graph('labml_nn', include_external_packages=True, cache_dir=None)
    # The standard library aside
    imported = {m for m in graph.find_modules_directly_imported_by('labml_nn.transformers.mlm.model')
                if m.split('.')[0] not in sys.stdlib_module_names}
    encoder = {f'labml_nn.transformers.{m}' for m in ('embeddings', 'mha', 'feed_forward', 'models', 'dropout')}
    allowed = encoder | {'torch', 'labml_nn.helpers.ranges'}
    assert imported <= allowed, sorted(imported - allowed)
    # …and the config types it takes from helpers need nothing but the standard library
    assert {m for m in graph.find_modules_directly_imported_by('labml_nn.helpers.ranges')
            if m.split('.')[0] in ('labml_nn', 'torch', 'labml', 'numpy')} == set()
