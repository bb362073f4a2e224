"""bench/bench_vnnlib.py without the benchmark files: it skips cleanly, and lists the
VNN-COMP instances it would run from a directory laid out like ../shared/benchmarks."""

from __future__ import annotations

from tests.bench_loader import load_bench


def test_skips_when_the_benchmarks_are_absent(tmp_path, capsys):
    bench = load_bench("bench_vnnlib")
    assert bench.main(["--data", str(tmp_path / "absent"), "--out", str(tmp_path / "r.md")]) == 0
    assert "skipped" in capsys.readouterr().out
    assert not (tmp_path / "r.md").exists()


def test_instances_follow_the_csv(tmp_path):
    bench = load_bench("bench_vnnlib")
    acas = tmp_path / "acasxu"
    acas.mkdir()
    for n in ("ACASXU_run2a_1_1_batch_2000.onnx", "ACASXU_run2a_1_9_batch_2000.onnx"):
        (acas / n).write_bytes(b"")
    (acas / "acasxu_instances.csv").write_text(
        "ACASXU_run2a_1_1_batch_2000.onnx,prop_1.vnnlib,116\n"
        "ACASXU_run2a_1_9_batch_2000.onnx,prop_7.vnnlib,116\n"
    )
    got = [(n.name, p.name) for n, p in bench.instances(tmp_path, True, True, 2)]
    assert got[:3] == [
        ("ACASXU_run2a_1_1_batch_2000.onnx", "prop_1.vnnlib"),
        ("ACASXU_run2a_1_9_batch_2000.onnx", "prop_1.vnnlib"),
        ("ACASXU_run2a_1_9_batch_2000.onnx", "prop_7.vnnlib"),
    ]
    assert [p for _, p in got[3:]] == [
        "prop_0_0.03.vnnlib",
        "prop_1_0.03.vnnlib",
        "prop_0_0.05.vnnlib",
        "prop_1_0.05.vnnlib",
    ]
