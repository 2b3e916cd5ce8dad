"Plain pytest checks of the exported library, from outside the notebooks."
import subprocess, sys
import numpy as np
import pytest
from idla_nbdev.simulator import Simulator, SimConfig, simulate
from idla_nbdev.system_model import check_partition

def test_replay_is_deterministic_and_shares_matter():
    sim = Simulator(SimConfig(n_sites=1, start_step=84, seed=3))
    x = sim.traffic_shares()
    a, b = sim.copy().step(x), sim.copy().step(x)
    assert a.equals(b)
    starve = x.copy(); starve[:, 0] = 0.01; starve /= starve.sum(1, keepdims=True)
    busy = sim.copy().step(starve)
    assert busy[busy.slot == 0].q.mean() < a[a.slot == 0].q.mean()

def test_added_slice_gets_users_and_kpis():
    sim = Simulator(SimConfig(n_sites=1, slices=('embb', 'video', 'urllc'), start_step=40))
    simulate(sim, 2, progress=False)
    slot = sim.add_slice('mmtc')
    k = sim.step(sim.traffic_shares())
    assert slot == 3 and (k.slot == 3).sum() == sim.n_cells and k[k.slot == 3].users.sum() > 0
    check_partition(sim.traffic_shares(), sim.active)

def test_removed_slice_must_get_no_share():
    sim = Simulator(SimConfig(n_sites=1))
    sim.remove_slice(2, cells=[0])
    x = np.full((3, 4), 0.25)
    with pytest.raises(ValueError, match="slot 2, which has no slice"): sim.step(x)

def test_console_script_prints_kpi_table():
    out = subprocess.run([sys.executable, '-c', 'from idla_nbdev.simulator import simulate_cli; simulate_cli()',
                          '--steps', '2', '--sites', '1'], capture_output=True, text=True, check=True).stdout
    assert 'embb' in out and 'throughput' in out
