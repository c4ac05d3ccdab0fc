"""Golden model files (tests/golden, written by an earlier kiln) keep loading
and reproduce their recorded outputs, in Python and through kiln-run."""
import glob
import os
import subprocess

import numpy as np
import pytest

from kiln.runtime import Model
from test_runtime import KILN_RUN

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "golden")
MODELS = sorted(glob.glob(os.path.join(GOLDEN, "*.kiln")))


def test_there_are_golden_models():
    assert len(MODELS) >= 2


@pytest.mark.parametrize("path", MODELS, ids=os.path.basename)
def test_golden_model_reproduces_its_outputs(path, tmp_path):
    stem = path[:-len(".kiln")]
    x, y = np.load(stem + ".x.npy"), np.load(stem + ".y.npy")
    np.testing.assert_allclose(Model(path)(x), y, rtol=1e-5, atol=1e-6)
    result = subprocess.run([KILN_RUN, path, "--input", f"x={stem}.x.npy", "--output-dir", tmp_path],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), y, rtol=1e-5, atol=1e-6)
