"""Lost Dask workers cost no cell: partition a KPI table on a local cluster of 2 worker processes while killing them
(SIGKILL) mid-run: none, one, both a few seconds apart, both at once. Prints, per scenario, the run time, how many
workers died, how many cells IDLA served and the largest share difference from the run without kills."""
import argparse, logging, os, signal, threading, time
import numpy as np
from distributed import Client, LocalCluster
from idla_nbdev.partition import Partitioner
from bench_partition import kpi_table

SCENARIOS = {'no kill': [], 'one worker': [0.], 'both, 3 s apart': [0., 3.], 'both at once': [0., 0.]}

def tasks_done(client: Client) -> int:
    return client.run_on_scheduler(lambda dask_scheduler: sum(t.state == 'memory' for t in dask_scheduler.tasks.values()))

def killer(client: Client, pids: list[int], delays: list[float], after_tasks: int, killed: list):
    "Wait until `after_tasks` chunks are solved (the run is under way), then SIGKILL worker k at `delays[k]` seconds."
    while tasks_done(client) < after_tasks: time.sleep(0.05)
    t0 = time.perf_counter()
    for pid, delay in zip(pids, delays):
        time.sleep(max(0., t0 + delay - time.perf_counter()))
        os.kill(pid, signal.SIGKILL); killed.append(pid)

def run(door: Partitioner, kpis, delays: list[float], after_tasks: int):
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        pids, killed = list(client.run(os.getpid).values()), []
        t = threading.Thread(target=killer, args=(client, pids, delays, after_tasks, killed), daemon=True)
        t0 = time.perf_counter(); t.start()
        result = door.partition(kpis, client=client)
        return result, time.perf_counter() - t0, len(killed)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--cells', type=int, default=100_000); ap.add_argument('--chunk', type=int, default=1_000)
    args = ap.parse_args()
    logging.getLogger('distributed').setLevel(logging.ERROR)  # the scheduler's lost-worker warnings are this test's point
    kpis = kpi_table(args.cells)
    door = Partitioner(chunk=args.chunk)
    tasks = -(-args.cells // args.chunk)
    reference = None
    for name, delays in SCENARIOS.items():
        result, wall, killed = run(door, kpis, delays, after_tasks=tasks // 10)
        s, shares = result.summary, result.partitions.share.to_numpy()
        if reference is None: reference = shares
        diff = np.abs(shares - reference).max() if len(shares) == len(reference) else np.inf
        print(f"{name:>16}: {wall:5.1f} s, {killed} worker(s) killed, {s['cells_idla']:,} of {s['cells']:,} cells by IDLA "
              f"({tasks} tasks), max share difference from 'no kill' {diff:.1e}")
        if s['cells_idla'] != s['cells'] or diff > 1e-6: raise SystemExit(f"{name}: cells lost or changed")
        if killed < len(delays): raise SystemExit(f"{name}: the run ended before every kill ({killed} of {len(delays)})")
