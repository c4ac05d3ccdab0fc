import os
import sys

import numpy as np
import pytest

# The suite runs against the development install (tools/build.sh); when run
# from a checkout without it, fall back to the in-tree package.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))

import kiln  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(2)
kiln.set_num_threads(2)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
