"""kiln.runtime: run a model file with the C++ runtime that kiln-run uses.

    model = kiln.runtime.Model("model.kiln")
    model.inputs        # [TensorInfo(name='x', dtype=float32, shape=(None, 1, 28, 28))]
    logits = model(x)   # or model(x=x); numpy in, numpy out
"""
from collections import namedtuple

import numpy as np

from . import _C

ModelFormatError = _C.ModelFormatError  # a ValueError: malformed or hostile model files

TensorInfo = namedtuple("TensorInfo", ["name", "dtype", "shape"])  # None: a dynamic dimension


class Model:
    def __init__(self, path_or_bytes):
        """Loads a model file from a path or from its bytes; the file is
        validated (ModelFormatError names what is wrong)."""
        self._impl = _C.RuntimeModel(path_or_bytes)
        self.inputs = [TensorInfo(*s) for s in self._impl.inputs]
        self.outputs = [TensorInfo(*s) for s in self._impl.outputs]

    @property
    def metadata(self):
        return dict(self._impl.metadata)

    @property
    def peak_arena_bytes(self):
        """Arena bytes of the last run (intermediate values)."""
        return self._impl.peak_arena_bytes

    def __call__(self, *args, **kwargs):
        """Runs on arrays given by position (model.inputs order) or by name;
        returns one array for a one-output model, else a tuple in
        model.outputs order."""
        if len(args) > len(self.inputs):
            raise ValueError(f"model takes {len(self.inputs)} inputs "
                             f"({', '.join(i.name for i in self.inputs)}); got {len(args)}")
        named = {info.name: value for info, value in zip(self.inputs, args)}
        for name, value in kwargs.items():
            if name in named:
                raise ValueError(f"input '{name}' given twice")
            named[name] = value
        missing = [i.name for i in self.inputs if i.name not in named]
        if missing:
            raise ValueError(f"missing inputs {missing}; the model takes "
                             f"{[i.name for i in self.inputs]}")
        arrays = [(name, value.numpy() if isinstance(value, _C.Tensor) else np.asarray(value))
                  for name, value in named.items()]
        out = self._impl.run(arrays)
        results = tuple(out[o.name] for o in self.outputs)
        return results[0] if len(results) == 1 else results

    def __repr__(self):
        def fmt(infos):
            dims = lambda shape: "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"
            return ", ".join(f"{i.name}: {i.dtype}{dims(i.shape)}" for i in infos)
        return f"kiln.runtime.Model(inputs=[{fmt(self.inputs)}], outputs=[{fmt(self.outputs)}])"
