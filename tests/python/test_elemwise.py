import numpy as np
import pytest
import torch

import kiln
import kiln.functional as F
from harness import check_forward, check_grad, assert_close

UNARY = {
    # name: (torch function, low, high)
    "exp": (torch.exp, -3, 3), "log": (torch.log, 0.1, 5), "log1p": (torch.log1p, -0.5, 3),
    "expm1": (torch.expm1, -3, 3), "sqrt": (torch.sqrt, 0.1, 5), "sin": (torch.sin, -3, 3),
    "cos": (torch.cos, -3, 3), "tanh": (torch.tanh, -3, 3), "sigmoid": (torch.sigmoid, -5, 5),
    "relu": (torch.relu, -2, 2), "abs": (torch.abs, -2, 2), "neg": (torch.neg, -2, 2),
    "square": (torch.square, -2, 2), "floor": (torch.floor, -3, 3), "ceil": (torch.ceil, -3, 3),
}
SHAPES = [(0,), (1,), (7,), (3, 1, 5), (33, 65), (257, 129)]


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES)
def test_unary_matches_torch(name, shape, rng):
    fn, lo, hi = UNARY[name]
    x = rng.uniform(lo, hi, shape).astype(np.float32)
    check_forward(getattr(F, name), fn, [x], rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tanh",
                                  "sigmoid", "relu", "abs", "neg", "square"])
def test_unary_gradients(name, rng):
    _, lo, hi = UNARY[name]
    x = rng.uniform(lo, hi, (3, 4)).astype(np.float32)
    x[np.abs(x) < 0.05] = 0.3  # keep kinks (relu, abs) away from the difference
    check_grad(getattr(F, name), [x])


def test_round_halves_away_from_zero():
    x = kiln.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49])
    np.testing.assert_array_equal(F.round(x).numpy(), [-3, -2, -1, 1, 2, 3, 0])


BINARY = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
    "maximum": torch.maximum, "minimum": torch.minimum, "pow": torch.pow,
    "floor_div": torch.floor_divide, "mod": torch.remainder,
    "equal": torch.eq, "not_equal": torch.ne, "less": torch.lt, "less_equal": torch.le,
    "greater": torch.gt, "greater_equal": torch.ge,
}
BROADCAST = [((5, 7), (5, 7)), ((5, 7), (7,)), ((5, 1), (1, 7)), ((), (4, 3)),
             ((2, 1, 3), (4, 1)), ((0, 3), (3,)), ((64, 257), (64, 1))]


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BROADCAST)
def test_binary_broadcasting_matches_torch(name, shapes, rng):
    a = rng.uniform(0.5, 3, shapes[0]).astype(np.float32)
    b = rng.uniform(0.5, 3, shapes[1]).astype(np.float32)
    if name in ("equal", "not_equal", "less_equal", "greater_equal") and a.size and b.size:
        b = np.broadcast_to(np.round(b), b.shape).copy()
        a = np.round(a)
    check_forward(getattr(F, name), BINARY[name], [a, b], rtol=3e-6)
    check_forward(getattr(F, name), BINARY[name], [b, a], rtol=3e-6)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "maximum", "minimum", "pow"])
def test_binary_gradients_with_broadcasting(name, rng):
    a = rng.uniform(0.5, 2, (3, 4)).astype(np.float32)
    b = rng.uniform(0.5, 2, (4,)).astype(np.float32)
    if name in ("maximum", "minimum"):
        b = b + 0.05  # no ties
    check_grad(getattr(F, name), [a, b])


def test_integer_arithmetic_follows_python():
    a = kiln.tensor(np.array([7, -7, 7, -7], np.int32))
    b = kiln.tensor(np.array([2, 2, -2, -2], np.int32))
    np.testing.assert_array_equal((a // b).numpy(), [3, -4, -4, 3])
    np.testing.assert_array_equal((a % b).numpy(), [1, 1, -1, -1])
    assert (a // b).dtype == np.int32
    assert (a / b).dtype == np.float32  # true division
    np.testing.assert_array_equal((a // kiln.tensor(np.zeros(4, np.int32))).numpy(), 0)


def test_dtype_promotion_with_scalars_and_tensors():
    i = kiln.tensor(np.array([1, 2], np.int32))
    f = kiln.tensor([1.0, 2.0])
    assert (i + 1).dtype == np.int32
    assert (i + 1.5).dtype == np.float32
    assert (i + f).dtype == np.float32
    assert (f * 2).dtype == np.float32
    assert (kiln.tensor([True, False]) + 1).dtype == np.int32
    h = kiln.tensor(np.array([1, 2], np.float16))
    assert (h + 1).dtype == np.float32


def test_where_clip_and_logical_ops(rng):
    x = rng.normal(size=(4, 5)).astype(np.float32)
    y = rng.normal(size=(5,)).astype(np.float32)
    check_forward(lambda a, b: F.where(a > 0, a, b), lambda a, b: torch.where(a > 0, a, b), [x, y])
    assert_close(F.clip(kiln.tensor(x), -0.5, 0.5), np.clip(x, -0.5, 0.5))
    assert_close(F.clip(kiln.tensor(x), lower=0), np.maximum(x, 0))
    m, n = kiln.tensor(x > 0), kiln.tensor(x < 0.5)
    np.testing.assert_array_equal(F.logical_and(m, n).numpy(), (x > 0) & (x < 0.5))
    np.testing.assert_array_equal((m | n).numpy(), (x > 0) | (x < 0.5))
    np.testing.assert_array_equal((~m).numpy(), ~(x > 0))
    check_grad(lambda a, b: F.where(a > 0, a * 2, b * 3), [x + 0.01, y])


def test_inplace_operators_keep_identity():
    x = kiln.tensor([1.0, 2.0])
    ident = id(x)
    x += 1
    x *= kiln.tensor([2.0, 3.0])
    assert id(x) == ident
    np.testing.assert_array_equal(x.numpy(), [4, 9])


@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a * b, F.maximum, F.equal])
def test_broadcast_mismatch_is_a_value_error_naming_shapes(op):
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        op(kiln.tensor(np.zeros((2, 3), np.float32)), kiln.tensor(np.zeros(4, np.float32)))


def test_logical_ops_on_non_bool_are_type_errors():
    with pytest.raises(TypeError, match="bool"):
        kiln.tensor([1.0]) & kiln.tensor([2.0])
    with pytest.raises(TypeError, match="bool"):
        ~kiln.tensor([1.0])
