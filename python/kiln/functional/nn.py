"""Neural-network functions (MegEngine's kiln.functional.nn)."""
import builtins

import numpy as np

from .. import _C, random as _random
from ._op import apply
from .elemwise import _t, _float, exp, log, relu, sigmoid, erf, where, maximum, abs as _abs
from .math import sum, mean, max, argmax, matmul
from .tensor import reshape, broadcast_to, transpose, astype, zeros_like

Tensor = _C.Tensor


def _pair(v, name, op):
    if isinstance(v, int):
        return [v, v]
    v = [int(i) for i in v]
    if len(v) != 2:
        raise ValueError(f"{op}: {name} must be an int or a pair of ints; got {v}")
    return v


def linear(inp, weight, bias=None):
    """inp @ weight.T + bias, with weight of shape (out_features, in_features)."""
    x, w = _float(inp), _float(weight)
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: input {x.shape} and weight {w.shape}; expected a weight "
                         "(out_features, in_features) with in_features equal to the input's last dim")
    if bias is not None and _t(bias).ndim == 1 and _t(bias).shape[0] != w.shape[0]:
        raise ValueError(f"linear: bias {_t(bias).shape} for weight {w.shape}; "
                         f"expected ({w.shape[0]},)")
    if x.ndim == 2:
        y = apply("matmul", x, w, transpose_b=True)
    else:
        y = matmul(x, w, transpose_b=True)
    return y if bias is None else y + bias


def conv2d(inp, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
           conv_mode="cross_correlation", compute_mode="default"):
    """2-d convolution of NCHW input. weight is PyTorch's (out, in/groups, kh, kw)
    or MegEngine's grouped (groups, out/groups, in/groups, kh, kw); bias is
    (out,) or (1, out, 1, 1). conv_mode and compute_mode are MegEngine's; kiln
    computes cross-correlation in float32."""
    if conv_mode.lower() != "cross_correlation":
        raise ValueError(f"conv2d: conv_mode {conv_mode!r} is not supported; expected 'cross_correlation'")
    if compute_mode.lower() not in ("default", "float32"):
        raise ValueError(f"conv2d: compute_mode {compute_mode!r} is not supported; expected 'default'")
    x, w = _float(inp), _float(weight)
    if w.ndim == 5:
        if w.shape[0] != groups:
            raise ValueError(f"conv2d: a 5-d weight {w.shape} has {w.shape[0]} groups but "
                             f"groups={groups}; expected them equal")
        w = reshape(w, (w.shape[0] * w.shape[1],) + w.shape[2:])
    inputs = [x, w]
    if bias is not None:
        b = _float(bias)
        if b.ndim == 4:
            if b.shape != (1, w.shape[0], 1, 1):
                raise ValueError(f"conv2d: bias has shape {b.shape}; expected (1, {w.shape[0]}, 1, 1) "
                                 f"or ({w.shape[0]},) for weight {tuple(weight.shape)}")
            b = reshape(b, (-1,))
        inputs.append(b)
    return apply("conv2d", *inputs, stride=_pair(stride, "stride", "conv2d"),
                 padding=_pair(padding, "padding", "conv2d"),
                 dilation=_pair(dilation, "dilation", "conv2d"), groups=int(groups))


def max_pool2d(inp, kernel_size, stride=None, padding=0):
    k = _pair(kernel_size, "kernel_size", "max_pool2d")
    s = k if stride is None else _pair(stride, "stride", "max_pool2d")
    return apply("max_pool2d", _float(inp), kernel=k, stride=s,
                 padding=_pair(padding, "padding", "max_pool2d"))


def avg_pool2d(inp, kernel_size, stride=None, padding=0, mode="average_count_exclude_padding"):
    """mode: "average_count_exclude_padding" (MegEngine's default) or "average"."""
    if mode not in ("average_count_exclude_padding", "average"):
        raise ValueError(f"avg_pool2d: unknown mode {mode!r}; expected "
                         "'average_count_exclude_padding' or 'average'")
    k = _pair(kernel_size, "kernel_size", "avg_pool2d")
    s = k if stride is None else _pair(stride, "stride", "avg_pool2d")
    return apply("avg_pool2d", _float(inp), kernel=k, stride=s,
                 padding=_pair(padding, "padding", "avg_pool2d"),
                 count_include_pad=(mode == "average"))


def adaptive_avg_pool2d(inp, oshp):
    """Averages each of oshp[0] x oshp[1] adaptive windows (PyTorch's bounds)."""
    x = _float(inp)
    oh, ow = _pair(oshp, "oshp", "adaptive_avg_pool2d")
    if x.ndim != 4:
        raise ValueError(f"adaptive_avg_pool2d: input has shape {x.shape}; expected a 4-d NCHW tensor")
    if oh < 1 or ow < 1:
        raise ValueError(f"adaptive_avg_pool2d: oshp is {[oh, ow]}; expected 2 values >= 1")
    h, w = x.shape[-2:]
    if h % oh == 0 and w % ow == 0:
        return avg_pool2d(x, (h // oh, w // ow))
    rows = []
    for i in range(oh):
        h0, h1 = (i * h) // oh, -(-((i + 1) * h) // oh)
        cols = [mean(x[..., h0:h1, (j * w) // ow:-(-((j + 1) * w) // ow)], axis=(-2, -1), keepdims=True)
                for j in range(ow)]
        rows.append(_concat(cols, -1))
    return _concat(rows, -2)


def _concat(xs, axis):
    from .tensor import concat
    return concat(xs, axis=axis % xs[0].ndim)


def batch_norm(inp, running_mean=None, running_var=None, weight=None, bias=None, *,
               training=False, momentum=0.9, eps=1e-5, inplace=True):
    """Batch normalization over the channel axis 1 of (N, C) or (N, C, H, W).

    In training, batch statistics normalize and, with inplace=True, the
    running statistics are updated in place as MegEngine does:
    running = momentum * running + (1 - momentum) * batch (unbiased variance).
    """
    x = _float(inp)
    if x.ndim not in (2, 4):
        raise ValueError(f"batch_norm: input has shape {x.shape}; expected (N, C) or (N, C, H, W)")
    c = x.shape[1]

    def vec(t, fill):
        if t is None:
            return Tensor(np.full((c,), fill, np.float32))
        t = _float(t)
        if t.size != c:
            raise ValueError(f"batch_norm: a parameter of shape {t.shape} does not match "
                             f"{c} channels of input {x.shape}")
        return reshape(t, (c,))

    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var, or neither")
    if not training and running_mean is None:
        raise ValueError("batch_norm: inference mode needs running_mean and running_var")
    y, batch_mean, batch_var = apply(
        "batch_norm", x, vec(weight, 1.0), vec(bias, 0.0), vec(running_mean, 0.0),
        vec(running_var, 1.0), eps=float(eps), training=bool(training))
    if training and inplace and running_mean is not None:
        n = x.size // c
        _update_running(running_mean, batch_mean, momentum)
        _update_running(running_var, batch_var * (n / builtins.max(n - 1, 1)), momentum)
    return y


def _update_running(running, batch, momentum):
    running._reset(running * momentum + reshape(batch.detach(), running.shape) * (1 - momentum))


def layer_norm(inp, normalized_shape, affine=True, weight=None, bias=None, eps=1e-5):
    """Normalizes over the trailing `normalized_shape` dimensions."""
    x = _float(inp)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.shape[x.ndim - len(shape):] != shape:
        raise ValueError(f"layer_norm: input {x.shape} does not end with normalized_shape {shape}")
    w = reshape(_float(weight), shape) if affine and weight is not None else \
        Tensor(np.ones(shape, np.float32))
    b = reshape(_float(bias), shape) if affine and bias is not None else \
        Tensor(np.zeros(shape, np.float32))
    y = apply("layer_norm", x, w, b, normalized_ndim=len(shape), eps=float(eps))[0]
    return y


def dropout(inp, drop_prob, training=True):
    """Zeroes each element with probability drop_prob and scales the rest by
    1 / (1 - drop_prob); the identity when not training."""
    x = _float(inp)
    if not 0 <= drop_prob < 1:
        raise ValueError(f"dropout: drop_prob is {drop_prob}; expected 0 <= drop_prob < 1")
    if not training or drop_prob == 0:
        return x
    keep = _random.uniform(size=x.shape) >= drop_prob
    return where(keep, x * (1.0 / (1 - drop_prob)), 0.0)


def _softmax_axis(ndim):
    return 0 if ndim in (0, 1, 3) else 1  # MegEngine's default


def _checked_axis(op, axis, x):
    if not -x.ndim <= axis < builtins.max(x.ndim, 1):
        raise IndexError(f"{op}: axis {axis} is out of range for an input of shape {x.shape} "
                         f"(expected {-x.ndim} <= axis < {x.ndim})")
    return axis % builtins.max(x.ndim, 1)


def softmax(inp, axis=None):
    x = _float(inp)
    return apply("softmax", x, axis=_softmax_axis(x.ndim) if axis is None else
                 _checked_axis("softmax", axis, x))


def logsoftmax(inp, axis):
    x = _float(inp)
    return apply("log_softmax", x, axis=_checked_axis("logsoftmax", axis, x))


def leaky_relu(inp, negative_slope=0.01):
    x = _float(inp)
    return where(x > 0, x, x * negative_slope)


def gelu(x):
    """x * Phi(x) with the exact error function."""
    x = _float(x)
    return x * (erf(x * 0.7071067811865476) + 1.0) * 0.5


def silu(x):
    x = _float(x)
    return x * sigmoid(x)


def embedding(inp, weight, padding_idx=None, max_norm=None, norm_type=None):
    """Rows of weight selected by the integer tensor inp."""
    idx = _t(inp)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices have dtype {idx.dtype}; expected an integer tensor")
    if _t(weight).ndim != 2:
        raise ValueError(f"embedding: weight has shape {_t(weight).shape}; "
                         "expected (num_embeddings, embedding_dim)")
    idx = idx.astype("int32")
    out = apply("index_select", _float(weight), reshape(idx, (-1,)), axis=0)
    return reshape(out, idx.shape + (weight.shape[1],))


def pad(src, pad_width, mode="constant", constant_value=0.0):
    """Pads with a constant; pad_width holds (before, after) per dimension."""
    x = _t(src)
    if mode != "constant":
        raise ValueError(f"pad: mode {mode!r} is not supported; expected 'constant'")
    widths = [tuple(p) for p in pad_width]
    if len(widths) != x.ndim or any(len(p) != 2 for p in widths):
        raise ValueError(f"pad: pad_width {pad_width} must have one (before, after) pair for each "
                         f"of the {x.ndim} dimensions of {x.shape}")
    pads = [int(v) for p in widths for v in p]
    return apply("pad", x, pads=pads, value=float(constant_value))


def one_hot(inp, num_classes):
    labels = _t(inp)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels have dtype {labels.dtype}; expected an integer tensor")
    return apply("one_hot", labels.astype("int32"), num_classes=int(num_classes))


def _reduce_loss(loss, reduction, op):
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: unknown reduction {reduction!r}; expected 'mean', 'sum' or 'none'")


def cross_entropy(pred, label, axis=1, with_logits=True, label_smooth=0, reduction="mean"):
    """Cross-entropy between class scores along `axis` and integer labels."""
    x = _float(pred)
    label = _t(label)
    if label.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: label has dtype {label.dtype}; expected an integer tensor")
    axis = _checked_axis("cross_entropy", axis, x)
    expected = x.shape[:axis] + x.shape[axis + 1:]
    if label.shape != expected:
        raise ValueError(f"cross_entropy: label has shape {label.shape}; expected {expected} "
                         f"for predictions of shape {x.shape} along axis {axis}")
    logp = logsoftmax(x, axis) if with_logits else log(x)
    if axis != x.ndim - 1:
        perm = [a for a in range(x.ndim) if a != axis] + [axis]
        logp = transpose(logp, perm)
    onehot = one_hot(label, x.shape[axis])
    if label_smooth:
        onehot = onehot * (1 - label_smooth) + label_smooth / x.shape[axis]
    loss = -sum(logp * onehot, axis=-1)
    return _reduce_loss(loss, reduction, "cross_entropy")


def square_loss(pred, label, reduction="mean"):
    d = _float(pred) - _float(label)
    return _reduce_loss(d * d, reduction, "square_loss")


def l1_loss(pred, label, reduction="mean"):
    return _reduce_loss(_abs(_float(pred) - _float(label)), reduction, "l1_loss")


def binary_cross_entropy(pred, label, with_logits=True, reduction="mean"):
    x, y = _float(pred), _float(label)
    if x.shape != y.shape:
        raise ValueError(f"binary_cross_entropy: pred {x.shape} and label {y.shape}; expected equal shapes")
    if with_logits:  # log(1 + exp(-|x|)) + max(x, 0) - x * y, stable for large |x|
        loss = log(exp(-_abs(x)) + 1.0) + relu(x) - x * y
    else:
        loss = -(y * log(x) + (1 - y) * log(1 - x))
    return _reduce_loss(loss, reduction, "binary_cross_entropy")


def topk_accuracy(logits, target, topk=1):
    """Fraction of rows whose target is among the top-k logits (a tuple of
    results when topk is a tuple)."""
    scores = _t(logits).numpy()
    labels = _t(target).numpy().reshape(-1)
    ks = (topk,) if isinstance(topk, int) else tuple(topk)
    order = np.argsort(-scores, axis=1, kind="stable")
    accs = tuple(Tensor(np.float32((order[:, :k] == labels[:, None]).any(axis=1).mean())) for k in ks)
    return accs[0] if isinstance(topk, int) else accs
