"""Benchmark the front door on operator data, end to end through `idla-partition` (read, check, solve, write), each run
a fresh process on this machine: 100k cells x 4 slices as TS 32.435 files (one per gNB) and as Parquet of the same
export; 1M cells x 4 slices from Parquet against 100k (the memory-bounded path); and one row with `inf` and a
wrapped counter among the 100k cells. Prints wall time and peak memory (the process's max RSS) of each command."""
import argparse, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
import pandas as pd
sys.path.insert(0, str(Path(__file__).parent))
from bench_partition import kpi_table
from idla_nbdev.ingest import pm_export, write_pm_xml

SNSSAI = {0: '1-000001', 1: '1-000002', 2: '2', 3: '3-00000A'}
BIN = Path(sys.executable).parent

MEASURE = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(r.stdout.strip()); "
           "sys.exit(r.stderr if r.returncode else 0)")

def run(*args) -> tuple[float, float, str]:
    """`(wall s, peak GB, last line)` of one `idla-partition` process, started from a small interpreter so that its peak
    counts none of this one's memory."""
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, '-c', MEASURE, BIN / 'idla-partition', *map(str, args)], capture_output=True, text=True)
    if r.returncode: raise SystemExit(r.stderr)
    peak, line = r.stdout.split('\n', 1)
    return time.perf_counter() - t0, int(peak) / 2 ** 20, line.strip()

def export(cells: int) -> pd.DataFrame:
    "A busy-hour period of `cells` cells (`kpi_table`) as a PM export."
    k = kpi_table(cells)
    return pm_export(k.assign(cell=k.cell.str[5:].astype(int), slot=k.slot.str[6:].astype(int)), SNSSAI)

def report(name: str, result: tuple) -> tuple:
    wall, peak, line = result
    print(f"{name}: {wall:.1f} s wall, {peak:.2f} GB peak | {line}")
    return result

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--cells', type=int, default=100_000)
    ap.add_argument('--big', type=int, default=1_000_000, help='cells of the Parquet feed against --cells (0: skip)')
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    e = export(args.cells)
    e.to_parquet(tmp / 'pm.parquet')
    t0 = time.perf_counter(); files = write_pm_xml(e, tmp / 'xml')
    print(f"{args.cells:,} cells: {len(e):,} rows; {len(files):,} TS 32.435 files written in {time.perf_counter() - t0:.0f} s")
    req = kpi_table(21).groupby('slot')[['v_req', 'd_req']].first().to_numpy()
    pd.DataFrame({'slice': list(SNSSAI.values()), 'v_req': req[:, 0], 'd_req': req[:, 1]}).to_csv(tmp / 'sla.csv', index=False)
    common = ['--column_map', '3gpp', '--sla', tmp / 'sla.csv']
    xml = report('TS 32.435 files', run('--kpis', tmp / 'xml', '--out', tmp / 'o1', *common))
    pq = report('Parquet export', run('--kpis', tmp / 'pm.parquet', '--out', tmp / 'o2', *common))
    print(f"files / Parquet: {xml[0] / pq[0]:.2f} x wall, {xml[1] / pq[1]:.2f} x peak")
    bad = e.astype({'DRB.UEThpDl.SNSSAI': str, 'RRC.ConnMean.SNSSAI': str})
    bad.loc[len(bad) // 2, ['DRB.UEThpDl.SNSSAI', 'RRC.ConnMean.SNSSAI']] = ['inf', str(2 ** 64 - 1)]
    bad.to_parquet(tmp / 'bad.parquet')
    report('one row with inf and a wrapped counter', run('--kpis', tmp / 'bad.parquet', '--out', tmp / 'o3', *common))
    if args.big:
        own = {}
        for n in (args.cells, args.big):
            kpi_table(n).to_parquet(tmp / f'own{n}.parquet')
            own[n] = report(f"{n:,} cells x 4 slices, Parquet in the project's names", run('--kpis', tmp / f'own{n}.parquet', '--out', tmp / f'own{n}'))
        print(f"{args.big:,} / {args.cells:,} cells: {own[args.big][0] / own[args.cells][0]:.2f} x wall, "
              f"{own[args.big][1] / own[args.cells][1]:.2f} x peak")
