"""Shape, creation and indexing functions (reshape transpose broadcast_to
expand_dims squeeze flatten concat stack split gather scatter zeros ones full
zeros_like ones_like full_like arange linspace copy astype) against numpy and
PyTorch."""
import numpy as np
import pytest
import torch

import kiln
import kiln.functional as F
from harness import analytic_grads, as_noncontiguous, assert_close, check_forward, check_grad


def check_numpy(kiln_fn, np_fn, arrays):
    """kiln_fn equals np_fn exactly (movement ops copy values), for
    contiguous and non-contiguous inputs; dtype preserved."""
    expected = np_fn(*arrays)
    for make in (kiln.tensor, as_noncontiguous):
        out = kiln_fn(*[make(a) for a in arrays])
        assert out.dtype == expected.dtype, (out.dtype, expected.dtype)
        assert out.shape == expected.shape, (out.shape, expected.shape)
        np.testing.assert_array_equal(out.numpy(), expected)


DTYPES = [np.float32, np.int32, np.bool_]


def _data(rng, shape, dtype):
    if dtype == np.bool_:
        return rng.uniform(size=shape) > 0.5
    return (rng.normal(size=shape) * 10).astype(dtype)


# ---- reshape / flatten -----------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,target", [
    ((2, 3, 4), (4, 6)), ((2, 3, 4), (-1,)), ((2, 3, 4), (3, -1, 2)), ((6,), (1, 6, 1)),
    ((1,), ()), ((), (1, 1)), ((0, 4), (4, -1)), ((33, 65), (65, 33)), ((5, 7), 35),
])
def test_reshape_matches_numpy(dtype, shape, target, rng):
    x = _data(rng, shape, dtype)
    check_numpy(lambda t: F.reshape(t, target), lambda a: a.reshape(target), [x])
    t = target if isinstance(target, tuple) else (target,)
    check_numpy(lambda v: v.reshape(*t) if t else v.reshape(()), lambda a: a.reshape(t), [x])


def test_reshape_bad_shapes_are_value_errors():
    x = kiln.tensor(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3, 4\).*\[5, 5\].*expected"):
        F.reshape(x, (5, 5))
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3, 4\).*\[5, -1\].*expected"):
        F.reshape(x, (5, -1))
    with pytest.raises(ValueError, match=r"reshape.*\[-1, -1\].*expected"):
        x.reshape(-1, -1)


@pytest.mark.parametrize("start,end", [(0, -1), (1, -1), (0, 1), (1, 2), (-2, -1), (2, 2)])
def test_flatten_matches_torch(start, end, rng):
    x = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    check_forward(lambda t: F.flatten(t, start, end), lambda t: torch.flatten(t, start, end), [x], 0, 0)
    check_forward(lambda t: t.flatten(start, end), lambda t: torch.flatten(t, start, end), [x], 0, 0)


def test_flatten_of_0d_and_bad_axis():
    assert F.flatten(kiln.tensor(np.float32(3))).shape == (1,)
    with pytest.raises(IndexError, match=r"flatten.*axis 4"):
        F.flatten(kiln.tensor(np.zeros((2, 3), np.float32)), 4)


# ---- transpose ---------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,perm", [
    ((2, 3), (1, 0)), ((2, 3, 4), (2, 0, 1)), ((2, 3, 4), (0, 2, 1)), ((2, 3, 4), None),
    ((2, 1, 3, 4), (3, 1, 0, 2)), ((33, 65), (1, 0)), ((0, 3), (1, 0)), ((5,), (0,)),
])
def test_transpose_matches_numpy(dtype, shape, perm, rng):
    x = _data(rng, shape, dtype)
    check_numpy(lambda t: F.transpose(t, perm), lambda a: np.transpose(a, perm), [x])
    if perm is None:
        check_numpy(lambda t: t.T, lambda a: a.T, [x])
    else:
        check_numpy(lambda t: t.transpose(*perm), lambda a: a.transpose(perm), [x])


def test_transpose_bad_perm():
    x = kiln.tensor(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"transpose.*\[0, 1\].*\(2, 3, 4\).*expected 3"):
        F.transpose(x, (0, 1))
    with pytest.raises(ValueError, match=r"transpose.*\[0, 1, 1\].*repeats"):
        F.transpose(x, (0, 1, 1))
    with pytest.raises(IndexError, match=r"transpose.*axis 3.*\(2, 3, 4\)"):
        F.transpose(x, (0, 1, 3))


# ---- broadcast_to / expand_dims / squeeze ------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,target", [
    ((3,), (4, 3)), ((4, 1), (4, 5)), ((1, 1), (2, 3, 4)), ((), (2, 3)), ((2, 1, 3), (5, 2, 4, 3)),
    ((1,), (0,)), ((3, 1), (3, 0)), ((2, 3), (2, 3)), ((65, 1), (65, 129)),
])
def test_broadcast_to_matches_numpy(dtype, shape, target, rng):
    x = _data(rng, shape, dtype)
    check_numpy(lambda t: F.broadcast_to(t, target), lambda a: np.broadcast_to(a, target).copy(), [x])


@pytest.mark.parametrize("shape,target", [((2, 3, 4), (2, 5, 4)), ((2, 3, 4), (3, 4)),
                                          ((3,), (3, 2)), ((2, 1), (2, 4, 3))])
def test_broadcast_to_mismatch_is_a_value_error(shape, target):
    x = kiln.tensor(np.zeros(shape, np.float32))
    given = str(shape).replace("(", r"\(").replace(")", r"\)")
    wanted = str(target).replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(ValueError, match=f"broadcast_to: .*{given}.*{wanted}.*expected"):
        F.broadcast_to(x, target)


@pytest.mark.parametrize("axis", [0, 1, 3, -1, -4, [0, 1], [0, -1], (1, 3, -1)])
def test_expand_dims_matches_numpy(axis, rng):
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    check_numpy(lambda t: F.expand_dims(t, axis), lambda a: np.expand_dims(a, np_axis), [x])


def test_expand_dims_bad_axes():
    x = kiln.tensor(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(IndexError, match=r"expand_dims.*axis 4.*rank 4"):
        F.expand_dims(x, 4)
    with pytest.raises(IndexError, match=r"expand_dims.*axis -5.*rank 4"):
        F.expand_dims(x, -5)
    with pytest.raises(ValueError, match=r"expand_dims.*\[0, -5\].*distinct"):
        F.expand_dims(x, [0, -5])


@pytest.mark.parametrize("shape,axis", [((1, 3, 1), None), ((1, 3, 1), 0), ((1, 3, 1), -1),
                                        ((1, 3, 1), (0, 2)), ((1, 1), None), ((3,), None),
                                        ((1,), 0), ((2, 1, 0), 1)])
def test_squeeze_matches_numpy(shape, axis, rng):
    x = rng.normal(size=shape).astype(np.float32)
    check_numpy(lambda t: F.squeeze(t, axis), lambda a: np.squeeze(a, axis), [x])


def test_squeeze_bad_axes():
    x = kiln.tensor(np.zeros((1, 3, 1), np.float32))
    with pytest.raises(ValueError, match=r"squeeze.*axis 1.*\(1, 3, 1\).*size 3.*expected 1"):
        F.squeeze(x, 1)
    with pytest.raises(IndexError, match=r"squeeze.*axis 3"):
        F.squeeze(x, 3)
    with pytest.raises(IndexError, match=r"squeeze.*axis -4"):
        F.squeeze(x, [0, -4])


# ---- concat / stack / split ---------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes,axis", [
    (((2, 3), (4, 3)), 0), (((2, 3), (2, 5)), 1), (((2, 3), (2, 5), (2, 1)), -1),
    (((2, 0, 4), (2, 3, 4)), 1), (((1, 2, 3),) * 5, 0), (((33, 65), (33, 64)), 1),
    (((3,), (0,), (2,)), 0),
])
def test_concat_matches_numpy(dtype, shapes, axis, rng):
    xs = [_data(rng, s, dtype) for s in shapes]
    check_numpy(lambda *ts: F.concat(list(ts), axis=axis), lambda *a: np.concatenate(a, axis=axis), xs)


def test_concat_of_one_tensor_and_bad_inputs():
    x = kiln.tensor(np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(F.concat([x]).numpy(), np.ones((2, 3)))
    with pytest.raises(ValueError, match="concat"):
        F.concat([])
    with pytest.raises(ValueError, match=r"concat.*\(2, 3\).*\(2, 4\).*axis 0.*expected"):
        F.concat([x, kiln.tensor(np.ones((2, 4), np.float32))])
    with pytest.raises(ValueError, match=r"concat.*\(2, 3\).*\(3,\).*expected"):
        F.concat([x, kiln.tensor(np.ones(3, np.float32))])
    with pytest.raises(TypeError, match=r"concat.*float32.*int32.*expected equal dtypes"):
        F.concat([x, kiln.tensor(np.ones((2, 3), np.int32))])
    with pytest.raises(IndexError, match=r"concat.*axis 2"):
        F.concat([x, x], axis=2)


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_stack_matches_numpy(axis, rng):
    xs = [rng.normal(size=(2, 3)).astype(np.float32) for _ in range(4)]
    check_numpy(lambda *ts: F.stack(list(ts), axis=axis), lambda *a: np.stack(a, axis=axis), xs)


def test_stack_bad_inputs():
    x = kiln.tensor(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"stack.*\(2, 3\).*\(3, 2\).*expected equal shapes"):
        F.stack([x, x.T])
    with pytest.raises(IndexError, match=r"axis 3"):
        F.stack([x, x], axis=3)
    with pytest.raises(ValueError, match="stack"):
        F.stack([])


@pytest.mark.parametrize("sections,axis", [(2, 0), (3, 1), (1, -1), (4, -1), ([1, 3], 2),
                                           ([2], 0), ([0, 2, 2], 1), ([], 1)])
def test_split_matches_numpy(sections, axis, rng):
    x = rng.normal(size=(4, 3, 4)).astype(np.float32)
    for make in (kiln.tensor, as_noncontiguous):
        parts = F.split(make(x), sections, axis=axis)
        expected = np.split(x, sections, axis=axis)
        assert len(parts) == len(expected)
        for p, e in zip(parts, expected):
            assert p.shape == e.shape
            np.testing.assert_array_equal(p.numpy(), e)


def test_split_bad_sections():
    x = kiln.tensor(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"split.*axis 1 of size 4 into 3"):
        F.split(x, 3, axis=1)
    with pytest.raises(ValueError, match=r"split.*into 0"):
        F.split(x, 0, axis=1)
    with pytest.raises(IndexError, match=r"split.*axis 2"):
        F.split(x, 2, axis=2)


# ---- gather / scatter ---------------------------------------------------------

@pytest.mark.parametrize("xshape,ishape,axis", [
    ((3, 5), (3, 4), 1), ((3, 5), (2, 5), 0), ((3, 5), (2, 2), 1), ((2, 3, 4), (2, 3, 7), -1),
    ((2, 3, 4), (1, 6, 4), 1), ((4,), (9,), 0), ((33, 65), (33, 10), 1), ((3, 5), (0, 5), 0),
])
def test_gather_matches_torch(xshape, ishape, axis, rng):
    x = rng.normal(size=xshape).astype(np.float32)
    idx = rng.integers(0, xshape[axis], ishape).astype(np.int32)
    expected = torch.gather(torch.from_numpy(x), axis, torch.from_numpy(idx).long())
    for make in (kiln.tensor, as_noncontiguous):
        assert_close(F.gather(make(x), axis, kiln.tensor(idx)), expected, 0, 0)
    assert_close(F.gather(kiln.tensor(x), axis, as_noncontiguous(idx)), expected, 0, 0)
    # int64 numpy indices are accepted (they become int32)
    assert_close(F.gather(kiln.tensor(x), axis, idx.astype(np.int64)), expected, 0, 0)


def test_gather_of_integers_keeps_the_dtype():
    x = kiln.tensor(np.arange(6, dtype=np.int32).reshape(2, 3))
    out = F.gather(x, 1, kiln.tensor(np.array([[2, 0], [1, 1]], np.int32)))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.numpy(), [[2, 0], [4, 4]])


def _unique_index(rng, xshape, ishape, axis):
    """An index with distinct targets along `axis` (torch.scatter is then defined)."""
    idx = np.zeros(ishape, np.int64)
    moved = np.moveaxis(idx, axis, -1)
    for pos in np.ndindex(moved.shape[:-1]):
        moved[pos] = rng.permutation(xshape[axis])[:ishape[axis]]
    return idx.astype(np.int32)


@pytest.mark.parametrize("xshape,ishape,axis", [
    ((3, 5), (3, 4), 1), ((4, 3), (2, 3), 0), ((3, 5), (2, 2), 1), ((2, 3, 4), (2, 3, 2), -1),
    ((2, 6, 4), (1, 3, 4), 1), ((7,), (3,), 0), ((3, 5), (0, 5), 0),
])
def test_scatter_matches_torch(xshape, ishape, axis, rng):
    x = rng.normal(size=xshape).astype(np.float32)
    idx = _unique_index(rng, xshape, ishape, axis)
    src = rng.normal(size=ishape).astype(np.float32)
    expected = torch.from_numpy(x.copy()).scatter(axis, torch.from_numpy(idx).long(), torch.from_numpy(src))
    for make in (kiln.tensor, as_noncontiguous):
        assert_close(F.scatter(make(x), axis, kiln.tensor(idx), make(src)), expected, 0, 0)


def test_scatter_repeated_targets_last_wins_and_source_may_be_larger():
    x = kiln.tensor(np.zeros((2, 3), np.float32))
    idx = kiln.tensor(np.array([[1, 1]], np.int32))
    src = kiln.tensor(np.array([[5.0, 7.0, 9.0], [1.0, 1.0, 1.0]], np.float32))
    np.testing.assert_array_equal(F.scatter(x, 1, idx, src).numpy(), [[0, 7, 0], [0, 0, 0]])
    # the input is not modified
    np.testing.assert_array_equal(x.numpy(), 0)


def test_gather_and_scatter_bad_inputs():
    x = kiln.tensor(np.zeros((2, 3), np.float32))
    good = np.array([[0, 2], [1, 0]], np.int32)
    with pytest.raises(IndexError, match=r"gather: index 3 .*\(2, 3\).*expected 0 <= index < 3"):
        F.gather(x, 1, kiln.tensor(np.array([[0, 3], [1, 0]], np.int32)))
    with pytest.raises(IndexError, match=r"gather: index -1"):
        F.gather(x, 1, kiln.tensor(np.array([[0, -1], [1, 0]], np.int32)))
    with pytest.raises(IndexError, match=r"scatter: index 5 .*expected 0 <= index < 3"):
        F.scatter(x, 1, kiln.tensor(np.array([[0, 5]], np.int32)), kiln.tensor(np.ones((1, 2), np.float32)))
    with pytest.raises(TypeError, match=r"gather.*float32.*integer"):
        F.gather(x, 1, kiln.tensor(good.astype(np.float32)))
    with pytest.raises(TypeError, match=r"scatter.*float32.*integer"):
        F.scatter(x, 1, kiln.tensor(good.astype(np.float32)), kiln.tensor(np.ones((2, 2), np.float32)))
    with pytest.raises(IndexError, match=r"gather.*axis 2"):
        F.gather(x, 2, kiln.tensor(good))
    with pytest.raises(IndexError, match=r"scatter.*axis -3"):
        F.scatter(x, -3, kiln.tensor(good), kiln.tensor(np.ones((2, 2), np.float32)))
    with pytest.raises(ValueError, match=r"gather.*\(2, 3\).*\(2,\).*rank"):
        F.gather(x, 1, kiln.tensor(np.array([0, 1], np.int32)))
    with pytest.raises(ValueError, match=r"gather.*\(3, 1\).*expected"):
        F.gather(x, 1, kiln.tensor(np.zeros((3, 1), np.int32)))
    with pytest.raises(ValueError, match=r"scatter.*expected"):
        F.scatter(x, 1, kiln.tensor(good), kiln.tensor(np.ones((2, 1), np.float32)))


def test_gather_scatter_gradients(rng):
    x = rng.normal(size=(3, 4)).astype(np.float32)
    idx = kiln.tensor(np.array([[0, 0, 3], [2, 1, 2], [3, 3, 3]], np.int32))  # repeats accumulate
    check_grad(lambda t: F.gather(t, 1, idx), [x])
    sidx = kiln.tensor(_unique_index(rng, (3, 4), (3, 2), 1))
    src = rng.normal(size=(3, 2)).astype(np.float32)
    check_grad(lambda t, s: F.scatter(t, 1, sidx, s), [x, src])


# ---- creation -------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "int32", "bool", np.float32, np.int32, "float16"])
@pytest.mark.parametrize("shape", [(2, 3), 5, (0,), (), (1, 0, 2)])
def test_zeros_ones_full(dtype, shape):
    for fn, value, np_fn in [(F.zeros, 0, np.zeros), (F.ones, 1, np.ones)]:
        out = fn(shape, dtype=dtype)
        expected = np_fn(shape, dtype=dtype)
        assert out.dtype == expected.dtype and out.shape == expected.shape
        np.testing.assert_array_equal(out.numpy(), expected)
    out = F.full(shape, 3, dtype=dtype)
    expected = np.full(shape, 3, dtype=dtype)
    assert out.dtype == expected.dtype and out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)


def test_full_defaults_and_values():
    out = F.full((2, 2), 2.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), np.full((2, 2), 2.5, np.float32))
    np.testing.assert_array_equal(F.full(3, -7, dtype="int32").numpy(), [-7, -7, -7])
    with pytest.raises(ValueError, match=r"fill.*\(-1, 2\).*>= 0"):
        F.zeros((-1, 2))
    with pytest.raises(TypeError):
        F.zeros((2,), dtype="float64")


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.bool_, np.float16])
def test_like_creators_follow_the_input(dtype, rng):
    x = _data(rng, (3, 1, 4), dtype) if dtype != np.float16 else rng.normal(size=(3, 1, 4)).astype(dtype)
    for make in (kiln.tensor, as_noncontiguous):
        t = make(x)
        for fn, expected in [(F.zeros_like, np.zeros_like(x)), (F.ones_like, np.ones_like(x)),
                             (lambda v: F.full_like(v, 2), np.full_like(x, 2))]:
            out = fn(t)
            assert out.dtype == expected.dtype and out.shape == expected.shape
            np.testing.assert_array_equal(out.numpy(), expected)


def test_full_like_casts_the_value_as_numpy():
    x = kiln.tensor(np.zeros((2,), np.int32))
    np.testing.assert_array_equal(F.full_like(x, 2.7).numpy(), np.full_like(np.zeros(2, np.int32), 2.7))
    assert F.full_like(kiln.tensor(np.zeros((0, 3), np.float32)), 1).shape == (0, 3)


@pytest.mark.parametrize("args,kwargs", [
    ((5,), {}), ((2, 7), {}), ((1, 2, 0.25), {}), ((5, 0, -1.5), {}), ((0, 10, 3), {"dtype": "int32"}),
    ((3, 3), {}), ((-2.5, 2.5, 0.5), {}), ((10,), {"dtype": np.int32}), ((0, 1, 0.1), {}),
])
def test_arange_matches_numpy(args, kwargs):
    out = F.arange(*args, **kwargs)
    expected = np.arange(*args, dtype=kwargs.get("dtype", "float32"))
    assert out.dtype == expected.dtype
    assert_close(out, expected, rtol=1e-6, atol=1e-6)


def test_arange_zero_step_is_a_value_error():
    with pytest.raises(ValueError, match=r"arange.*step"):
        F.arange(0, 5, 0)


@pytest.mark.parametrize("start,stop,num", [(0, 1, 5), (-3, 7, 11), (2, -2, 4), (0, 1, 1),
                                            (5, 5, 3), (0, 1, 0), (0, 10, 1001)])
def test_linspace_matches_numpy(start, stop, num):
    out = F.linspace(start, stop, num)
    assert out.dtype == np.float32
    assert_close(out, np.linspace(start, stop, num).astype(np.float32), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="linspace"):
        F.linspace(start, stop, -1)


def test_copy_has_its_own_memory(rng):
    x = rng.normal(size=(3, 4)).astype(np.float32)
    for make in (kiln.tensor, as_noncontiguous):
        t = make(x)
        c = F.copy(t)
        assert c.shape == t.shape and c.dtype == t.dtype
        np.testing.assert_array_equal(c.numpy(), x)
        t += 1
        t[0, 0] = 100.0
        np.testing.assert_array_equal(c.numpy(), x)
    i = F.copy(kiln.tensor(np.arange(3, dtype=np.int32)))
    assert i.dtype == np.int32
    check_grad(F.copy, [x])


# ---- astype -----------------------------------------------------------------------

CAST_DTYPES = ["float32", "float16", "int32", "int8", "uint8", "bool"]


@pytest.mark.parametrize("src", ["float32", "int32", "bool", "float16"])
@pytest.mark.parametrize("dst", CAST_DTYPES)
def test_astype_matches_numpy(src, dst, rng):
    if src == "bool":
        x = rng.uniform(size=(5, 7)) > 0.5
    elif src == "int32":
        x = rng.integers(-100, 100, (5, 7)).astype(np.int32)
    else:
        x = rng.uniform(-100, 100, (5, 7)).astype(src)
        x[0, :3] = [0.0, -0.5, 2.5]
    if dst == "uint8" and src not in ("bool",):
        x = np.abs(x)  # negative -> uint8 is implementation-defined in C++
    if dst == "int8" and src not in ("bool",):
        x = np.clip(x, -100, 100)
    check_numpy(lambda t: F.astype(t, dst), lambda a: a.astype(dst), [x])
    check_numpy(lambda t: t.astype(np.dtype(dst)), lambda a: a.astype(dst), [x])


def test_astype_unsupported_dtypes_are_type_errors():
    x = kiln.tensor([1.0, 2.0])
    for dtype in ["float64", "complex64", np.int64]:
        with pytest.raises(TypeError, match=r"float64|complex64|int64"):
            F.astype(x, dtype)


def test_astype_gradient_flows_between_float_dtypes(rng):
    x = rng.normal(size=(3, 4)).astype(np.float32)
    w = rng.uniform(0.5, 1.5, (3, 4)).astype(np.float32)
    g = analytic_grads(lambda t: F.astype(F.astype(t, "float16"), "float32") * 2, [x], w)[0]
    np.testing.assert_allclose(g, 2 * w.astype(np.float16).astype(np.float32), rtol=1e-3)


# ---- gradients of the movement ops -------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda t: F.reshape(t, (4, 6)),
    lambda t: F.flatten(t, 1),
    lambda t: F.transpose(t, (2, 0, 1)),
    lambda t: F.broadcast_to(F.expand_dims(t, 1), (2, 5, 3, 4)),
    lambda t: F.broadcast_to(t[:, :1], (3, 2, 3, 4)),
    lambda t: F.squeeze(t[:, 1:2], 1),
    lambda t: F.concat([t, t * 2, t[:, :1]], axis=1),
    lambda t: F.stack([t, t * 3], axis=-1),
    lambda t: F.concat([p * (i + 1) for i, p in enumerate(F.split(t, [1, 3], axis=2))], axis=2),
    lambda t: t[:, ::-2, 1:] * 2,
    lambda t: t[[1, 0, 1]],
    lambda t: t[t > 0],
], ids=["reshape", "flatten", "transpose", "expand_broadcast", "broadcast", "squeeze", "concat",
        "stack", "split", "slice", "int_array", "bool_mask"])
def test_movement_gradients(fn, rng):
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    x[np.abs(x) < 0.05] = 0.5
    check_grad(fn, [x])


# ---- indexing errors ------------------------------------------------------------------

def test_out_of_range_indices_are_index_errors():
    x = kiln.tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    with pytest.raises(IndexError, match=r"index 2 .*size 2"):
        x[2]
    with pytest.raises(IndexError, match=r"index -3 .*size 2"):
        x[-3]
    with pytest.raises(IndexError, match=r"index 3 .*size 3"):
        x[:, [0, 3]]
    with pytest.raises(IndexError, match=r"index 2 .*\(2, 3, 4\)"):
        x[kiln.tensor(np.array([0, 2], np.int32))]
    # several tensor indices are range-checked before they are combined
    with pytest.raises(IndexError, match=r"index 4"):
        x[kiln.tensor(np.array([0], np.int32)), kiln.tensor(np.array([4], np.int32))]
    with pytest.raises(IndexError, match=r"index -3"):
        x[kiln.tensor(np.array([0, -3], np.int32)), 0, kiln.tensor(np.array([0, 1], np.int32))]
    with pytest.raises(IndexError, match=r"too many indices"):
        x[0, 0, 0, 0]
    with pytest.raises(IndexError, match=r"boolean index of shape \(3,\).*\(2, 3, 4\)"):
        x[np.array([True, False, True])]
    with pytest.raises(IndexError, match=r"boolean index of shape \(2,\).*axis 2"):
        x[..., np.array([True, False])]
    with pytest.raises(IndexError):
        x[0.5]
    with pytest.raises(IndexError):
        x[kiln.tensor([0.0, 1.0])]
    with pytest.raises(IndexError, match=r"index 3 .*size 3"):
        x[:, 3] = 1.0


@pytest.mark.parametrize("index", [
    (kiln.tensor(np.array([0, -1, -2], np.int32)),),
    (slice(None), kiln.tensor(np.array([[2, -3]], np.int32))),
    (kiln.tensor(np.array([1, -2], np.int32)), slice(None), kiln.tensor(np.array([-1, 3], np.int32))),
    (np.array([[True, False, True], [False, True, True]]),),
    (None, np.array([True, False]), None, 1),
    (Ellipsis, np.array([True, False, True, True])),
], ids=["tensor_neg", "tensor_2d", "two_tensors", "mask_2d", "mask_none", "mask_ellipsis"])
def test_tensor_and_mask_indexing_matches_numpy(index):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np_index = tuple(i.numpy() if isinstance(i, kiln.Tensor) else i for i in index)
    expected = a[np_index]
    out = kiln.tensor(a)[index]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)
