"""kiln.save / kiln.load of model and optimizer state dicts."""
import io
import pickle
import subprocess
import sys

import numpy as np
import pytest

import kiln
import kiln.module as M
import kiln.optimizer as optim
from kiln.autodiff import GradManager


def mlp():
    return M.Sequential(M.Linear(6, 16), M.GELU(), M.Dropout(0.2), M.Linear(16, 3))


def convnet():
    return M.Sequential(M.Conv2d(3, 4, 3, padding=1), M.BatchNorm2d(4), M.ReLU(),
                        M.Conv2d(4, 4, 3, groups=2), M.AdaptiveAvgPool2d(1))


def train(model, opt, steps, seed):
    gm = GradManager().attach(model.parameters())
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = kiln.tensor(rng.standard_normal((4, 6)).astype(np.float32))
        with gm:
            gm.backward((model(x) ** 2).mean())
        opt.step().clear_grad()


def test_model_round_trip_gives_identical_outputs(tmp_path):
    kiln.random.seed(0)
    model = mlp()
    path = tmp_path / "model.pkl"
    kiln.save(model.state_dict(), path)
    kiln.random.seed(1)
    fresh = mlp()
    x = kiln.tensor(np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32))
    assert not np.array_equal(fresh.eval()(x).numpy(), model.eval()(x).numpy())
    fresh.load_state_dict(kiln.load(path))
    np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())


def test_convnet_round_trip_with_buffers(tmp_path):
    model = convnet()
    model(kiln.tensor(np.random.default_rng(0).random((2, 3, 6, 6), np.float32)))  # updates running stats
    kiln.save(model.state_dict(), tmp_path / "conv.pkl")
    fresh = convnet()
    fresh.load_state_dict(kiln.load(tmp_path / "conv.pkl"))
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key], value, err_msg=key)
    x = kiln.tensor(np.random.default_rng(1).random((2, 3, 6, 6), np.float32))
    np.testing.assert_array_equal(fresh.eval()(x).numpy(), model.eval()(x).numpy())


def test_model_and_optimizer_resume_training_identically(tmp_path):
    kiln.random.seed(0)
    model = mlp()
    model[2].drop_prob = 0.0  # dropout would draw different masks in the two runs
    opt = optim.Adam(model.parameters(), lr=0.01, weight_decay=0.01)
    train(model, opt, steps=2, seed=0)
    buf = io.BytesIO()
    kiln.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 2}, buf)

    train(model, opt, steps=3, seed=1)  # the original run continues

    buf.seek(0)
    ckpt = kiln.load(buf)
    assert ckpt["epoch"] == 2
    kiln.random.seed(5)
    resumed = mlp()
    resumed[2].drop_prob = 0.0
    ropt = optim.Adam(resumed.parameters(), lr=0.5)
    resumed.load_state_dict(ckpt["model"])
    ropt.load_state_dict(ckpt["opt"])
    train(resumed, ropt, steps=3, seed=1)
    for (key, a), b in zip(model.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=key)


def test_tensors_anywhere_are_saved_as_numpy_arrays(tmp_path):
    p = kiln.Parameter(np.arange(6, dtype=np.float32).reshape(2, 3))
    obj = {"p": p, "nested": [kiln.tensor(np.int32(7)), (p.T,)], "n": 3}
    kiln.save(obj, str(tmp_path / "obj.pkl"))
    with open(tmp_path / "obj.pkl", "rb") as f:
        loaded = pickle.load(f)
    assert type(loaded["p"]) is np.ndarray and loaded["p"].flags.writeable
    np.testing.assert_array_equal(loaded["p"], p.numpy())
    assert loaded["nested"][0] == 7 and loaded["nested"][0].dtype == np.int32
    np.testing.assert_array_equal(loaded["nested"][1][0], p.numpy().T)
    assert loaded["n"] == 3


def test_modules_and_optimizers_are_refused():
    model = mlp()
    for obj in (model, {"m": model}, optim.SGD(model.parameters(), lr=0.1)):
        with pytest.raises(TypeError, match="state_dict"):
            kiln.save(obj, io.BytesIO())


def test_checkpoint_loads_without_kiln(tmp_path):
    model = mlp()
    path = tmp_path / "plain.pkl"
    kiln.save({"model": model.state_dict(), "w": model[0].weight}, path)
    code = ("import sys, pickle; sys.modules['kiln'] = None\n"
            f"d = pickle.load(open({str(path)!r}, 'rb'))\n"
            "print(sorted(d['model']), d['w'].shape, type(d['w']).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['0.bias', '0.weight', '3.bias', '3.weight'] (16, 6) ndarray"
