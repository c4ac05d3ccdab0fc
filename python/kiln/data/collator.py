"""Collation: turning a list of samples into one batch."""
import numbers

import numpy as np


def default_collate(samples):
    """Stacks samples along a new axis 0, field by field: tuples and lists
    of fields give a tuple of arrays, dicts a dict, arrays and numbers one
    array (MegEngine's Collator)."""
    elem = samples[0]
    if isinstance(elem, (tuple, list)):
        return tuple(default_collate(list(field)) for field in zip(*samples))
    if isinstance(elem, dict):
        return {key: default_collate([s[key] for s in samples]) for key in elem}
    if isinstance(elem, (numbers.Number, np.generic)):
        return np.array(samples)
    return np.stack([np.asarray(s) for s in samples])
