"""kiln.module.Module: the base class of layers and models (MegEngine's Module).

A module's state is its attributes. Every attribute holding a Tensor, a
Module, or a list/tuple/dict of them is part of the tree that
``parameters()``, ``state_dict()`` and friends walk:

* a :class:`kiln.Parameter` is a parameter (what optimizers update);
* any other :class:`kiln.Tensor` is a buffer (running statistics, ...);
* a :class:`Module` is a child; list elements and dict values are reached as
  ``name.0`` / ``name.key``, so ``self.blocks = [Block(), Block()]`` works.

Names come out in the order the attributes were first assigned (MegEngine
sorts them; kiln keeps definition order, as PyTorch does), a tensor or module
reachable twice is reported once, under its first name.
"""
import collections
import collections.abc
from abc import ABCMeta, abstractmethod

import numpy as np

from .. import _C
from ..tensor import Parameter

Tensor = _C.Tensor
_CONTAINERS = (list, tuple, dict)


class StateDictError(KeyError, ValueError):
    """Missing or unexpected keys in ``load_state_dict`` (a KeyError, as in
    MegEngine, and a ValueError, as for every bad argument in kiln)."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _is_parameter(obj):
    return isinstance(obj, Parameter)


def _is_buffer(obj):
    return isinstance(obj, Tensor) and not isinstance(obj, Parameter)


def _is_tensor(obj):
    return isinstance(obj, Tensor)


def _is_module(obj):
    return isinstance(obj, Module)


def _expand(key, obj):
    """(dotted key, leaf) for the tensors and modules in obj, a leaf or a
    (nested) list, tuple or dict of them."""
    if isinstance(obj, (Tensor, Module)):
        yield key, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _expand(f"{key}.{k}", v)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _expand(f"{key}.{i}", v)


class Module(metaclass=ABCMeta):
    """Base class of all layers. Subclasses call ``super().__init__()``
    before assigning tensors or modules, and define :meth:`forward`."""

    def __init__(self, name=None):
        object.__setattr__(self, "_state_names", {})  # attribute name -> None, in order
        self.training = True
        self.name = name

    @abstractmethod
    def forward(self, *inputs, **kwargs):
        """Computes the module's output; called by ``module(*inputs)``."""

    def __call__(self, *inputs, **kwargs):
        return self.forward(*inputs, **kwargs)

    # Attribute tracking ---------------------------------------------------

    def __setattr__(self, name, value):
        names = self.__dict__.get("_state_names")
        if isinstance(value, (Tensor, Module) + _CONTAINERS):
            if names is None:
                raise AttributeError(f"cannot assign {type(value).__name__} to '{name}' before "
                                     f"{type(self).__name__}.__init__() calls Module.__init__()")
            names[name] = None
        elif names is not None:
            names.pop(name, None)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self.__dict__.get("_state_names", {}).pop(name, None)
        object.__delattr__(self, name)

    def _flatten(self, predicate, *, recursive=True, with_key=False, prefix="", seen=None):
        """Walks the tree depth-first in definition order and yields the
        leaves (or (dotted name, leaf) pairs) that satisfy predicate."""
        if seen is None:
            seen = {id(self)}
        for attr in self._state_names:
            for key, leaf in _expand(attr, self.__dict__.get(attr)):
                if id(leaf) in seen:
                    continue
                seen.add(id(leaf))
                if predicate(leaf):
                    yield (prefix + key, leaf) if with_key else leaf
                if recursive and isinstance(leaf, Module):
                    yield from leaf._flatten(predicate, recursive=True, with_key=with_key,
                                             prefix=prefix + key + ".", seen=seen)

    @staticmethod
    def _prefix(prefix):
        return "" if not prefix else prefix + "."

    # Traversal ------------------------------------------------------------

    def parameters(self, recursive=True, requires_grad=None):
        """Yields the Parameters of this module (and its descendants when
        recursive). requires_grad=True/False keeps only the parameters whose
        ``requires_grad`` attribute (True unless set on the Parameter) matches."""
        for _, p in self.named_parameters(recursive=recursive, requires_grad=requires_grad):
            yield p

    def named_parameters(self, prefix=None, recursive=True, requires_grad=None):
        """Yields (dotted name, Parameter) pairs, e.g. ("conv1.weight", w)."""
        def predicate(obj):
            return _is_parameter(obj) and (
                requires_grad is None or bool(getattr(obj, "requires_grad", True)) == requires_grad)
        yield from self._flatten(predicate, recursive=recursive, with_key=True,
                                 prefix=self._prefix(prefix))

    def buffers(self, recursive=True):
        """Yields the buffers: Tensor attributes that are not Parameters."""
        yield from self._flatten(_is_buffer, recursive=recursive)

    def named_buffers(self, prefix=None, recursive=True):
        yield from self._flatten(_is_buffer, recursive=recursive, with_key=True,
                                 prefix=self._prefix(prefix))

    def children(self):
        """Yields the direct submodules."""
        yield from self._flatten(_is_module, recursive=False)

    def named_children(self):
        yield from self._flatten(_is_module, recursive=False, with_key=True)

    def modules(self):
        """Yields this module, then every descendant module."""
        yield self
        yield from self._flatten(_is_module)

    def named_modules(self, prefix=None):
        """Yields ("", self) (or (prefix, self)), then (dotted name, module)."""
        yield ("" if prefix is None else prefix), self
        yield from self._flatten(_is_module, with_key=True, prefix=self._prefix(prefix))

    def apply(self, fn):
        """Calls fn(m) for every module m of the tree, self included."""
        for m in list(self.modules()):
            fn(m)
        return self

    # Modes ----------------------------------------------------------------

    def train(self, mode=True, recursive=True):
        """Sets ``training`` to mode on this module (and its descendants when
        recursive); BatchNorm and Dropout behave differently in training."""
        if recursive:
            for m in self.modules():
                m.training = bool(mode)
        else:
            self.training = bool(mode)
        return self

    def eval(self):
        """Same as ``train(False)``."""
        return self.train(False)

    # State ----------------------------------------------------------------

    def state_dict(self, prefix="", keep_var=False):
        """An OrderedDict from dotted names ("conv1.weight", "bn.running_mean")
        to copies of every parameter and buffer as numpy arrays (the tensors
        themselves with keep_var=True)."""
        out = collections.OrderedDict()
        for key, t in self._flatten(_is_tensor, with_key=True, prefix=prefix):
            out[key] = t if keep_var else np.array(t.numpy())
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copies values into this module's parameters and buffers in place
        (each handle is kept, so optimizers and GradManagers still see it).

        state_dict maps dotted names to arrays or Tensors; it may also be a
        callable ``f(name, tensor)`` returning the value or None to skip, as in
        MegEngine. Values are cast to each tensor's dtype. Shape mismatches
        raise ValueError naming every bad key; with strict=True, missing or
        unexpected keys raise StateDictError (a KeyError and a ValueError)
        naming them. Nothing is modified when an error is raised. Returns
        (missing_keys, unexpected_keys).
        """
        if isinstance(state_dict, collections.abc.Mapping):
            def lookup(key, _):
                return state_dict.get(key)
            given = list(state_dict.keys())
        elif callable(state_dict):
            lookup, given = state_dict, []
        else:
            raise TypeError("load_state_dict: expected a dict or a callable; "
                            f"got {type(state_dict).__name__}")

        own = self.state_dict(keep_var=True)
        missing, mismatched, updates = [], [], []
        for key, var in own.items():
            value = lookup(key, var)
            if value is None:
                missing.append(key)
                continue
            try:
                array = np.array(value, dtype=var.dtype)  # a copy: later edits of value do not leak in
            except (TypeError, ValueError) as e:
                raise TypeError(f"load_state_dict: '{key}' holds a {type(value).__name__} that cannot "
                                f"become a {var.dtype} array: {e}") from None
            if array.shape != var.shape:
                mismatched.append(f"'{key}': checkpoint has shape {array.shape}, the module {var.shape}")
            else:
                updates.append((var, array))
        unexpected = [k for k in given if k not in own]
        if mismatched:
            raise ValueError(f"load_state_dict: shape mismatch for {len(mismatched)} key(s): "
                             + "; ".join(mismatched))
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise StateDictError(f"load_state_dict(strict=True) into {type(self).__name__}: "
                                 + " and ".join(parts) + f"; the module has keys {list(own)}")
        for var, array in updates:
            var._reset(Tensor(array))
        return IncompatibleKeys(missing, unexpected)

    # Printing -------------------------------------------------------------

    def _module_info_string(self):
        """The part of repr() inside the parentheses, before the children."""
        return ""

    def __repr__(self):
        info = self._module_info_string()
        children = [f"({key}): " + repr(m).replace("\n", "\n  ") for key, m in self.named_children()]
        if not children:
            return f"{type(self).__name__}({info})"
        lines = ([info] if info else []) + children
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
