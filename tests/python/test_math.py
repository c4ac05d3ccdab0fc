"""Reductions and linear algebra (sum mean max min prod argmax argmin matmul
var std norm) against PyTorch and numpy."""
import numpy as np
import pytest
import torch

import kiln
import kiln.functional as F
from harness import analytic_grads, as_noncontiguous, assert_close, check_forward, check_grad


def _torch_reduce(name):
    def fn(x, axis, keepdims):
        dims = list(range(x.ndim)) if axis is None else axis
        if name == "sum":
            return torch.sum(x, dim=dims, keepdim=keepdims)
        if name == "mean":
            return torch.mean(x, dim=dims, keepdim=keepdims)
        if name == "max":
            return torch.amax(x, dim=dims, keepdim=keepdims)
        if name == "min":
            return torch.amin(x, dim=dims, keepdim=keepdims)
        # torch.prod takes one dim at a time
        for d in sorted([d % max(x.ndim, 1) for d in ([dims] if isinstance(dims, int) else dims)],
                        reverse=True):
            x = torch.prod(x, dim=d, keepdim=keepdims)
        return x
    return fn


REDUCTIONS = ["sum", "mean", "max", "min", "prod"]
# (shape, axis): None, int, negative int, list, tuple, size-1 dims and a large odd size.
REDUCE_CASES = [
    ((7,), None), ((7,), 0), ((7,), -1),
    ((3, 1, 5), None), ((3, 1, 5), 1), ((3, 1, 5), -1), ((3, 1, 5), [0, 2]),
    ((2, 3, 4), (0, -1)), ((2, 3, 4), [-3, -2, -1]), ((2, 3, 4), [2, 0]),
    ((1, 1), None), ((1, 1), 0),
    ((33, 65), 0), ((33, 65), 1), ((257, 129), None), ((5, 1001, 3), 1),
]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("shape,axis", REDUCE_CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_torch(name, shape, axis, keepdims, rng):
    lo, hi = (0.9, 1.1) if name == "prod" else (-2, 2)  # keep large products finite
    x = rng.uniform(lo, hi, shape).astype(np.float32)
    rtol = 1e-4 if name in ("sum", "mean", "prod") else 0
    check_forward(lambda t: getattr(F, name)(t, axis=axis, keepdims=keepdims),
                  lambda t: _torch_reduce(name)(t, axis, keepdims), [x], rtol=rtol, atol=1e-5)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_tensor_reduction_methods_match_functions(name, rng):
    x = rng.uniform(0.5, 1.5, (3, 4, 5)).astype(np.float32)
    t = kiln.tensor(x)
    for axis, keepdims in [(None, False), (1, True), ([0, 2], False), (-1, False)]:
        assert_close(getattr(t, name)(axis=axis, keepdims=keepdims),
                     getattr(F, name)(t, axis=axis, keepdims=keepdims), 0, 0)
    assert_close(getattr(t, name)(), getattr(np, name)(x), rtol=1e-5)


def test_integer_reductions_keep_int32_and_mean_is_float(rng):
    x = rng.integers(-5, 6, (4, 6)).astype(np.int32)
    t = kiln.tensor(x)
    for name in ["sum", "max", "min", "prod"]:
        out = getattr(F, name)(t, axis=1)
        assert out.dtype == np.int32, name
        np.testing.assert_array_equal(out.numpy(), getattr(np, name)(x, axis=1))
    m = F.mean(t, axis=0)
    assert m.dtype == np.float32
    assert_close(m, x.mean(axis=0).astype(np.float32))
    # bool counts as integers
    assert F.sum(kiln.tensor(x > 0)).item() == int((x > 0).sum())


def test_reductions_of_empty_tensors():
    z = kiln.tensor(np.zeros((0, 3), np.float32))
    assert_close(F.sum(z, axis=0), np.zeros(3, np.float32))
    assert_close(F.prod(z, axis=0), np.ones(3, np.float32))
    assert np.isnan(F.mean(z, axis=0).numpy()).all()
    assert F.sum(z).shape == () and F.sum(z).item() == 0
    # an empty output from a non-empty reduced axis is fine
    assert F.max(z, axis=1).shape == (0,)
    assert F.sum(z, axis=1, keepdims=True).shape == (0, 1)
    with pytest.raises(ValueError, match=r"max.*\(0, 3\).*empty"):
        F.max(z, axis=0)
    with pytest.raises(ValueError, match=r"min.*\(0, 3\)"):
        F.min(z)
    with pytest.raises(ValueError, match=r"argmax.*\(0, 3\)"):
        F.argmax(z, axis=0)


def test_reductions_of_0d_tensors():
    s = kiln.tensor(np.float32(2.5))
    assert s.shape == ()
    for name in REDUCTIONS:
        out = getattr(F, name)(s)
        assert out.shape == () and out.item() == 2.5, name
    assert F.argmax(s).item() == 0


def test_max_min_propagate_nan():
    x = kiln.tensor([1.0, np.nan, 3.0])
    assert np.isnan(F.max(x).item()) and np.isnan(F.min(x).item())
    assert F.argmax(x).item() == 1 and F.argmin(x).item() == 1


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_bad_axis_is_an_index_error(name):
    x = kiln.tensor(np.zeros((2, 3), np.float32))
    with pytest.raises(IndexError, match=r"axis 2.*\(2, 3\)"):
        getattr(F, name)(x, axis=2)
    with pytest.raises(IndexError, match=r"axis -3.*\(2, 3\)"):
        getattr(F, name)(x, axis=[0, -3])
    with pytest.raises(ValueError, match=rf"{name}.*repeat"):
        getattr(F, name)(x, axis=[1, -1])


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("shape", [(7,), (3, 1, 5), (33, 65), (4, 1001)])
def test_arg_reductions_match_torch(name, shape, rng):
    x = rng.normal(size=shape).astype(np.float32)
    fn = getattr(torch, name)
    for axis in [None] + list(range(-len(shape), len(shape))):
        for keepdims in [False, True]:
            if axis is None:
                expected = fn(torch.from_numpy(x))
                if keepdims:
                    expected = expected.reshape([1] * x.ndim)
            else:
                expected = fn(torch.from_numpy(x), dim=axis, keepdim=keepdims)
            out = getattr(F, name)(kiln.tensor(x), axis=axis, keepdims=keepdims)
            assert out.dtype == np.int32
            np.testing.assert_array_equal(out.numpy(), expected.numpy())
            out = getattr(F, name)(as_noncontiguous(x), axis=axis, keepdims=keepdims)
            np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_arg_reductions_take_the_first_extreme_and_ints():
    x = kiln.tensor(np.array([[1, 5, 5], [2, 2, -1]], np.int32))
    np.testing.assert_array_equal(F.argmax(x, axis=1).numpy(), [1, 0])
    np.testing.assert_array_equal(F.argmin(x, axis=1).numpy(), [0, 2])
    np.testing.assert_array_equal(F.argmax(x, axis=0).numpy(), [1, 0, 0])


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_arg_reductions_reject_several_axes(name):
    x = kiln.tensor(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match=rf"{name}.*\[0, 1\]"):
        getattr(F, name)(x, axis=[0, 1])
    with pytest.raises(IndexError, match=r"axis 3.*\(2, 3, 4\)"):
        getattr(F, name)(x, axis=3)
    # a one-element list is that axis
    np.testing.assert_array_equal(getattr(F, name)(x, axis=[1]).numpy(),
                                  getattr(F, name)(x, axis=1).numpy())


VAR_CASES = [((7,), None), ((7,), 0), ((3, 1, 5), 1), ((3, 4, 5), [0, 2]), ((3, 4, 5), -1),
             ((33, 65), 0), ((257, 129), None), ((4, 1), 1)]


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("shape,axis", VAR_CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_var_std_population_match_torch(name, shape, axis, keepdims, rng):
    x = rng.normal(2.0, 1.5, shape).astype(np.float32)
    tfn = getattr(torch, name)

    def expected(t):
        dims = list(range(t.ndim)) if axis is None else axis
        return tfn(t, dim=dims, unbiased=False, keepdim=keepdims)
    check_forward(lambda t: getattr(F, name)(t, axis=axis, keepdims=keepdims), expected, [x],
                  rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_ddof_and_degenerate_sizes(name, rng):
    x = rng.normal(size=(5, 6)).astype(np.float32)
    npfn = getattr(np, name)
    assert_close(getattr(F, name)(kiln.tensor(x), axis=1, ddof=1), npfn(x, axis=1, ddof=1),
                 rtol=1e-5)
    assert_close(getattr(F, name)(kiln.tensor(x), ddof=1), npfn(x, ddof=1), rtol=1e-5)
    # one element: population variance 0; unbiased variance undefined (nan), as numpy and torch
    one = kiln.tensor(np.ones((1, 3), np.float32))
    assert_close(getattr(F, name)(one, axis=0), np.zeros(3, np.float32))
    assert np.isnan(getattr(F, name)(one, axis=0, ddof=1).numpy()).all()
    # no elements: nan, as the mean of nothing
    empty = kiln.tensor(np.zeros((0, 3), np.float32))
    out = getattr(F, name)(empty, axis=0)
    assert out.shape == (3,) and np.isnan(out.numpy()).all()


NORM_ORDS = [2, 1, 3, 0.5, float("inf"), -float("inf"), 0]


@pytest.mark.parametrize("ord", NORM_ORDS)
@pytest.mark.parametrize("shape,axis", [((7,), None), ((3, 4, 5), -1), ((3, 4, 5), [0, 2]),
                                        ((33, 65), 0), ((3, 1), 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_matches_torch(ord, shape, axis, keepdims, rng):
    x = rng.normal(size=shape).astype(np.float32)
    x[np.abs(x) < 0.1] = 0.0  # exercise ord=0 (a count of non-zeros)
    check_forward(lambda t: F.norm(t, ord=ord, axis=axis, keepdims=keepdims),
                  lambda t: torch.linalg.vector_norm(t, ord=ord, dim=axis, keepdim=keepdims),
                  [x], rtol=1e-4, atol=1e-5)


def test_norm_default_is_the_2_norm_of_everything(rng):
    x = rng.normal(size=(4, 5)).astype(np.float32)
    assert_close(F.norm(kiln.tensor(x)), np.linalg.norm(x.reshape(-1)), rtol=1e-5)
    assert_close(F.norm(kiln.tensor(x), ord=None, axis=1), np.linalg.norm(x, axis=1), rtol=1e-5)


MATMUL_SHAPES = [
    ((3, 4), (4, 5)), ((1, 1), (1, 1)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
    ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 6)),
    ((4,), (2, 4, 5)), ((2, 3, 4), (4,)), ((129, 257), (257, 65)), ((0, 4), (4, 5)),
    ((3, 0), (0, 5)), ((2, 0, 3, 4), (4, 2)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_matches_torch(sa, sb, rng):
    a = rng.normal(size=sa).astype(np.float32)
    b = rng.normal(size=sb).astype(np.float32)
    check_forward(F.matmul, torch.matmul, [a, b], rtol=1e-4, atol=1e-4)
    assert_close(kiln.tensor(a) @ kiln.tensor(b), torch.matmul(torch.from_numpy(a), torch.from_numpy(b)),
                 rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_matmul_transpose_flags(ta, tb, rng):
    a = rng.normal(size=(2, 4, 3) if ta else (2, 3, 4)).astype(np.float32)
    b = rng.normal(size=(5, 4) if tb else (4, 5)).astype(np.float32)

    def expected(x, y):
        return torch.matmul(x.transpose(-1, -2) if ta else x, y.transpose(-1, -2) if tb else y)
    check_forward(lambda x, y: F.matmul(x, y, transpose_a=ta, transpose_b=tb), expected, [a, b],
                  rtol=1e-5, atol=1e-5)


def test_matmul_of_integers_computes_in_float32():
    a = kiln.tensor(np.arange(6, dtype=np.int32).reshape(2, 3))
    out = F.matmul(a, a.T)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), np.arange(6).reshape(2, 3) @ np.arange(6).reshape(2, 3).T)


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((4,), (4, 3)), ((3, 4), (4,)), ((4,), (4,)),
                                   ((2, 3, 4), (4, 2)), ((2, 1, 2, 3), (4, 3, 2))])
def test_matmul_gradients(sa, sb, rng):
    a = rng.normal(size=sa).astype(np.float32)
    b = rng.normal(size=sb).astype(np.float32)
    check_grad(F.matmul, [a, b])


@pytest.mark.parametrize("name", ["sum", "mean", "prod"])
@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, True), ([0, 2], False), (-1, False)])
def test_smooth_reduction_gradients(name, axis, keepdims, rng):
    x = rng.uniform(0.5, 1.5, (2, 3, 4)).astype(np.float32)
    check_grad(lambda t: getattr(F, name)(t, axis=axis, keepdims=keepdims), [x])


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, True), ([0, 2], False)])
def test_max_min_gradients(name, axis, keepdims, rng):
    x = rng.permutation(24).reshape(2, 3, 4).astype(np.float32) * 0.1  # no ties
    check_grad(lambda t: getattr(F, name)(t, axis=axis, keepdims=keepdims), [x])


def test_prod_gradient_with_zeros():
    # one zero in a row: its gradient is the product of the others; two: all 0
    x = np.array([[0.0, 2.0, 3.0], [1.5, 0.5, 2.0], [0.0, 1.5, 0.0]], np.float32)
    check_grad(lambda t: F.prod(t, axis=1), [x])
    check_grad(lambda t: F.prod(t, axis=0, keepdims=True), [x])
    check_grad(lambda t: F.prod(t[:2]), [x])
    grads = analytic_grads(lambda t: F.prod(t, axis=1), [x], np.ones(3, np.float32))[0]
    np.testing.assert_array_equal(grads, [[6, 0, 0], [1, 3, 0.75], [0, 0, 0]])


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("axis,ddof", [(None, 0), (1, 0), ([0, 2], 1), (-1, 1)])
def test_var_std_gradients(name, axis, ddof, rng):
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    check_grad(lambda t: getattr(F, name)(t, axis=axis, ddof=ddof), [x])


@pytest.mark.parametrize("ord", [2, 1, 3, float("inf")])
def test_norm_gradients(ord, rng):
    x = rng.permutation(np.arange(1, 13)).reshape(3, 4).astype(np.float32) * 0.25
    x[0, 1] *= -1  # signs; no ties in |x| for the inf-norm
    check_grad(lambda t: F.norm(t, ord=ord, axis=1), [x])
    check_grad(lambda t: F.norm(t, ord=ord), [x])


@pytest.mark.parametrize("sa,sb,given", [
    ((2, 3), (4, 5), r"\(2, 3\).*\(4, 5\)"),
    ((3,), (4, 5), r"\(3,\).*\(4, 5\)"),
    ((2, 3), (4,), r"\(2, 3\).*\(4,\)"),
    ((3,), (4,), r"\(3,\).*\(4,\)"),
    ((2, 2, 3), (3, 3, 5), r"\(2, 2, 3\).*\(3, 3, 5\)"),
])
def test_matmul_shape_mismatch_is_a_value_error(sa, sb, given):
    a = kiln.tensor(np.zeros(sa, np.float32))
    b = kiln.tensor(np.zeros(sb, np.float32))
    with pytest.raises(ValueError, match="matmul: .*" + given + ".*expected"):
        F.matmul(a, b)
    with pytest.raises(ValueError, match="matmul"):
        a @ b


def test_matmul_of_0d_operands_is_a_value_error():
    with pytest.raises(ValueError, match=r"matmul.*1-d.*\(\).*\(3,\)"):
        F.matmul(kiln.tensor(2.0), kiln.tensor([1.0, 2.0, 3.0]))


def test_reductions_reject_non_numeric_dtypes_cleanly():
    # float16 and small integer dtypes compute in float32/int32; nothing crashes
    h = kiln.tensor(np.array([1.5, 2.5], np.float16))
    assert F.sum(h).dtype == np.float32 and F.sum(h).item() == 4.0
    i8 = kiln.tensor(np.array([100, 100], np.int8))
    assert F.sum(i8).dtype == np.int32 and F.sum(i8).item() == 200
    with pytest.raises(TypeError):
        F.sum(np.array(["a", "b"]))
