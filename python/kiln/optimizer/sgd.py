"""Stochastic gradient descent, with PyTorch's torch.optim.SGD update."""
from .optimizer import Optimizer


class SGD(Optimizer):
    """For each parameter p with gradient g (PyTorch's formulas, dampening 0):

        g = g + weight_decay * p
        buf = momentum * buf + g                 (momentum != 0; buf starts at 0)
        g = g + momentum * buf if nesterov else buf
        p = p - lr * g

    State: "momentum_buffer" for parameters of groups with momentum.
    """

    def __init__(self, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov,
                                      weight_decay=weight_decay))

    def _check_group(self, group):
        super()._check_group(group)
        if group["momentum"] < 0:
            raise ValueError(f"SGD: momentum is {group['momentum']}; expected momentum >= 0")
        if group["nesterov"] and group["momentum"] <= 0:
            raise ValueError("SGD: nesterov=True requires momentum > 0")

    def _create_state(self, param, group):
        return {"momentum_buffer": self._zeros_like(param)} if group["momentum"] else {}

    def _update_group(self, group):
        lr = self._hyper(group, "lr")
        momentum, weight_decay, nesterov = group["momentum"], group["weight_decay"], group["nesterov"]
        state = self._state
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if weight_decay:
                g = g + p * weight_decay
            if momentum:
                st = state[id(p)]
                buf = st.get("momentum_buffer")
                if buf is None:  # momentum was switched on after the group was added
                    buf = st["momentum_buffer"] = self._zeros_like(p)
                buf._reset(buf * momentum + g)
                g = g + buf * momentum if nesterov else buf
            p._reset(p - g * lr)
