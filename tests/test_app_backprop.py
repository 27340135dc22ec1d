"""The Weights page's backward pass of one digit: its equations and numbers, and updates that step only a copy."""

import numpy as np

from nn.explain.backprop import Stepper, backward_pass
from nn.network import Network
from tests.helpers import charts, figure, finished_run, session_with, show, values
from ui import session as state


def latex(at):
    """Return every equation on the page, without the $ signs."""
    return [x.value.strip("$\n") for x in at.latex]


def digit_of(at):
    """Return the chosen test digit (784,) and its label."""
    splits = state.shared_splits("sample")
    i = at.number_input(key="weights_digit").value
    return splits.X_test[i], int(splits.y_test[i])


def check_backward(at, net):
    """Assert the section shows net's backward pass for the chosen digit: one dZ chart per layer, the dW1 images."""
    L = len(net.dense)
    eqs = latex(at)
    assert rf"dZ_{L} = A_{L} - Y" in eqs and r"dW_1 = dZ_1\,X^\top" in eqs
    for j in range(1, L):
        assert rf"dA_{j} = W_{j + 1}^\top dZ_{j + 1}" in eqs
    assert {f"weights_backprop_dz_{j}" for j in range(1, L + 1)} | {"weights_backprop_dw1",
                                                                    "weights_backprop_probs"} <= charts(at)
    x, label = digit_of(at)
    want = backward_pass(Stepper(net).net, x, label)  # the model's own numbers
    for layer in want.layers:
        shown = values(figure(at, f"weights_backprop_dz_{layer.j}")["data"][0]["y"])
        np.testing.assert_allclose(shown, layer.dZ, rtol=1e-5, atol=1e-7)
    assert len(figure(at, "weights_backprop_dw1")["data"][1]["text"]) == min(8, net.sizes[1])
    return want


def apply(at, times):
    """Press 'Apply this update' times."""
    for _ in range(times):
        at.button(key="weights_backprop_apply").click().run()
        assert not at.exception


def test_pretrained_model_backward_pass_and_updates_on_a_copy(open_page, dense_session):
    me = dense_session
    at = show(open_page("weights", session={"session": me}), "digit")
    net = me.pretrained().net
    original = {name: p.tobytes() for name, p, _ in net.params()}
    want = check_backward(at, net)
    after = values(figure(at, "weights_backprop_probs")["data"][1]["y"])
    at.number_input(key="weights_backprop_lr").set_value(0.5).run()
    apply(at, 3)
    assert "taken 3 updates" in "\n".join(c.value for c in at.caption)
    stepped = me.stepper(me.model())
    assert stepped.steps == 3
    shown = values(figure(at, "weights_backprop_dz_3")["data"][0]["y"])  # the copy's numbers now, not the model's
    assert not np.allclose(shown, want.layers[-1].dZ)
    assert not np.allclose(values(figure(at, "weights_backprop_probs")["data"][1]["y"]), after)
    assert {name: p.tobytes() for name, p, _ in net.params()} == original  # the real model is untouched
    at.button(key="weights_backprop_fresh").click().run()
    assert me.stepper(me.model()).steps == 0
    np.testing.assert_allclose(values(figure(at, "weights_backprop_dz_3")["data"][0]["y"]), want.layers[-1].dZ,
                               rtol=1e-5, atol=1e-7)


def test_a_one_layer_runs_backward_pass_and_its_copy_kept_over_reruns(open_page):
    run = finished_run(hidden=(16,))
    me = session_with(run)
    at = show(open_page("weights", session={"session": me}), "digit")
    original = run.net.dense[0].W.tobytes()
    check_backward(at, run.net)
    eqs = latex(at)
    assert r"dZ_1 = dA_1 \circ \mathrm{ReLU}'(Z_1)" in eqs and r"W_j \leftarrow W_j - \alpha\, dW_j" in eqs
    apply(at, 2)
    at.number_input(key="weights_digit").set_value(3).run()  # another digit: the same stepped copy explains it
    assert me.stepper(me.model()).steps == 2
    assert run.net.dense[0].W.tobytes() == original
    x, label = digit_of(at)
    stepped = me.stepper(me.model())
    before, after = stepped.step(x, label, 0.1, apply=False)
    assert rf"\mathcal{{L}}: {before.loss:.4g} \to {after.loss:.4g}" in latex(at)  # the stepped copy's loss


def test_a_two_layer_models_backward_pass_layer_by_layer(open_page):
    net = Network((20, 12), "tanh", seed=1)
    me = session_with(uploaded=state.Model(net, "uploaded two.npz", {}))
    at = show(open_page("weights", session={"session": me}), "digit")
    check_backward(at, net)
    assert r"dZ_2 = dA_2 \circ \mathrm{tanh}'(Z_2)" in latex(at)
    apply(at, 1)
    np.testing.assert_array_equal(net.dense[0].W, Network((20, 12), "tanh", seed=1).dense[0].W)


def test_a_conv_models_backward_pass_through_its_blocks_on_a_copy(open_page, channels):
    run = finished_run(conv=((4, 5), (6, 3)), hidden=(16,))
    me = session_with(run)
    at = show(open_page("weights", session={"session": me}), "digit")
    assert not at.exception
    original = {name: p.tobytes() for name, p, _ in run.net.params()}
    eqs = latex(at)
    assert r"dW_1 = dZ_1\,F^\top" in eqs and r"dF = W_1^\top dZ_1" in eqs
    assert r"dA_{\mathrm{conv}2} = \mathrm{unflatten}(dF)" in eqs
    assert r"dK_1 = dZ_{\mathrm{conv}1} \star X" in eqs
    assert r"dK_2 = dZ_{\mathrm{conv}2} \star A_{\mathrm{conv}1}" in eqs
    assert r"dA_{\mathrm{conv}1} = dZ_{\mathrm{conv}2} \ast \mathrm{rot180}(K_2)" in eqs
    assert r"K_i \leftarrow K_i - \alpha\, dK_i" in eqs
    assert "weights_backprop_dw1" not in charts(at)  # W1 reads the maps, not pixels: no 28×28 gradient images
    x, label = digit_of(at)
    want = backward_pass(Stepper(run.net).net, x, label)
    for layer in want.layers:
        shown = values(figure(at, f"weights_backprop_dz_{layer.j}")["data"][0]["y"])
        np.testing.assert_allclose(shown, layer.dZ, rtol=1e-5, atol=1e-7)
    for block, dz in zip(reversed(want.conv), channels["dZ"]):  # drawn last block first, every map of each
        np.testing.assert_allclose(dz, block.dZ, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(channels["dK1"][0], want.conv[0].dK[:, 0], rtol=1e-5, atol=1e-7)  # the 4 filters'
    apply(at, 2)
    assert me.stepper(me.model()).steps == 2
    stepped = me.stepper(me.model()).net
    assert not np.array_equal(stepped.conv[0].W, run.net.conv[0].W)  # the copy's filters moved
    assert {name: p.tobytes() for name, p, _ in run.net.params()} == original  # the run's did not
