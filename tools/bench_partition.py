"""Benchmark `idla-partition` end to end (read, check, solve, write) on a KPI Parquet file of N cells x 4 slices built
from a simulated busy hour, clean and with 1% of rows corrupted; prints wall time and peak memory of the command."""
import argparse, resource, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
import pandas as pd
from idla_nbdev.simulator import Simulator, SimConfig, simulate

def kpi_table(cells: int, seed: int = 0) -> pd.DataFrame:
    "One period of `cells` cells: a simulated busy-hour period's rows repeated with loads jittered by about 10%."
    base = simulate(Simulator(SimConfig(seed=seed, start_step=40)), 2, progress=False)
    base = base[base.step == base.step.max()]
    rng = np.random.default_rng(seed)
    reps = -(-cells // base.cell.nunique())
    t = pd.concat([base.assign(cell=base.cell + k * base.cell.nunique()) for k in range(reps)], ignore_index=True)
    t = t[t.cell < cells]
    for c in ('users', 'offered', 'carried'): t[c] *= np.exp(0.1 * rng.standard_normal(len(t)))
    return t.assign(cell='cell-' + t.cell.astype(str), slot='slice-' + t.slot.astype(str))

def corrupt(t: pd.DataFrame, frac: float = 0.01, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """`(table, rows)`: `frac` of the rows broken in one of five ways (NaN CQI, CQI 40, negative users, PRB use 1.7,
    text in `offered`, which makes that column text as in a CSV export), and their positions."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(t), int(len(t) * frac), replace=False))
    kind = rng.integers(0, 5, len(rows))
    bad = t.reset_index(drop=True).astype({'offered': object})
    for k, (col, value) in enumerate([('cqi', np.nan), ('cqi', 40.), ('users', -3.), ('prb_util', 1.7), ('offered', 'n/a')]):
        bad.loc[rows[kind == k], col] = value
    return bad.astype({'offered': str}), rows

def run(path: Path, out: Path, *extra) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = subprocess.run([Path(sys.executable).parent / 'idla-partition', '--kpis', path, '--out', out, *extra], capture_output=True, text=True)
    if r.returncode: raise SystemExit(r.stderr)
    return time.perf_counter() - t0, r.stdout.strip()

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__); ap.add_argument('--cells', type=int, default=100_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    clean = kpi_table(args.cells); clean.to_parquet(tmp / 'clean.parquet')
    bad, rows = corrupt(clean); bad.to_parquet(tmp / 'bad.parquet')
    walls = {}
    for name in ('clean', 'bad'):
        wall, line = run(tmp / f'{name}.parquet', tmp / name)
        q = pd.read_csv(tmp / name / 'quarantine.csv')
        walls[name] = wall
        print(f"{name}: {len(clean):,} rows, {wall:.1f} s wall, {len(q):,} rows quarantined | {line}")
    print(f"corrupted / clean wall: {walls['bad'] / walls['clean']:.2f}; "
          f"peak memory of the commands: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20:.2f} GB")
    if set(q.row) != set(rows): raise SystemExit(f"{len(rows)} rows were corrupted, {len(q)} quarantined, {len(set(q.row) ^ set(rows))} differ")
