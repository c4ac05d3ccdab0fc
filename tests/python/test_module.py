"""kiln.module: the Module tree, state dicts, and each layer against torch."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import kiln
import kiln.module as M
from kiln.autodiff import GradManager


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def close(a, b, rtol=1e-5, atol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


class Net(M.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = M.Linear(4, 8)
        self.bn = M.BatchNorm1d(8)
        self.blocks = [M.Linear(8, 8), M.Linear(8, 8, bias=False)]
        self.heads = {"out": M.Linear(8, 2)}
        self.scale = kiln.Parameter(np.ones((1,), np.float32))
        self.act = M.ReLU()

    def forward(self, x):
        x = self.act(self.bn(self.fc1(x)))
        for b in self.blocks:
            x = self.act(b(x))
        return self.heads["out"](x) * self.scale


# The Module tree -------------------------------------------------------------

def test_named_parameters_buffers_and_modules_in_definition_order():
    net = Net()
    assert [k for k, _ in net.named_parameters()] == [
        "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "blocks.0.weight", "blocks.0.bias",
        "blocks.1.weight", "heads.out.weight", "heads.out.bias", "scale"]
    assert [k for k, _ in net.named_buffers()] == ["bn.running_mean", "bn.running_var"]
    assert all(isinstance(p, kiln.Parameter) for p in net.parameters())
    assert not any(isinstance(b, kiln.Parameter) for b in net.buffers())
    assert [k for k, _ in net.named_children()] == ["fc1", "bn", "blocks.0", "blocks.1", "heads.out", "act"]
    assert list(net.children()) == [m for _, m in net.named_children()]
    names = [k for k, _ in net.named_modules()]
    assert names[0] == "" and names[1:] == ["fc1", "bn", "blocks.0", "blocks.1", "heads.out", "act"]
    assert next(net.modules()) is net
    assert [k for k, _ in net.named_parameters(prefix="net")][0] == "net.fc1.weight"
    assert [k for k, _ in net.named_parameters(recursive=False)] == ["scale"]


def test_shared_parameters_and_modules_are_listed_once():
    class Tied(M.Module):
        def __init__(self):
            super().__init__()
            self.a = M.Linear(3, 3)
            self.b = self.a
            self.w = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    t = Tied()
    assert [k for k, _ in t.named_parameters()] == ["a.weight", "a.bias"]
    assert list(t.state_dict()) == ["a.weight", "a.bias"]


def test_setattr_tracks_assignment_replacement_and_deletion():
    net = Net()
    net.extra = kiln.tensor(np.zeros(3, np.float32))  # a plain Tensor is a buffer
    assert "extra" in dict(net.named_buffers())
    net.extra = 3  # no longer a tensor: no longer state
    assert "extra" not in dict(net.named_buffers())
    net.fc1.bias = None
    assert "fc1.bias" not in net.state_dict()
    del net.act
    assert "act" not in dict(net.named_children())

    class Early(M.Module):
        def __init__(self):
            self.fc = M.Linear(2, 2)  # before Module.__init__

        def forward(self, x):
            return x

    with pytest.raises(AttributeError, match="before"):
        Early()


def test_parameters_requires_grad_filter():
    net = M.Linear(3, 2)
    net.bias.requires_grad = False
    assert [p is net.weight for p in net.parameters(requires_grad=True)] == [True]
    assert [p is net.bias for p in net.parameters(requires_grad=False)] == [True]
    assert len(list(net.parameters())) == 2


def test_train_and_eval_reach_every_module():
    net = Net()
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.train(False, recursive=False)
    assert not net.training and net.fc1.training


def test_repr_shows_children_and_settings():
    text = repr(M.Sequential(M.Linear(3, 4), M.ReLU()))
    assert text == ("Sequential(\n  (0): Linear(in_features=3, out_features=4, bias=True)\n"
                    "  (1): ReLU()\n)")
    conv = repr(M.Conv2d(2, 4, 3, groups=2))
    assert conv == "Conv2d(2, 4, kernel_size=(3, 3), groups=2)"


# State dicts ------------------------------------------------------------------

def test_state_dict_holds_numpy_copies():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == [k for k, _ in net.named_parameters()][:4] + ["bn.running_mean", "bn.running_var"] \
        + [k for k, _ in net.named_parameters()][4:]
    assert all(type(v) is np.ndarray for v in sd.values())
    assert sd["bn.running_mean"].shape == (1, 8, 1, 1)
    before = sd["fc1.weight"].copy()
    sd["fc1.weight"][...] = 7  # the copy is writable and independent of the model
    close(net.fc1.weight.numpy(), before)
    net.fc1.weight._reset(kiln.tensor(np.zeros((8, 4), np.float32)))
    close(sd["fc1.weight"], 7)


def test_load_state_dict_round_trip_keeps_handles():
    src, dst = Net(), Net()
    weight = dst.fc1.weight
    dst.load_state_dict(src.state_dict())
    assert dst.fc1.weight is weight
    for (k, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=k)
    x = kiln.tensor(rand(5, 4))
    src.eval(), dst.eval()
    np.testing.assert_array_equal(src(x).numpy(), dst(x).numpy())


def test_load_state_dict_copies_and_casts_values():
    net = M.Linear(2, 2)
    w = np.arange(4, dtype=np.float64).reshape(2, 2)
    net.load_state_dict({"weight": w, "bias": kiln.tensor(np.ones(2, np.float32))})
    assert net.weight.dtype == np.float32
    w[...] = -1  # later edits of the source do not leak into the module
    close(net.weight.numpy(), [[0, 1], [2, 3]])
    close(net.bias.numpy(), [1, 1])


def test_load_state_dict_errors_name_keys_and_change_nothing():
    net = M.Sequential(M.Linear(2, 3), M.Linear(3, 1))
    before = net.state_dict()
    sd = net.state_dict()
    del sd["1.bias"]
    sd["2.weight"] = np.zeros((1, 1), np.float32)
    sd["0.weight"] = np.zeros((3, 2), np.float32)
    with pytest.raises(M.StateDictError) as e:
        net.load_state_dict(sd)
    assert "missing keys ['1.bias']" in str(e.value) and "unexpected keys ['2.weight']" in str(e.value)
    assert isinstance(e.value, KeyError) and isinstance(e.value, ValueError)
    close(net.state_dict()["0.weight"], before["0.weight"])  # nothing was loaded

    bad = net.state_dict()
    bad["0.weight"] = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"'0.weight': checkpoint has shape \(2, 3\), the module \(3, 2\)"):
        net.load_state_dict(bad, strict=False)

    missing, unexpected = net.load_state_dict(sd, strict=False)
    assert missing == ["1.bias"] and unexpected == ["2.weight"]
    close(net[0].weight.numpy(), 0)
    close(net[1].bias.numpy(), before["1.bias"])


def test_load_state_dict_with_a_closure():
    net = M.Linear(2, 2)
    net.load_state_dict(lambda key, var: np.full(var.shape, 2.0) if key == "weight" else None, strict=False)
    close(net.weight.numpy(), 2)


# Sequential -------------------------------------------------------------------

def test_sequential_positional_and_ordered_dict():
    a, b, c = M.Linear(4, 3), M.ReLU(), M.Linear(3, 2)
    seq = M.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    head = seq[:2]
    assert isinstance(head, M.Sequential) and list(head) == [a, b]
    x = kiln.tensor(rand(5, 4))
    close(seq(x).numpy(), c(b(a(x))).numpy())

    named = M.Sequential(OrderedDict([("fc", a), ("act", b)]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named[1] is b
    seq[1] = M.Sigmoid()
    assert isinstance(seq[1], M.Sigmoid)
    del seq[1]
    assert len(seq) == 2 and list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(IndexError):
        seq[5]


# Initialisation ---------------------------------------------------------------

def test_default_initialisation_is_megengines_and_seeded():
    kiln.random.seed(3)
    lin = M.Linear(1000, 300)
    assert abs(lin.weight.numpy().std() / np.sqrt(1 / 1000) - 1) < 0.02
    assert abs(lin.weight.numpy().mean()) < 1e-3
    np.testing.assert_array_equal(lin.bias.numpy(), 0)
    kiln.random.seed(3)
    np.testing.assert_array_equal(M.Linear(1000, 300).weight.numpy(), lin.weight.numpy())

    conv = M.Conv2d(16, 32, 3)
    assert conv.weight.shape == (32, 16, 3, 3) and conv.bias.shape == (1, 32, 1, 1)
    assert abs(conv.weight.numpy().std() / np.sqrt(1 / (16 * 9)) - 1) < 0.05
    grouped = M.Conv2d(16, 32, (3, 1), groups=4, bias=False)
    assert grouped.weight.shape == (4, 8, 4, 3, 1) and grouped.bias is None
    emb = M.Embedding(500, 40)
    assert abs(emb.weight.numpy().std() - 1) < 0.03


def test_init_functions():
    w = kiln.Parameter(np.zeros((200, 300), np.float32))
    M.init.xavier_uniform_(w)
    bound = np.sqrt(6 / 500)
    assert w.numpy().max() <= bound and w.numpy().min() >= -bound and w.numpy().max() > 0.95 * bound
    M.init.msra_uniform_(w, a=0, nonlinearity="relu")
    bound = np.sqrt(2) * np.sqrt(3 / 300)
    assert w.numpy().max() <= bound and w.numpy().max() > 0.95 * bound
    M.init.fill_(w, 0.5)
    np.testing.assert_array_equal(w.numpy(), 0.5)
    fans = M.init.calculate_fan_in_and_fan_out
    assert fans(kiln.tensor(np.zeros((4, 8, 2, 3, 3), np.float32))) == (18, 288)  # grouped
    assert fans(kiln.tensor(np.zeros((32, 2, 3, 3), np.float32))) == (18, 288)
    with pytest.raises(ValueError, match="nonlinearity"):
        M.init.calculate_gain("swish")


# Layers against torch ---------------------------------------------------------

def test_linear_forward_and_gradients_match_torch():
    lin = M.Linear(5, 3)
    t = torch.nn.Linear(5, 3)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(lin.weight.numpy()))
        t.bias.copy_(torch.tensor(lin.bias.numpy()))
    x = rand(4, 5)
    gm = GradManager().attach(lin.parameters())
    with gm:
        y = lin(kiln.tensor(x))
        gm.backward((y * y).sum())
    ty = t(torch.tensor(x))
    (ty * ty).sum().backward()
    close(y.numpy(), ty.detach().numpy())
    close(lin.weight.grad.numpy(), t.weight.grad.numpy())
    close(lin.bias.grad.numpy(), t.bias.grad.numpy())


@pytest.mark.parametrize("cls,tfn", [(M.ReLU, torch.relu), (M.Sigmoid, torch.sigmoid),
                                     (M.GELU, torch.nn.functional.gelu), (M.Identity, lambda x: x)])
def test_activations_match_torch(cls, tfn):
    x = rand(3, 7) * 3
    close(cls()(kiln.tensor(x)).numpy(), tfn(torch.tensor(x)).numpy())


@pytest.mark.parametrize("groups", [1, 2])
def test_conv2d_matches_torch(groups):
    conv = M.Conv2d(4, 6, 3, stride=2, padding=1, dilation=1, groups=groups)
    conv.bias._reset(kiln.tensor(rand(1, 6, 1, 1, seed=2)))
    x = rand(2, 4, 7, 7, seed=1)
    w = torch.tensor(conv.weight.numpy().reshape(6, 4 // groups, 3, 3))
    ref = torch.nn.functional.conv2d(torch.tensor(x), w, torch.tensor(conv.bias.numpy().reshape(6)),
                                     stride=2, padding=1, groups=groups)
    close(conv(kiln.tensor(x)).numpy(), ref.numpy(), rtol=1e-4, atol=1e-4)


def test_batchnorm2d_matches_torch_in_training_and_eval():
    bn = M.BatchNorm2d(3, momentum=0.9)
    t = torch.nn.BatchNorm2d(3, momentum=0.1)
    for param in ("weight", "bias", "running_mean", "running_var"):
        assert getattr(bn, param).shape == (1, 3, 1, 1)
    for seed in range(2):
        x = rand(4, 3, 5, 5, seed=seed) * 2 + 1
        close(bn(kiln.tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(), atol=1e-4)
    close(bn.running_mean.numpy().ravel(), t.running_mean.numpy())
    close(bn.running_var.numpy().ravel(), t.running_var.numpy())
    bn.eval(), t.eval()
    x = rand(2, 3, 5, 5, seed=9)
    close(bn(kiln.tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(), atol=1e-4)


def test_batchnorm1d_2d_and_3d_input_and_no_running_stats():
    bn = M.BatchNorm1d(4)
    t = torch.nn.BatchNorm1d(4, momentum=0.1)
    for x in (rand(6, 4), rand(6, 4, 5, seed=1)):
        close(bn(kiln.tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(), atol=1e-4)
    close(bn.running_var.numpy().ravel(), t.running_var.numpy())
    with pytest.raises(ValueError, match="expected 2-d or 3-d"):
        bn(kiln.tensor(rand(2, 4, 3, 3)))
    free = M.BatchNorm1d(4, affine=False, track_running_stats=False).eval()
    assert free.running_mean is None and list(free.parameters()) == []
    x = rand(8, 4, seed=3)
    close(free(kiln.tensor(x)).numpy(), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), atol=1e-4)


@pytest.mark.parametrize("shape", [(5,), (4, 5)])
def test_layernorm_matches_torch(shape):
    ln = M.LayerNorm(shape)
    assert ln.weight.shape == ln.bias.shape == shape
    ln.weight._reset(kiln.tensor(rand(*shape, seed=1)))
    ln.bias._reset(kiln.tensor(rand(*shape, seed=2)))
    t = torch.nn.LayerNorm(shape)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(ln.weight.numpy()))
        t.bias.copy_(torch.tensor(ln.bias.numpy()))
    x = rand(3, 4, 5)
    close(ln(kiln.tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(), atol=1e-4)
    free = M.LayerNorm(shape, affine=False)
    assert free.weight is None
    close(free(kiln.tensor(x)).numpy(), torch.nn.functional.layer_norm(torch.tensor(x), shape).numpy(),
          atol=1e-4)


def test_pooling_matches_torch():
    x = rand(2, 3, 7, 7)
    tx = torch.tensor(x)
    close(M.MaxPool2d(3, stride=2, padding=1)(kiln.tensor(x)).numpy(),
          torch.nn.functional.max_pool2d(tx, 3, 2, 1).numpy())
    close(M.AvgPool2d(2)(kiln.tensor(x)).numpy(), torch.nn.functional.avg_pool2d(tx, 2).numpy())
    close(M.AvgPool2d(3, 2, 1)(kiln.tensor(x)).numpy(),
          torch.nn.functional.avg_pool2d(tx, 3, 2, 1, count_include_pad=False).numpy())
    close(M.AvgPool2d(3, 2, 1, mode="average")(kiln.tensor(x)).numpy(),
          torch.nn.functional.avg_pool2d(tx, 3, 2, 1, count_include_pad=True).numpy())
    close(M.AdaptiveAvgPool2d((3, 2))(kiln.tensor(x)).numpy(),
          torch.nn.functional.adaptive_avg_pool2d(tx, (3, 2)).numpy())
    with pytest.raises(ValueError, match="mode"):
        M.AvgPool2d(2, mode="median")


def test_dropout_scales_survivors_and_is_identity_in_eval():
    x = np.ones((20000,), np.float32)
    drop = M.Dropout(drop_prob=0.25)
    y = drop(kiln.tensor(x)).numpy()
    assert abs((y == 0).mean() - 0.25) < 0.02
    close(y[y != 0], 1 / 0.75)
    np.testing.assert_array_equal(drop.eval()(kiln.tensor(x)).numpy(), x)
    np.testing.assert_array_equal(M.Dropout()(kiln.tensor(x)).numpy(), x)
    with pytest.raises(ValueError, match="drop_prob"):
        M.Dropout(1.0)


def test_embedding_lookup_initial_weight_and_padding_idx():
    w = rand(5, 3)
    emb = M.Embedding(5, 3, initial_weight=w)
    idx = np.array([[0, 4], [2, 2]], np.int32)
    np.testing.assert_array_equal(emb(kiln.tensor(idx)).numpy(), w[idx])
    with pytest.raises(ValueError, match=r"\(5, 4\)"):
        M.Embedding(5, 4, initial_weight=w)

    pad = M.Embedding(5, 3, padding_idx=1)
    np.testing.assert_array_equal(pad.weight.numpy()[1], 0)
    gm = GradManager().attach(pad.parameters())
    with gm:
        out = pad(kiln.tensor(np.array([1, 2, 1, 0], np.int32)))
        gm.backward(out.sum())
    np.testing.assert_array_equal(pad.weight.grad.numpy()[:, 0], [1, 0, 1, 0, 0])


def test_deepcopy_and_pickle_keep_values_and_parameter_class():
    import copy
    import pickle
    model = M.Linear(3, 2)
    clone = copy.deepcopy(model)
    assert isinstance(clone.weight, kiln.Parameter)
    assert clone.weight is not model.weight
    np.testing.assert_array_equal(clone.weight.numpy(), model.weight.numpy())
    p = pickle.loads(pickle.dumps(model.weight))
    assert isinstance(p, kiln.Parameter)
    np.testing.assert_array_equal(p.numpy(), model.weight.numpy())
