"""MegEngine's opr_test for kiln: every op of the op table runs eagerly,
traced (recording while running), traced symbolically, and dumped to a
model file -> loaded -> run by the runtime; all four equal the op's
reference kernel (kernels/reference, plain loops)."""
import numpy as np
import pytest

import kiln
from kiln import _C
from kiln.jit import trace
from kiln.runtime import Model

R = np.random.default_rng(0)


def f32(*shape, lo=-1.0, hi=1.0):
    return R.uniform(lo, hi, shape).astype(np.float32)


def i32(*shape, hi=3):
    return R.integers(0, hi, shape).astype(np.int32)


def b8(*shape):
    return R.random(shape) > 0.5


X = f32(2, 3, 4)
POS = f32(2, 3, 4, lo=0.5, hi=2.0)
IMG = f32(2, 4, 6, 6)
CONV = dict(stride=[1, 1], padding=[1, 1], dilation=[1, 1], groups=2)
POOL = dict(kernel=[2, 2], stride=[2, 2], padding=[0, 0])

# op name -> (attrs, input arrays)
CASES = {
    **{name: ({}, [X]) for name in ["abs", "neg", "square", "relu", "sign", "exp", "sin", "cos",
                                    "tanh", "sigmoid", "erf", "floor", "ceil", "round", "expm1",
                                    "copy"]},
    **{name: ({}, [POS]) for name in ["log", "log1p", "sqrt"]},
    **{name: ({}, [X, f32(3, 4)]) for name in ["add", "sub", "mul", "maximum", "minimum", "equal",
                                                "not_equal", "less", "less_equal", "greater",
                                                "greater_equal", "relu_grad", "sigmoid_grad",
                                                "tanh_grad"]},
    **{name: ({}, [POS, f32(4, lo=0.5, hi=2.0)]) for name in ["div", "pow", "floor_div", "mod"]},
    **{name: ({}, [b8(2, 3), b8(3)]) for name in ["logical_and", "logical_or", "logical_xor"]},
    "logical_not": ({}, [b8(5)]),
    "where": ({}, [b8(2, 3, 1), X, f32(4)]),
    "cast": ({"dtype": "int32"}, [f32(3, 4, lo=-5, hi=5)]),
    "fill": ({"value": 2.5, "shape": [2, 3]}, []),
    "arange": ({"start": 1.0, "stop": 7.0, "step": 1.5}, []),
    "uniform_random": ({"shape": [3, 4], "seed": 7}, [np.array(5, np.int32)]),
    "normal_random": ({"shape": [3, 4], "seed": 7, "mean": 1.0, "std": 2.0}, [np.array(5, np.int32)]),
    **{name: ({"axes": [1], "keepdims": True}, [X]) for name in ["sum", "mean", "max", "min", "prod"]},
    **{name: ({"axis": 2}, [X]) for name in ["argmax", "argmin"]},
    "reshape": ({"shape": [4, -1]}, [X]),
    "broadcast_to": ({"shape": [5, 3, 4]}, [f32(3, 1)]),
    "transpose": ({"perm": [2, 0, 1]}, [X]),
    "slice": ({"axes": [1, 2], "starts": [2, 0], "stops": [0, 4], "steps": [-1, 2]}, [X]),
    "slice_backward": ({"shape": [2, 3, 4], "axes": [2], "starts": [1], "stops": [3]}, [f32(2, 3, 2)]),
    "concat": ({"axis": 1}, [X, f32(2, 2, 4)]),
    "pad": ({"pads": [0, 1, 2, 0, 1, 1], "value": -1.0}, [X]),
    "gather": ({"axis": 1}, [X, i32(2, 2, 4)]),
    "scatter": ({"axis": 1}, [X, np.array([[[0, 1, 2, 0]], [[2, 0, 1, 1]]], np.int32), f32(2, 1, 4)]),
    "scatter_add": ({"axis": 1}, [X, i32(2, 2, 4), f32(2, 2, 4)]),
    "index_select": ({"axis": 1}, [X, np.array([2, 0, 2], np.int32)]),
    "index_add": ({"axis": 0}, [f32(4, 3), np.array([1, 3, 1], np.int32), f32(3, 3)]),
    "one_hot": ({"num_classes": 4}, [i32(5, hi=4)]),
    "matmul": ({"transpose_b": True}, [f32(2, 3, 5), f32(4, 5)]),
    "conv2d": (CONV, [IMG, f32(6, 2, 3, 3), f32(6)]),
    "conv2d_backward_data": ({**CONV, "input_shape": [2, 4, 6, 6]}, [f32(2, 6, 6, 6), f32(6, 2, 3, 3)]),
    "conv2d_backward_weight": ({**CONV, "weight_shape": [6, 2, 3, 3]}, [f32(2, 6, 6, 6), IMG]),
    "max_pool2d": (POOL, [IMG]),
    "max_pool2d_backward": (POOL, [IMG, f32(2, 4, 3, 3)]),
    "avg_pool2d": ({**POOL, "padding": [1, 1], "stride": [2, 2]}, [IMG]),
    "avg_pool2d_backward": ({**POOL, "input_shape": [2, 4, 6, 6]}, [f32(2, 4, 3, 3)]),
    "batch_norm": ({"training": True}, [IMG, f32(4), f32(4), f32(4), f32(4, lo=0.5, hi=1.5)]),
    "batch_norm_backward": ({}, [IMG, IMG * 0.5, f32(4), f32(4), f32(4, lo=0.5, hi=1.5)]),
    "layer_norm": ({"normalized_ndim": 2}, [X, f32(3, 4), f32(3, 4)]),
    "layer_norm_backward": ({"normalized_ndim": 1}, [X, X * 2, f32(4), f32(2, 3), f32(2, 3, lo=0.5)]),
    "softmax": ({"axis": 1}, [X]),
    "log_softmax": ({"axis": -1}, [X]),
    "softmax_backward": ({"axis": 1}, [X, f32(2, 3, 4)]),
    "log_softmax_backward": ({"axis": -1}, [X, f32(2, 3, 4)]),
}


def test_every_op_of_the_table_has_a_case():
    assert sorted(set(_C.op_names()) - set(CASES)) == []


def as_numpy(out):
    return [o.numpy() for o in (out if isinstance(out, tuple) else (out,))]


@pytest.mark.parametrize("name", sorted(CASES))
def test_eager_traced_symbolic_and_dumped_equal_the_reference(name, tmp_path):
    attrs, arrays = CASES[name]
    op = _C.Op(name, **attrs)
    tensors = [kiln.tensor(a) for a in arrays]
    expected = as_numpy(_C.apply_reference(op, *tensors))

    def fn(*xs):
        return _C.apply(op, *xs)

    def check(got, mode):
        assert len(got) == len(expected), mode
        for g, e in zip(got, expected):
            assert g.dtype == e.dtype and g.shape == e.shape, mode
            np.testing.assert_allclose(g, e, rtol=2e-5, atol=2e-6, err_msg=f"{name} {mode}")

    check(as_numpy(fn(*tensors)), "eager")
    for symbolic in (False, True):
        traced = trace(fn, symbolic=symbolic)
        for call in range(3):  # the first call traces, the others replay
            check(as_numpy(traced(*tensors)), f"traced symbolic={symbolic} call {call}")
    dumpable = trace(fn, capture_as_const=True)
    dumpable(*tensors)
    path = tmp_path / f"{name}.kiln"
    n_out = len(expected)
    dumpable.dump(path, arg_names=[f"x{i}" for i in range(len(arrays))],
                  output_names=[f"y{i}" for i in range(n_out)], optimize_for_inference=True)
    out = Model(str(path))(*arrays)
    check(list(out) if isinstance(out, tuple) else [out], "dumped")
