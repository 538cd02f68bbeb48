"""benchmarks/: the pure parts of the speed benchmark (FLOP counting, rows, table, names). No timing is asserted."""

import sys

import keras
import pytest
from keras import layers

import vae_helpers as vh
from benchmarks import flops, run, training_speed
from benchmarks import precision as precision_check


def test_layer_flops_match_a_hand_count():
    inputs = keras.Input(shape=(6, 6, 2))
    h = layers.Conv2D(3, 3, padding="same")(inputs)  # 6*6 outputs x 3 filters x (3*3*2) MACs = 1944
    h = layers.MaxPooling2D(2)(h)  # (3, 3, 3), no kernel: 0
    h = layers.Conv2DTranspose(4, 3, strides=2, padding="same")(h)  # 3*3*3 inputs x (3*3*4) MACs = 972
    h = layers.Flatten()(h)  # 6*6*4 = 144 features
    outputs = layers.Dense(5)(h)  # 144 x 5 MACs = 720
    model = keras.Model(inputs, outputs)
    assert flops.forward_flops(model) == 2 * (1944 + 972 + 720)


def test_reference_vae_training_flops_are_three_forward_passes():
    macs = {  # per image, layer by layer, from the shapes in model.py
        "conv 28x28x1 -> 32": 28 * 28 * 32 * 9 * 1,
        "conv 14x14x32 -> 64": 14 * 14 * 64 * 9 * 32,
        "dense 3136 -> 16": 3136 * 16,
        "z_mean and z_log_var": 2 * 16 * 2,
        "dense 2 -> 3136": 2 * 3136,
        "convT 7x7x64 -> 64": 7 * 7 * 64 * 9 * 64,
        "convT 14x14x64 -> 32": 14 * 14 * 64 * 9 * 32,
        "convT 28x28x32 -> 1": 28 * 28 * 32 * 9 * 1,
    }
    assert flops.vae_training_flops(vh.build_vae()) == 3 * 2 * sum(macs.values())


def test_flop_counting_rejects_what_is_not_a_model():
    with pytest.raises(ValueError, match="keras.Model"):
        flops.forward_flops("encoder")
    with pytest.raises(ValueError, match="encoder"):
        flops.vae_training_flops(object())


def test_training_rows_give_ratios_to_the_reference_and_the_share_of_peak():
    results = [
        {"variant": "reference", "images_per_second": 500.0, "measured_epochs": 1, "neg_elbo_after": None},
        {"variant": "course", "images_per_second": 1000.0, "measured_epochs": 1, "neg_elbo_after": 301.234},
        {"variant": "course-xla", "error": "boom"},
    ]
    rows = run.training_rows(results, flops_per_image=1e6, peak_flops=4e9)
    assert [row["name"] for row in rows] == ["reference", "course", "course-xla"]
    assert rows[0]["ratio"] == 1.0 and rows[1]["ratio"] == 2.0
    assert rows[1]["note"].startswith("25.0% of fp32 matmul peak")  # 1000 img/s * 1 MFLOP / 4 GFLOP/s
    assert "-ELBO after 2 epochs 301.23" in rows[1]["note"]
    assert rows[2]["value"] is None and "boom" in rows[2]["note"]


def test_each_backend_is_compared_with_the_port_on_the_same_backend():
    results = [
        {
            "variant": "reference",
            "backend": "tensorflow",
            "images_per_second": 500.0,
            "cpu_ms_per_image": 0.8,
            "measured_epochs": 1,
        },
        {
            "variant": "course",
            "backend": "tensorflow",
            "images_per_second": 1000.0,
            "cpu_ms_per_image": 0.32,
            "measured_epochs": 1,
        },
        {
            "variant": "reference-jax",
            "backend": "jax",
            "images_per_second": 100.0,
            "cpu_ms_per_image": 2.0,
            "measured_epochs": 1,
        },
        {
            "variant": "course-jax",
            "backend": "jax",
            "images_per_second": 150.0,
            "cpu_ms_per_image": 1.6,
            "measured_epochs": 1,
        },
    ]
    rows = {row["name"]: row for row in run.training_rows(results, 1.0, 1.0)}
    assert rows["course"]["ratio"] == 2.0 and rows["course"]["cpu_ratio"] == pytest.approx(2.5)
    assert rows["course-jax"]["ratio"] == 1.5 and rows["course-jax"]["cpu_ratio"] == pytest.approx(1.25)
    assert "(2.50x less CPU work than the port)" in rows["course"]["note"]
    assert "than the port" not in rows["reference"]["note"] and rows["reference"]["cpu_ratio"] == 1.0
    assert run.cpu_work(0.8) == "1.25x more CPU work"
    lines = run.backend_lines(list(rows.values()), ["tensorflow", "jax"])
    assert lines[0] == (
        "Backend tensorflow: course 1,000 images/s (median epoch), 2.00x the port's images/s, "
        "2.50x less CPU work per image."
    )
    assert lines[1].startswith("Backend jax: course-jax 150 images/s") and "1.25x less CPU work" in lines[1]
    assert lines[2] == "Backend torch: not installed here, no row."
    assert "did not run" in run.backend_lines([], ["jax"])[1]


def test_each_backend_has_a_port_and_a_course_variant_run_on_it():
    for backend in training_speed.BACKENDS:
        port, course = training_speed.port_and_course(backend)
        assert training_speed.BY_NAME[port].backend == training_speed.BY_NAME[course].backend == backend
        assert training_speed.BY_NAME[port].path == "reference" and training_speed.BY_NAME[course].path == "course"
        assert training_speed.BY_NAME[course].dtype_policy == "auto"
    assert run.variant_names("CPU", ["jax"], only_port_and_course=True) == ["reference-jax", "course-jax"]
    assert {v.backend for v in training_speed.variants_for("CPU", ["jax"])} == {"jax"}
    with pytest.raises(ValueError, match="unknown backend"):
        training_speed.variants_for("CPU", ["theano"])
    assert set(training_speed.installed_backends()) <= set(training_speed.BACKENDS)
    assert keras.backend.backend() in training_speed.installed_backends()


def test_other_backends_train_on_fewer_images_on_a_cpu_only():
    sizes = run.FULL
    assert run.training_images(sizes, "CPU", "tensorflow") == sizes["n_train"]
    assert run.training_images(sizes, "CPU", "jax") == sizes["n_train_cpu_other_backends"] < sizes["n_train"]
    assert run.training_images(sizes, "GPU", "jax") == sizes["n_train"]


def test_a_variant_refuses_to_run_on_another_backend():
    other = next(name for name in training_speed.BACKENDS if name != keras.backend.backend())
    variant = training_speed.BY_NAME[training_speed.port_and_course(other)[1]]
    with pytest.raises(RuntimeError, match=f"KERAS_BACKEND={other}"):
        training_speed.measure(variant, 10, 1)


def test_merge_rounds_takes_the_median_epoch_and_keeps_the_fastest():
    runs = [
        {
            "variant": "course",
            "n_train": 1200,
            "epoch_seconds": [2.0, 1.2],
            "cpu_ms_per_image": 0.5,
            "measured_epochs": 2,
            "neg_elbo_after": 300.0,
        },
        {
            "variant": "course",
            "n_train": 1200,
            "epoch_seconds": [1.0, 3.0],
            "cpu_ms_per_image": 0.7,
            "measured_epochs": 2,
            "neg_elbo_after": 300.0,
        },
    ]
    merged = run.merge_rounds(runs)
    assert merged["images_per_second"] == pytest.approx(1200 / 1.6)  # median of 1.0, 1.2, 2.0, 3.0
    assert merged["best_images_per_second"] == pytest.approx(1200 / 1.0)
    assert merged["cpu_ms_per_image"] == pytest.approx(0.6) and merged["rounds"] == 2
    assert merged["epoch_seconds"] == [[2.0, 1.2], [1.0, 3.0]]
    row = run.training_rows([merged], 1.0, 1.0)[0]
    assert "fastest epoch 1,200 images/s" in row["note"] and "0.60 CPU-ms/image" in row["note"]
    assert run.merge_rounds([runs[0], {"variant": "course", "error": "boom"}])["error"] == "boom"


def test_training_rows_name_the_precision_measured():
    results = [{"variant": "course", "images_per_second": 10.0, "measured_epochs": 1, "precision": "mixed_bfloat16"}]
    assert run.training_rows(results, 1.0, 1.0)[0]["note"].startswith("tensorflow, mixed_bfloat16; ")


@pytest.mark.parametrize(
    "training_ratio, cpu_ratio, grid_ratio, expected",
    [
        (
            1.62,
            2.06,
            1400.0,
            [
                "Goal training: >= 1.5x: 1.62x, met.",
                "Goal training CPU work: >= 2x: 2.06x, met.",
                "Goal latent grid: >= 500x: 1400.00x, met.",
            ],
        ),
        (
            1.2,
            1.57,
            380.0,
            [
                "Goal training: >= 1.5x: 1.20x, NOT met.",
                "Goal training CPU work: >= 2x: 1.57x, NOT met.",
                "Goal latent grid: >= 500x: 380.00x, NOT met.",
            ],
        ),
    ],
)
def test_goal_lines_compare_the_course_rows_with_the_goals(training_ratio, cpu_ratio, grid_ratio, expected):
    rows = [
        {"section": "training", "name": "course-fp32", "ratio": 9.0, "cpu_ratio": 9.0},
        {"section": "training", "name": "course", "ratio": training_ratio, "cpu_ratio": cpu_ratio},
        {"section": "latent grid", "name": "vh.latent_grid (1 compiled call)", "ratio": grid_ratio},
    ]
    assert run.goal_lines(rows) == expected
    assert run.goal_lines([])[0] == "Goal training: >= 1.5x: not measured in this run."


def test_ratios_are_absent_without_a_reference_row():
    rows = run.training_rows([{"variant": "course", "images_per_second": 10.0, "measured_epochs": 1}], 1.0, 1.0)
    assert rows[0]["ratio"] is None


def test_fraction_of_peak_rejects_a_zero_peak():
    assert run.fraction_of_peak(100.0, 2e6, 4e8) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="peak_flops"):
        run.fraction_of_peak(100.0, 2e6, 0.0)


def test_format_table_aligns_columns_and_formats_values():
    rows = [
        {"section": "training", "name": "reference", "value": 1234.5, "unit": "images/s", "ratio": 1.0},
        {
            "section": "latent grid",
            "name": "batched",
            "value": 0.01234,
            "unit": "s",
            "ratio": 612.345,
            "note": "same image",
        },
        {"section": "training", "name": "broken", "value": None, "unit": "images/s", "note": "failed: x"},
    ]
    lines = run.format_table(rows).splitlines()
    assert len(lines) == 2 + len(rows)  # header, rule, one line per row
    assert set(lines[1]) == {"-"}
    assert "1,234" in lines[2] and "1.00x" in lines[2]
    assert "0.01234" in lines[3] and "612.35x" in lines[3] and lines[3].endswith("same image")
    assert " - " in lines[4] and lines[4].endswith("failed: x")
    assert len({line.index("images/s") for line in (lines[2], lines[4])}) == 1  # unit column aligned


def test_latency_rows_read_the_explorer_benchmark_result():
    result = {
        "naive": {"p50_ms": 90.0, "p95_ms": 120.0},
        "course": {"p50_ms": 9.0, "p95_ms": 12.0, "traces": 1},
        "moves": 20,
    }
    rows = run.latency_rows(result)
    assert [row["name"].split(", ")[1] for row in rows] == ["p50", "p95", "p50", "p95"]
    assert rows[2]["ratio"] == pytest.approx(10.0) and rows[3]["note"] == "decoder traced 1 time(s)"
    assert run.latency_rows({"moves": 3}) == []


def test_latency_rows_add_the_conditional_explorer_slider_and_class_rows():
    result = {
        "naive": {"p50_ms": 90.0, "p95_ms": 120.0},
        "course": {"p50_ms": 9.0, "p95_ms": 12.0, "traces": 1},
        "conditional": {"p50_ms": 3.0, "p95_ms": 4.0, "traces": 1, "class_change": {"p50_ms": 0.5, "p95_ms": 0.6}},
        "moves": 20,
    }
    rows = run.latency_rows(result)
    assert [row["name"] for row in rows[4:]] == [
        "course: vh.explore_conditional (slider), p50",
        "course: vh.explore_conditional (slider), p95",
        "course: vh.explore_conditional (class), p50",
        "course: vh.explore_conditional (class), p95",
    ]
    assert [row["value"] for row in rows[4:]] == [3.0, 4.0, 0.5, 0.6]
    assert rows[5]["ratio"] == pytest.approx(30.0) and rows[7]["ratio"] == pytest.approx(200.0)
    assert rows[7]["note"] == "decoder traced 1 time(s)"


def test_machine_name_is_a_safe_file_name():
    name = run.machine_name("CPU", cpu_count=2, cpu_model="Intel(R) Xeon(R) CPU @ 2.20GHz")
    assert name == "cpu-2cores-intel-xeon"
    assert run.machine_name("GPU", gpu_name="NVIDIA H100 80GB HBM3") == "gpu-nvidia-h100-80gb-hbm3"


def test_variants_depend_on_the_device_and_validation_follows_each_path():
    cpu = {variant.name for variant in training_speed.variants_for("CPU")}
    gpu = {variant.name for variant in training_speed.variants_for("GPU")}
    assert {"reference", "course", "course-fp32", "course-fp32-xla"} <= cpu
    assert "course-fp16" not in cpu and "course-fp16" in gpu
    assert training_speed.BY_NAME["course"].dtype_policy == "auto"  # what the training command does
    assert training_speed.BY_NAME["reference"].dtype_policy == "float32"
    assert training_speed.validation_size("reference", 12_000) == 2_000  # 10,000 test / 60,000 train
    assert training_speed.validation_size("course", 11_000) == 1_000  # 5,000 held out / 55,000 train
    with pytest.raises(ValueError, match="CPU"):
        training_speed.variants_for("TPU")
    with pytest.raises(ValueError, match="unknown variant"):
        training_speed.measure_in_subprocess("course-typo", 10, 1)


def test_the_port_wrapped_with_logits_keeps_its_probabilities_and_its_loss():
    import numpy as np
    from keras import ops

    from benchmarks import quality
    from vae_helpers.reference import ReferenceVAE

    keras.utils.set_random_seed(0)
    port = ReferenceVAE()
    wrapped = quality.as_course_vae(port)
    z = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    x = np.random.default_rng(1).uniform(size=(8, 28, 28, 1)).astype("float32")
    probabilities = ops.convert_to_numpy(port.decoder(z))
    np.testing.assert_allclose(ops.convert_to_numpy(wrapped.decoder(z)), probabilities, atol=1e-6)
    # Away from 0 and 1 Keras' clipping does not bite, so its BCE on probabilities equals the NLL from logits.
    port_nll = 784 * ops.convert_to_numpy(ops.mean(keras.losses.binary_crossentropy(x, probabilities), axis=(1, 2)))
    wrapped_nll = ops.convert_to_numpy(vh.reconstruction_loss(x, wrapped.decoder_logits(z)))
    np.testing.assert_allclose(wrapped_nll, port_nll, rtol=1e-4)
    assert wrapped.encoder is port.encoder
    with pytest.raises(ValueError, match="ReferenceVAE"):
        quality.as_course_vae(vh.build_vae())


def test_markdown_table_has_one_line_per_row():
    rows = [{"section": "training", "name": "course", "value": 1500.0, "unit": "images/s", "ratio": 1.5, "note": "a|b"}]
    lines = run.format_markdown(rows).splitlines()
    assert lines[0].startswith("| section") and lines[1].startswith("|---")
    assert lines[2] == "| training | course | 1,500 images/s | 1.50x | a/b |"


def scored(neg_elbo, iwae100, precision=None):
    metrics = {
        "command": "python -m vae_helpers",
        "epochs": 50,
        "train_wall_seconds": 1.0,
        "scores": {"test": {"neg_elbo": neg_elbo}},
        "iwae_test": {"100": iwae100},
    }
    if precision:
        metrics["training_precision"] = precision
    return precision_check.summary(metrics)


@pytest.mark.parametrize("mixed, within", [(262.5, True), (261.0, True), (262.9, False)])
def test_precision_comparison_holds_mixed_precision_to_one_nat(mixed, within):
    float32 = scored(261.7, 258.1)  # a JSON written before the precision field existed: float32
    assert float32["precision"] == "float32"
    verdict = precision_check.compare(float32, scored(mixed, 258.5, "mixed_bfloat16"))
    assert verdict["neg_elbo_cost_nats"] == pytest.approx(mixed - 261.7)
    assert verdict["iwae_cost_nats"]["100"] == pytest.approx(0.4)
    assert verdict["within_bar"] is within


def test_precision_check_rejects_zero_epochs(capsys):
    with pytest.raises(SystemExit):
        precision_check.main(["--epochs", "0"])
    assert "--epochs must be >= 1, got 0" in capsys.readouterr().err


def test_explore_latency_runs_every_side_with_one_trace_and_a_new_image_per_update():
    from benchmarks import explore_latency

    result = explore_latency.run(6)  # no timing asserted: only that each update was measured and redrew
    for timings in (result["naive"], result["course"], result["conditional"], result["conditional"]["class_change"]):
        assert timings["moves"] == 6 and timings["moves_without_new_image"] == 0
    if keras.backend.backend() != "torch":  # PyTorch compiles nothing: it traces at every call
        assert result["course"]["traces"] == 1 and result["conditional"]["traces"] == 1
    lines = explore_latency.format_table(result).splitlines()
    assert len(lines) == 2 + len(explore_latency.SIDES) + 2  # title, header, one line per side, two goal lines
    assert lines[-1].startswith("conditional explorer: goal p95 < 10 ms")


def test_time_to_quality_table_marks_the_target_and_the_ratios():
    from benchmarks import time_to_quality

    arm = lambda label, cpu, neg_elbo, epochs: {  # noqa: E731
        "label": label,
        "epochs": epochs,
        "train_cpu_seconds": cpu,
        "running_wall_seconds": cpu / 2,
        "test": {"neg_elbo": neg_elbo},
        "cpu_ratio": 1000.0 / cpu,
    }
    report = {
        "target_neg_elbo": 262.0,
        "arms": [arm("tutorial", 1000.0, 262.0, 50), arm("fast", 200.0, 261.9, 18), arm("slow", 500.0, 262.5, 10)],
        "levers": [{"setting": "float32", "cpu_ms_per_image": 0.8}, {"setting": "bf16", "cpu_ms_per_image": 0.4}],
    }
    rows = time_to_quality.table(report).splitlines()[2:]
    assert rows[0].endswith("| yes | 1.00× |") and rows[1].endswith("| yes | 5.00× |")
    assert rows[2].endswith("| no | 2.00× |")
    assert time_to_quality.lever_table(report).splitlines()[-1] == "| bf16 | 0.400 | 2.00× |"


BUSY = """
import time
marks = []
while time.process_time() < 0.8:
    marks.append(time.time())
print(marks[0], marks[-1])
"""


def test_interleaved_arms_run_over_the_same_stretch_of_time():
    """Two arms of 0.8 CPU s each, in rounds of 0.4 s: each starts before the other ends, and each is reported as
    running at least its CPU time (a busy loop on one thread)."""
    from benchmarks import time_to_quality

    a, b = time_to_quality.run_interleaved([[sys.executable, "-c", BUSY]] * 2, [1, 1], round_seconds=0.4)
    (a_start, a_end), (b_start, b_end) = (map(float, arm["stdout"].split()) for arm in (a, b))
    assert b_start < a_end and a_start < b_end
    assert a["running_wall_seconds"] >= 0.8 and b["running_wall_seconds"] >= 0.8


def test_a_failed_arm_stops_the_benchmark_with_its_error():
    from benchmarks import time_to_quality

    with pytest.raises(RuntimeError, match="no such recipe"):
        time_to_quality.run_interleaved([[sys.executable, "-c", "raise SystemExit('no such recipe')"]], [1], 0.2)


def test_time_to_quality_quick_run_measures_every_arm_and_lever(tmp_path):
    """A smoke run of the whole benchmark on 2,048 images: every arm trains, is scored and has a CPU time."""
    from benchmarks import time_to_quality

    out = tmp_path / "ttq.json"
    report = time_to_quality.main(["--quick", "--out", str(out)])
    assert out.is_file() and report["quick"]
    assert [arm["recipe"] if "recipe" in arm else arm["command"] for arm in report["arms"]][0] == "tutorial"
    assert report["arms"][0]["cpu_ratio"] == 1.0
    assert all(arm["train_cpu_seconds"] > 0 and arm["test"]["neg_elbo"] > 0 for arm in report["arms"])
    assert "--recipe fast --precision float32" in report["arms"][2]["command"]
    assert len(report["levers"]) == 6 and all(row["cpu_ms_per_image"] > 0 for row in report["levers"])
