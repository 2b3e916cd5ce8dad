"""How well the tests guard the library: apply each of a fixed list of one-line bugs (mutants), one per module, to a
copy of the package, run the plain pytest modules against it (with `--notebooks`, the notebook tests too) and count
the mutants some test kills. Prints, per mutant, the bug, the first test that failed (or `SURVIVED`) and the time;
then the kill rate. Each mutant's line must occur exactly once, so that a refactor cannot silently disarm it.

    python tools/mutants.py                # plain pytest modules, about 10 minutes on 2 cores
    python tools/mutants.py --only 3 7     # mutants 3 and 7
    python tools/mutants.py --tests tests/test_modules.py   # what one test file catches
"""
import argparse, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLAIN = ['tests/test_modules.py', 'tests/test_solver.py', 'tests/test_library.py', 'tests/test_cli.py',
         'tests/test_partition.py']  # fastest first

MUTANTS = [  # (module, line as written, the mutant, the bug)
    ('system_model', "return np.minimum(np.minimum(v / v_req, d_req / d), 1.)",
     "return np.minimum(np.maximum(v / v_req, d_req / d), 1.)", "QoS met by either KPI, not both"),
    ('radio', "return -174 + 10 * np.log10(self.bandwidth_hz) + self.ue_nf_db",
     "return -174 + 10 * np.log10(self.bandwidth_hz) - self.ue_nf_db", "noise figure lowers the noise"),
    ('simulator', "return self.peak_users * m[None, :] * self.active",
     "return self.peak_users * m[None, :]", "inactive slices get users"),
    ('observation', "lag = (period - recent.step.to_numpy()).astype(int)[keep]",
     "lag = (period - recent.step.to_numpy() - 1).astype(int)[keep]", "history lags off by one period"),
    ('dataset', "a['q'], a['aug'] = qos_satisfaction(a.throughput, a.delay, a.v_req, a.d_req), 3",
     "a['q'], a['aug'] = qos_satisfaction(a.throughput, a.delay, a.d_req, a.v_req), 3", "relabelling swaps the requirements"),
    ('estimator', "return dist(eq3_log(plv, pld, o[:, :2]).exp() - q).mean() + tcfg.kpi_weight * kpi",
     "return dist(eq3_log(plv, pld, o[:, :2]).exp() - q).mean() - tcfg.kpi_weight * kpi", "KPI fit term rewards error"),
    ('contract', "obs, mask, x0 = check_cells(obs, mask, x_prev)",
     "obs, mask, x0 = check_cells(obs, mask, None)", "warm start silently ignored"),
    ('contract', "converged = arr(converged, True).astype(bool) & (grid_searched | ~floored)",
     "converged = arr(converged, True).astype(bool)", "floored cells certified converged"),
    ('partition', "return (low + (rank < (100 - low.sum(1, keepdims=True)))).astype(int) * mask",
     "return (low + (rank <= (100 - low.sum(1, keepdims=True)))).astype(int) * mask", "RRM percentages sum past 100"),
    ('policies', "prev = self.prev if self.prev is not None and self.prev.shape == tuple(mask.shape) else None",
     "prev = None", "IDLA policy drops the partition in force"),
    ('learning', "row['kept'] = row['after'] <= row['before']", "row['kept'] = True", "online update never rolled back"),
    ('claims', "return float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))",
     "return float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=0) / np.sqrt(len(x)))", "interval from the biased spread"),
    ('replay', "        x, u = trial, u_trial", "        x = trial", "the reference's utility is not the one served"),
    ('experiment', "for scored, n in ((False, cfg.steps // 2), (True, cfg.steps - cfg.steps // 2)):",
     "for scored, n in ((True, cfg.steps // 2), (False, cfg.steps - cfg.steps // 2)):", "the exploring half is scored"),
]

def copy_project(dest: Path):
    for part in ('idla_nbdev', 'data', 'tests', 'nbs', 'tools'):
        shutil.copytree(ROOT / part, dest / part, ignore=shutil.ignore_patterns('__pycache__', '.ipynb_checkpoints'))
    for f in ('settings.ini', 'setup.py'): shutil.copy(ROOT / f, dest / f)

def mutated(module: str, line: str, mutant: str) -> str:
    "The source of `module` with its one copy of `line` replaced by `mutant` (exits naming it if not exactly one)."
    text = (ROOT / 'idla_nbdev' / f'{module}.py').read_text()
    if text.count(line) != 1: sys.exit(f"{module}.py holds {text.count(line)} copies of the mutant's line {line!r}: update MUTANTS")
    return text.replace(line, mutant)

def run_tests(dest: Path, tests: list[str], timeout: int) -> tuple[str | None, float]:
    "The first failing test (None: all passed) and the seconds taken; the copy's package shadows the installed one."
    t0 = time.perf_counter()
    try:
        r = subprocess.run([sys.executable, '-m', 'pytest', '-x', '-q', '-p', 'no:cacheprovider', *tests], cwd=dest,
                           env=os.environ | {'PYTHONPATH': str(dest)}, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired: return 'timeout', time.perf_counter() - t0
    failed = re.search(r'^(?:FAILED|ERROR) (\S+)', r.stdout, re.M)
    return (failed[1] if failed else None if r.returncode == 0 else f'exit {r.returncode}'), time.perf_counter() - t0

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--notebooks', action='store_true', help='run the notebook tests as well')
    ap.add_argument('--only', type=int, nargs='*', help='mutant numbers (1-based)')
    ap.add_argument('--tests', nargs='*', help='test files to run instead of the plain pytest modules')
    ap.add_argument('--timeout', type=int, default=1800)
    args = ap.parse_args()
    tests = (args.tests or PLAIN) + (['tests/test_notebooks.py'] if args.notebooks else [])
    chosen = args.only or range(1, len(MUTANTS) + 1)
    sources = {k: mutated(*MUTANTS[k - 1][:3]) for k in chosen}  # every line checked before the first run
    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp)
        copy_project(dest)
        check = subprocess.run([sys.executable, '-c', 'import idla_nbdev; print(idla_nbdev.__file__)'], cwd='/',
                               env=os.environ | {'PYTHONPATH': str(dest)}, capture_output=True, text=True).stdout
        if not check.startswith(str(dest)): sys.exit(f"the copy does not shadow the installed package ({check.strip()})")
        failed, seconds = run_tests(dest, tests, args.timeout)
        if failed: sys.exit(f"the unmutated suite fails ({failed}): fix it before counting mutants")
        print(f"unmutated suite passes in {seconds:.0f} s")
        killed = 0
        print(f"{'#':>2}  {'module':<13} {'bug':<40} {'killed by':<70} s")
        for k in chosen:
            module, bug = MUTANTS[k - 1][0], MUTANTS[k - 1][3]
            (dest / 'idla_nbdev' / f'{module}.py').write_text(sources[k])
            failed, seconds = run_tests(dest, tests, args.timeout)
            shutil.copy(ROOT / 'idla_nbdev' / f'{module}.py', dest / 'idla_nbdev' / f'{module}.py')
            killed += failed is not None
            print(f"{k:>2}  {module:<13} {bug:<40} {failed or 'SURVIVED':<70} {seconds:.0f}", flush=True)
    print(f"\nkilled {killed} of {len(chosen)} mutants with {' + '.join(Path(t).stem for t in tests)}")

if __name__ == '__main__':
    main()
