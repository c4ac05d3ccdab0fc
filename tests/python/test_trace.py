"""kiln.jit.trace: traced steps equal eager ones, signatures, TraceErrors."""
import warnings

import numpy as np
import pytest

import kiln
import kiln.functional as F
import kiln.module as M
import kiln.optimizer as optim
from kiln.autodiff import GradManager
from kiln.jit import trace, TraceError


class Net(M.Module):
    def __init__(self):
        super().__init__()
        self.conv = M.Conv2d(1, 4, 3, padding=1)
        self.bn = M.BatchNorm2d(4)
        self.fc = M.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        return self.fc(F.flatten(x, 1))


def make_setup(opt_name):
    kiln.random.seed(0)
    model = Net()
    gm = GradManager().attach(model.parameters())
    if opt_name == "sgd":
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    else:
        opt = optim.Adam(model.parameters(), lr=0.01)
    return model, gm, opt


def batches(n, batch=8, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(batch, 1, 8, 8)).astype(np.float32),
             rng.integers(0, 3, batch).astype(np.int32)) for _ in range(n)]


def train(step_fn, model, opt, data):
    losses = []
    for i, (x, y) in enumerate(data):
        if i == 20:
            opt.param_groups[0]["lr"] *= 0.5  # read by the traced step at replay
        losses.append(float(step_fn(kiln.tensor(x), kiln.tensor(y)).numpy()))
    return losses


def eager_step(model, gm, opt):
    def step(x, y):
        with gm:
            loss = F.cross_entropy(model(x), y)
            gm.backward(loss)
        opt.step()
        opt.clear_grad()
        return loss
    return step


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
@pytest.mark.parametrize("symbolic", [False, True])
def test_traced_training_equals_eager_training(opt_name, symbolic):
    data = batches(50)
    model_e, gm_e, opt_e = make_setup(opt_name)
    eager_losses = train(eager_step(model_e, gm_e, opt_e), model_e, opt_e, data)

    model_t, gm_t, opt_t = make_setup(opt_name)
    traced = trace(eager_step(model_t, gm_t, opt_t), symbolic=symbolic)
    traced_losses = train(traced, model_t, opt_t, data)

    np.testing.assert_allclose(traced_losses, eager_losses, rtol=1e-5, atol=1e-6)
    for (name, pe), (_, pt) in zip(model_e.state_dict().items(), model_t.state_dict().items()):
        np.testing.assert_allclose(pt, pe, rtol=1e-5, atol=1e-6, err_msg=name)
    assert model_t.bn.running_mean.numpy().any()  # batch-norm statistics were updated


def test_replay_does_not_run_python_and_new_shapes_trace_again():
    calls = []

    @trace
    def f(x):
        calls.append(x.shape)
        return x * 2 + 1

    a = kiln.tensor(np.ones((4, 3), np.float32))
    for _ in range(3):
        np.testing.assert_allclose(f(a).numpy(), 3)
    assert calls == [(4, 3)]
    np.testing.assert_allclose(f(kiln.tensor(np.ones((2, 3), np.float32))).numpy(), 3)
    np.testing.assert_allclose(f(a).numpy(), 3)  # the first entry is kept
    assert calls == [(4, 3), (2, 3)]


def test_repeated_retracing_warns():
    f = trace(lambda x: x + 1, retrace_warning=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in range(1, 5):
            f(kiln.tensor(np.ones(n, np.float32)))
    assert any("traced 3 times" in str(w.message) for w in caught)


def test_outputs_keep_their_structure():
    @trace(symbolic=True)
    def f(x):
        return {"double": x * 2, "pair": (x + 1, x - 1)}

    out = f(kiln.tensor([1.0, 2.0]))
    out = f(kiln.tensor([1.0, 2.0]))
    np.testing.assert_allclose(out["double"].numpy(), [2, 4])
    np.testing.assert_allclose(out["pair"][1].numpy(), [0, 1])


READS = {
    "if": lambda x: 1 if x.sum() > 0 else 0,
    "bool": lambda x: bool(x.sum() > 0),
    "item": lambda x: x.sum().item(),
    "numpy": lambda x: x.numpy(),
    "int": lambda x: int(x.sum()),
    "float": lambda x: float(x.sum()),
    "iteration": lambda x: [r for r in x],
}


@pytest.mark.parametrize("kind", sorted(READS))
@pytest.mark.parametrize("symbolic", [False, True])
def test_reading_a_value_while_tracing_names_the_line(kind, symbolic):
    read = READS[kind]

    def f(x):
        read(x * 2)
        return x

    with pytest.raises(TraceError, match=r"test_trace\.py:\d+: reading a tensor's value"):
        trace(f, symbolic=symbolic)(kiln.tensor(np.ones((2, 2), np.float32)))


def test_value_reads_can_be_allowed_and_are_baked_in():
    @trace(allow_value_reads=True)
    def f(x):
        scale = float(x.sum())
        return x * scale

    with pytest.warns(UserWarning, match="baked in"):
        out = f(kiln.tensor([1.0, 2.0]))
    np.testing.assert_allclose(out.numpy(), [3, 6])
    np.testing.assert_allclose(f(kiln.tensor([1.0, 1.0])).numpy(), [3, 3])  # baked: 3, not 2


def test_printing_inside_a_trace_happens_only_while_tracing(capsys):
    @trace
    def f(x):
        print("tracing", x.shape)
        return x + 1

    x = kiln.tensor([1.0])
    f(x)
    f(x)
    assert capsys.readouterr().out.count("tracing") == 1


def test_random_ops_draw_new_numbers_on_every_replay():
    @trace(symbolic=True)
    def f(x):
        return F.dropout(x, 0.5)

    x = kiln.tensor(np.ones((64,), np.float32))
    masks = [f(x).numpy() for _ in range(4)]
    assert all(set(np.unique(m)) <= {0.0, 2.0} for m in masks)
    assert len({m.tobytes() for m in masks}) == 4
    kiln.random.seed(3)
    a = kiln.random.uniform(size=(5,)).numpy()
    kiln.random.seed(3)
    np.testing.assert_array_equal(kiln.random.uniform(size=(5,)).numpy(), a)
