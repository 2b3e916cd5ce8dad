"Operator PM data as it arrives at the front door: a fault table, one test per fault (notebook 05a_ingest reads, 05a decides)."
import gzip, json, shutil, subprocess, sys
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
from idla_nbdev.simulator import Simulator, SimConfig, simulate
from idla_nbdev.system_model import largest_remainder
from idla_nbdev.ingest import PM_COUNTERS_3GPP, pm_export, write_pm_xml, cm_export, cell_dn
from idla_nbdev.partition import Partitioner

SLICE_IDS = {0: '1-000001', 1: '1-000002', 2: '2', 3: '3-00000A'}
BIN = Path(sys.executable).parent

@pytest.fixture(scope='module')
def day(tmp_path_factory):
    "Five periods of a 2-site network on a static policy, as a CSV export, TS 32.435 files, a CM export and SLAs."
    tmp = tmp_path_factory.mktemp('day')
    sim = Simulator(SimConfig(n_sites=2, seed=5, start_step=40))
    static = largest_remainder(sim.traffic_shares(), sim.active) / 100
    kpis = simulate(sim, 5, policy=lambda s: static, progress=False)
    export = pm_export(kpis, SLICE_IDS)
    export.to_csv(tmp / 'pm.csv', index=False)
    files = write_pm_xml(export, tmp / 'xml')
    (tmp / 'cm.json').write_text(json.dumps(cm_export(kpis, SLICE_IDS)))
    pd.DataFrame({'sst': [1, 1, 2, 3], 'sd': ['000001', '000002', None, '00000A'], 'v_req': sim.req[:, 0],
                  'd_req': sim.req[:, 1]}).to_csv(tmp / 'sla.csv', index=False)
    last = sorted(p for p in files if p.name.startswith(files[-1].name.split('_')[0]))
    return dict(tmp=tmp, export=export, last=last, kpis=kpis)

@pytest.fixture(scope='module')
def door(): return Partitioner()

def decide(door, day, kpis, **kw):
    return door.partition(kpis, previous=kw.pop('previous', day['tmp'] / 'cm.json'), sla=kw.pop('sla', day['tmp'] / 'sla.csv'),
                          column_map=kw.pop('column_map', PM_COUNTERS_3GPP), **kw)

def sources(result):
    p = result.partitions
    return p.assign(source=p.source.replace('no_sla', 'idla')).drop_duplicates('cell').set_index('cell').source.to_dict()

def shares(result): return result.partitions.set_index(['cell', 'slice']).share.sort_index()

def broken_copy(day, tmp_path, edit):
    "The XML folder with `edit(last_period_files)` applied to a copy."
    folder = tmp_path / 'xml'
    shutil.copytree(day['tmp'] / 'xml', folder)
    edit(sorted(folder / p.name for p in day['last']))
    return folder

def cells_of(path: Path) -> set:
    me = path.name.split('_')[1].removesuffix('.xml')
    return {c for c in map(cell_dn, range(6)) if c.startswith(f'ManagedElement={me},')}

def test_the_export_and_the_files_give_every_cell_to_idla_with_the_same_partitions(day, door):
    csv, xml = decide(door, day, day['tmp'] / 'pm.csv'), decide(door, day, day['tmp'] / 'xml')
    assert csv.summary['cells_idla'] == xml.summary['cells_idla'] == 6
    assert np.abs(shares(csv) - shares(xml)).max() < 1e-6

def test_a_truncated_file_is_set_aside_by_name_and_costs_only_its_cells(day, door, tmp_path):
    folder = broken_copy(day, tmp_path, lambda last: last[0].write_text(last[0].read_text()[:900]))
    r = decide(door, day, folder)
    assert r.summary['files_set_aside'] == [day['last'][0].name]
    assert {c for c, s in sources(r).items() if s == 'previous'} == cells_of(day['last'][0])
    assert sum(s == 'idla' for s in sources(r).values()) == 3

def test_a_file_of_another_granularity_is_quarantined_and_a_late_file_is_history(day, door, tmp_path):
    def edit(last):
        text = last[1].read_text()
        end = text.split('endTime="')[1].split('"')[0]
        late = (pd.Timestamp(end) - pd.Timedelta(minutes=10)).isoformat()
        last[1].write_text(text.replace(f'duration="PT900S" endTime="{end}"', f'duration="PT300S" endTime="{late}"'))
    r = decide(door, day, broken_copy(day, tmp_path, edit))
    assert r.quarantine.reason.str.contains("granularity period 300 s is not the feed's 900 s").sum() == 12
    assert {c for c, s in sources(r).items() if s == 'previous'} == cells_of(day['last'][1])
    late = broken_copy(day, tmp_path / 'late', lambda last: None)
    first = sorted((day['tmp'] / 'xml').iterdir())[0]
    shutil.copy(first, late / ('late-' + first.name))  # an early period's file delivered again, late
    r = decide(door, day, late)
    assert r.summary['cells_idla'] == 6 and r.quarantine.reason.str.startswith('identical duplicate').sum() == 12

def test_a_suspect_value_costs_its_cell(day, door, tmp_path):
    folder = broken_copy(day, tmp_path, lambda last: last[0].write_text(last[0].read_text().replace('</measValue>', '<suspect>true</suspect></measValue>', 1)))
    r = decide(door, day, folder)
    assert r.quarantine.reason.str.startswith('suspect measurement').sum() == 4  # the four slices of the cell
    assert sum(s == 'previous' for s in sources(r).values()) == 1

def test_an_snssai_written_three_ways_is_one_slice(day, door, tmp_path):
    e = day['export']
    ids = e.sst + '-' + e.sd.where(e.sd != 'FFFFFF', '').str.strip()
    ways = {'sst and sd': e, 'id': e.drop(columns=['sst', 'sd']).assign(SNSSAI=ids.str.rstrip('-')),
            'octets': e.drop(columns=['sst', 'sd']).assign(SNSSAI=[f'{int(a):02X}{b}' for a, b in zip(e.sst, e.sd)])}
    results = {k: decide(door, day, t) for k, t in ways.items()}
    assert all(r.summary['cells_idla'] == 6 for r in results.values())
    assert shares(results['id']).equals(shares(results['sst and sd'])) and shares(results['octets']).equals(shares(results['id']))

def test_a_spreadsheet_csv_and_parquet_without_its_suffix_are_read_by_content(day, door, tmp_path):
    e = day['export']
    text = e.to_csv(sep=';', decimal=',', index=False)
    with gzip.open(tmp_path / 'pm.txt', 'wt', encoding='utf-8-sig') as f: f.write(text)
    e.to_parquet(tmp_path / 'pm.pq')
    plain = shares(decide(door, day, day['tmp'] / 'pm.csv'))
    for path in (tmp_path / 'pm.txt', tmp_path / 'pm.pq'):
        r = decide(door, day, path)
        assert r.summary['cells_idla'] == 6 and r.summary['rows_quarantined'] == 0
        assert np.abs(shares(r) - plain).max() < 1e-6

def test_inf_and_a_wrapped_counter_in_one_row_cost_only_that_cell(day, door, tmp_path):
    e = day['export'].astype({'DRB.UEThpDl.SNSSAI': object, 'RRC.ConnMean.SNSSAI': object})
    last = e.index[e.beginTime == e.beginTime.max()]
    e.loc[last[0], 'DRB.UEThpDl.SNSSAI'] = 'inf'
    e.loc[last[0], 'RRC.ConnMean.SNSSAI'] = '18446744073709551615'
    r = decide(door, day, e)
    assert r.summary['rows_quarantined'] == 1
    reason = r.quarantine.reason.iloc[0]
    assert 'throughput = inf is outside' in reason and 'users = 1.8446744073709552e+19 is outside' in reason
    assert sum(s == 'previous' for s in sources(r).values()) == 1 and r.summary['cells_idla'] == 5

def test_cells_named_na_and_none_are_cells(day, door, tmp_path):
    e = day['export']
    names = dict(zip(sorted(e.NRCellDU.unique()), ['NA', 'None', 'null', 'N/A', ' nan ', 'x']))
    e.assign(NRCellDU=e.NRCellDU.map(names)).to_csv(tmp_path / 'pm.csv', index=False)
    out = tmp_path / 'out'
    run = subprocess.run([BIN / 'idla-partition', '--kpis', tmp_path / 'pm.csv', '--sla', day['tmp'] / 'sla.csv',
                          '--column_map', '3gpp', '--out', out], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    written = pd.read_csv(out / 'partitions.csv', dtype=str, keep_default_na=False)
    assert set(written.cell) == {'NA', 'None', 'null', 'N/A', 'nan', 'x'} and set(written.source) == {'idla'}

def test_four_thousand_slice_ids_cost_a_grid_four_wide(day, door):
    "1,000 cells, each with its own four slice ids: the slices are numbered within each cell."
    k = day['kpis']
    k = pd.concat([k.assign(cell=k.cell + 6 * r) for r in range(167)], ignore_index=True)
    k = k[k.cell < 1000].assign(slot=lambda d: 'c' + d.cell.astype(str) + '-s' + d.slot.astype(str))
    r = door.partition(k.drop(columns='carried'))
    assert r.summary['cells_idla'] == 1000 and r.partitions.slice.nunique() == 4000

def test_idla_train_says_why_a_log_gives_no_sample(day, tmp_path):
    e = day['export']
    bad = e.assign(**{'RRC.ConnMean.SNSSAI': -1.})  # every row out of range
    bad.to_csv(tmp_path / 'bad.csv', index=False)
    gaps = e[pd.to_datetime(e.beginTime).dt.minute.isin([0, 30])]  # every other period: no two in a row
    gaps.to_csv(tmp_path / 'gaps.csv', index=False)
    for path, message in [('bad.csv', 'KPI log: all 120 rows were quarantined, e.g. users = -1.0 is outside'),
                          ('gaps.csv', 'needs 2 consecutive periods of a cell\'s rows and the longest run is 1')]:
        r = subprocess.run([BIN / 'idla-train', '--kpis', tmp_path / path, '--sla', day['tmp'] / 'sla.csv', '--column_map', '3gpp',
                            '--out', tmp_path / 'm.pt'], capture_output=True, text=True)
        assert r.returncode == 2 and message in r.stderr, r.stderr

def test_a_feed_decided_part_by_part_is_the_feed_decided_whole(day, door, tmp_path):
    "The memory-bounded path (parts of whole cells) gives the same outputs, quarantine rows numbered as in the feed."
    e = day['export'].astype({'RRC.ConnMean.SNSSAI': object})
    e.loc[[7, len(e) - 3], 'RRC.ConnMean.SNSSAI'] = 'n/a'
    e['RRC.ConnMean.SNSSAI'] = e['RRC.ConnMean.SNSSAI'].astype(str)  # text in a number, as a CSV-born Parquet has it
    e.to_parquet(tmp_path / 'pm.parquet')
    whole = decide(door, day, tmp_path / 'pm.parquet')
    whole.write(tmp_path / 'whole')
    from idla_nbdev.partition import spill_by_cell
    (tmp_path / 'spill').mkdir()
    count, parts = spill_by_cell(tmp_path / 'pm.parquet', tmp_path / 'spill', PM_COUNTERS_3GPP, 1)
    assert count == 6 and len(parts) == 2  # a part per gNB
    summary = door.partition_file(tmp_path / 'pm.parquet', tmp_path / 'parts', day['tmp'] / 'cm.json', day['tmp'] / 'sla.csv',
                                  PM_COUNTERS_3GPP, cells_per_part=1)
    assert len(list(tmp_path.glob('parts/*'))) == 6 and summary['cells'] == 6 and summary['rows_quarantined'] == 2
    read = lambda d, f: pd.read_csv(tmp_path / d / f).sort_values(['cell', 'slice'] if f == 'partitions.csv' else 'row', ignore_index=True)
    pd.testing.assert_frame_equal(read('parts', 'partitions.csv'), read('whole', 'partitions.csv'))
    assert read('parts', 'quarantine.csv').row.tolist() == [7, len(e) - 3]
    from idla_nbdev.ingest import policy_in_force
    policy = policy_in_force(tmp_path / 'parts' / 'rrm_policy.json')  # the tree the parts wrote, read back
    assert len(policy) == 24 and set(policy.cell) == set(whole.partitions.cell)
    assert {k: summary[k] for k in ('cells_idla', 'cells_previous', 'share_from')} == \
           {k: whole.summary[k] for k in ('cells_idla', 'cells_previous', 'share_from')}

def test_a_solver_error_names_the_cell_as_the_input_names_it(day):
    "A solver counts cells from 0 within what it was given; the front door names the cell as the feed does."
    from idla_nbdev.solver import fast_solve
    def fussy(f, obs, mask, x_prev=None, **kw):
        if len(obs) > 3: raise ValueError("obs contains an infinite value for cell 4, slot 1, feature 2")
        return fast_solve(f, obs, mask, x_prev, **kw)
    with pytest.raises(ValueError, match=r"cell 'ManagedElement=gNB-1,GNBDUFunction=1,NRCellDU=2', slot 1"):
        decide(Partitioner(solver=fussy), day, day['tmp'] / 'pm.csv')
