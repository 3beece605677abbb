"""Array programs over many points: rows equal one-point evaluation, element columns,
JSON Lines nested lists, errors, and the training sum over rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli.api import bind_inputs, evaluate_at, parse_program
from backprop_cli.batch_arrays import loss_over_rows, row_values

MLP = ("W1 = [[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]]; b1 = [0, 0.1, 0]; W2 = [[1, -1, 0.5]]\n"
       "b2 = 0.2; x = [0, 0]; y = 0\n"
       "h = tanh(W1 @ x + b1); o = (W2 @ h)[0] + b2\n"
       "(o - y)^2 + b2^2 + sum(W1 * W1)")
PARAMS = ["W1", "b1", "W2", "b2"]


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 9), st.integers(0, 2**32 - 1))
def test_loss_over_rows_is_the_sum_of_one_point_gradients(rows: int, seed: int) -> None:
    graph = parse_program(MLP)
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((rows, 2)), rng.standard_normal(rows)
    leaves = row_values(graph, bind_inputs(graph, {}),
                        {"x[0]": x[:, 0], "x[1]": x[:, 1], "y": y}, rows)
    ids = [graph.names[name] for name in PARAMS]
    result = loss_over_rows(graph, leaves, ids, rows)
    loss, grads = 0.0, [np.zeros(np.shape(graph.nodes[i].value)) for i in ids]
    for k in range(rows):
        single = evaluate_at(graph, {"x": x[k].tolist(), "y": float(y[k])})
        loss += single.value
        grads = [g + np.asarray(single.evaluation.grads[i]) for g, i in zip(grads, ids)]
    assert result.loss == pytest.approx(loss, rel=1e-12)
    for got, want, i in zip(result.grads, grads, ids):
        assert np.shape(got) == graph.nodes[i].shape
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def test_loss_over_rows_wants_a_scalar_output() -> None:
    from backprop_cli.core.errors import InputError

    graph = parse_program("w = [1, 2]; x = 0; w * x")
    with pytest.raises(InputError, match="a number per row"):
        loss_over_rows(graph, row_values(graph, bind_inputs(graph, {}),
                                         {"x": np.ones(3)}, 3), [0], 3)
