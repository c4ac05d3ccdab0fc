"""kiln.functional.nn (linear conv2d pooling batch_norm layer_norm dropout
softmax activations embedding pad one_hot losses topk_accuracy) against PyTorch."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import kiln
import kiln.functional as F
from harness import assert_close, check_forward, check_grad, to_torch
from kiln.autodiff import GradManager

NN_NAMES = ["linear", "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "batch_norm",
            "layer_norm", "dropout", "softmax", "logsoftmax", "relu", "leaky_relu", "gelu", "silu",
            "embedding", "pad", "one_hot", "cross_entropy", "square_loss", "l1_loss",
            "binary_cross_entropy"]


def test_every_nn_function_is_in_F_nn_and_F():
    for name in NN_NAMES:
        assert callable(getattr(F.nn, name)), name
        assert getattr(F, name) is getattr(F.nn, name) or name == "relu", name
    assert callable(F.topk_accuracy)


def _f32(rng, *shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, shape).astype(np.float32)


# ---- linear ------------------------------------------------------------------

@pytest.mark.parametrize("xshape", [(2, 3), (3,), (4, 2, 3), (0, 3), (1, 3)])
@pytest.mark.parametrize("with_bias", [False, True])
def test_linear_matches_torch(xshape, with_bias, rng):
    arrays = [_f32(rng, *xshape), _f32(rng, 5, 3)] + ([_f32(rng, 5)] if with_bias else [])
    check_forward(F.nn.linear, TF.linear, arrays, rtol=1e-5, atol=1e-6)


def test_linear_large_odd(rng):
    check_forward(F.nn.linear, TF.linear, [_f32(rng, 67, 129), _f32(rng, 33, 129), _f32(rng, 33)],
                  rtol=1e-4, atol=1e-5)


def test_linear_gradients(rng):
    check_grad(F.nn.linear, [_f32(rng, 2, 3), _f32(rng, 4, 3), _f32(rng, 4)])
    check_grad(F.nn.linear, [_f32(rng, 2, 2, 3), _f32(rng, 4, 3)])


def test_linear_bad_shapes():
    x = kiln.tensor(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"linear: .*\(2, 3\).*\(4, 5\).*expected"):
        F.nn.linear(x, kiln.tensor(np.zeros((4, 5), np.float32)))
    with pytest.raises(ValueError, match=r"linear: .*\(5,\).*\(4, 3\).*expected \(4,\)"):
        F.nn.linear(x, kiln.tensor(np.zeros((4, 3), np.float32)), kiln.tensor(np.zeros(5, np.float32)))
    with pytest.raises(ValueError, match=r"linear: .*\(3,\).*expected"):
        F.nn.linear(x, kiln.tensor(np.zeros(3, np.float32)))


# ---- conv2d ------------------------------------------------------------------

CONV_CASES = [
    # (N, C, H, W), (O, kh, kw), stride, padding, dilation, groups
    ((2, 3, 7, 6), (4, 3, 3), 1, 0, 1, 1),
    ((2, 3, 7, 6), (4, 3, 3), 2, 1, 1, 1),
    ((1, 3, 9, 8), (5, 3, 2), (2, 1), (1, 0), 1, 1),
    ((1, 2, 9, 9), (3, 3, 3), 1, 2, 2, 1),
    ((1, 2, 10, 9), (2, 3, 3), (1, 2), (2, 1), (2, 3), 1),
    ((2, 4, 6, 6), (6, 3, 3), 1, 1, 1, 2),
    ((2, 6, 6, 5), (6, 3, 3), 1, 1, 1, 6),    # depthwise
    ((1, 4, 7, 7), (8, 3, 3), 2, 1, 1, 4),    # depthwise, channel multiplier 2
    ((1, 3, 5, 5), (2, 1, 1), 1, 0, 1, 1),    # 1x1
    ((1, 3, 5, 5), (2, 5, 5), 1, 0, 1, 1),    # kernel as large as the input
    ((1, 3, 1, 1), (2, 3, 3), 1, 1, 1, 1),
    ((0, 3, 5, 5), (2, 3, 3), 1, 0, 1, 1),    # empty batch
    ((2, 16, 17, 15), (24, 3, 3), 1, 1, 1, 1),
]


def _conv_arrays(rng, case, bias):
    xshape, (o, kh, kw), _, _, _, g = case
    arrays = [_f32(rng, *xshape), _f32(rng, o, xshape[1] // g, kh, kw)]
    if bias:
        arrays.append(_f32(rng, o))
    return arrays


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("bias", [False, True])
def test_conv2d_matches_torch(case, bias, rng):
    _, _, stride, padding, dilation, groups = case
    arrays = _conv_arrays(rng, case, bias)

    def ours(x, w, b=None):
        return F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)

    def theirs(x, w, b=None):
        return TF.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    check_forward(ours, theirs, arrays, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", [CONV_CASES[5], CONV_CASES[6], CONV_CASES[7], CONV_CASES[0]])
def test_conv2d_megengine_grouped_weight_and_4d_bias(case, rng):
    """MegEngine's (groups, out/groups, in/groups, kh, kw) weight and
    (1, out, 1, 1) bias give the same result as PyTorch's layout."""
    _, _, stride, padding, dilation, groups = case
    x, w, b = _conv_arrays(rng, case, True)
    expected = TF.conv2d(to_torch(x), to_torch(w), to_torch(b), stride=stride, padding=padding,
                         dilation=dilation, groups=groups)
    w5 = w.reshape((groups, w.shape[0] // groups) + w.shape[1:])
    b4 = b.reshape(1, -1, 1, 1)
    for weight, bias in [(w5, b4), (w5, b), (w, b4)]:
        out = F.conv2d(kiln.tensor(x), kiln.tensor(weight), kiln.tensor(bias), stride=stride,
                       padding=padding, dilation=dilation, groups=groups)
        assert_close(out, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("stride,padding,dilation,groups", [(1, 0, 1, 1), (2, 1, 1, 1), (1, 1, 2, 2),
                                                            (1, 1, 1, 4)])
def test_conv2d_gradients(stride, padding, dilation, groups, rng):
    x = _f32(rng, 1, 4, 5, 5)
    w = _f32(rng, 4, 4 // groups, 3, 3)
    b = _f32(rng, 4)
    check_grad(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation,
                                        groups=groups), [x, w, b])


def test_conv2d_gradients_through_the_5d_weight(rng):
    x = _f32(rng, 1, 4, 4, 4)
    w5 = _f32(rng, 2, 1, 2, 3, 3)
    b4 = _f32(rng, 1, 2, 1, 1)
    check_grad(lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=2), [x, w5, b4])


def _z(*shape, dtype=np.float32):
    return kiln.tensor(np.zeros(shape, dtype))


def test_conv2d_bad_shapes():
    x = _z(2, 4, 5, 5)
    with pytest.raises(ValueError, match=r"conv2d: .*\(2, 4, 5, 5\).*\(6, 3, 3, 3\).*expected.*4"):
        F.conv2d(x, _z(6, 3, 3, 3))
    with pytest.raises(ValueError, match=r"conv2d: .*\(2, 4, 5, 5\).*\(6, 4, 3, 3\).*groups=3.*expected"):
        F.conv2d(x, _z(6, 4, 3, 3), groups=3)
    with pytest.raises(ValueError, match=r"conv2d: .*\(4, 5, 5\).*expected a 4-d"):
        F.conv2d(_z(4, 5, 5), _z(6, 4, 3, 3))
    with pytest.raises(ValueError, match=r"conv2d: .*\(2, 4, 5, 5\).*\(6, 4, 7, 7\).*smaller than"):
        F.conv2d(x, _z(6, 4, 7, 7))
    with pytest.raises(ValueError, match=r"conv2d: .*5-d weight \(2, 3, 2, 3, 3\).*groups=3.*expected"):
        F.conv2d(x, _z(2, 3, 2, 3, 3), groups=3)
    with pytest.raises(ValueError, match=r"conv2d: .*expected.*in_channels / groups = 2"):
        F.conv2d(x, _z(2, 3, 3, 3, 3), groups=2)
    with pytest.raises(ValueError, match=r"conv2d: bias has shape \(5,\); expected \(6,\)"):
        F.conv2d(x, _z(6, 4, 3, 3), _z(5))
    with pytest.raises(ValueError, match=r"conv2d: bias has shape \(1, 5, 1, 1\); expected \(1, 6, 1, 1\)"):
        F.conv2d(x, _z(6, 4, 3, 3), _z(1, 5, 1, 1))
    with pytest.raises(ValueError, match=r"conv2d: bias has shape \(6, 1, 1, 1\); expected \(1, 6, 1, 1\)"):
        F.conv2d(x, _z(6, 4, 3, 3), _z(6, 1, 1, 1))
    with pytest.raises(ValueError, match=r"conv2d: .*stride.*\[0, 0\].*expected"):
        F.conv2d(x, _z(6, 4, 3, 3), stride=0)
    with pytest.raises(ValueError, match=r"conv2d: .*padding.*\[-1, -1\].*expected"):
        F.conv2d(x, _z(6, 4, 3, 3), padding=-1)
    with pytest.raises(ValueError, match=r"conv2d: stride .*\[1, 2, 3\]"):
        F.conv2d(x, _z(6, 4, 3, 3), stride=(1, 2, 3))


# ---- pooling -------------------------------------------------------------------

POOL_CASES = [
    # input, kernel, stride, padding
    ((2, 3, 8, 8), 2, None, 0), ((2, 3, 7, 9), 3, 2, 1), ((1, 2, 9, 7), (3, 2), (2, 1), (1, 0)),
    ((1, 1, 5, 5), 5, None, 0), ((1, 2, 6, 6), 3, 1, 1), ((1, 2, 1, 1), 1, None, 0),
    ((2, 8, 33, 31), 3, 2, 1), ((0, 2, 4, 4), 2, None, 0),
]


@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool2d_matches_torch(case, rng):
    shape, k, s, p = case
    x = rng.normal(size=shape).astype(np.float32)
    check_forward(lambda t: F.max_pool2d(t, k, s, p), lambda t: TF.max_pool2d(t, k, s, p), [x], 0, 0)


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("mode", ["average_count_exclude_padding", "average"])
def test_avg_pool2d_matches_torch(case, mode, rng):
    shape, k, s, p = case
    x = rng.normal(size=shape).astype(np.float32)
    check_forward(lambda t: F.avg_pool2d(t, k, s, p, mode=mode),
                  lambda t: TF.avg_pool2d(t, k, s, p, count_include_pad=(mode == "average")), [x],
                  rtol=1e-5, atol=1e-6)


def test_avg_pool2d_default_mode_excludes_padding():
    x = kiln.tensor(np.ones((1, 1, 2, 2), np.float32))
    np.testing.assert_array_equal(F.avg_pool2d(x, 2, 1, 1).numpy(), np.ones((1, 1, 3, 3)))
    np.testing.assert_allclose(F.avg_pool2d(x, 2, 1, 1, mode="average").numpy()[0, 0],
                               [[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]])


@pytest.mark.parametrize("shape,oshp", [((2, 3, 8, 8), 4), ((2, 3, 8, 8), (2, 1)), ((1, 2, 6, 6), 1),
                                        ((2, 3, 7, 5), (3, 2)), ((1, 2, 10, 7), (4, 3)),
                                        ((1, 2, 5, 5), 7), ((1, 1, 3, 4), (3, 4))])
def test_adaptive_avg_pool2d_matches_torch(shape, oshp, rng):
    x = rng.normal(size=shape).astype(np.float32)
    check_forward(lambda t: F.adaptive_avg_pool2d(t, oshp), lambda t: TF.adaptive_avg_pool2d(t, oshp),
                  [x], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn", [
    lambda t: F.max_pool2d(t, 2),
    lambda t: F.max_pool2d(t, 3, 2, 1),
    lambda t: F.avg_pool2d(t, 2),
    lambda t: F.avg_pool2d(t, 3, 2, 1),
    lambda t: F.avg_pool2d(t, 3, 2, 1, mode="average"),
    lambda t: F.adaptive_avg_pool2d(t, 2),
    lambda t: F.adaptive_avg_pool2d(t, (3, 2)),
], ids=["max", "max_pad", "avg", "avg_pad_exclude", "avg_pad_include", "adaptive", "adaptive_uneven"])
def test_pooling_gradients(fn, rng):
    x = rng.permutation(2 * 4 * 4).reshape(1, 2, 4, 4).astype(np.float32) * 0.1  # no ties for max
    check_grad(fn, [x])


def test_pooling_bad_shapes():
    x = _z(2, 4, 5, 5)
    for op in ["max_pool2d", "avg_pool2d"]:
        fn = getattr(F, op)
        with pytest.raises(ValueError, match=rf"{op}: .*\(2, 4, 5, 5\).*smaller than the kernel \[7, 7\]"):
            fn(x, 7)
        with pytest.raises(ValueError, match=rf"{op}: .*\(4, 5, 5\).*expected a 4-d"):
            fn(_z(4, 5, 5), 2)
        with pytest.raises(ValueError, match=rf"{op}: padding \[2, 2\] with kernel \[2, 2\].*expected"):
            fn(x, 2, padding=2)
        with pytest.raises(ValueError, match=rf"{op}: .*stride.*\[0, 0\].*expected"):
            fn(x, 2, stride=0)
        with pytest.raises(ValueError, match=rf"{op}: kernel_size .*\[1, 2, 3\]"):
            fn(x, (1, 2, 3))
    with pytest.raises(ValueError, match=r"avg_pool2d: unknown mode 'max'; expected"):
        F.avg_pool2d(x, 2, mode="max")
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: .*\(4, 5, 5\).*expected a 4-d"):
        F.adaptive_avg_pool2d(_z(4, 5, 5), 2)
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: oshp .*\[0, 0\].*expected"):
        F.adaptive_avg_pool2d(x, 0)


# ---- batch_norm -----------------------------------------------------------------

@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 6), (2, 16, 7, 9), (1, 2, 3, 3)])
@pytest.mark.parametrize("momentum", [0.9, 0.7])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch_and_updates_running_stats(shape, momentum, affine, rng):
    c = shape[1]
    x = rng.normal(1.0, 2.0, shape).astype(np.float32)
    w, b = (_f32(rng, c, lo=0.5, hi=1.5), _f32(rng, c)) if affine else (None, None)
    rm0, rv0 = _f32(rng, c), _f32(rng, c, lo=0.5, hi=2)
    # MegEngine keeps running stats as (1, C, 1, 1); kiln accepts that and (C,)
    stat_shape = (1, c, 1, 1) if len(shape) == 4 else (1, c)
    rm, rv = kiln.tensor(rm0.reshape(stat_shape)), kiln.tensor(rv0.reshape(stat_shape))
    y = F.nn.batch_norm(kiln.tensor(x), rm, rv, None if w is None else kiln.tensor(w),
                        None if b is None else kiln.tensor(b), training=True, momentum=momentum, eps=1e-5)
    trm, trv = torch.from_numpy(rm0.copy()), torch.from_numpy(rv0.copy())
    expected = TF.batch_norm(to_torch(x), trm, trv, None if w is None else to_torch(w),
                             None if b is None else to_torch(b), training=True,
                             momentum=1 - momentum, eps=1e-5)
    assert_close(y, expected, rtol=1e-4, atol=1e-5)
    # MegEngine: running = momentum * running + (1 - momentum) * batch, unbiased variance
    axes = (0,) if len(shape) == 2 else (0, 2, 3)
    n = x.size // c
    mean = x.astype(np.float64).mean(axis=axes)
    var = x.astype(np.float64).var(axis=axes) * n / (n - 1)
    assert rm.shape == stat_shape and rv.shape == stat_shape
    assert_close(rm.numpy().reshape(-1), momentum * rm0 + (1 - momentum) * mean, rtol=1e-5, atol=1e-6)
    assert_close(rv.numpy().reshape(-1), momentum * rv0 + (1 - momentum) * var, rtol=1e-5, atol=1e-6)
    assert_close(rm.numpy().reshape(-1), trm, rtol=1e-5, atol=1e-6)
    assert_close(rv.numpy().reshape(-1), trv, rtol=1e-5, atol=1e-6)


def test_batch_norm_training_without_inplace_leaves_running_stats():
    x = kiln.tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
    rm, rv = kiln.tensor(np.zeros(3, np.float32)), kiln.tensor(np.ones(3, np.float32))
    F.nn.batch_norm(x, rm, rv, training=True, inplace=False)
    np.testing.assert_array_equal(rm.numpy(), 0)
    np.testing.assert_array_equal(rv.numpy(), 1)
    y = F.nn.batch_norm(x, training=True)  # no running stats at all
    assert_close(y, TF.batch_norm(to_torch(np.array(x.numpy())), None, None, training=True),
                 rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 6), (2, 16, 7, 9)])
def test_batch_norm_inference_matches_torch(shape, rng):
    c = shape[1]
    x = rng.normal(size=shape).astype(np.float32)
    rm, rv = _f32(rng, c), _f32(rng, c, lo=0.5, hi=2)
    w, b = _f32(rng, c), _f32(rng, c)
    check_forward(lambda x, rm, rv, w, b: F.nn.batch_norm(x, rm, rv, w, b, training=False, eps=1e-3),
                  lambda x, rm, rv, w, b: TF.batch_norm(x, rm, rv, w, b, training=False, eps=1e-3),
                  [x, rm, rv, w, b], rtol=1e-5, atol=1e-5)
    # inference leaves the running statistics alone
    trm = kiln.tensor(rm)
    F.nn.batch_norm(kiln.tensor(x), trm, kiln.tensor(rv), training=False)
    np.testing.assert_array_equal(trm.numpy(), rm)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (2, 2, 3, 2)])
def test_batch_norm_gradients(training, shape, rng):
    c = shape[1]
    x = rng.normal(size=shape).astype(np.float32)
    rm, rv = kiln.tensor(_f32(rng, c)), kiln.tensor(_f32(rng, c, lo=0.5, hi=2))
    stats = (None, None) if training else (rm, rv)
    check_grad(lambda x, w, b: F.nn.batch_norm(x, *stats, w, b, training=training),
               [x, _f32(rng, c, lo=0.5, hi=1.5), _f32(rng, c)])


def test_batch_norm_bad_inputs():
    with pytest.raises(ValueError, match=r"batch_norm: .*\(2, 3, 4\).*expected"):
        F.nn.batch_norm(_z(2, 3, 4), _z(3), _z(3))
    with pytest.raises(ValueError, match=r"batch_norm: .*\(4,\).*3 channels.*\(2, 3\)"):
        F.nn.batch_norm(_z(2, 3), _z(4), _z(4))
    with pytest.raises(ValueError, match=r"batch_norm: .*running_mean"):
        F.nn.batch_norm(_z(2, 3), training=False)


# ---- layer_norm -------------------------------------------------------------------

@pytest.mark.parametrize("shape,normalized", [((4, 5), 5), ((2, 3, 4), (3, 4)), ((2, 3, 4), (4,)),
                                              ((3, 257), 257), ((1, 1), 1), ((0, 6), 6)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_torch(shape, normalized, affine, rng):
    nshape = (normalized,) if isinstance(normalized, int) else normalized
    x = rng.normal(2.0, 3.0, shape).astype(np.float32)
    if affine:
        arrays = [x, _f32(rng, *nshape), _f32(rng, *nshape)]
        check_forward(lambda x, w, b: F.nn.layer_norm(x, normalized, True, w, b, eps=1e-5),
                      lambda x, w, b: TF.layer_norm(x, nshape, w, b, eps=1e-5), arrays, 1e-4, 1e-5)
    else:
        check_forward(lambda x: F.nn.layer_norm(x, normalized, affine=False),
                      lambda x: TF.layer_norm(x, nshape), [x], 1e-4, 1e-5)


def test_layer_norm_gradients(rng):
    check_grad(lambda x, w, b: F.nn.layer_norm(x, (3, 2), True, w, b),
               [_f32(rng, 2, 3, 2), _f32(rng, 3, 2), _f32(rng, 3, 2)])
    check_grad(lambda x: F.nn.layer_norm(x, 4, affine=False), [_f32(rng, 3, 4)])


def test_layer_norm_bad_shape():
    with pytest.raises(ValueError, match=r"layer_norm: .*\(2, 3\).*\(4,\)"):
        F.nn.layer_norm(_z(2, 3), (4,))


# ---- dropout ----------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_and_scaling(p, rng):
    x = rng.uniform(1, 2, (200, 500)).astype(np.float32)
    y = F.nn.dropout(kiln.tensor(x), p).numpy()
    kept = y != 0
    n = x.size
    # the kept fraction is within 5 standard deviations of 1 - p
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-6)
    # each row and column is dropped independently (not the same mask everywhere)
    assert kept.mean(axis=1).std() > 0 and kept.mean(axis=0).std() > 0
    # the mean is preserved in expectation
    assert abs(y.mean() / x.mean() - 1) < 0.05
    # two calls draw different masks
    assert (F.nn.dropout(kiln.tensor(x), p).numpy() != 0).tolist() != kept.tolist()


def test_dropout_is_the_identity_when_not_training_or_p_is_0(rng):
    x = rng.normal(size=(7, 9)).astype(np.float32)
    np.testing.assert_array_equal(F.nn.dropout(kiln.tensor(x), 0.5, training=False).numpy(), x)
    np.testing.assert_array_equal(F.dropout(kiln.tensor(x), 0.0).numpy(), x)
    for p in [1.0, -0.1]:
        with pytest.raises(ValueError, match=r"dropout: drop_prob .*expected"):
            F.nn.dropout(kiln.tensor(x), p)


def test_dropout_gradient_is_the_scaled_mask(rng):
    x = rng.uniform(1, 2, (20, 30)).astype(np.float32)
    w = rng.uniform(0.5, 1.5, x.shape).astype(np.float32)
    t = kiln.tensor(x)
    gm = GradManager().attach([t])
    with gm:
        y = F.nn.dropout(t, 0.4)
        gm.backward((y * kiln.tensor(w)).sum())
    mask = y.numpy() != 0
    assert 0 < mask.mean() < 1
    np.testing.assert_allclose(t.grad.numpy(), w * mask / 0.6, rtol=1e-6)


# ---- softmax / logsoftmax -------------------------------------------------------------

@pytest.mark.parametrize("shape,axis", [((5,), 0), ((3, 7), 1), ((3, 7), 0), ((3, 7), -1),
                                        ((2, 3, 4), 1), ((2, 3, 4), -1), ((2, 3, 4, 5), 2),
                                        ((33, 1025), 1), ((4, 1), 1), ((0, 3), 1)])
def test_softmax_and_logsoftmax_match_torch(shape, axis, rng):
    x = rng.normal(scale=3, size=shape).astype(np.float32)
    check_forward(lambda t: F.nn.softmax(t, axis), lambda t: torch.softmax(t, axis), [x], 1e-5, 1e-6)
    check_forward(lambda t: F.nn.logsoftmax(t, axis), lambda t: torch.log_softmax(t, axis), [x],
                  1e-5, 1e-5)


def test_softmax_default_axis_is_megengine_s():
    # MegEngine: axis 0 for 0-, 1- and 3-d inputs, else 1
    for shape, axis in [((5,), 0), ((3, 4), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)]:
        x = np.random.default_rng(1).normal(size=shape).astype(np.float32)
        assert_close(F.softmax(kiln.tensor(x)), torch.softmax(torch.from_numpy(x), axis), 1e-5, 1e-6)


def test_softmax_is_stable_for_large_inputs():
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1e4]], np.float32)
    assert_close(F.nn.softmax(kiln.tensor(x), 1), torch.softmax(torch.from_numpy(x), 1), 1e-6, 1e-7)
    assert_close(F.nn.logsoftmax(kiln.tensor(x), 1), torch.log_softmax(torch.from_numpy(x), 1), 1e-6, 1e-4)


def test_softmax_gradients(rng):
    x = rng.normal(size=(3, 4)).astype(np.float32)
    check_grad(lambda t: F.nn.softmax(t, 1), [x])
    check_grad(lambda t: F.nn.softmax(t, 0), [x])
    check_grad(lambda t: F.nn.logsoftmax(t, -1), [x])
    check_grad(lambda t: F.nn.logsoftmax(t, 1), [rng.normal(size=(2, 3, 2)).astype(np.float32)])


def test_softmax_bad_axis_is_an_index_error():
    with pytest.raises(IndexError, match=r"softmax: axis 2 .*\(2, 3\)"):
        F.nn.softmax(_z(2, 3), 2)
    with pytest.raises(IndexError, match=r"logsoftmax: axis -3 .*\(2, 3\)"):
        F.nn.logsoftmax(_z(2, 3), -3)


# ---- activations -------------------------------------------------------------------------

ACTIVATIONS = {
    "relu": (lambda t: F.nn.relu(t), torch.relu),
    "leaky_relu": (lambda t: F.nn.leaky_relu(t), lambda t: TF.leaky_relu(t, 0.01)),
    "leaky_relu_0.2": (lambda t: F.nn.leaky_relu(t, 0.2), lambda t: TF.leaky_relu(t, 0.2)),
    "gelu": (lambda t: F.nn.gelu(t), TF.gelu),
    "silu": (lambda t: F.nn.silu(t), TF.silu),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("shape", [(0,), (7,), (3, 1, 5), (257, 129)])
def test_activations_match_torch(name, shape, rng):
    ours, theirs = ACTIVATIONS[name]
    x = rng.uniform(-6, 6, shape).astype(np.float32)
    check_forward(ours, theirs, [x], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradients(name, rng):
    x = rng.uniform(-3, 3, (3, 4)).astype(np.float32)
    x[np.abs(x) < 0.05] = 0.3
    check_grad(ACTIVATIONS[name][0], [x])


def test_activations_of_integers_compute_in_float32():
    x = kiln.tensor(np.array([-2, 3], np.int32))
    assert F.nn.leaky_relu(x).dtype == np.float32
    np.testing.assert_allclose(F.nn.leaky_relu(x).numpy(), [-0.02, 3])
    np.testing.assert_allclose(F.nn.gelu(x).numpy(), TF.gelu(torch.tensor([-2.0, 3.0])).numpy(), rtol=1e-5)


# ---- embedding / pad / one_hot ----------------------------------------------------------------

@pytest.mark.parametrize("ishape", [(5,), (2, 3), (0,), (2, 0, 3)])
def test_embedding_matches_torch(ishape, rng):
    w = _f32(rng, 7, 4)
    idx = rng.integers(0, 7, ishape).astype(np.int32)
    expected = TF.embedding(torch.from_numpy(idx).long(), torch.from_numpy(w))
    assert_close(F.nn.embedding(kiln.tensor(idx), kiln.tensor(w)), expected, 0, 0)
    assert_close(F.nn.embedding(kiln.tensor(idx.astype(np.uint8)), kiln.tensor(w)), expected, 0, 0)


def test_embedding_gradient_accumulates_repeated_rows(rng):
    idx = kiln.tensor(np.array([[0, 2, 2], [4, 0, 2]], np.int32))
    check_grad(lambda w: F.nn.embedding(idx, w), [_f32(rng, 5, 3)])


def test_embedding_bad_inputs():
    w = kiln.tensor(np.zeros((3, 4), np.float32))
    with pytest.raises(IndexError, match=r"index 3 .*\(3, 4\)"):
        F.nn.embedding(kiln.tensor(np.array([[0, 3]], np.int32)), w)
    with pytest.raises(TypeError, match=r"embedding: .*float32.*integer"):
        F.nn.embedding(kiln.tensor([[0.0, 1.0]]), w)
    with pytest.raises(ValueError, match=r"embedding: weight .*\(3,\).*expected"):
        F.nn.embedding(kiln.tensor(np.array([0], np.int32)), _z(3))


@pytest.mark.parametrize("shape,widths", [((2, 3), ((1, 0), (0, 2))), ((3,), ((2, 2),)),
                                          ((1, 2, 3, 4), ((0, 0), (0, 0), (1, 1), (2, 0))),
                                          ((0, 2), ((1, 1), (0, 0))), ((2, 2), ((0, 0), (0, 0)))])
@pytest.mark.parametrize("value", [0.0, -1.5])
def test_pad_matches_numpy(shape, widths, value, rng):
    x = rng.normal(size=shape).astype(np.float32)
    expected = np.pad(x, widths, constant_values=value)
    for make in (kiln.tensor, lambda a: kiln.tensor(a) if a.ndim < 2 else
                 kiln.tensor(np.ascontiguousarray(a.T)).T):
        out = F.nn.pad(make(x), widths, constant_value=value)
        assert out.shape == expected.shape
        np.testing.assert_array_equal(out.numpy(), expected)
    xi = rng.integers(-5, 5, shape).astype(np.int32)
    out = F.nn.pad(kiln.tensor(xi), widths, constant_value=7)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.numpy(), np.pad(xi, widths, constant_values=7))


def test_pad_gradient_and_bad_widths(rng):
    check_grad(lambda t: F.nn.pad(t, ((1, 2), (0, 1)), constant_value=3.0), [_f32(rng, 2, 3)])
    with pytest.raises(ValueError, match=r"pad: pad_width .*\(2, 3\)"):
        F.nn.pad(_z(2, 3), ((1, 1),))
    with pytest.raises(ValueError, match=r"pad: .*negative.*expected"):
        F.nn.pad(_z(2, 3), ((-1, 0), (0, 0)))
    with pytest.raises(ValueError, match=r"pad: mode 'reflect'.*expected 'constant'"):
        F.nn.pad(_z(2, 3), ((1, 0), (0, 0)), mode="reflect")


@pytest.mark.parametrize("shape,n", [((5,), 3), ((2, 3), 4), ((0,), 2), ((), 5)])
def test_one_hot_matches_numpy(shape, n, rng):
    labels = rng.integers(0, n, shape).astype(np.int32)
    out = F.nn.one_hot(kiln.tensor(labels), n)
    assert out.dtype == np.float32
    expected = np.eye(n, dtype=np.float32)[labels]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)
    np.testing.assert_array_equal(TF.one_hot(torch.from_numpy(labels).long(), n).numpy(), expected)


def test_one_hot_bad_inputs():
    with pytest.raises(IndexError, match=r"one_hot: index 3 .*expected 0 <= index < 3"):
        F.nn.one_hot(kiln.tensor(np.array([0, 3], np.int32)), 3)
    with pytest.raises(IndexError, match=r"one_hot: index -1"):
        F.nn.one_hot(kiln.tensor(np.array([0, -1], np.int32)), 3)
    with pytest.raises(TypeError, match=r"one_hot: .*float32.*integer"):
        F.nn.one_hot(kiln.tensor([0.0, 1.5]), 3)


# ---- losses -------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smooth", [0, 0.1])
@pytest.mark.parametrize("shape,axis", [((6, 5), 1), ((4, 3, 5), 1), ((4, 3, 5), -1), ((1, 2), 1),
                                        ((65, 129), 1)])
def test_cross_entropy_matches_torch(reduction, label_smooth, shape, axis, rng):
    x = rng.normal(scale=2, size=shape).astype(np.float32)
    axis_n = axis % len(shape)
    lshape = shape[:axis_n] + shape[axis_n + 1:]
    label = rng.integers(0, shape[axis_n], lshape).astype(np.int32)
    tx = torch.from_numpy(np.moveaxis(x, axis_n, 1).copy())
    expected = TF.cross_entropy(tx, torch.from_numpy(label).long(), reduction=reduction,
                                label_smoothing=label_smooth)
    out = F.nn.cross_entropy(kiln.tensor(x), kiln.tensor(label), axis=axis,
                             label_smooth=label_smooth, reduction=reduction)
    assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_cross_entropy_of_probabilities_and_default_axis(rng):
    x = rng.normal(size=(5, 4)).astype(np.float32)
    label = rng.integers(0, 4, 5).astype(np.int32)
    p = torch.softmax(torch.from_numpy(x), 1).numpy()
    expected = TF.nll_loss(torch.log(torch.from_numpy(p)), torch.from_numpy(label).long())
    assert_close(F.nn.cross_entropy(kiln.tensor(p), kiln.tensor(label), with_logits=False), expected,
                 rtol=1e-5, atol=1e-6)
    assert_close(F.cross_entropy(kiln.tensor(x), kiln.tensor(label)),
                 TF.cross_entropy(torch.from_numpy(x), torch.from_numpy(label).long()), 1e-5, 1e-6)
    # large logits stay finite
    big = np.array([[1000.0, -1000.0]], np.float32)
    assert_close(F.cross_entropy(kiln.tensor(big), kiln.tensor(np.array([1], np.int32))), 2000.0, 1e-6)


@pytest.mark.parametrize("label_smooth,axis", [(0, 1), (0.2, 1), (0, -1)])
def test_cross_entropy_gradients(label_smooth, axis, rng):
    label = kiln.tensor(rng.integers(0, 3, (4,)).astype(np.int32))
    x = rng.normal(size=(4, 3)).astype(np.float32)
    check_grad(lambda t: F.nn.cross_entropy(t, label, axis=axis, label_smooth=label_smooth), [x])
    check_grad(lambda t: F.nn.cross_entropy(t, label, reduction="none"), [x])
    p = rng.uniform(0.2, 0.8, (4, 3)).astype(np.float32)
    check_grad(lambda t: F.nn.cross_entropy(t, label, with_logits=False, reduction="sum"), [p])


def test_cross_entropy_bad_inputs():
    x = _z(4, 3)
    with pytest.raises(ValueError, match=r"cross_entropy: label .*\(3,\); expected \(4,\).*\(4, 3\)"):
        F.nn.cross_entropy(x, kiln.tensor(np.zeros(3, np.int32)))
    with pytest.raises(IndexError, match=r"index 3 .*expected 0 <= index < 3"):
        F.nn.cross_entropy(x, kiln.tensor(np.array([0, 1, 3, 1], np.int32)))
    with pytest.raises(TypeError, match=r"cross_entropy: label .*float32.*integer"):
        F.nn.cross_entropy(x, kiln.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(IndexError, match=r"cross_entropy: axis 2"):
        F.nn.cross_entropy(x, kiln.tensor(np.zeros(4, np.int32)), axis=2)
    with pytest.raises(ValueError, match=r"cross_entropy: unknown reduction 'avg'.*expected"):
        F.nn.cross_entropy(x, kiln.tensor(np.zeros(4, np.int32)), reduction="avg")


LOSSES = {
    "square_loss": (F.nn.square_loss, TF.mse_loss),
    "l1_loss": (F.nn.l1_loss, TF.l1_loss),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (129, 65)])
def test_regression_losses_match_torch(name, reduction, shape, rng):
    ours, theirs = LOSSES[name]
    check_forward(lambda p, l: ours(p, l, reduction=reduction),
                  lambda p, l: theirs(p, l, reduction=reduction),
                  [_f32(rng, *shape), _f32(rng, *shape)], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_regression_loss_gradients_and_bad_inputs(name, rng):
    ours = LOSSES[name][0]
    p, l = _f32(rng, 3, 4), _f32(rng, 3, 4)
    p[np.abs(p - l) < 0.05] += 0.2  # keep l1's kink away
    check_grad(ours, [p, l])
    check_grad(lambda a, b: ours(a, b, reduction="none"), [p, l])
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)"):
        ours(_z(4, 3), _z(4, 2))
    with pytest.raises(ValueError, match=rf"{name}: unknown reduction"):
        ours(_z(4, 3), _z(4, 3), reduction="mean_")


@pytest.mark.parametrize("with_logits", [True, False])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6,), (4, 3), (33, 65)])
def test_binary_cross_entropy_matches_torch(with_logits, reduction, shape, rng):
    label = (rng.uniform(size=shape) > 0.5).astype(np.float32)
    label[..., 0] = 0.3  # soft labels too
    if with_logits:
        pred = rng.normal(scale=3, size=shape).astype(np.float32)
        theirs = TF.binary_cross_entropy_with_logits
    else:
        pred = rng.uniform(0.05, 0.95, shape).astype(np.float32)
        theirs = TF.binary_cross_entropy
    check_forward(lambda p, l: F.nn.binary_cross_entropy(p, l, with_logits=with_logits, reduction=reduction),
                  lambda p, l: theirs(p, l, reduction=reduction), [pred, label], rtol=1e-5, atol=1e-5)


def test_binary_cross_entropy_with_large_logits_is_finite():
    pred = np.array([100.0, -100.0, 50.0, -50.0], np.float32)
    label = np.array([0.0, 1.0, 1.0, 0.0], np.float32)
    out = F.nn.binary_cross_entropy(kiln.tensor(pred), kiln.tensor(label), reduction="none")
    expected = TF.binary_cross_entropy_with_logits(torch.from_numpy(pred), torch.from_numpy(label),
                                                   reduction="none")
    assert_close(out, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("with_logits", [True, False])
def test_binary_cross_entropy_gradients_and_bad_inputs(with_logits, rng):
    label = rng.uniform(size=(3, 4)).astype(np.float32)
    pred = rng.normal(size=(3, 4)).astype(np.float32) if with_logits else \
        rng.uniform(0.2, 0.8, (3, 4)).astype(np.float32)
    check_grad(lambda p, l: F.nn.binary_cross_entropy(p, l, with_logits=with_logits), [pred, label])
    with pytest.raises(ValueError, match=r"binary_cross_entropy: .*\(4, 3\).*\(4, 1\).*expected"):
        F.nn.binary_cross_entropy(_z(4, 3), _z(4, 1), with_logits=with_logits)


# ---- topk_accuracy ---------------------------------------------------------------------------------

@pytest.mark.parametrize("n,c", [(10, 5), (64, 10), (1, 3), (257, 100)])
def test_topk_accuracy_matches_torch(n, c, rng):
    logits = rng.normal(size=(n, c)).astype(np.float32)
    target = rng.integers(0, c, n).astype(np.int32)
    top = torch.topk(torch.from_numpy(logits), min(c, 5), dim=1).indices.numpy()

    def expected(k):
        return np.float32((top[:, :k] == target[:, None]).any(axis=1).mean())
    acc1 = F.topk_accuracy(kiln.tensor(logits), kiln.tensor(target))
    assert isinstance(acc1, kiln.Tensor)
    assert_close(acc1, expected(1), 1e-6)
    accs = F.topk_accuracy(kiln.tensor(logits), kiln.tensor(target), topk=(1, min(c, 3), min(c, 5)))
    assert isinstance(accs, tuple) and len(accs) == 3
    for a, k in zip(accs, (1, min(c, 3), min(c, 5))):
        assert_close(a, expected(k), 1e-6)
    # the prediction itself scores 1
    assert F.topk_accuracy(kiln.tensor(logits), kiln.tensor(logits.argmax(1).astype(np.int32))).item() == 1.0
