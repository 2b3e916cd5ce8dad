"Property tests of the solver: every output is a feasible partition, whatever the cells look like."
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from idla_nbdev.solver import idla_solve, grid_dp_solve, project_simplex, toy_qos

FUNCS = {
    'toy': toy_qos,
    'saturated': lambda x, o: torch.ones_like(x),
    'unserved': lambda x, o: torch.zeros_like(x),
    'step': lambda x, o: (x >= o[..., 0]).to(x.dtype),  # q jumps from 0 to 1 at a threshold: no gradient anywhere
}

@st.composite
def cells(draw):
    n = draw(st.integers(1, 12))
    slots = draw(st.integers(1, 10))
    seed = draw(st.integers(0, 2 ** 16))
    g = torch.Generator().manual_seed(seed)
    obs = torch.stack([0.02 + 0.6 * torch.rand(n, slots, generator=g), 0.2 + 0.8 * torch.rand(n, slots, generator=g),
                       (torch.rand(n, slots, generator=g) < .3).float(), 0.3 * torch.rand(n, slots, generator=g)], -1)
    k = torch.randint(1, slots + 1, (n, 1), generator=g)
    mask = torch.rand(n, slots, generator=g).argsort(-1) < k  # k random active slots per cell
    x_prev = draw(st.sampled_from([None, 'random', 'garbage']))
    if x_prev == 'random': x_prev = torch.rand(n, slots, generator=g) * mask
    elif x_prev == 'garbage': x_prev = 10 * torch.randn(n, slots, generator=g)  # not a partition: projected first
    return obs, mask, x_prev, draw(st.sampled_from(sorted(FUNCS)))

@settings(max_examples=60, deadline=None)
@given(cells())
def test_idla_always_returns_a_feasible_partition(case):
    obs, mask, x_prev, fname = case
    r = idla_solve(FUNCS[fname], obs, mask, x_prev=x_prev, K=60)
    assert np.isfinite(r.x).all() and (r.x >= 0).all()
    np.testing.assert_allclose(r.x.sum(1), 1, atol=1e-5)
    assert (r.x[~mask.numpy()] == 0).all()
    assert np.isfinite(r.objective).all()

@settings(max_examples=30, deadline=None)
@given(st.integers(1, 9), st.integers(0, 1000))
def test_projection_is_feasible_and_idempotent(slots, seed):
    g = torch.Generator().manual_seed(seed)
    v = 5 * torch.randn(7, slots, generator=g, dtype=torch.float64)
    mask = torch.rand(7, slots, generator=g) < .6; mask[:, 0] = True
    p = project_simplex(v, mask)
    np.testing.assert_allclose(p.sum(-1), 1, atol=1e-12)
    torch.testing.assert_close(project_simplex(p, mask), p)

def test_idla_matches_the_dp_optimum_on_single_slice_and_two_slice_cells():
    obs = torch.tensor([[[.3, .8, 0., .1], [.1, .5, 0., .1]]])
    r, dp = idla_solve(toy_qos, obs), grid_dp_solve(toy_qos, obs, G=1000)
    assert r.objective[0] >= dp.objective[0] - 1e-4

def test_nan_observations_are_rejected():
    obs = torch.rand(2, 3, 4); obs[1, 0, 2] = float('nan')
    with pytest.raises(ValueError, match="NaN for cell 1, slot 0"): idla_solve(toy_qos, obs)

def test_nan_in_an_inactive_slot_is_ignored():
    obs = torch.rand(1, 3, 4) * .5 + .05; obs[0, 2] = float('nan')
    r = idla_solve(toy_qos, obs, torch.tensor([[True, True, False]]))
    assert r.x[0, 2] == 0 and abs(r.x.sum() - 1) < 1e-5
