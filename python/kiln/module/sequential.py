"""Sequential: a chain of modules."""
from collections import OrderedDict

from .module import Module


class Sequential(Module):
    """Calls its modules in order, each on the previous one's output.

    ``Sequential(a, b)`` names the layers "0", "1" (state dict keys "0.weight",
    ...); ``Sequential(OrderedDict(fc=a, act=b))`` uses the given names.
    Supports len(), iteration, integer indexing (negative too), slicing
    (a new Sequential sharing the layers), item assignment and deletion.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(**kwargs)
        self.layer_keys = []
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            items = list(args[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(args)]
        for key, module in items:
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: layer '{key}' is a {type(module).__name__}; expected a Module")
            setattr(self, key, module)
            self.layer_keys.append(key)

    @property
    def layer_values(self):
        return [getattr(self, key) for key in self.layer_keys]

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict((k, getattr(self, k)) for k in self.layer_keys[idx]))
        return getattr(self, self.layer_keys[idx])

    def __setitem__(self, idx, module):
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: cannot set a {type(module).__name__}; expected a Module")
        setattr(self, self.layer_keys[idx], module)

    def __delitem__(self, idx):
        keys = self.layer_keys[idx] if isinstance(idx, slice) else [self.layer_keys[idx]]
        for key in keys:
            delattr(self, key)
            self.layer_keys.remove(key)

    def __len__(self):
        return len(self.layer_keys)

    def __iter__(self):
        return iter(self.layer_values)

    def forward(self, x):
        for key in self.layer_keys:
            x = getattr(self, key)(x)
        return x
