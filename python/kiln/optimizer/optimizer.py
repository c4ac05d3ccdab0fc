"""kiln.optimizer.Optimizer: the base class of SGD, Adam and AdamW.

Contract shared by every optimizer:

* ``param_groups`` is a list of dicts, each with "params" (a list of
  tensors) and the hyperparameters; a group's values may be assigned
  between steps (``opt.param_groups[0]["lr"] = 0.01``) and take effect at
  the next ``step()``.
* Per-parameter state (momentum buffers, Adam moments, step counts) is kiln
  Tensors created when a parameter is added; ``step()`` updates state and
  parameters with ``_reset``, so every handle stays the same object and
  modules, GradManagers and traced functions keep seeing it.
* The arithmetic of ``step()`` is kiln tensor ops; hyperparameters enter it
  through ``_hyper(group, name)``. The learning rate is a 0-d tensor that
  assigning ``group["lr"]`` rewrites in place, so a traced training step,
  which replays without running Python, still sees every change.
* Parameters whose ``.grad`` is None are skipped by ``step()``.
"""
import numpy as np

from .. import _C
from ..functional import zeros

Tensor = _C.Tensor


class _ParamGroup(dict):
    """A parameter group: a dict whose tensor-valued hyperparameters (lr)
    mirror their Python float into a 0-d tensor on assignment."""

    _TENSOR_HYPERS = ("lr",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._tensors = {}

    def make_tensors(self):
        """Creates the hyperparameter tensors now: a tensor first made inside
        a traced step would be a constant of that trace, not state."""
        for key in self._TENSOR_HYPERS:
            if key in self:
                self.tensor(key)

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        if key in self._tensors:
            self._tensors[key]._reset(Tensor(np.float32(value)))

    def tensor(self, key):
        t = self._tensors.get(key)
        if t is None:
            t = self._tensors[key] = Tensor(np.float32(self[key]))
        return t


class Optimizer:
    """Base class. Subclasses define ``_create_state(param, group)``
    (returning the parameter's state as {name: Tensor}) and
    ``_update_group(group)``; ``defaults`` holds every hyperparameter."""

    def __init__(self, params, defaults):
        self._defaults = dict(defaults)
        self._state = {}  # id(param) -> {state name: Tensor}
        self.param_groups = []
        if isinstance(params, (Tensor, dict)):
            params = [params]
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if all(isinstance(p, dict) for p in params):
            groups = params
        elif any(isinstance(p, dict) for p in params):
            raise TypeError(f"{type(self).__name__}: params mixes dicts (parameter groups) and tensors")
        else:
            groups = [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Adds a dict with "params" and optional hyperparameters (the
        optimizer's defaults fill the rest) and creates its state."""
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"add_param_group: expected a dict with a 'params' entry; got {param_group!r}")
        group = _ParamGroup(param_group)
        params = group["params"]
        if isinstance(params, (set, frozenset)):
            raise TypeError("add_param_group: params is a set, whose order changes between runs; use a list")
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"add_param_group: params[{i}] is a {type(p).__name__}; "
                                "expected a kiln Tensor")
            if p.dtype.kind != "f":
                raise TypeError(f"add_param_group: params[{i}] has dtype {p.dtype}; expected a float tensor")
            if id(p) in seen:
                raise ValueError(f"add_param_group: params[{i}] (shape {p.shape}) appears in more than "
                                 "one place of the optimizer's parameter groups")
            seen.add(id(p))
        group["params"] = params
        for name, value in self._defaults.items():
            group.setdefault(name, value)
        self._check_group(group)
        group.make_tensors()
        for p in params:
            self._state[id(p)] = self._create_state(p, group)
        self.param_groups.append(group)

    def _check_group(self, group):
        """Raises ValueError for invalid hyperparameters (subclasses extend)."""
        if group["lr"] < 0:
            raise ValueError(f"{type(self).__name__}: lr is {group['lr']}; expected lr >= 0")
        if group.get("weight_decay", 0.0) < 0:
            raise ValueError(f"{type(self).__name__}: weight_decay is {group['weight_decay']}; expected >= 0")

    def _create_state(self, param, group):
        return {}

    @staticmethod
    def _zeros_like(param):
        return zeros(param.shape, dtype=param.dtype)

    def _hyper(self, group, name):
        """Hyperparameter `name` for this step: a 0-d tensor for the ones a
        traced step must read at replay (lr), else the group's Python value."""
        if name in _ParamGroup._TENSOR_HYPERS:
            return group.tensor(name)
        return group[name]

    def step(self):
        """Updates every parameter that has a gradient; returns self."""
        for group in self.param_groups:
            self._update_group(group)
        return self

    def _update_group(self, group):
        raise NotImplementedError

    def clear_grad(self):
        """Sets ``.grad`` of every parameter to None."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    zero_grad = clear_grad

    # State ----------------------------------------------------------------

    def state_dict(self):
        """{"param_groups": [group with "params" as integer ids],
        "state": {id: {name: numpy array}}}: a picklable copy, the ids
        numbering parameters across groups in order."""
        groups, state, index = [], {}, 0
        for group in self.param_groups:
            ids = list(range(index, index + len(group["params"])))
            for i, p in zip(ids, group["params"]):
                state[i] = {name: np.array(t.numpy()) for name, t in self._state[id(p)].items()}
            index += len(ids)
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = ids
            groups.append(saved)
        return {"param_groups": groups, "state": state}

    def load_state_dict(self, state_dict):
        """Loads what ``state_dict()`` returned, into the existing state
        tensors (in place) and hyperparameters. The group structure must
        match this optimizer's; every mismatch raises ValueError before
        anything is changed."""
        name = type(self).__name__
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: {len(saved_groups)} parameter groups saved; "
                             f"this optimizer has {len(self.param_groups)}")
        updates = []
        for g, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: group {g} has {len(saved['params'])} "
                                 f"parameters saved; this optimizer's has {len(group['params'])}")
            if set(saved) != set(group):
                raise ValueError(f"{name}.load_state_dict: group {g} has keys {sorted(saved)}; "
                                 f"expected {sorted(group)}")
            for i, p in zip(saved["params"], group["params"]):
                if i not in saved_state:
                    raise ValueError(f"{name}.load_state_dict: no state saved for parameter {i}")
                own = self._state[id(p)]
                if set(saved_state[i]) != set(own):
                    raise ValueError(f"{name}.load_state_dict: parameter {i} has state "
                                     f"{sorted(saved_state[i])}; expected {sorted(own)}")
                for key, tensor in own.items():
                    value = np.array(saved_state[i][key], dtype=tensor.dtype)
                    if value.shape != tensor.shape:
                        raise ValueError(f"{name}.load_state_dict: state '{key}' of parameter {i} has "
                                         f"shape {value.shape}; expected {tensor.shape}")
                    updates.append((tensor, value))
        for tensor, value in updates:
            tensor._reset(Tensor(value))
        for group, saved in zip(self.param_groups, saved_groups):
            for key, value in saved.items():
                if key != "params":
                    group[key] = value

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"  group {i}: {len(group['params'])} params, "
                         + ", ".join(f"{k}={v}" for k, v in group.items() if k != "params"))
        return "\n".join(lines) + "\n)"
