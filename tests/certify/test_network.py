"""The exact network model: certify.network."""

from __future__ import annotations

import copy
import json
import os
import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from flint import fmpq, fmpq_mat
from hypothesis import given, settings
from hypothesis import strategies as st

from certify.errors import InputError
from certify.io import load_network, save_network
from certify.network import FORMAT, Layer, Network

F = Fraction


def net_a() -> Network:
    """f(x) = relu(x1 − x2) + relu(x1/2 + 2·x2 − 1) + 1/3."""
    return Network([[[1, -1], ["1/2", 2]], [[1, 1]]], [[0, -1], [F(1, 3)]])


def net_b() -> Network:
    """f(x) = 2·relu(relu(x) + relu(−x) − 1) + 1/2 = 2·max(|x| − 1, 0) + 1/2."""
    return Network([[[1], [-1]], [[1, 1]], [[2]]], [[0, 0], [-1], ["1/2"]])


# ----------------------------------------------------------------------------- evaluation


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        # z1 = (2 − 1, 1 + 2 − 1) = (1, 2); out = 1 + 2 + 1/3
        ((2, 1), F(10, 3)),
        # z1 = (1 − 5, 1/2 + 10 − 1) = (−4, 19/2); out = 19/2 + 1/3
        ((1, 5), F(59, 6)),
        # z1 = (0, −1): both dead; out = 1/3
        ((0, 0), F(1, 3)),
        # z1 = (−1/2 + 1/4, −1/4 − 1/2 − 1) = (−1/4, −7/4); out = 1/3
        ((F(-1, 2), F(-1, 4)), F(1, 3)),
        # z1 = (3 − 1/2, 3/2 + 1 − 1) = (5/2, 3/2); out = 4 + 1/3
        ((3, "1/2"), F(13, 3)),
    ],
)
def test_evaluate_hand_computed_two_layers(x: tuple, expected: Fraction) -> None:
    assert net_a().evaluate(x) == expected


@pytest.mark.parametrize(
    ("x", "expected"),
    [(3, F(9, 2)), (F(-5, 2), F(7, 2)), (F(1, 2), F(1, 2)), (-1, F(1, 2)), (0, F(1, 2))],
)
def test_evaluate_hand_computed_three_layers(x: object, expected: Fraction) -> None:
    assert net_b().evaluate([x]) == expected


def test_pre_activations_hand_computed() -> None:
    pre = net_a().pre_activations([1, 5])
    assert pre == [[F(-4), F(19, 2)], [F(59, 6)]]
    assert all(type(v) is Fraction for layer in pre for v in layer)
    assert net_b().pre_activations([F(-5, 2)]) == [[F(-5, 2), F(5, 2)], [F(3, 2)], [F(7, 2)]]


def test_evaluate_many_matches_evaluate() -> None:
    net = net_a()
    pts = [(2, 1), (1, 5), (0, 0), (F(-1, 2), F(-1, 4)), (3, "1/2")]
    assert net.evaluate_many(pts) == [net.evaluate(x) for x in pts]
    assert net.evaluate_many([]) == []


def test_evaluate_rejects_bad_inputs() -> None:
    net = net_a()
    with pytest.raises(
        InputError, match="input has 3 coordinates but the network's input_dim is 2"
    ):
        net.evaluate([1, 2, 3])
    with pytest.raises(InputError, match=r"input\[1\]: floating-point"):
        net.evaluate([1, 0.5])


def _random_network(rng: random.Random, widths: list[int]) -> Network:
    def q() -> Fraction:
        return F(rng.randint(-20, 20), rng.randint(1, 9))

    weights = [
        [[q() for _ in range(widths[k - 1])] for _ in range(widths[k])]
        for k in range(1, len(widths))
    ]
    biases = [[q() for _ in range(widths[k])] for k in range(1, len(widths))]
    return Network(weights, biases)


def test_exact_and_float_evaluation_agree_on_random_networks() -> None:
    rng = random.Random(1234)
    for _ in range(25):
        depth = rng.randint(1, 4)
        widths = [rng.randint(1, 5)] + [rng.randint(1, 6) for _ in range(depth - 1)] + [1]
        net = _random_network(rng, widths)
        xs = [
            [F(rng.randint(-30, 30), rng.randint(1, 7)) for _ in range(widths[0])] for _ in range(8)
        ]
        exact = net.evaluate_many(xs)
        approx = net.evaluate_float(np.array([[float(v) for v in x] for x in xs]))
        assert approx.shape == (8,)
        for e, a in zip(exact, approx):
            assert abs(float(e) - a) <= 1e-9 * max(1.0, abs(float(e)))
        single = net.evaluate_float(np.array([float(v) for v in xs[0]]))
        assert single.shape == ()
        assert abs(float(single) - float(exact[0])) <= 1e-9 * max(1.0, abs(float(exact[0])))


def test_evaluate_float_shape_error() -> None:
    with pytest.raises(InputError, match=r"shape \(n, 2\)"):
        net_a().evaluate_float(np.zeros((3, 5)))


# ----------------------------------------------------------------------------- size measures


def test_shape_and_counts() -> None:
    a, b = net_a(), net_b()
    assert (a.input_dim, a.depth, a.widths, a.width) == (2, 2, [2, 2, 1], 2)
    assert (b.input_dim, b.depth, b.widths, b.width) == (1, 3, [1, 2, 1, 1], 2)
    # P = Σ (d_{l−1} + 1)·d_l
    assert a.num_params() == (2 + 1) * 2 + (2 + 1) * 1 == 9
    assert b.num_params() == (1 + 1) * 2 + (2 + 1) * 1 + (1 + 1) * 1 == 9
    # a: weights 1,−1,1/2,2,1,1 and biases −1,1/3 are nonzero; one bias is 0
    assert a.num_nonzero() == 8
    # b: W1 two, b1 none, W2 two, b2 one, W3 one, b3 one
    assert b.num_nonzero() == 7


def test_affine_network_has_width_zero() -> None:
    net = Network([[[1, 2, 3]]], [[4]])
    assert (net.depth, net.width, net.widths, net.num_params()) == (1, 0, [3, 1], 4)
    assert net.evaluate([1, 1, 1]) == 10


@given(st.lists(st.integers(1, 6), min_size=2, max_size=5))
@settings(max_examples=30, deadline=None)
def test_num_params_formula(widths: list[int]) -> None:
    widths[-1] = 1
    net = Network(
        [[[0] * widths[k - 1] for _ in range(widths[k])] for k in range(1, len(widths))],
        [[0] * widths[k] for k in range(1, len(widths))],
    )
    assert net.num_params() == sum((widths[k - 1] + 1) * widths[k] for k in range(1, len(widths)))
    assert net.num_nonzero() == 0
    assert net.bit_complexity() == 1
    assert net.widths == widths


def test_bit_complexity_dyadic() -> None:
    b = net_b()  # params 1, −1, 0, 0, 1, 1, −1, 2, 1/2: I = bitlen(2) = 2, F = 1
    assert b.is_dyadic()
    assert b.fixed_point_format() == (2, 1)
    assert b.bit_complexity() == 1 + 2 + 1
    c = Network([[["-13/8", "3/4"]]], [["5/32"]])  # I = bitlen(1) = 1, F = 5
    assert c.fixed_point_format() == (1, 5)
    assert c.bit_complexity() == 7


def test_bit_complexity_non_dyadic() -> None:
    a = net_a()
    assert not a.is_dyadic()
    assert a.fixed_point_format() is None
    # max over p/q of 1 + bitlen|p| + bitlen q: 1/3 → 1 + 1 + 2, 1/2 → 4, 2/1 → 4, 1 → 3
    assert a.bit_complexity() == 4
    c = Network([[["-100/7"]]], [[0]])
    assert c.bit_complexity() == 1 + 7 + 3


# ----------------------------------------------------------------------------- data access


def test_layers_are_exact_immutable_data() -> None:
    layers = net_a().layers
    assert isinstance(layers[0], Layer)
    assert layers[0].weight == ((F(1), F(-1)), (F(1, 2), F(2)))
    assert layers[1].bias == (F(1, 3),)
    assert (layers[0].in_dim, layers[0].out_dim) == (2, 2)


def test_flint_layers_are_copies() -> None:
    net = net_a()
    W, b = net.flint_layers()[0]
    assert W.nrows() == 2 and b.ncols() == 1
    W[0, 0] = fmpq(100)
    assert net.evaluate([2, 1]) == F(10, 3)


def test_constructor_accepts_fmpq_mat_and_checks_input_dim() -> None:
    W = fmpq_mat(1, 2, [fmpq(1, 2), 3])
    net = Network([W], [fmpq_mat(1, 1, [1])], input_dim=2)
    assert net.evaluate([2, 1]) == 5
    with pytest.raises(InputError, match="layer 1 weight has 2 columns but input_dim is 3"):
        Network([W], [[1]], input_dim=3)


def test_from_float_arrays_is_exact() -> None:
    net = Network.from_float_arrays(
        [
            np.array([[0.1, -2.0]]),
        ],
        [np.array([0.5])],
    )
    assert net.layers[0].weight[0][0] == F(3602879701896397, 2**55)
    assert net.evaluate([1, 0]) == F(0.1) + F(1, 2)
    with pytest.raises(InputError, match=r"layer 1 weight\[0\]\[1\]: nan"):
        Network.from_float_arrays([np.array([[1.0, np.nan]])], [np.array([0.0])])
    with pytest.raises(InputError, match=r"layer 1 bias\[0\]: inf"):
        Network.from_float_arrays([np.array([[1.0]])], [np.array([np.inf])])


def test_constructor_rejects_float_arrays_with_a_hint() -> None:
    with pytest.raises(InputError, match="from_float_arrays"):
        Network([np.array([[1.5]])], [[0]])


# ----------------------------------------------------------------------------- JSON


def test_json_round_trip_and_format() -> None:
    for net in (net_a(), net_b()):
        obj = net.to_json()
        assert obj["format"] == FORMAT
        assert set(obj) == {"format", "input_dim", "layers"}
        assert Network.from_json(obj) == net
        assert Network.from_json(json.loads(net.to_json_text())) == net
        assert Network.from_json(json.loads(json.dumps(obj))).content_hash() == net.content_hash()
    assert net_a().to_json()["layers"][0]["weight"] == [[1, -1], ["1/2", 2]]
    assert net_a().to_json()["layers"][1]["bias"] == ["1/3"]


def test_to_json_returns_a_fresh_copy() -> None:
    net = net_a()
    obj = net.to_json()
    obj["layers"][0]["weight"][0][0] = 99
    assert net.to_json()["layers"][0]["weight"][0][0] == 1


def test_reading_accepts_decimal_strings_and_canonicalises() -> None:
    obj = {
        "format": FORMAT,
        "input_dim": 1,
        "layers": [
            {"weight": [["0.5"], ["-2/4"]], "bias": ["1e-1", 0]},
            {"weight": [[1, "3"]], "bias": [0]},
        ],
    }
    net = Network.from_json(obj)
    assert net.to_json()["layers"][0] == {"weight": [["1/2"], ["-1/2"]], "bias": ["1/10", 0]}
    same = Network([[["1/2"], [F(-1, 2)]], [[1, 3]]], [[F(1, 10), 0], [0]])
    assert net == same
    assert net.content_hash() == same.content_hash()
    assert hash(net) == hash(same)


def test_content_hash_changes_with_any_parameter() -> None:
    a = net_a()
    obj = a.to_json()
    obj["layers"][1]["bias"] = ["1/4"]
    b = Network.from_json(obj)
    assert a != b
    assert a.content_hash() != b.content_hash()
    assert len(a.content_hash()) == 64


def test_save_load_round_trip_atomic(tmp_path: Path) -> None:
    path = tmp_path / "net.json"
    save_network(net_b(), path)
    assert load_network(path) == net_b()
    save_network(net_a(), path)  # overwrite
    assert load_network(str(path)) == net_a()
    assert sorted(os.listdir(tmp_path)) == ["net.json"]


def test_save_failure_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "adir"
    target.mkdir()
    with pytest.raises(InputError, match="is a directory"):
        save_network(net_a(), target)
    assert os.listdir(tmp_path) == ["adir"]
    with pytest.raises(InputError, match="does not exist"):
        save_network(net_a(), tmp_path / "missing" / "net.json")


HEAD = '{"format": "robustmem-network/1", "input_dim": 1, '


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read network file"):
        load_network(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "robustmem-network/1",\n "input_dim": 1, "layers": [}')
    with pytest.raises(InputError, match=r"bad\.json: not valid JSON: .* line 2 column"):
        load_network(bad)
    nan = tmp_path / "nan.json"
    nan.write_text(HEAD + '"layers": [{"weight": [[NaN]], "bias": [0]}]}')
    with pytest.raises(
        InputError, match=r"nan\.json: layer 1 weight\[0\]\[0\]: nan is not a finite"
    ):
        load_network(nan)
    flt = tmp_path / "float.json"
    flt.write_text(HEAD + '"layers": [{"weight": [[0.1]], "bias": [0]}]}')
    with pytest.raises(
        InputError, match=r'layer 1 weight\[0\]\[0\]: .*write it as a string, e.g. "0.1"'
    ):
        load_network(flt)


def test_load_huge_json_integers(tmp_path: Path) -> None:
    big = 10**5000 + 7
    path = tmp_path / "big.json"
    net = Network([[[big]]], [[F(1, big)]])
    save_network(net, path)
    assert path.stat().st_size > 10000
    assert load_network(path) == net


def _good() -> dict:
    return {
        "format": FORMAT,
        "input_dim": 2,
        "layers": [
            {"weight": [[1, 2], [3, 4], [5, 6]], "bias": [0, 0, 0]},
            {"weight": [[1, 1, 1]], "bias": ["1/2"]},
        ],
    }


def _mutate(path: list, value: object, delete: bool = False) -> dict:
    obj = copy.deepcopy(_good())
    target = obj
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return obj


MALFORMED = [
    ([1, 2], "must be an object"),
    (_mutate(["format"], None, delete=True), "missing key(s) ['format']"),
    (_mutate(["layers"], None, delete=True), "missing key(s) ['layers']"),
    (_mutate(["format"], "robustmem-network/2"), 'expected "robustmem-network/1"'),
    (_mutate(["extra"], 1), "unknown key(s) ['extra']"),
    (_mutate(["input_dim"], True), '"input_dim" must be an integer'),
    (_mutate(["input_dim"], 2.0), '"input_dim" must be an integer'),
    (_mutate(["input_dim"], "2"), '"input_dim" must be an integer'),
    (_mutate(["input_dim"], 0), '"input_dim" must be at least 1'),
    (_mutate(["input_dim"], 3), "layer 1 weight has 2 columns but input_dim is 3"),
    (_mutate(["layers"], {}), '"layers" must be a list'),
    (_mutate(["layers"], []), '"layers" is empty'),
    (_mutate(["layers", 0], [1]), "layer 1 must be an object"),
    (_mutate(["layers", 1, "bias"], None, delete=True), "layer 2 must have exactly the keys"),
    (_mutate(["layers", 1, "activation"], "relu"), "the last layer has no activation"),
    (_mutate(["layers", 0, "activation"], "sigmoid"), "allowed values are ['relu', 'step']"),
    (_mutate(["layers", 0, "activation"], None), "allowed values are ['relu', 'step']"),
    (_mutate(["layers", 0, "weight"], "[[1]]"), "layer 1 weight must be a list of rows"),
    (_mutate(["layers", 0, "weight"], [1, 2]), "layer 1 weight must be a list of rows"),
    (_mutate(["layers", 0, "weight"], []), "layer 1 weight has no rows"),
    (_mutate(["layers", 0, "weight", 1], [3]), "layer 1 weight row 1 has 1 entries, expected 2"),
    (_mutate(["layers", 1, "weight"], [[1, 1]]), "layer 2 weight has 2 columns but layer 1 has 3"),
    (
        _mutate(["layers", 0, "bias"], [0, 0]),
        "layer 1 bias has 2 entries but the weight has 3 rows",
    ),
    (_mutate(["layers", 0, "bias"], 0), "layer 1 bias must be a JSON array"),
    (_mutate(["layers", 0, "weight", 2, 1], 0.5), "layer 1 weight[2][1]: floating-point value 0.5"),
    (_mutate(["layers", 0, "weight", 0, 0], True), "layer 1 weight[0][0]: got boolean"),
    (
        _mutate(["layers", 0, "weight", 0, 0], float("nan")),
        "layer 1 weight[0][0]: nan is not a finite",
    ),
    (_mutate(["layers", 0, "weight", 0, 0], "NaN"), "layer 1 weight[0][0]: 'NaN' is not a finite"),
    (_mutate(["layers", 0, "bias", 2], "1/0"), "layer 1 bias[2]: '1/0' has denominator zero"),
    (_mutate(["layers", 1, "bias", 0], None), "layer 2 bias[0]: expected a number, got NoneType"),
    (_mutate(["layers", 1, "bias", 0], "half"), "layer 2 bias[0]: cannot read 'half'"),
    (_mutate(["layers", 0, "weight", 0], []), "layer 1 weight row 0 is empty"),
    (_mutate(["layers", 0, "weight", 1], []), "layer 1 weight row 1 has 0 entries, expected 2"),
]


@pytest.mark.parametrize(("obj", "fragment"), MALFORMED, ids=[m[1][:40] for m in MALFORMED])
def test_from_json_rejects_malformed(obj: object, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        Network.from_json(obj)
    msg = str(info.value)
    assert fragment in msg
    assert "\n" not in msg


def test_good_json_is_accepted() -> None:
    net = Network.from_json(_good())
    assert net.widths == [2, 3, 1]
    assert net.evaluate([1, 1]) == 3 + 7 + 11 + F(1, 2)


@pytest.mark.parametrize(
    ("weights", "biases", "fragment"),
    [
        ([], [], "at least one layer"),
        ([[[1]]], [], "1 weight matrices but 0 bias vectors"),
        ([[[]]], [[0]], "row 0 is empty"),
        ([[[1, 2], [3]]], [[0, 0]], "row 1 has 1 entries, expected 2 like row 0"),
        ([[1, 2]], [[0]], "layer 1 weight row 0 must be a list"),
    ],
)
def test_constructor_rejects_bad_shapes(weights: list, biases: list, fragment: str) -> None:
    with pytest.raises(InputError, match=None) as info:
        Network(weights, biases)
    assert fragment in str(info.value)


def test_network_input_dim_validation() -> None:
    with pytest.raises(InputError, match="input_dim must be at least 1"):
        Network([[[1]]], [[0]], input_dim=0)
    with pytest.raises(InputError, match="input_dim must be an integer"):
        Network([[[1]]], [[0]], input_dim=True)


def test_repr() -> None:
    assert repr(net_a()) == "Network(input_dim=2, widths=[2, 2, 1], params=9)"


def test_two_output_networks_are_classifiers() -> None:
    """C ≥ 2 outputs load (a classifier, certified for argmax); the scalar calls refuse it."""
    net = Network([[[1]], [[1], [2]]], [[0], [0, 1]])
    assert net.output_dim == 2
    assert tuple(net.evaluate_vector([Fraction(3)])) == (Fraction(3), Fraction(7))
    with pytest.raises(InputError):
        net.evaluate([Fraction(3)])


@pytest.mark.parametrize("act", ["relu", "step"])
def test_from_json_accepts_hidden_activation(act: str) -> None:
    obj = _mutate(["layers", 0, "activation"], act)
    net = Network.from_json(obj)
    assert net.activations == (act,)
    assert (net == Network.from_json(_good())) is (act == "relu")


def test_json_text_of_matrices_is_text_of_each_number() -> None:
    """Network._texts (one numer_denom per matrix) writes each entry as text_of does:
    reduced "p/q", integers as JSON integers (long ones as digit strings), zeros as 0."""
    import random

    from flint import fmpq, fmpq_mat

    from certify.kernel.parse import text_of
    from certify.network import _texts

    rng = random.Random(7)
    for _ in range(300):
        n, m = rng.randint(1, 5), rng.randint(1, 5)
        vals = [
            fmpq(
                rng.randint(-(10 ** rng.randint(1, 40)), 10**30),
                rng.choice([1, 3, 2**64, 10**40 + 1]),
            )
            if rng.random() < 0.8
            else fmpq(
                rng.choice([0, 1, -7, 2**13000, -(2**11990), 3**20000]), rng.choice([1, 7**9000])
            )
            for _ in range(n * m)
        ]
        got = _texts(fmpq_mat(n, m, vals))
        assert got == [[text_of(v) for v in vals[i * m : (i + 1) * m]] for i in range(n)]
