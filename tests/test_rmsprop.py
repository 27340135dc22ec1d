"""RMSProp moves weights exactly as its textbook form says, and as PyTorch's torch.optim.RMSprop does."""

import numpy as np
import pytest

from nn.network import Network
from nn.optim import RMSProp

STEPS, LR = 4, 0.01


def batches(splits):
    """Return STEPS small batches of real digits, in float64 so the comparisons can be tight."""
    return [(splits.X_train[32 * i:32 * (i + 1)].astype(np.float64), splits.y_train[32 * i:32 * (i + 1)])
            for i in range(STEPS)]


def test_rmsprop_matches_a_computation_written_out_here(splits):
    net = Network(hidden=(16,), seed=3, dtype=np.float64)
    opt = RMSProp(net.params(), rho=0.9, eps=1e-6)
    square = {name: np.zeros_like(p) for name, p, _ in net.params()}
    for X, y in batches(splits):
        net.gradients(X, y)
        expected = {}
        for name, p, g in net.params():
            square[name] = 0.9 * square[name] + 0.1 * g**2
            expected[name] = p - LR * g / (np.sqrt(square[name]) + 1e-6)
        opt.step(LR)
        for name, p, _ in net.params():
            np.testing.assert_allclose(p, expected[name], rtol=1e-12, atol=1e-15)
    assert opt.t == STEPS


def test_rmsprop_matches_pytorch(splits):
    torch = pytest.importorskip("torch")
    net = Network(hidden=(16,), seed=3, dtype=np.float64)
    opt = RMSProp(net.params())  # PyTorch's defaults: rho (its alpha) 0.99, eps 1e-8
    tensors = {name: torch.tensor(p.copy(), requires_grad=True) for name, p, _ in net.params()}
    theirs = torch.optim.RMSprop(list(tensors.values()), lr=LR)
    for X, y in batches(splits):
        net.gradients(X, y)
        for name, _, g in net.params():
            tensors[name].grad = torch.tensor(g.copy())
        opt.step(LR)
        theirs.step()
        for name, p, _ in net.params():
            np.testing.assert_allclose(p, tensors[name].detach().numpy(), rtol=1e-10, atol=1e-13)
