"""Adam, with PyTorch's torch.optim.Adam update."""
import math

import numpy as np

from .. import _C
from ..functional import expm1, sqrt
from .optimizer import Optimizer


def _log(beta):
    return math.log(beta) if beta > 0 else None


class Adam(Optimizer):
    """For each parameter p with gradient g, at step t (PyTorch's formulas):

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    State: "step" (a 0-d float32 tensor), "exp_avg" (m) and "exp_avg_sq" (v).
    The bias corrections 1 - beta^t are tensor ops on "step", evaluated as
    -expm1(t * log(beta)), which is exact to float32 rounding even where
    1 - beta^t cancels.
    """

    _decoupled_weight_decay = False

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def _check_group(self, group):
        super()._check_group(group)
        betas = group["betas"]
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"{type(self).__name__}: betas are {betas}; expected two values in [0, 1)")
        if group["eps"] < 0:
            raise ValueError(f"{type(self).__name__}: eps is {group['eps']}; expected eps >= 0")

    def _create_state(self, param, group):
        return {"step": _C.Tensor(np.zeros((), np.float32)), "exp_avg": self._zeros_like(param),
                "exp_avg_sq": self._zeros_like(param)}

    def _update_group(self, group):
        lr = self._hyper(group, "lr")
        beta1, beta2 = group["betas"]
        eps, weight_decay = group["eps"], group["weight_decay"]
        log_beta1, log_beta2 = _log(beta1), _log(beta2)
        decoupled = self._decoupled_weight_decay
        state = self._state
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            base = p
            if weight_decay:
                if decoupled:
                    base = p * (1 - lr * weight_decay)
                else:
                    g = g + p * weight_decay
            st = state[id(p)]
            step, m, v = st["step"], st["exp_avg"], st["exp_avg_sq"]
            step._reset(step + 1)
            m._reset(m * beta1 + g * (1 - beta1))
            v._reset(v * beta2 + g * g * (1 - beta2))
            # p -= lr / c1 * m / (sqrt(v) / sqrt(c2) + eps) with c = 1 - beta^t, computed
            # as p -= (lr * sqrt(c2) / c1) * m / (sqrt(v) + eps * sqrt(c2)): the bias
            # corrections stay in 0-d tensors, saving a pass over the parameter.
            if log_beta2 is not None:
                sqrt_c2 = sqrt(-expm1(step * log_beta2))
                step_size, eps_hat = sqrt_c2 * lr, sqrt_c2 * eps
            else:
                step_size, eps_hat = lr, eps
            if log_beta1 is not None:
                step_size = step_size / -expm1(step * log_beta1)
            p._reset(base - m / (sqrt(v) + eps_hat) * step_size)
