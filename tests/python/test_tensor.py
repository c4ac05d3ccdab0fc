import numpy as np
import pytest

import kiln
import kiln.functional as F


def test_construction_dtype_rules():
    assert kiln.tensor(np.zeros(3, np.float64)).dtype == np.float32
    assert kiln.tensor(np.zeros(3, np.int64)).dtype == np.int32
    assert kiln.tensor([1, 2]).dtype == np.int32
    assert kiln.tensor([1.5]).dtype == np.float32
    assert kiln.tensor([True]).dtype == np.bool_
    assert kiln.tensor(np.zeros(2, np.float16)).dtype == np.float16
    assert kiln.tensor(np.zeros(2, np.uint8)).dtype == np.uint8
    assert kiln.tensor(3.0, dtype="int32").dtype == np.int32
    assert kiln.Tensor([1, 2], dtype=np.float32).dtype == np.float32
    with pytest.raises(TypeError, match="complex"):
        kiln.tensor(np.zeros(2, np.complex64))
    with pytest.raises(TypeError, match="dtype"):
        kiln.tensor([1.0], dtype="float64x")
    with pytest.raises(ValueError, match="device"):
        kiln.tensor([1.0], device="gpu7")


def test_numpy_shares_memory_and_is_read_only():
    a = np.arange(6, dtype=np.float32)
    t = kiln.tensor(a)
    out = t.numpy()
    assert np.shares_memory(a, out)
    assert not out.flags.writeable
    assert np.array(t).flags.writeable


def test_attributes_and_scalar_conversions():
    t = kiln.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.device == "cpu"
    assert float(t[1, 2]) == 5.0 and int(t[1, 2]) == 5 and t[0, 1].item() == 1.0
    assert bool(kiln.tensor([1.0]))
    with pytest.raises(ValueError, match="one element"):
        bool(t)
    assert "Tensor([[0., 1., 2.]" in repr(t)
    assert [row.shape for row in t] == [(3,), (3,)]


def test_methods_match_numpy(rng):
    a = rng.normal(size=(2, 3, 4)).astype(np.float32)
    t = kiln.tensor(a)
    np.testing.assert_array_equal(t.reshape(4, 6).numpy(), a.reshape(4, 6))
    np.testing.assert_array_equal(t.reshape(-1, 4).numpy(), a.reshape(-1, 4))
    np.testing.assert_array_equal(t.transpose(2, 0, 1).numpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(t.T.numpy(), a.T)
    np.testing.assert_array_equal(t.flatten().numpy(), a.flatten())
    np.testing.assert_allclose(t.sum(axis=1).numpy(), a.sum(axis=1), rtol=1e-6)
    np.testing.assert_allclose(t.mean(axis=(0, 2), keepdims=True).numpy(),
                               a.mean(axis=(0, 2), keepdims=True), rtol=1e-6)
    np.testing.assert_array_equal(t.max().numpy(), a.max())
    np.testing.assert_array_equal(t.astype("int32").numpy(), a.astype(np.int32))
    np.testing.assert_array_equal(t.detach().numpy(), a)


INDICES = [
    (1,), (-1,), (slice(None, None, 2),), (slice(3, 0, -1),), (Ellipsis, 1), (None, 0),
    (1, slice(None), 2), ([0, 2],), ([[0, 1], [2, 0]],), (slice(None), [1, 0, 1]),
    ([0, 1], [1, 2]), ([0, 1], slice(None), [2, 3]), (np.array([True, False, True, True]),),
    (slice(1, 3), None, Ellipsis), (Ellipsis,), (slice(5, 9),),
]


@pytest.mark.parametrize("index", INDICES, ids=[repr(i) for i in INDICES])
def test_getitem_matches_numpy(index, rng):
    a = rng.normal(size=(4, 3, 5)).astype(np.float32)
    np.testing.assert_array_equal(kiln.tensor(a)[index].numpy(), a[index])


def test_getitem_with_tensor_indices_and_masks(rng):
    a = rng.normal(size=(5, 4)).astype(np.float32)
    t = kiln.tensor(a)
    idx = kiln.tensor(np.array([4, -1, 0], np.int32))
    np.testing.assert_array_equal(t[idx].numpy(), a[[4, -1, 0]])
    np.testing.assert_array_equal(t[t > 0].numpy(), a[a > 0])
    rows = kiln.tensor(np.arange(5, dtype=np.int32))
    labels = kiln.tensor(np.array([0, 3, 1, 2, 3], np.int32))
    np.testing.assert_array_equal(t[rows, labels].numpy(), a[np.arange(5), [0, 3, 1, 2, 3]])


@pytest.mark.parametrize("index", [(1,), (slice(None), 2), ([0, 2],), (np.array([True, False, True, False]),),
                                   (Ellipsis, slice(1, 3))])
def test_setitem_matches_numpy(index, rng):
    a = rng.normal(size=(4, 3)).astype(np.float32)
    t = kiln.tensor(a.copy())
    t[index] = 7.0
    expected = a.copy()
    expected[index] = 7.0
    np.testing.assert_array_equal(t.numpy(), expected)


def test_bad_indices_raise_index_errors():
    t = kiln.tensor(np.zeros((3, 4), np.float32))
    with pytest.raises(IndexError, match="out of bounds"):
        t[3]
    with pytest.raises(IndexError, match="out of bounds"):
        t[:, [0, 4]]
    with pytest.raises(IndexError, match=r"index 5 .*out of range.*\(3, 4\)"):
        t[kiln.tensor(np.array([5], np.int32))]
    with pytest.raises(IndexError, match="too many indices"):
        t[0, 0, 0]
    with pytest.raises(IndexError):
        t[1.5]


def test_allocator_reuses_freed_blocks():
    from kiln import _C
    x = kiln.tensor(np.ones((256, 256), np.float32))
    for _ in range(3):
        (x * 2 + 1).numpy()
    before = _C.allocator_stats()["system_allocs"]
    for _ in range(20):
        (x * 2 + 1).numpy()
    assert _C.allocator_stats()["system_allocs"] == before


def test_threads_setting():
    kiln.set_num_threads(1)
    assert kiln.get_num_threads() == 1
    kiln.set_num_threads(2)
    with pytest.raises(ValueError):
        kiln.set_num_threads(0)
