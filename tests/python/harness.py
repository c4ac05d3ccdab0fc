"""The op harness: kiln against an oracle (torch or numpy), on contiguous and
non-contiguous inputs, and analytic gradients against finite differences."""
import numpy as np
import torch

import kiln
from kiln.autodiff import GradManager


def as_noncontiguous(array):
    """A kiln tensor with array's values whose memory is transposed."""
    if array.ndim < 2:
        t = kiln.tensor(np.repeat(array, 2)) if array.ndim == 1 else kiln.tensor(array)
        return t[::2] if array.ndim == 1 else t
    axes = list(range(array.ndim))[::-1]
    return kiln.tensor(np.ascontiguousarray(array.transpose(axes))).transpose(*axes)


def to_torch(a):
    t = torch.from_numpy(np.ascontiguousarray(a))
    return t


def assert_close(actual, expected, rtol=1e-5, atol=1e-6, msg=""):
    actual = actual.numpy() if isinstance(actual, kiln.Tensor) else np.asarray(actual)
    expected = expected.numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert actual.shape == expected.shape, f"{msg}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=msg)


def check_forward(kiln_fn, torch_fn, arrays, rtol=1e-5, atol=1e-6):
    """kiln_fn(*tensors) equals torch_fn(*torch tensors) for contiguous and
    non-contiguous inputs."""
    expected = torch_fn(*[to_torch(a) for a in arrays])
    assert_close(kiln_fn(*[kiln.tensor(a) for a in arrays]), expected, rtol, atol, "contiguous")
    assert_close(kiln_fn(*[as_noncontiguous(a) for a in arrays]), expected, rtol, atol,
                 "non-contiguous")


def analytic_grads(fn, arrays, weight):
    params = [kiln.tensor(a) for a in arrays]
    gm = GradManager().attach(params)
    with gm:
        loss = (fn(*params) * kiln.tensor(weight)).sum()
        gm.backward(loss)
    return [p.grad.numpy() if p.grad is not None else np.zeros_like(a)
            for p, a in zip(params, arrays)]


def check_grad(fn, arrays, eps=1e-3, rtol=2e-2, atol=2e-3, seed=0):
    """Gradients of sum(fn(*x) * w) (w random) against central differences
    computed in float64 around the same float32 points."""
    arrays = [np.asarray(a, np.float32) for a in arrays]
    out = fn(*[kiln.tensor(a) for a in arrays]).numpy()
    weight = np.random.default_rng(seed).uniform(0.5, 1.5, out.shape).astype(np.float32)
    grads = analytic_grads(fn, arrays, weight)

    def loss(values):
        y = fn(*[kiln.tensor(v.astype(np.float32)) for v in values]).numpy().astype(np.float64)
        return float((y * weight).sum())

    for i, a in enumerate(arrays):
        numeric = np.zeros(a.shape, np.float64)
        flat = numeric.reshape(-1)
        for j in range(a.size):
            plus = [v.astype(np.float64) for v in arrays]
            minus = [v.astype(np.float64) for v in arrays]
            plus[i].reshape(-1)[j] += eps
            minus[i].reshape(-1)[j] -= eps
            flat[j] = (loss(plus) - loss(minus)) / (2 * eps)
        np.testing.assert_allclose(grads[i], numeric, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")
