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

MODULES = ['system_model', 'radio', 'simulator', 'observation', 'dataset', 'estimator', 'contract', 'problems', 'solver', 'partition',
           'policies', 'replay', 'experiment', 'claims', 'figures', 'report']

@pytest.mark.parametrize('module', MODULES)
def test_exported_functions_have_docstrings_and_type_hints(module):
    import importlib, inspect
    mod = importlib.import_module(f'idla_nbdev.{module}')
    problems = []
    for name in mod.__all__:
        obj = getattr(mod, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)) or obj.__module__ != mod.__name__: continue
        if not inspect.getdoc(obj) or (inspect.isclass(obj) and inspect.getdoc(obj).startswith(f'{name}(')): problems.append(f'{name}: no docstring')
        if inspect.isfunction(obj):
            params = inspect.signature(obj).parameters.values()
            untyped = [p.name for p in params if p.annotation is inspect.Parameter.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
            if untyped: problems.append(f'{name}: parameters without type hints {untyped}')
    assert not problems, problems

def test_slicing_env_is_registered_with_gymnasium_and_passes_its_checker():
    import gymnasium as gym
    from gymnasium.utils.env_checker import check_env
    import idla_nbdev.policies  # registers idla_nbdev/Slicing-v0
    env = gym.make('idla_nbdev/Slicing-v0', config=SimConfig(n_sites=1, slices=('embb', 'urllc')), episode_steps=3)
    check_env(env.unwrapped, skip_render_check=True)
    obs, info = env.reset(seed=0)
    assert obs.shape == (16,) and env.action_space.shape == (2,) and 'cell' in info
    *_, truncated, _ = env.step(env.action_space.sample()); assert not truncated

@pytest.fixture
def cloud_xr():
    "A service type registered at run time (and removed after the test)."
    from idla_nbdev.system_model import ServiceType, SERVICE_TYPES, register_service_type
    day = (.3, .2, .1, .05, .05, .05, .1, .2, .3, .35, .4, .45, .5, .5, .5, .55, .6, .7, .8, .9, 1., 1., .8, .5)
    yield register_service_type(ServiceType('cloud_xr', v_req=40., d_req=15., user_rate=8., burst_kbit=600., air_delay=4.,
                                            peak_users=1., session_min=30., buffer_ms=30., profile=day))
    SERVICE_TYPES.pop('cloud_xr')

def test_a_registered_service_type_runs_on_its_own_daily_profile(cloud_xr):
    from idla_nbdev.dataset import collection_mixes
    from idla_nbdev.experiment import ExperimentConfig
    sim = Simulator(SimConfig(n_sites=1, slices=('embb', 'cloud_xr'), seed=2))
    hourly = [sim._mean_users(t)[:, 1].mean() for t in range(0, 96, 4)]
    assert np.corrcoef(hourly, cloud_xr.profile)[0, 1] > 0.95  # its own day, not the others' mean
    assert sim.copy().step(sim.traffic_shares()).query('slot == 1').users.sum() >= 0
    assert any('cloud_xr' in mix for mix in collection_mixes()) and ExperimentConfig(new_slices=('cloud_xr',))

def test_a_traffic_mask_without_a_slice_type_is_an_error(cloud_xr):
    from idla_nbdev.simulator import generate_traffic_mask
    mask = generate_traffic_mask(('embb',))
    with pytest.raises(ValueError, match="the traffic mask has no column for service type 'cloud_xr'"):
        Simulator(SimConfig(n_sites=1, slices=('embb', 'cloud_xr'), traffic_mask=mask))

def test_a_day_has_as_many_steps_as_the_period_length_gives():
    sim = Simulator(SimConfig(n_sites=1, step_minutes=30.))
    assert sim.steps_per_day == sim.cfg.steps_per_day == 48 and SimConfig().steps_per_day == 96

def test_a_history_kpi_is_added_in_one_place(monkeypatch):
    "One entry in `HISTORY_KPIS` and the observation, the samples and a new estimator all read it."
    import torch
    from idla_nbdev import observation
    from idla_nbdev.observation import HistoryKPI, obs_columns, obs_layout, kpis_to_obs
    from idla_nbdev.dataset import make_samples
    from idla_nbdev.estimator import QoSEstimator, EstimatorConfig
    monkeypatch.setattr(observation, 'HISTORY_KPIS',
                        [*observation.HISTORY_KPIS, HistoryKPI('prb_util', 'fraction', torch.log1p, lambda ctx: 0., '0')])
    assert obs_columns(2)[-2:] == ['prb_util_1', 'prb_util_2']
    kpis = simulate(Simulator(SimConfig(n_sites=1, start_step=40)), 3, progress=False)
    obs, mask, keys = kpis_to_obs(kpis, H=2)
    last = kpis[(kpis.step == kpis.step.max()) & (kpis.cell == keys.cells[0]) & (kpis.slot == keys.slots[0])]
    assert obs[0, 0, obs_layout(2)['prb_util']][0].item() == pytest.approx(last.prb_util.item(), rel=1e-6)
    assert {'prb_util_1', 'prb_util_2'} <= set(make_samples(kpis, H=2).columns)
    assert QoSEstimator(EstimatorConfig(H=2))(torch.full(mask.shape, .5), obs).shape == mask.shape

def test_a_registered_solver_is_named_from_a_json_config(tmp_path):
    import json
    from idla_nbdev.solver import SOLVERS, register_solver, fast_solve
    from idla_nbdev.experiment import ExperimentConfig
    from idla_nbdev.estimator import load_estimator
    calls = []
    def counting(f, obs, mask=None, x_prev=None, **settings):
        calls.append(settings)
        return fast_solve(f, obs, mask, x_prev, **settings)
    register_solver('counting', counting)
    try:
        (tmp_path / 'c.json').write_text(json.dumps({'sim': {'n_sites': 1}, 'idla': {'solver': 'counting', 'settings': {'M': 0, 'K': 5}}}))
        cfg = ExperimentConfig.from_json(tmp_path / 'c.json')
        sim = Simulator(SimConfig(n_sites=1, start_step=40))
        x = cfg.idla.policy(load_estimator())(sim, simulate(sim, 3, progress=False))
    finally:
        SOLVERS.pop('counting')
    assert calls == [{'M': 0, 'K': 5}] and np.allclose(check_partition(x, sim.active).sum(1), 1, atol=1e-5)

def test_a_baseline_scheme_added_at_run_time_runs_every_phase():
    from idla_nbdev.experiment import SCHEMES, Scheme, ExperimentConfig, run_experiment, scheme_order
    from idla_nbdev.policies import Policy
    scored = []
    class EqualSplit(Policy):
        name = 'Equal split'
        def decide(self, sim, history):
            scored.append(self.scored)
            return sim.active / sim.active.sum(1, keepdims=True)
    SCHEMES.append(Scheme('Equal split', lambda sim, est, cfg: EqualSplit()))
    try:
        chosen = [s for s in SCHEMES if s.label in ('Traffic', 'Equal split')]
        k = run_experiment(ExperimentConfig(sim={'n_sites': 1}, steps=4), progress=False, schemes=chosen)['kpis']
        assert scheme_order(k.scheme)[-1] == 'Equal split'
    finally:
        SCHEMES.pop()
    equal = k[k.scheme == 'Equal split']
    assert set(equal.phase) == {'T1', 'T2', 'T3'}
    assert scored[-8:] == [False, False, True, True] * 2  # T2, T3: the first half explores, the second is scored
    assert np.allclose(equal.groupby(['phase', 'step', 'cell']).share.sum(), 1)
