"""Benchmark models written twice, layer for layer: with kiln's modules and
with torch.nn (no torchvision needed). Random weights; the architectures
follow torchvision's resnet18 and mobilenet_v2 (width 1.0, 1000 classes).

    kiln_resnet18(), torch_resnet18(), kiln_mobilenet_v2(), torch_mobilenet_v2()

kiln has no ReLU6 module: MobileNetV2's ReLU6 is F.clip(x, 0, 6) in kiln
(maximum then minimum) and nn.ReLU6 (hardtanh) in torch.

Conv weights are He-initialized (see he_init); copy_kiln_to_torch gives the
torch twin the same weights, so both compute the same function.
"""
import math

import kiln.functional as F
import kiln.module as M
import torch
from torch import nn

# ---------------------------------------------------------------- ResNet-18


class KilnBasicBlock(M.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = M.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = M.BatchNorm2d(planes)
        self.conv2 = M.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = M.BatchNorm2d(planes)
        self.relu = M.ReLU()
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = M.Sequential(M.Conv2d(inplanes, planes, 1, stride=stride, bias=False),
                                           M.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class KilnResNet18(M.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = M.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = M.BatchNorm2d(64)
        self.relu = M.ReLU()
        self.maxpool = M.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = M.Sequential(KilnBasicBlock(64, 64), KilnBasicBlock(64, 64))
        self.layer2 = M.Sequential(KilnBasicBlock(64, 128, 2), KilnBasicBlock(128, 128))
        self.layer3 = M.Sequential(KilnBasicBlock(128, 256, 2), KilnBasicBlock(256, 256))
        self.layer4 = M.Sequential(KilnBasicBlock(256, 512, 2), KilnBasicBlock(512, 512))
        self.avgpool = M.AdaptiveAvgPool2d(1)
        self.fc = M.Linear(512, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(F.flatten(self.avgpool(x), 1))


class TorchBasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class TorchResNet18(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = nn.Sequential(TorchBasicBlock(64, 64), TorchBasicBlock(64, 64))
        self.layer2 = nn.Sequential(TorchBasicBlock(64, 128, 2), TorchBasicBlock(128, 128))
        self.layer3 = nn.Sequential(TorchBasicBlock(128, 256, 2), TorchBasicBlock(256, 256))
        self.layer4 = nn.Sequential(TorchBasicBlock(256, 512, 2), TorchBasicBlock(512, 512))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# -------------------------------------------------------------- MobileNetV2

# (expand ratio t, output channels c, repeats n, first stride s), as in the paper
_MBV2_SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                  (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def _make_divisible(v, divisor=8):
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _mbv2_blocks():
    """(inp, oup, stride, expand_ratio) of every inverted-residual block."""
    inp, blocks = 32, []
    for t, c, n, s in _MBV2_SETTINGS:
        oup = _make_divisible(c)
        for i in range(n):
            blocks.append((inp, oup, s if i == 0 else 1, t))
            inp = oup
    return blocks


class KilnReLU6(M.Module):
    def forward(self, x):
        return F.clip(x, 0.0, 6.0)


def _kiln_conv_bn_relu6(inp, oup, kernel, stride=1, groups=1):
    return M.Sequential(M.Conv2d(inp, oup, kernel, stride=stride, padding=(kernel - 1) // 2,
                                 groups=groups, bias=False),
                        M.BatchNorm2d(oup), KilnReLU6())


class KilnInvertedResidual(M.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers.append(_kiln_conv_bn_relu6(inp, hidden, 1))
        layers += [_kiln_conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden),
                   M.Conv2d(hidden, oup, 1, bias=False), M.BatchNorm2d(oup)]
        self.conv = M.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class KilnMobileNetV2(M.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        last = 1280
        layers = [_kiln_conv_bn_relu6(3, 32, 3, 2)]
        layers += [KilnInvertedResidual(*b) for b in _mbv2_blocks()]
        layers.append(_kiln_conv_bn_relu6(320, last, 1))
        self.features = M.Sequential(*layers)
        self.pool = M.AdaptiveAvgPool2d(1)
        self.classifier = M.Sequential(M.Dropout(0.2), M.Linear(last, num_classes))

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.classifier(F.flatten(x, 1))


def _torch_conv_bn_relu6(inp, oup, kernel, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(inp, oup, kernel, stride=stride, padding=(kernel - 1) // 2,
                                   groups=groups, bias=False),
                         nn.BatchNorm2d(oup), nn.ReLU6(inplace=True))


class TorchInvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers.append(_torch_conv_bn_relu6(inp, hidden, 1))
        layers += [_torch_conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden),
                   nn.Conv2d(hidden, oup, 1, bias=False), nn.BatchNorm2d(oup)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class TorchMobileNetV2(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        last = 1280
        layers = [_torch_conv_bn_relu6(3, 32, 3, 2)]
        layers += [TorchInvertedResidual(*b) for b in _mbv2_blocks()]
        layers.append(_torch_conv_bn_relu6(320, last, 1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last, num_classes))

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def he_init(kiln_model):
    """Re-draws every conv weight from N(0, 2 / fan_in), fan_in per group.
    kiln's default (MegEngine's N(0, 1 / (in_channels * kh * kw))) ignores
    groups, so a random MobileNetV2 in eval mode shrinks its activations
    towards 1e-10 and below, where float denormals would skew timings; He
    init keeps them O(1) in both networks."""
    for module in kiln_model.modules():
        if isinstance(module, M.Conv2d):
            kh, kw = module.kernel_size
            fan_in = module.in_channels // module.groups * kh * kw
            M.init.normal_(module.weight, 0.0, math.sqrt(2.0 / fan_in))
    return kiln_model


def kiln_resnet18():
    return he_init(KilnResNet18())


def torch_resnet18():
    return TorchResNet18()


def kiln_mobilenet_v2():
    return he_init(KilnMobileNetV2())


def torch_mobilenet_v2():
    return TorchMobileNetV2()


def count_params_kiln(model):
    return sum(int(p.numpy().size) for p in model.parameters())


def count_params_torch(model):
    return sum(p.numel() for p in model.parameters())


def copy_kiln_to_torch(kiln_model, torch_model):
    """Loads kiln's weights into the torch twin (same dotted names; kiln keeps
    MegEngine's (1, C, 1, 1) biases/BN vectors and (G, O/G, I/G, kh, kw)
    grouped weights, reshaped here). Lets the bench check both compute the
    same function."""
    src = kiln_model.state_dict()
    dst = torch_model.state_dict()
    new = {}
    for key, value in dst.items():
        if key.endswith("num_batches_tracked"):
            new[key] = value
            continue
        new[key] = torch.from_numpy(src[key].reshape(tuple(value.shape)).copy())
    torch_model.load_state_dict(new)
    return torch_model
