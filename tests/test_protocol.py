"The evaluation protocol: tables that do not depend on the machine, and evaluation seeds that nothing else uses."
import ast, json, os, re, subprocess, sys
from pathlib import Path
import pandas as pd
import pytest
from idla_nbdev.claims import PROTOCOL
from idla_nbdev.dataset import collection_mixes
from idla_nbdev.experiment import ExperimentConfig

ROOT = Path(__file__).resolve().parents[1]
EVALUATION = set(PROTOCOL.evaluation_seeds)
# the one place the evaluation block is written: the protocol's definition (notebook and exported module)
DEFINITION = re.compile(r"evaluation_seeds: tuple = tuple\(range\((\d+), (\d+)\)\)")

SHORT_SEED = """
import sys, torch
from idla_nbdev.experiment import ExperimentConfig, run_experiment
print(torch.get_num_threads(), file=sys.stderr)
res = run_experiment(ExperimentConfig(sim={'n_sites': 1, 'start_step': 72}, steps=6, rl_gradient_steps=2, replay_every=3),
                     progress=False)
res['kpis'].drop(columns='decision_s').to_parquet(sys.argv[1] + '.kpis.parquet')
res['gaps'].to_parquet(sys.argv[1] + '.gaps.parquet')
"""

def _run_short_seed(tmp_path, threads: int) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    env = {**os.environ, 'OMP_NUM_THREADS': str(threads), 'MKL_NUM_THREADS': str(threads),
           'OPENBLAS_NUM_THREADS': str(threads)}
    out = str(tmp_path / f'threads{threads}')
    r = subprocess.run([sys.executable, '-c', SHORT_SEED, out], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return pd.read_parquet(out + '.kpis.parquet'), pd.read_parquet(out + '.gaps.parquet'), r.stderr.split()[0]

def test_a_seed_gives_the_same_table_under_1_and_2_ambient_threads(tmp_path):
    one, gaps_one, t1 = _run_short_seed(tmp_path, 1)
    two, gaps_two, t2 = _run_short_seed(tmp_path, 2)
    assert (t1, t2) == ('1', '2'), (t1, t2)  # the ambient counts did differ
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    pd.testing.assert_frame_equal(gaps_one, gaps_two, check_exact=True)

def _code_files():
    "Every tracked Python file and notebook of the repository, as (path, code text)."
    files = subprocess.run(['git', 'ls-files'], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        p = ROOT / f
        if p.suffix == '.py': yield f, p.read_text()
        elif p.suffix == '.ipynb':
            cells = json.loads(p.read_text())['cells']
            yield f, '\n'.join(''.join(c['source']) for c in cells if c['cell_type'] == 'code')
        elif p.suffix in ('.ini', '.json', '.cfg', '.toml', '.yml', '.yaml'): yield f, p.read_text()

def _integers(text: str) -> list[int]:
    "Integer literals of `text` (Python's parse where it parses: underscores and all; else every run of digits)."
    try: return [n.value for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Constant) and type(n.value) is int]
    except SyntaxError: return [int(m.replace('_', '')) for m in re.findall(r'\d[\d_]*', text)]

def _ranges(text: str) -> list[range]:
    "Every `range(a, b)` of literal integers in `text`."
    return [range(int(a), int(b)) for a, b in re.findall(r'range\(\s*(\d+)\s*,\s*(\d+)\s*\)', text.replace('_', ''))]

def test_no_code_uses_an_evaluation_seed():
    definitions, offenders = 0, []
    for path, text in _code_files():
        if path == 'tests/test_protocol.py' or path.startswith('data/'): continue  # data/evaluation/ is its record
        found = DEFINITION.findall(text)
        definitions += len(found)
        text = DEFINITION.sub('', text)
        hits = sorted(EVALUATION & set(_integers(text)))
        hits += [f'{r}' for r in _ranges(text) if EVALUATION & set(r)]
        if hits: offenders.append(f'{path}: {hits}')
    assert not offenders, f"evaluation seeds used outside the protocol: {offenders}"
    assert definitions == 2, f"the evaluation block should be defined once in 07a and once in its module, found {definitions}"

def test_the_scan_finds_a_planted_seed():
    seed = PROTOCOL.evaluation_seeds[3]
    assert seed in _integers(f"cfg = ExperimentConfig(seed={seed:_})")
    assert any(EVALUATION & set(r) for r in _ranges(f"for s in range(90000, {seed + 1}): pass"))

def test_defaults_and_collection_networks_stay_off_the_evaluation_seeds():
    d = ExperimentConfig()
    assert set(range(d.seed, d.seed + d.seeds)) <= set(PROTOCOL.development_seeds)
    collection = set(range(len(collection_mixes())))  # collect_network(net) seeds network net from 0 + net
    assert not collection & EVALUATION
    ev = PROTOCOL.evaluation_config()
    assert set(range(ev.seed, ev.seed + ev.seeds)) == EVALUATION
