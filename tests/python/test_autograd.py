import numpy as np
import pytest
import torch

import kiln
import kiln.functional as F
from kiln.autodiff import GradManager


def test_grads_accumulate_across_backward_calls():
    w = kiln.Parameter([1.0, 2.0, 3.0])
    gm = GradManager().attach([w])
    for _ in range(2):
        with gm:
            gm.backward((w * w).sum())
    np.testing.assert_allclose(w.grad.numpy(), 2 * 2 * np.array([1, 2, 3]))


def test_several_attach_calls_and_unattached_tensors_get_no_grad():
    a, b, c = kiln.Parameter([1.0]), kiln.Parameter([2.0]), kiln.Parameter([3.0])
    gm = GradManager().attach(a).attach([b])
    with gm:
        gm.backward((a * b * c).sum())
    assert a.grad.item() == 6.0 and b.grad.item() == 3.0
    assert c.grad is None


def test_reused_value_gets_the_sum_of_its_paths():
    x = kiln.Parameter([2.0])
    gm = GradManager().attach([x])
    with gm:
        y = x * x + x * 3 + F.exp(x)
        gm.backward(y.sum())
    np.testing.assert_allclose(x.grad.numpy(), [2 * 2 + 3 + np.exp(2)], rtol=1e-6)


def test_backward_through_views_and_indexing_matches_torch():
    data = np.arange(24, dtype=np.float32).reshape(4, 6) / 10
    x = kiln.Parameter(data)
    tx = torch.tensor(data, requires_grad=True)
    gm = GradManager().attach([x])
    with gm:
        y = (x.T[1:5:2] * 2).reshape(-1).sum() + (x[[0, 2, 2]] ** 2).sum() + x[x > 1.5].sum()
        gm.backward(y)
    ty = (tx.T[1:5:2] * 2).reshape(-1).sum() + (tx[[0, 2, 2]] ** 2).sum() + tx[tx > 1.5].sum()
    ty.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


def test_item_assignment_is_differentiable():
    x = kiln.Parameter(np.ones((2, 3), np.float32))
    v = kiln.Parameter([5.0, 6.0, 7.0])
    gm = GradManager().attach([x, v])
    with gm:
        y = x * 2
        y[1] = v * 3
        gm.backward((y * kiln.tensor([[1.0, 2, 3], [4, 5, 6]])).sum())
    np.testing.assert_allclose(x.grad.numpy(), [[2, 4, 6], [0, 0, 0]])
    np.testing.assert_allclose(v.grad.numpy(), [12, 15, 18])


def test_backward_with_explicit_dy():
    x = kiln.Parameter([1.0, 2.0])
    gm = GradManager().attach([x])
    with gm:
        y = x * 3
        gm.backward(y, kiln.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [3, 30])


def test_backward_of_non_scalar_without_dy_is_an_error():
    x = kiln.Parameter([1.0, 2.0])
    gm = GradManager().attach([x])
    with gm:
        with pytest.raises(ValueError, match=r"non-scalar.*dy"):
            gm.backward(x * 2)


def test_backward_with_nothing_recorded_is_an_error():
    x = kiln.Parameter([1.0, 2.0])
    gm = GradManager().attach([x])
    y = (x * 2).sum()  # outside `with gm`
    with gm:
        with pytest.raises(ValueError, match="nothing was recorded"):
            gm.backward(y)
    with pytest.raises(ValueError, match="not recording"):
        gm.backward((x * 2).sum())


def test_dy_shape_mismatch_is_an_error():
    x = kiln.Parameter([1.0, 2.0])
    gm = GradManager().attach([x])
    with gm:
        with pytest.raises(ValueError, match=r"dy"):
            gm.backward(x * 2, kiln.tensor([1.0, 2.0, 3.0]))


def test_recording_stops_after_backward_and_detach_cuts_the_graph():
    x = kiln.Parameter([3.0])
    gm = GradManager().attach([x])
    with gm:
        y = x * x
        z = y.detach() * x
        gm.backward(z.sum())
        assert not gm.is_recording
    np.testing.assert_allclose(x.grad.numpy(), [9.0])


def test_attach_of_integer_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="int32"):
        GradManager().attach([kiln.tensor(np.array([1], np.int32))])
