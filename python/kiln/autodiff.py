"""kiln.autodiff.GradManager: MegEngine's gradient recording API.

    gm = GradManager().attach(model.parameters())
    with gm:
        loss = loss_fn(model(x), y)
        gm.backward(loss)       # accumulates into each attached tensor's .grad
"""
from . import _C


class GradManager:
    def __init__(self):
        self._impl = _C.GradManager()

    def attach(self, params, callbacks=None):
        """Attaches tensors (one or an iterable); returns self for chaining."""
        if callbacks is not None:
            raise ValueError("GradManager.attach: callbacks are not supported")
        params = [params] if isinstance(params, _C.Tensor) else list(params)
        for p in params:
            if not isinstance(p, _C.Tensor):
                raise TypeError(f"GradManager.attach: expected Tensors; got {type(p).__name__}")
        self._impl.attach(params)
        return self

    def attached_tensors(self):
        return self._impl.attached()

    def record(self):
        self._impl.record()

    def release(self):
        self._impl.release()

    @property
    def is_recording(self):
        return self._impl.recording

    def backward(self, y=None, dy=None):
        """Backpropagates from y (a tensor or list) with gradients dy (None
        means 1 for a scalar y), accumulates into .grad and stops recording."""
        if y is None:
            raise ValueError("GradManager.backward: expected y")
        ys = list(y) if isinstance(y, (list, tuple)) else [y]
        if dy is None:
            dys = [None] * len(ys)
        else:
            dys = list(dy) if isinstance(dy, (list, tuple)) else [dy]
        dys = [d if d is None or isinstance(d, _C.Tensor) else _C.Tensor(d) for d in dys]
        self._impl.backward(ys, dys)

    def __enter__(self):
        self.record()
        return self

    def __exit__(self, *exc):
        self.release()
        return False
