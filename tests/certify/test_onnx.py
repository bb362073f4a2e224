"""ONNX import/export: exact import of hand-built PyTorch-style models, checked against
onnxruntime; clear errors for what is not a feed-forward ReLU network; exact round trips."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from certify.errors import InputError  # noqa: E402
from certify.io import load_network, save_onnx  # noqa: E402
from certify.network import Network  # noqa: E402
from certify.onnx_io import load_onnx, network_from_onnx, network_to_onnx  # noqa: E402

RNG_SEED = 1234


def init(name, arr, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(arr, dtype=dtype), name)


def model(nodes, inits, in_shape, out_shape, elem=TensorProto.FLOAT, inputs=None, outputs=None):
    inputs = inputs or [helper.make_tensor_value_info("x", elem, in_shape)]
    outputs = outputs or [helper.make_tensor_value_info("y", elem, out_shape)]
    g = helper.make_graph(nodes, "g", inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(m)
    return m


def run_ort(m, x):
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return np.asarray(sess.run(None, {name: x})[0])


def dyadic_points(rng, n, d, lo=-4, hi=4):
    """Points whose coordinates are multiples of 1/8 (exact in float32 and float64)."""
    return rng.integers(lo * 8, hi * 8, size=(n, d)) / 8


def exact_points(P):
    return [[F(float(v)) for v in row] for row in P]


def torch_like_model(rng):
    """Flatten -> Gemm(transB) -> Relu -> MatMul -> Add -> Relu -> Gemm(alpha, beta), float32,
    input [batch, 1, 2, 2] with a symbolic batch, like torch.onnx.export of an MLP."""
    W1 = rng.normal(size=(5, 4)).astype(np.float32)
    b1 = rng.normal(size=5).astype(np.float32)
    W2 = rng.normal(size=(5, 3)).astype(np.float32)  # MatMul weight is [in, out]
    b2 = rng.normal(size=3).astype(np.float32)
    W3 = rng.normal(size=(1, 3)).astype(np.float32)
    b3 = rng.normal(size=1).astype(np.float32)
    nodes = [
        helper.make_node("Flatten", ["x"], ["f"], name="flat", axis=1),
        helper.make_node("Gemm", ["f", "W1", "b1"], ["h1"], name="fc1", transB=1),
        helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
        helper.make_node("MatMul", ["a1", "W2"], ["m2"], name="mm2"),
        helper.make_node("Add", ["m2", "b2"], ["h2"], name="add2"),
        helper.make_node("Relu", ["h2"], ["a2"], name="relu2"),
        helper.make_node(
            "Gemm", ["a2", "W3", "b3"], ["y"], name="fc3", transB=1, alpha=0.5, beta=2.0
        ),
    ]
    inits = [
        init("W1", W1),
        init("b1", b1),
        init("W2", W2),
        init("b2", b2),
        init("W3", W3),
        init("b3", b3),
    ]
    return model(nodes, inits, ["batch", 1, 2, 2], ["batch", 1]), (W1, b1, W2, b2, W3, b3)


def test_torch_like_model_imports_exactly_and_matches_onnxruntime():
    rng = np.random.default_rng(RNG_SEED)
    m, (W1, b1, W2, b2, W3, b3) = torch_like_model(rng)
    net = network_from_onnx(m)
    assert net.input_dim == 4 and net.widths == [4, 5, 3, 1]
    # float32 weights become their exact binary values, not decimal approximations
    L = net.layers
    assert L[0].weight[2][1] == F(float(W1[2, 1]))
    assert L[1].weight[0][4] == F(float(W2[4, 0]))  # MatMul weight transposed
    assert L[2].weight[0][1] == F(float(W3[0, 1])) * F(1, 2)  # alpha
    assert L[2].bias[0] == F(float(b3[0])) * 2  # beta
    P = dyadic_points(rng, 40, 4)
    got = run_ort(m, P.astype(np.float32).reshape(-1, 1, 2, 2)).reshape(-1)
    exact = net.evaluate_many(exact_points(P))
    np.testing.assert_allclose([float(v) for v in exact], got, rtol=1e-5, atol=1e-5)


def test_two_affine_layers_in_a_row_merge_exactly():
    W1 = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.25]])
    W2 = np.array([[1.0, -1.0, 2.0], [0.5, 0.5, 0.5]])
    W3 = np.array([[1.0, 1.0]])
    nodes = [
        helper.make_node("Gemm", ["x", "W1", "b1"], ["h"], transB=1),
        helper.make_node("Gemm", ["h", "W2", "b2"], ["g"], transB=1),  # no ReLU between
        helper.make_node("Relu", ["g"], ["a"]),
        helper.make_node("Gemm", ["a", "W3"], ["y"], transB=1),  # no C input
    ]
    inits = [
        init("W1", W1, np.float64),
        init("b1", [0.5, -0.5, 1.0], np.float64),
        init("W2", W2, np.float64),
        init("b2", [0.0, -1.0], np.float64),
        init("W3", W3, np.float64),
    ]
    m = model(nodes, inits, [1, 2], [1, 1], TensorProto.DOUBLE)
    net = network_from_onnx(m)
    assert net.widths == [2, 2, 1]  # the two Gemm became one layer
    M = W2 @ W1
    assert [list(r) for r in net.layers[0].weight] == [[F(v) for v in r] for r in M]
    assert list(net.layers[0].bias) == [F(v) for v in W2 @ [0.5, -0.5, 1.0] + [0.0, -1.0]]
    rng = np.random.default_rng(1)
    P = dyadic_points(rng, 30, 2)
    got = np.array([run_ort(m, p[None, :])[0, 0] for p in P])
    assert [float(v) for v in net.evaluate_many(exact_points(P))] == pytest.approx(got)


def test_column_form_reshape_transposes_and_elementwise_ops():
    """x [3] -> Reshape [3,1] -> Gemm(A const, x, transA) -> Sub/Mul/Div/Neg -> Relu ->
    Reshape [1,4] -> MatMul -> Add(const first) -> Identity -> y [1,1]."""
    rng = np.random.default_rng(7)
    A = rng.normal(size=(3, 4))  # used with transA=1: A' = A^T is [4, 3]
    c = rng.normal(size=(4, 1))
    s = np.array([[1.0], [0.5], [-2.0], [4.0]])
    V = rng.normal(size=(4, 1))
    nodes = [
        helper.make_node("Constant", [], ["shp"], value=numpy_helper.from_array(np.array([3, 1]))),
        helper.make_node("Reshape", ["x", "shp"], ["xc"]),
        helper.make_node("Gemm", ["A", "xc", "c"], ["h"], transA=1, beta=0.5),
        helper.make_node("Sub", ["h", "c"], ["h2"]),
        helper.make_node("Mul", ["s", "h2"], ["h3"]),
        helper.make_node("Div", ["h3", "s"], ["h4"]),
        helper.make_node("Neg", ["h4"], ["h5"]),
        helper.make_node("Sub", ["c", "h5"], ["h6"]),  # constant − input
        helper.make_node("Relu", ["h6"], ["a"]),
        helper.make_node("Relu", ["a"], ["a2"]),  # idempotent
        helper.make_node("Reshape", ["a2", "shp2"], ["ar"]),
        helper.make_node("MatMul", ["ar", "V"], ["m"]),
        helper.make_node("Add", ["bias", "m"], ["o"]),
        helper.make_node("Identity", ["o"], ["y"]),
    ]
    inits = [
        init("A", A, np.float64),
        init("c", c, np.float64),
        init("s", s, np.float64),
        init("V", V, np.float64),
        init("bias", [[0.25]], np.float64),
        numpy_helper.from_array(np.array([1, -1], dtype=np.int64), "shp2"),
    ]
    m = model(nodes, inits, [3], [1, 1], TensorProto.DOUBLE)
    net = network_from_onnx(m)
    assert net.widths == [3, 4, 1]
    P = dyadic_points(rng, 30, 3)
    got = np.array([run_ort(m, p)[0, 0] for p in P])
    exact = [float(v) for v in net.evaluate_many(exact_points(P))]
    np.testing.assert_allclose(exact, got, rtol=1e-12, atol=1e-12)


def test_relu_on_the_output_gets_an_identity_layer():
    nodes = [
        helper.make_node("Gemm", ["x", "W", "b"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["y"]),
    ]
    m = model(
        nodes,
        [init("W", [[1.0, -1.0]], np.float64), init("b", [0.5], np.float64)],
        [1, 2],
        [1, 1],
        TensorProto.DOUBLE,
    )
    net = network_from_onnx(m)
    assert net.widths == [2, 1, 1]
    assert net.layers[-1].weight == ((F(1),),) and net.layers[-1].bias == (F(0),)
    assert net.evaluate([0, 3]) == 0 and net.evaluate([3, 1]) == F(5, 2)


def test_float32_weight_is_its_exact_binary_value():
    w = np.float32(0.1)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["y"])]
    m = model(nodes, [init("W", [[w]])], [1, 1], [1, 1])
    net = network_from_onnx(m)
    assert net.layers[0].weight[0][0] == F(13421773, 134217728)  # float32(0.1), not 1/10
    assert net.layers[0].weight[0][0] != F(1, 10)


# ------------------------------------------------------------------ errors


def expect_error(m, *needles):
    with pytest.raises(InputError) as e:
        network_from_onnx(m)
    for n in needles:
        assert n in str(e.value), str(e.value)


def test_unsupported_operator_is_named_with_its_node():
    nodes = [
        helper.make_node("Gemm", ["x", "W"], ["h"], name="fc", transB=1),
        helper.make_node("Sigmoid", ["h"], ["y"], name="squash"),
    ]
    m = model(nodes, [init("W", [[1.0, 2.0]])], [1, 2], [1, 1])
    expect_error(m, "Sigmoid", "squash", "Gemm, MatMul")


def test_shape_and_structure_errors():
    W = init("W", [[1.0, 2.0]])
    gemm = helper.make_node("Gemm", ["x", "W"], ["y"], transB=1)
    x2 = helper.make_tensor_value_info("x2", TensorProto.FLOAT, [1, 2])
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    expect_error(model([gemm], [W], None, [1, 1], inputs=[x, x2]), "2 inputs")
    y2 = helper.make_tensor_value_info("y2", TensorProto.FLOAT, [1, 1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1])
    ident = helper.make_node("Identity", ["y"], ["y2"])
    expect_error(model([gemm, ident], [W], [1, 2], None, outputs=[y, y2]), "2 outputs")
    # a batch of 4 fixed in the graph
    expect_error(model([gemm], [W], [4, 2], [4, 1]), "batch dimension 4")
    # unknown feature dimension
    expect_error(model([gemm], [W], ["n", "k"], ["n", 1]), "unknown")
    # skip connection: Add of two input-dependent tensors
    nodes = [
        helper.make_node("Gemm", ["x", "Wsq"], ["h"], transB=1),
        helper.make_node("Add", ["h", "x"], ["s"], name="residual"),
        helper.make_node("Gemm", ["s", "W"], ["y"], transB=1),
    ]
    m = model(nodes, [init("Wsq", np.eye(2)), W], [1, 2], [1, 1])
    expect_error(m, "residual", "both operands")
    # a weight of the wrong shape
    expect_error(model([gemm], [init("W", [[1.0, 2.0, 3.0]])], [1, 2], [1, 1]), "shape")
    # non-finite weight
    expect_error(model([gemm], [init("W", [[1.0, np.inf]])], [1, 2], [1, 1]), "finite")
    # integer input type
    expect_error(model([gemm], [W], [1, 2], [1, 1], elem=TensorProto.INT64), "INT64")


def test_bad_files(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00\x01 not a protobuf \xff\xfe")
    with pytest.raises(InputError, match="junk.onnx"):
        load_network(junk)
    with pytest.raises(InputError, match="missing.onnx"):
        load_network(tmp_path / "missing.onnx")


# ------------------------------------------------------------------ export


def random_dyadic_network(rng, widths, bits=6):
    ws, bs = [], []
    for a, b in zip(widths, widths[1:]):
        ws.append([[F(int(v), 2**bits) for v in row] for row in rng.integers(-64, 64, (b, a))])
        bs.append([F(int(v), 2**bits) for v in rng.integers(-64, 64, b)])
    return Network(ws, bs)


def test_export_agrees_with_exact_evaluation_and_round_trips_exactly(tmp_path):
    rng = np.random.default_rng(5)
    net = random_dyadic_network(rng, [3, 6, 4, 1])
    rep = save_onnx(net, tmp_path / "n.onnx")
    assert rep.exact and rep.inexact_params == 0 and rep.params == net.num_params()
    m = onnx.load(tmp_path / "n.onnx")
    props = {p.key: p.value for p in m.metadata_props}
    assert props["robustmem_exact"] == "true" and props["robustmem_sha256"] == net.content_hash()
    assert "inexact when a weight is not representable" in m.doc_string
    P = dyadic_points(rng, 50, 3)
    got = np.array([run_ort(m, p[None, :])[0, 0] for p in P])
    exact = [float(v) for v in net.evaluate_many(exact_points(P))]
    np.testing.assert_allclose(exact, got, rtol=1e-12, atol=1e-12)
    # json -> onnx -> json is exact, to the byte
    back = load_onnx(tmp_path / "n.onnx")
    assert back == net and back.to_json_text() == net.to_json_text()
    assert load_network(tmp_path / "n.onnx") == net  # the .onnx dispatch of certify.io.load_network
    # deterministic bytes
    save_onnx(net, tmp_path / "m.onnx")
    assert (tmp_path / "n.onnx").read_bytes() == (tmp_path / "m.onnx").read_bytes()


def test_export_reports_inexact_weights():
    net = Network([[[F(1, 3), 1]], [[F(2, 7)]]], [[F(1, 10)], [0]])
    m, rep = network_to_onnx(net)
    assert not rep.exact and rep.inexact_params == 3
    props = {p.key: p.value for p in m.metadata_props}
    assert props["robustmem_exact"] == "false" and props["robustmem_inexact_params"] == "3"
    assert "INEXACT" in m.doc_string
    x = np.array([[0.5, 0.25]])
    assert run_ort(m, x)[0, 0] == pytest.approx(float(net.evaluate(["1/2", "1/4"])), rel=1e-15)
    back = network_from_onnx(m)
    assert back != net  # rounded: the float64 values, exactly
    assert back.layers[0].weight[0][0] == F(1 / 3)


def test_certify_accepts_onnx_networks(tmp_path):
    from certify.dataset import Dataset
    from certify.run import certify, make_radius

    net = Network([[[1], [1]], [[1, -1]]], [[-1, -2], [1]])  # 1 on x<=1, x on [1,2], 2 on x>=2
    save_onnx(net, tmp_path / "step.onnx")
    ds = Dataset([[0], [3]], [1, 2])
    rad = make_radius(ds, "inf", rho="1/2")
    a = certify(load_network(tmp_path / "step.onnx"), ds, rad, engine="linear", timeout=30)
    b = certify(net, ds, rad, engine="linear", timeout=30)
    assert [r.status for r in a.results] == [r.status for r in b.results] == ["PROVED", "PROVED"]
