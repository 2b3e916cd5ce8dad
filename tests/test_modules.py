"""Fast checks of each module's core formula or rule, so that the plain pytest modules guard every module and not only
the solver (`python tools/mutants.py` counts the one-line bugs they catch)."""
import numpy as np
import pandas as pd
import pytest
import torch
from idla_nbdev.simulator import Simulator, SimConfig, simulate

def test_qos_satisfaction_needs_both_throughput_and_delay():
    from idla_nbdev.system_model import qos_satisfaction
    q = qos_satisfaction(v=[5., 20., 20., 20.], d=[5., 20., 5., 5.], v_req=[10.] * 4, d_req=[10.] * 4)
    assert np.allclose(q, [0.5, 0.5, 1., 1.])  # throughput short; delay over budget; both met; capped at 1

def test_noise_power_is_thermal_noise_over_the_band_plus_the_noise_figure():
    from idla_nbdev.radio import RadioConfig
    cfg = RadioConfig(n_prb=100, prb_khz=180., ue_nf_db=9.)
    assert cfg.noise_dbm == pytest.approx(-174 + 10 * np.log10(18e6) + 9)  # -174 dBm/Hz over 18 MHz: -92.4 dBm

def test_a_removed_slice_gets_no_new_users_in_its_cells():
    sim = Simulator(SimConfig(n_sites=1, start_step=84, seed=1, load_scale=4.))
    sim.remove_slice(1, cells=[0, 2])
    for _ in range(3): sim.step(sim.traffic_shares())
    u = sim.users
    assert not ((u.slot == 1) & np.isin(u.cell, [0, 2])).any() and ((u.slot == 1) & (u.cell == 1)).sum() > 0

def test_observation_lags_read_the_right_periods():
    from idla_nbdev.observation import kpis_to_obs, obs_layout
    k = simulate(Simulator(SimConfig(n_sites=1, start_step=40, seed=2)), 3, progress=False)
    last = int(k.step.max())
    obs, mask, keys = kpis_to_obs(k, last, H=2)
    users = obs[..., obs_layout(2)['users']]
    for lag, period in ((0, last), (1, last - 1)):
        rows = k[k.step == period].set_index(['cell', 'slot']).users
        want = [[rows[(c, s)] for s in keys.slots] for c in keys.cells]
        assert np.allclose(users[..., lag].numpy(), want), f"lag {lag + 1} should be period {period}"

def test_relabelled_samples_score_their_new_requirements_by_eq3():
    from idla_nbdev.dataset import relabel
    s = pd.DataFrame(dict(throughput=[2., 8., 30.], delay=[40., 12., 3.], v_req=[5.] * 3, d_req=[20.] * 3, q=[0.4, 1., 1.],
                          aug=0))
    r = relabel(s, copies=2, seed=1)
    want = np.minimum(np.minimum(r.throughput / r.v_req, r.d_req / r.delay), 1)
    assert len(r) == 6 and (r.aug == 3).all() and np.allclose(r.q, want)

def test_the_kpi_fit_adds_to_the_structured_heads_loss():
    from idla_nbdev.estimator import load_estimator, estimator_loss, TrainConfig, training_tensors
    from idla_nbdev.learning import replay_data
    est = load_estimator()
    batch = training_tensors(replay_data().head(256), est.cfg.H)
    loss = lambda w: estimator_loss(est, batch, TrainConfig(kpi_weight=w), False, torch.Generator()).item()
    assert loss(1.) > loss(0.) > 0

def test_idla_policy_warm_starts_from_its_previous_decision(monkeypatch):
    from idla_nbdev.estimator import load_estimator
    from idla_nbdev.policies import IDLAPolicy
    sim = Simulator(SimConfig(n_sites=1, start_step=40, seed=4))
    history = simulate(sim, 2, progress=False)
    policy = IDLAPolicy(load_estimator())
    seen, solve = [], policy.door.solve
    monkeypatch.setattr(policy.door, 'solve', lambda obs, mask, prev=None, *a, **k: seen.append(prev) or solve(obs, mask, prev, *a, **k))
    first = policy.decide(sim, history)
    history = pd.concat([history, sim.step(first)])
    policy.decide(sim, history)
    assert seen[0] is None and np.array_equal(seen[1], first)

def test_an_online_update_that_worsens_the_held_out_error_is_rolled_back():
    from idla_nbdev.estimator import load_estimator
    from idla_nbdev.learning import OnlineEstimator, LearningConfig, replay_data
    data = replay_data()
    online = OnlineEstimator(load_estimator(), LearningConfig(lr=1.0, gradient_steps=4))  # a step this large only does harm
    online.update(data.iloc[:300])
    before = [p.detach().clone() for p in online.model.parameters()]
    row = online.update(data.iloc[300:600])
    assert not row['after'] <= row['before'] and not row['kept']  # worse, or NaN
    assert all(torch.equal(a, b) for a, b in zip(before, online.model.parameters()))

def test_half_width_is_the_student_t_interval():
    from idla_nbdev.claims import half_width
    assert half_width([1., 2., 3.]) == pytest.approx(4.302653 * 1. / np.sqrt(3), rel=1e-6)  # t(0.975, 2) s / sqrt(n)
    assert np.isnan(half_width([1.]))

def test_the_reference_is_served_and_does_not_depend_on_the_scored_partition():
    from idla_nbdev.replay import optimum_gap, served_reference, true_utility
    sim = Simulator(SimConfig(n_sites=1, start_step=84, seed=3, load_scale=1.3))
    x = sim.traffic_shares()
    equal = sim.active / sim.active.sum(1, keepdims=True)
    a, b = optimum_gap(sim, x, G=4), optimum_gap(sim, equal, G=4)
    ref_x, ref_u = served_reference(sim, G=4)
    assert np.allclose(true_utility(sim, ref_x), ref_u)  # the utility of the partition, served network-wide
    assert np.allclose(a.reference, ref_u) and np.allclose(b.reference, ref_u)
    assert np.allclose(a.utility, true_utility(sim, x)) and np.allclose(a.gap, a.reference - a.utility)
