"""kiln.optimizer against torch.optim: same parameters, same gradients, same
learning-rate schedule -> the same parameters after every step."""
import numpy as np
import pytest
import torch

import kiln
import kiln.module as M
import kiln.optimizer as optim
from kiln.autodiff import GradManager

SHAPES = [(3, 4), (4,), (2, 1, 3)]
LRS = [0.1, 0.05, 0.2, 0.01, 0.3]  # changed between steps


def assert_close(kiln_params, torch_params, msg=""):
    """Within 1e-6 relative; 1e-6 absolute allows the last-bit differences of
    elements near zero (torch fuses multiply-adds, kiln rounds twice)."""
    for i, (k, t) in enumerate(zip(kiln_params, torch_params)):
        np.testing.assert_allclose(k.numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-6,
                                   err_msg=f"{msg} parameter {i}")


def run_against_torch(kiln_cls, torch_cls, steps=5, **kwargs):
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    kp = [kiln.Parameter(a) for a in init]
    tp = [torch.tensor(a, requires_grad=True) for a in init]
    ko = kiln_cls(kp, lr=LRS[0], **kwargs)
    to = torch_cls(tp, lr=LRS[0], **kwargs)
    for step in range(steps):
        ko.param_groups[0]["lr"] = LRS[step]
        to.param_groups[0]["lr"] = LRS[step]
        for k, t in zip(kp, tp):
            g = rng.standard_normal(k.shape).astype(np.float32)
            k.grad = kiln.tensor(g)
            t.grad = torch.tensor(g)
        ko.step()
        to.step()
        assert_close(kp, tp, f"{kiln_cls.__name__}{kwargs} step {step}:")
    return ko, kp


@pytest.mark.parametrize("kwargs", [
    {}, {"weight_decay": 0.05}, {"momentum": 0.9}, {"momentum": 0.9, "weight_decay": 0.01},
    {"momentum": 0.8, "nesterov": True}, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1}])
def test_sgd_matches_torch(kwargs):
    run_against_torch(optim.SGD, torch.optim.SGD, **kwargs)


@pytest.mark.parametrize("kwargs", [
    {}, {"weight_decay": 0.1}, {"betas": (0.8, 0.99), "eps": 1e-6}, {"betas": (0.0, 0.9)},
    {"betas": (0.9, 0.0)}])
def test_adam_matches_torch(kwargs):
    run_against_torch(optim.Adam, torch.optim.Adam, **kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"weight_decay": 0.3}, {"weight_decay": 0.0},
                                    {"betas": (0.5, 0.9), "eps": 1e-4}])
def test_adamw_matches_torch(kwargs):
    run_against_torch(optim.AdamW, torch.optim.AdamW, **kwargs)


def test_adam_state_matches_torch_state():
    opt, params = run_against_torch(optim.Adam, torch.optim.Adam, steps=3)
    state = opt.state_dict()["state"][0]
    assert state["step"] == 3 and state["step"].dtype == np.float32
    assert state["exp_avg"].shape == state["exp_avg_sq"].shape == SHAPES[0]


def test_param_groups_have_their_own_hyperparameters():
    a, b = kiln.Parameter(np.ones(2, np.float32)), kiln.Parameter(np.ones(2, np.float32))
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1)
    assert opt.param_groups[1]["momentum"] == 0.0
    a.grad = b.grad = kiln.tensor(np.ones(2, np.float32))
    opt.step()
    np.testing.assert_allclose(a.numpy(), 0.9)
    np.testing.assert_allclose(b.numpy(), 0.5)
    c = kiln.Parameter(np.ones(2, np.float32))
    opt.add_param_group({"params": [c], "lr": 1.0, "momentum": 0.5})
    c.grad = kiln.tensor(np.ones(2, np.float32))
    opt.step()
    opt.step()
    np.testing.assert_allclose(c.numpy(), 1 - 1 - 1.5)


def test_step_updates_in_place_and_skips_missing_gradients():
    lin = M.Linear(3, 2)
    weight, bias = lin.weight, lin.bias
    before = bias.numpy().copy()
    opt = optim.Adam(lin.parameters(), lr=0.1)
    weight.grad = kiln.tensor(np.ones((2, 3), np.float32))
    assert opt.step() is opt
    assert lin.weight is weight
    np.testing.assert_allclose(weight.numpy(), lin.state_dict()["weight"])
    np.testing.assert_array_equal(bias.numpy(), before)  # no gradient: untouched
    state = opt.state_dict()["state"]
    assert state[0]["step"] == 1 and state[1]["step"] == 0
    opt.clear_grad()
    assert weight.grad is None and bias.grad is None
    weight.grad = kiln.tensor(np.ones((2, 3), np.float32))
    opt.zero_grad()
    assert weight.grad is None


def test_training_a_model_matches_torch():
    """GradManager + optimizer on a two-layer MLP, three steps, against torch."""
    kiln.random.seed(0)
    model = M.Sequential(M.Linear(6, 5), M.ReLU(), M.Linear(5, 2))
    tmodel = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    with torch.no_grad():
        for (_, p), t in zip(model.named_parameters(), tmodel.parameters()):
            t.copy_(torch.tensor(p.numpy()))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    gm = GradManager().attach(model.parameters())
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.standard_normal((8, 6)).astype(np.float32)
        y = rng.standard_normal((8, 2)).astype(np.float32)
        with gm:
            loss = ((model(kiln.tensor(x)) - kiln.tensor(y)) ** 2).mean()
            gm.backward(loss)
        opt.step().clear_grad()
        tloss = ((tmodel(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
        topt.zero_grad()
        tloss.backward()
        topt.step()
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-5)
    for p, t in zip(model.parameters(), tmodel.parameters()):
        np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_state_dict_round_trip_continues_identically():
    rng = np.random.default_rng(2)
    init = rng.standard_normal((4, 3)).astype(np.float32)
    grads = [rng.standard_normal((4, 3)).astype(np.float32) for _ in range(4)]

    def steps(opt, p, gs):
        for g in gs:
            p.grad = kiln.tensor(g)
            opt.step()

    p = kiln.Parameter(init)
    opt = optim.Adam([p], lr=0.01, weight_decay=0.1)
    steps(opt, p, grads[:2])
    saved, saved_p = opt.state_dict(), p.numpy().copy()
    saved["param_groups"][0]["lr"] = 0.02  # hyperparameters load too
    steps(opt, p, grads[2:])  # later steps do not alter the saved copy
    assert saved["state"][0]["step"] == 2

    q = kiln.Parameter(saved_p)
    fresh = optim.Adam([q], lr=0.5)
    m = fresh._state[id(q)]["exp_avg"]
    fresh.load_state_dict(saved)
    assert fresh._state[id(q)]["exp_avg"] is m and fresh.param_groups[0]["lr"] == 0.02
    steps(fresh, q, grads[2:])

    r = kiln.Parameter(saved_p)
    ref = optim.Adam([r], lr=0.02, weight_decay=0.1)
    ref.load_state_dict(saved)
    steps(ref, r, grads[2:])
    np.testing.assert_array_equal(q.numpy(), r.numpy())


def test_load_state_dict_rejects_mismatches():
    p = kiln.Parameter(np.zeros((2, 2), np.float32))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="2 parameter groups saved"):
        opt.load_state_dict({"param_groups": sd["param_groups"] * 2, "state": sd["state"]})
    sd["state"][0]["momentum_buffer"] = np.zeros((3,), np.float32)
    with pytest.raises(ValueError, match=r"momentum_buffer' of parameter 0 has shape \(3,\)"):
        opt.load_state_dict(sd)
    with pytest.raises(ValueError, match="has keys"):
        optim.Adam([p], lr=0.1).load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match=r"parameter 0 has state \['momentum_buffer'\]; expected \[\]"):
        optim.SGD([p], lr=0.1).load_state_dict(opt.state_dict())


def test_invalid_arguments():
    p = kiln.Parameter(np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="more than one place"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([p], lr=0.1, betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="float"):
        optim.SGD([kiln.tensor(np.zeros(2, np.int32))], lr=0.1)
    with pytest.raises(TypeError, match="kiln Tensor"):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match="set"):
        optim.SGD([{"params": {p}}], lr=0.1)
