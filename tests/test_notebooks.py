"Run every notebook in `nbs/` as a test, one pytest case per notebook, as `nbdev_test` would."
from pathlib import Path
import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_notebook

NBS = Path(__file__).parent.parent / 'nbs'
NOTEBOOKS = sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith('_'))
SKIP_FLAGS = get_config().tst_flags.split()

def test_notebooks_found():
    assert len(NOTEBOOKS) >= 3, f"expected the project's notebooks in {NBS}, found {NOTEBOOKS}"

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb):
    ok, secs = run_notebook(nb, skip_flags=SKIP_FLAGS, showerr=True)
    assert ok, f"{nb.name} failed (see the traceback above)"

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_outputs_stay_small(nb):
    "Committed outputs are the docs: figures that teach, small (`python tools/shrink_figures.py` after a re-run)."
    import json, nbformat
    size = sum(len(json.dumps(c.get('outputs', []))) for c in nbformat.read(nb, as_version=4).cells)
    assert size <= 200 * 1024, f"{nb.name} stores {size / 1024:.0f} KB of outputs (budget 200 KB)"
