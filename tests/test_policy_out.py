"A run an automation can trust: outputs a complete set or none, a lock, exit codes, the checkpoint's digest, floors."
import hashlib, json, os, subprocess, sys, textwrap
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
import torch
from idla_nbdev.simulator import Simulator, SimConfig, simulate
from idla_nbdev.estimator import default_checkpoint, save_estimator, load_estimator
from idla_nbdev.partition import Partitioner, complete_set, output_set, MANIFEST, LOCK

BIN = Path(sys.executable).parent

@pytest.fixture(scope='module')
def feed():
    "Two periods of a 3-cell network, slices as S-NSSAIs of SST 0-3, cells as DNs."
    k = simulate(Simulator(SimConfig(n_sites=1, start_step=40, seed=2)), 2, progress=False)
    return k.assign(cell='ManagedElement=gNB-0,GNBDUFunction=1,NRCellDU=' + k.cell.astype(str), slot=k.slot.astype(str))

@pytest.fixture(scope='module')
def result(feed): return Partitioner().partition(feed)

KILL_AT = textwrap.dedent('''
    import os, signal, sys, pandas as pd
    from idla_nbdev.partition import Partition
    calls, at = [0], int(sys.argv[2])
    replace = os.replace
    def dying_replace(a, b):
        calls[0] += 1
        if calls[0] == at: os.kill(os.getpid(), signal.SIGKILL)  # killed just before this rename
        replace(a, b)
    os.replace = dying_replace
    p = pd.read_pickle(sys.argv[1])
    p.write(sys.argv[3])
''')

@pytest.mark.parametrize('at', [1, 2, 3, 5, 6])
def test_a_kill_during_the_write_never_leaves_a_set_that_looks_complete(result, tmp_path, at):
    "Killed before the k-th rename (5 files, then the manifest), the folder holds the old complete set or an incomplete one."
    result.write(tmp_path / 'out')
    old = json.loads((tmp_path / 'out' / MANIFEST).read_text())
    changed = type(result)(result.partitions.assign(share=result.partitions.share[::-1].values), result.quarantine,
                           result.summary | {'period': 'next'})
    pd.to_pickle(changed, tmp_path / 'p.pkl')
    r = subprocess.run([sys.executable, '-c', KILL_AT, tmp_path / 'p.pkl', str(at), tmp_path / 'out'], capture_output=True)
    assert r.returncode == -9
    manifest = tmp_path / 'out' / MANIFEST
    assert not manifest.exists() or complete_set(tmp_path / 'out')  # never a mixture that claims to be complete
    if manifest.exists(): assert json.loads(manifest.read_text()) == old  # killed before the new manifest: the old set
    (tmp_path / 'out' / LOCK).unlink()  # the dead writer's lock; a live run would take it over anyway

def test_a_second_run_into_the_same_folder_is_refused_while_the_first_writes(result, tmp_path):
    with output_set(tmp_path / 'out'):
        with pytest.raises(ValueError, match=f'is being written by process {os.getpid()}'): result.write(tmp_path / 'out')
    result.write(tmp_path / 'out')  # the lock is released with the set
    assert complete_set(tmp_path / 'out')

def test_a_dead_writers_lock_is_taken_over(result, tmp_path):
    (tmp_path / 'out').mkdir()
    (tmp_path / 'out' / LOCK).write_text('999999999')
    result.write(tmp_path / 'out')
    assert complete_set(tmp_path / 'out') and not (tmp_path / 'out' / LOCK).exists()

def test_an_out_that_is_a_file_is_refused_before_any_work(feed, tmp_path):
    feed.to_csv(tmp_path / 'k.csv', index=False)
    (tmp_path / 'out').write_text('x')
    r = subprocess.run([BIN / 'idla-partition', '--kpis', tmp_path / 'k.csv', '--out', tmp_path / 'out'], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip() == f'error: --out {tmp_path / "out"} is a file, not a folder'

def test_a_period_with_every_row_quarantined_exits_3_with_its_outputs_written(feed, tmp_path):
    feed.assign(cqi=99.).to_csv(tmp_path / 'k.csv', index=False)
    r = subprocess.run([BIN / 'idla-partition', '--kpis', tmp_path / 'k.csv', '--out', tmp_path / 'out'], capture_output=True, text=True)
    assert r.returncode == 3 and r.stderr.strip() == f'warning: all {len(feed)} rows were quarantined'
    assert complete_set(tmp_path / 'out')
    assert set(pd.read_csv(tmp_path / 'out' / 'partitions.csv').source) == {'fallback'}

def test_a_served_period_exits_0(feed, tmp_path):
    feed.to_csv(tmp_path / 'k.csv', index=False)
    r = subprocess.run([BIN / 'idla-partition', '--kpis', tmp_path / 'k.csv', '--out', tmp_path / 'out'], capture_output=True, text=True)
    assert r.returncode == 0 and 'warning' not in r.stderr, r.stderr

def test_a_checkpoint_swapped_while_it_loads_is_named_by_the_bytes_loaded(tmp_path, monkeypatch):
    "The digest in the record is that of the bytes the weights came from, whatever lands on the path meanwhile."
    import idla_nbdev.estimator as E
    path = tmp_path / 'm.pt'
    path.write_bytes(default_checkpoint().read_bytes())
    original = hashlib.sha256(path.read_bytes()).hexdigest()
    other = load_estimator(); [p.data.mul_(0.5) for p in other.parameters()]
    load = torch.load
    def swapping_load(*a, **k):
        save_estimator(other, path)  # the file changes on disk between the read and the load
        return load(*a, **k)
    monkeypatch.setattr(E.torch, 'load', swapping_load)
    door = Partitioner(path)
    assert door.checkpoint_sha256 == original != hashlib.sha256(path.read_bytes()).hexdigest()
    assert all(torch.equal(a, b) for a, b in zip(door.estimator.parameters(), load_estimator().parameters()))

def test_a_slice_rounded_below_the_floor_gets_the_floor(result):
    from idla_nbdev.partition import partition_table
    t = partition_table(pd.Index(['c']), pd.Index(['1', '2', '3']), np.array([[.996, .003, .001]]), np.ones((1, 3), bool), 'idla')
    assert t.rRMPolicyMaxRatio.tolist() == [98, 1, 1] and t.rRMPolicyDedicatedRatio.sum() == 100
    assert (result.partitions.rRMPolicyMaxRatio >= 1).all()

def test_text_a_spreadsheet_takes_for_a_formula_is_written_as_text(feed, tmp_path):
    from idla_nbdev.ingest import policy_in_force
    bad = feed.assign(cell=feed.cell.str.replace('ManagedElement=gNB-0,GNBDUFunction=1,NRCellDU=', '=HYPERLINK("x")&'))
    Partitioner().partition(bad).write(tmp_path / 'out')
    text = (tmp_path / 'out' / 'partitions.csv').read_text()
    assert '\n=HYPERLINK' not in text and "\n'=HYPERLINK" in text.replace('"', '')
    assert set(policy_in_force(tmp_path / 'out' / 'partitions.csv').cell) == set(bad.cell)  # read back as it was

def test_damping_bounds_each_move_and_hysteresis_keeps_small_ones(feed):
    from idla_nbdev.partition import Damping, damp
    prev = np.array([[.25, .25, .25, .25], [.7, .1, .1, .1], [0, 0, 0, 0]])
    x = np.array([[.55, .15, .15, .15], [.71, .1, .1, .09], [.4, .3, .2, .1]])
    d = damp(x, prev, Damping(max_step=0.1, hysteresis=0.02))
    assert np.allclose(d.sum(1), 1) and np.abs(d - prev)[:2].max() <= 0.1 + 1e-9
    assert np.allclose(d[0], prev[0] + (x[0] - prev[0]) / 3) and np.allclose(d[1], prev[1]) and np.allclose(d[2], x[2])
    first = Partitioner().partition(feed)
    busy = feed.assign(**{c: feed[c] * np.where(feed.slot == '3', 20, 1) for c in ('users', 'offered')})  # a slice surges
    moves = {}
    for step in (None, 0.02):
        r = Partitioner(damping=Damping(max_step=step)).partition(busy, previous=first.partitions)
        moves[step] = (r.partitions.set_index(['cell', 'slice']).share - first.partitions.set_index(['cell', 'slice']).share).abs().max()
    assert moves[None] > 0.05 and 0.02 - 1e-6 <= moves[0.02] <= 0.02 + 1e-6, moves

def test_a_cell_missing_from_the_feed_keeps_its_policy_for_four_periods_then_is_dropped(feed):
    from idla_nbdev.partition import degraded, MAX_KEPT_PERIODS
    door = Partitioner()
    prev = door.partition(feed).partitions
    gone = prev.cell.iloc[0]
    rest = feed[feed.cell != gone]
    for period in range(1, MAX_KEPT_PERIODS + 2):
        r = door.partition(rest, previous=prev)
        kept = r.partitions[r.partitions.cell == gone]
        if period <= MAX_KEPT_PERIODS: assert kept.missing_periods.unique().tolist() == [period] and set(kept.source) == {'previous'}
        prev = r.partitions
    assert kept.empty and r.summary['cells_dropped'] == 1 and 'were dropped' in degraded(r.summary)
    assert r.quarantine.reason.str.contains('missing from the feed for more than 4 periods').any()
