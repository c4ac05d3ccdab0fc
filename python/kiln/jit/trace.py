"""kiln.jit.trace: records a Python function into a static graph on its first
call and replays the compiled graph on later calls with the same signature.

    @trace(symbolic=True)
    def train_step(x, y):
        with gm:
            loss = F.cross_entropy(model(x), y)
            gm.backward(loss)
        opt.step()
        opt.clear_grad()
        return loss

What a replay does and does not do:
- It runs the recorded ops only. Python side effects inside the function
  (printing, appending to lists, reading the clock) happen on the tracing
  call alone, as with tf.function.
- Tensors the function reads that existed before it was called (parameters,
  buffers, optimizer state, the learning rate) are state: each replay reads
  their current values and writes back the ones the function assigned.
- A call whose tensor shapes/dtypes or non-tensor arguments differ from every
  compiled entry traces again; a warning says when one function keeps
  retracing.
- Reading a tensor's value into Python (``bool``, ``item``, ``numpy``,
  ``int``, ``float``, iteration) while tracing raises TraceError naming your
  line, because the value would be baked into the graph. Pass
  ``allow_value_reads=True`` to bake it anyway (with a warning).
"""
import functools
import os
import sys
import warnings

from .. import _C

Tensor = _C.Tensor
_KILN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_active = []  # the trace objects recording now (at most one)


def _kiln_version():
    from .. import __version__
    return __version__


class TraceError(RuntimeError):
    """A traced function did something a static graph cannot express."""


def _user_frame():
    """The innermost stack frame outside kiln's package: the user's line."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_KILN_DIR):
        frame = frame.f_back
    return frame


def _value_read(tensor, what):
    """Called when a traced tensor's value is read into Python."""
    frame = _user_frame()
    where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame else "<unknown>"
    owner = _active[-1] if _active else None
    message = (f"{where}: reading a tensor's value into Python ({what}) while tracing "
               f"would bake this call's data into the graph")
    if owner is None or not owner._allow_value_reads or not _C.has_value(tensor):
        raise TraceError(message + "; compute with tensor ops instead, or pass "
                         "allow_value_reads=True to trace(...) to bake the value in")
    warnings.warn(message + " (baked in: allow_value_reads=True)", stacklevel=3)
    return tensor._numpy()


def _flatten(obj, tensors, path="out"):
    """Replaces each tensor in a nested structure by a _Slot holding its index in
    `tensors` (where the tensor is appended with its output name)."""
    if isinstance(obj, Tensor):
        tensors.append((path, obj))
        return _Slot(len(tensors) - 1)
    if isinstance(obj, (list, tuple)):
        items = [_flatten(v, tensors, f"{path}_{i}") for i, v in enumerate(obj)]
        return type(obj)(items) if not hasattr(obj, "_fields") else type(obj)(*items)
    if isinstance(obj, dict):
        return {k: _flatten(v, tensors, f"{path}_{k}") for k, v in obj.items()}
    return obj


def _unflatten(template, tensors):
    if isinstance(template, _Slot):
        return tensors[template.index]
    if isinstance(template, (list, tuple)):
        items = [_unflatten(v, tensors) for v in template]
        return type(template)(items) if not hasattr(template, "_fields") else type(template)(*items)
    if isinstance(template, dict):
        return {k: _unflatten(v, tensors) for k, v in template.items()}
    return template


class _Slot:
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index

    def __eq__(self, other):
        return isinstance(other, _Slot) and other.index == self.index

    def __hash__(self):
        return hash(("slot", self.index))


def _signature(args, kwargs):
    """The cache key of a call and its tensor arguments in order."""
    tensors = []
    structure = _flatten((args, kwargs), tensors, "arg")
    key = tuple((t.shape, str(t.dtype)) for _, t in tensors)
    try:
        hash(_freeze(structure))
    except TypeError as e:
        raise TraceError(f"trace: a non-tensor argument is not hashable ({e}); traced "
                         "functions take tensors and hashable constants") from None
    return (key, _freeze(structure)), [t for _, t in tensors], [name for name, _ in tensors]


def _freeze(obj):
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__,) + tuple(_freeze(v) for v in obj)
    if isinstance(obj, dict):
        return ("dict",) + tuple(sorted((k, _freeze(v)) for k, v in obj.items()))
    return obj


class _Entry:
    """One compiled signature: the graph, its executable and the state handles."""

    def __init__(self, graph, states, output_template, num_outputs, arg_names):
        self.graph = graph
        self.arg_names = arg_names
        self.states = list(states)
        self.output_template = output_template
        self.executable = _C.Executable(graph)
        self.num_outputs = num_outputs

    def run(self, tensors):
        outputs = self.executable.run(tensors, self.states)
        return _unflatten(self.output_template, outputs)


class trace:
    """Decorator/wrapper: ``@trace``, ``@trace(symbolic=True)`` or
    ``trace(fn, capture_as_const=True)``."""

    def __init__(self, function=None, *, symbolic=False, capture_as_const=False,
                 allow_value_reads=False, retrace_warning=4):
        self._function = function
        self._symbolic = symbolic
        self._capture_as_const = capture_as_const
        self._allow_value_reads = allow_value_reads
        self._retrace_warning = retrace_warning
        self._entries = {}
        self._last_entry = None
        self._traces = 0
        if function is not None:
            functools.update_wrapper(self, function)

    def __call__(self, *args, **kwargs):
        if self._function is None:  # @trace(...) applied to the function
            if len(args) != 1 or kwargs or not callable(args[0]):
                raise TypeError("trace(...) expects the function to trace")
            self._function = args[0]
            functools.update_wrapper(self, args[0])
            return self
        key, tensors, names = _signature(args, kwargs)
        entry = self._entries.get(key)
        if entry is None:
            return self._trace(key, tensors, names, args, kwargs)
        return entry.run(tensors)

    def __get__(self, instance, owner):  # methods: bind self like a function would
        if instance is None:
            return self
        return functools.partial(self.__call__, instance)

    def _trace(self, key, tensors, names, args, kwargs):
        self._traces += 1
        if self._traces > self._retrace_warning:
            warnings.warn(f"trace: {getattr(self._function, '__name__', 'function')} has been traced "
                          f"{self._traces} times (a new trace per new input signature); keep shapes "
                          "and non-tensor arguments fixed", stacklevel=3)
        tracer = _C.Tracer(self._symbolic, self._capture_as_const)
        tracer.begin()
        _active.append(self)
        try:
            for name, t in zip(names, tensors):
                tracer.add_argument(t, name, 0)
            result = self._function(*args, **kwargs)
            out_tensors = []
            template = _flatten(result, out_tensors)
            seen = set()
            for name, t in out_tensors:
                if id(t) in seen:
                    raise TraceError("trace: the function returns the same tensor twice")
                seen.add(id(t))
                tracer.add_output(t, name)
            graph = tracer.finish()
        except BaseException:
            tracer.abort()
            raise
        finally:
            _active.pop()
        entry = _Entry(graph, tracer.state_handles, template, len(out_tensors), names)
        entry.writes_constants = tracer.writes_constants
        self._entries[key] = entry
        self._last_entry = entry
        if self._symbolic:  # nothing ran while recording: run the compiled graph now
            return entry.run(tensors)
        return result

    def dump(self, file, *, arg_names=None, output_names=None, optimize_for_inference=True,
             user_info=None):
        """Writes the most recent trace as a kiln model file (FlatBuffers), for
        kiln-run, the C++ runtime and kiln.runtime.Model. Requires
        capture_as_const=True (parameters become constants). The leading
        (batch) dimension of every input is dynamic."""
        if not self._capture_as_const:
            raise TraceError("dump: trace the function with capture_as_const=True to dump it")
        entry = self._last_entry
        if entry is None:
            raise TraceError("dump: call the traced function once before dumping it")
        if entry.writes_constants or entry.graph.num_states:
            raise TraceError("dump: the traced function updates tensors it reads (for example "
                             "batch-norm running statistics in training mode); call model.eval() "
                             "before tracing it for dumping")
        inputs = arg_names or [f"arg_{i}" for i in range(len(entry.arg_names))]
        outputs = output_names or [f"out_{i}" for i in range(entry.num_outputs)]
        metadata = {"producer": f"kiln {_kiln_version()}"}
        if user_info is not None:
            metadata["user_info"] = str(user_info)
        try:
            _C.dump_model(entry.graph, str(file), list(inputs), list(outputs),
                          bool(optimize_for_inference), metadata)
        except ValueError as e:
            raise TraceError(str(e)) from None

    @property
    def graph(self):
        """The graph of the most recent trace (its text form via str())."""
        if self._last_entry is None:
            raise TraceError("trace: nothing has been traced yet; call the function first")
        return self._last_entry.graph
