"""Optimisers: the only code that changes weights.

Each optimiser holds the network's (name, parameter, gradient) triples and, on
``step(lr)``, moves every parameter using the gradients that backward filled.
The learning rate is an argument of ``step`` so it can change while training
runs (a schedule, or a person moving a slider).  Updates are done in place with
preallocated buffers: on a 2-core machine the optimiser is a visible share of
an epoch.  Not for computing gradients (see ``network.py``).
"""

import math

import numpy as np


class GradientDescent:
    """Plain gradient descent, W -= lr * dW, as in the classic notebook (``classic.py``)."""

    name = "gd"

    def __init__(self, params):
        self.params = params
        self.t = 0

    def step(self, lr):
        """Move every parameter against its gradient."""
        self.t += 1
        for _, p, g in self.params:
            p -= p.dtype.type(lr) * g

    def state(self):
        """Return the optimiser's arrays by name, for checkpoints."""
        return {}

    def load_state(self, arrays, t):
        """Restore the optimiser from ``state()``'s arrays and the step count."""
        self.t = t
        for key, value in self.state().items():
            value[...] = arrays[key]


class Momentum(GradientDescent):
    """SGD with momentum, v = mu v + dW; W -= lr v: a heavy ball that keeps rolling through noise."""

    name = "momentum"

    def __init__(self, params, mu=0.9):
        super().__init__(params)
        self.mu = mu
        self.v = [np.zeros_like(p) for _, p, _ in params]

    def step(self, lr):
        """Update the velocities, then move the parameters along them."""
        self.t += 1
        for (_, p, g), v in zip(self.params, self.v):
            v *= v.dtype.type(self.mu)
            v += g
            p -= p.dtype.type(lr) * v

    def state(self):
        """Return the velocities by name, for checkpoints."""
        return {f"v_{name}": v for (name, _, _), v in zip(self.params, self.v)}


class Adam(GradientDescent):
    """Adam: steps scaled per weight by running averages of the gradient and its square."""

    name = "adam"

    def __init__(self, params, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        # The running averages are kept divided by (1 - beta1) and (1 - beta2): each then takes
        # one multiply and one add per step, and both factors fold into the step size below.
        self.m = [np.zeros_like(p) for _, p, _ in params]
        self.v = [np.zeros_like(p) for _, p, _ in params]
        self.tmp = [np.empty_like(p) for _, p, _ in params]

    def step(self, lr):
        """Update both running averages and move each weight by lr * m_hat / (sqrt(v_hat) + eps)."""
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # Fold the bias corrections (Kingma & Ba, section 2) and the averages' scale into one
        # step size and one eps: then the update is ten passes over each weight matrix.
        v_scale = math.sqrt((1 - b2**self.t) / (1 - b2))
        lr_t = lr * (1 - b1) / (1 - b1**self.t) * v_scale
        eps_t = self.eps * v_scale
        for (_, p, g), m, v, tmp in zip(self.params, self.m, self.v, self.tmp):
            f = p.dtype.type
            m *= f(b1)
            m += g
            v *= f(b2)
            np.multiply(g, g, out=tmp)
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += f(eps_t)
            np.divide(m, tmp, out=tmp)
            tmp *= f(lr_t)
            p -= tmp

    def state(self):
        """Return both running averages by name, as kept (divided by 1 - beta), for checkpoints."""
        names = [name for name, _, _ in self.params]
        return {**{f"m_{n}": m for n, m in zip(names, self.m)}, **{f"v_{n}": v for n, v in zip(names, self.v)}}


class RMSProp(GradientDescent):
    """RMSProp as PyTorch's torch.optim.RMSprop: v = rho v + (1 - rho) dW^2; W -= lr dW / (sqrt(v) + eps).

    Like Adam it divides each weight's step by a running root mean square of its gradients,
    but it steps along the raw gradient (no running mean of it) and has no bias correction.
    """

    name = "rmsprop"

    def __init__(self, params, rho=0.99, eps=1e-8):
        super().__init__(params)
        self.rho, self.eps = rho, eps
        self.v = [np.zeros_like(p) for _, p, _ in params]
        self.tmp = [np.empty_like(p) for _, p, _ in params]

    def step(self, lr):
        """Update the running mean square of each gradient and move each weight by lr * dW / (sqrt(v) + eps)."""
        self.t += 1
        for (_, p, g), v, tmp in zip(self.params, self.v, self.tmp):
            f = p.dtype.type
            v *= f(self.rho)
            np.multiply(g, g, out=tmp)
            tmp *= f(1 - self.rho)
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += f(self.eps)
            np.divide(g, tmp, out=tmp)
            tmp *= f(lr)
            p -= tmp

    def state(self):
        """Return the running mean squares by name, for checkpoints."""
        return {f"v_{name}": v for (name, _, _), v in zip(self.params, self.v)}


OPTIMIZERS = {cls.name: cls for cls in (GradientDescent, Momentum, Adam, RMSProp)}
