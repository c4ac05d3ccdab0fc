"""Dump -> model file -> kiln.runtime.Model and kiln-run (a real process)."""
import os
import shutil
import subprocess

import numpy as np
import pytest

import kiln
import kiln.functional as F
import kiln.module as M
from kiln.jit import trace, TraceError
from kiln.runtime import Model, ModelFormatError

KILN_RUN = shutil.which("kiln-run") or os.path.join(
    os.path.dirname(__file__), "..", "..", "bazel-bin", "tools", "kiln-run")


class ConvNet(M.Module):
    def __init__(self):
        super().__init__()
        self.conv = M.Conv2d(1, 8, 3, padding=1)
        self.bn = M.BatchNorm2d(8)
        self.fc = M.Linear(8 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        x = F.avg_pool2d(x, 2)
        return F.softmax(self.fc(F.flatten(x, 1)), axis=1)


@pytest.fixture
def dumped(tmp_path):
    kiln.random.seed(0)
    net = ConvNet()
    # Non-trivial batch-norm statistics, then inference mode.
    net.train()
    net(kiln.tensor(np.random.default_rng(1).normal(size=(16, 1, 28, 28)).astype(np.float32)))
    net.eval()
    f = trace(lambda x: net(x), capture_as_const=True)
    x = np.random.default_rng(2).normal(size=(32, 1, 28, 28)).astype(np.float32)
    f(kiln.tensor(x))
    path = tmp_path / "net.kiln"
    f.dump(path, arg_names=["images"], output_names=["probs"], user_info="test model")
    return net, path


def test_dumped_model_matches_eager_at_any_batch(dumped):
    net, path = dumped
    model = Model(str(path))
    assert [(i.name, i.shape) for i in model.inputs] == [("images", (None, 1, 28, 28))]
    assert [(o.name, o.shape) for o in model.outputs] == [("probs", (None, 10))]
    assert model.metadata["user_info"] == "test model"
    for batch in (1, 32, 100):
        x = np.random.default_rng(batch).normal(size=(batch, 1, 28, 28)).astype(np.float32)
        np.testing.assert_allclose(model(x), net(kiln.tensor(x)).numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(model(images=x), model(x))
    assert model.peak_arena_bytes > 0


def test_model_loads_from_bytes_and_rejects_bad_files(dumped, tmp_path):
    _, path = dumped
    data = path.read_bytes()
    assert Model(data).inputs[0].name == "images"
    with pytest.raises(ModelFormatError, match="KILN"):
        Model(b"not a model at all, just bytes")
    for cut in (7, len(data) // 2, len(data) - 1):
        with pytest.raises(ModelFormatError):
            Model(data[:cut])
    assert issubclass(ModelFormatError, ValueError)


def test_model_input_errors(dumped):
    _, path = dumped
    model = Model(str(path))
    with pytest.raises(ValueError, match=r"images.*\(2, 3, 28, 28\)"):
        model(np.zeros((2, 3, 28, 28), np.float32))
    with pytest.raises(TypeError, match="int32"):
        model(np.zeros((2, 1, 28, 28), np.int32))
    with pytest.raises(ValueError, match="missing inputs"):
        model()


def test_dump_refuses_training_mode_batch_norm_and_non_const_traces(tmp_path):
    net = ConvNet()
    net.train()
    f = trace(lambda x: net(x), capture_as_const=True)
    f(kiln.tensor(np.zeros((4, 1, 28, 28), np.float32)))
    with pytest.raises(TraceError, match=r"model\.eval\(\)"):
        f.dump(tmp_path / "bad.kiln")
    net.eval()
    g = trace(lambda x: net(x))
    g(kiln.tensor(np.zeros((4, 1, 28, 28), np.float32)))
    with pytest.raises(TraceError, match="capture_as_const"):
        g.dump(tmp_path / "bad.kiln")


def run_cli(*args):
    return subprocess.run([KILN_RUN, *map(str, args)], capture_output=True, text=True, timeout=60)


def test_kiln_run_writes_the_same_outputs_as_python(dumped, tmp_path):
    net, path = dumped
    x = np.random.default_rng(5).normal(size=(7, 1, 28, 28)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    result = run_cli(path, "--input", f"images={tmp_path / 'x.npy'}", "--output-dir", tmp_path,
                     "--iter", 3)
    assert result.returncode == 0, result.stderr
    assert "latency over 3 runs" in result.stdout and "peak arena memory" in result.stdout
    np.testing.assert_allclose(np.load(tmp_path / "probs.npy"), net(kiln.tensor(x)).numpy(),
                               rtol=1e-5, atol=1e-6)
    info = run_cli(path, "--info")
    assert info.returncode == 0 and "parameters:" in info.stdout and "user_info" in info.stdout
    assert run_cli(path, "--input", "images=rand:2x1x28x28").returncode == 0


def test_kiln_run_profile_times_every_kernel_of_the_timed_runs(dumped):
    _, path = dumped
    result = run_cli(path, "--input", "images=rand:4x1x28x28", "--iter", 3, "--warmup", 2,
                     "--profile")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("time per run by op over 3 runs"))
    rows = [l.split() for l in lines[start + 1:]]
    total = rows[-1]
    assert total[:2] == ["all", "kernels"]
    per_op = {" ".join(r[:-3]): (float(r[-3]), int(r[-2])) for r in rows[:-1]}
    # The CPU lowering runs the convolutions in NHWC.
    assert "conv2d NHWC" in per_op and "conv2d NCHW" not in per_op
    assert sum(steps for _, steps in per_op.values()) == int(total[3])
    assert sum(ms for ms, _ in per_op.values()) == pytest.approx(float(total[2]), rel=1e-2, abs=1e-2)


@pytest.mark.parametrize("case, pattern, code", [
    ("missing", "cannot open", 1),
    ("not_model", "not a kiln model", 1),
    ("unknown_input", "unknown input 'nope'", 1),
    ("bad_shape", r"input 'images' has shape \(2, 3, 28, 28\)", 1),
    ("bad_dtype", "int32", 1),
    ("bad_flag", "unknown option", 2),
])
def test_kiln_run_errors_are_one_line(dumped, tmp_path, case, pattern, code):
    _, path = dumped
    np.save(tmp_path / "shape.npy", np.zeros((2, 3, 28, 28), np.float32))
    np.save(tmp_path / "dtype.npy", np.zeros((2, 1, 28, 28), np.int32))
    (tmp_path / "junk.kiln").write_bytes(b"\0" * 100)
    args = {
        "missing": [tmp_path / "nothing.kiln"],
        "not_model": [tmp_path / "junk.kiln"],
        "unknown_input": [path, "--input", "nope=rand"],
        "bad_shape": [path, "--input", f"images={tmp_path / 'shape.npy'}"],
        "bad_dtype": [path, "--input", f"images={tmp_path / 'dtype.npy'}"],
        "bad_flag": [path, "--fast"],
    }[case]
    result = run_cli(*args)
    assert result.returncode == code
    first = result.stderr.splitlines()[0]
    assert first.startswith("kiln-run:")
    import re
    assert re.search(pattern, first), first
    if code == 1:
        assert len(result.stderr.splitlines()) == 1
