"""Runs and inputs that never surprise (issue 23): a run killed while it is scored, a crash between the two final
writes, a finished folder without its checkpoint, images replaced in place, bounded decodes under an address-space
cap, crafted run folders, and the command's flags. Each test failed before its fix."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from PIL import Image

import vae_helpers as vh
import vae_helpers.model as model_module
from vae_helpers import cli, pretrained, runs

SMALL = {"n_train": 128, "n_eval": 20}  # a smaller quick run: the folder's logic is what is tested
QUICK_RUN = textwrap.dedent("""
    import pathlib, sys, time
    import vae_helpers as vh
    from vae_helpers import cli
    cli.QUICK.update(epochs={epochs}, **{small!r})
    cli.IWAE_KS = (1, 10)
    if {stall}:  # stand for the minutes of scoring a full run: say so, then wait to be killed
        def stall(*args, **kwargs):
            pathlib.Path({marker!r}).write_text("scoring")
            time.sleep(600)
        vh.evaluate = stall
    cli.main({argv!r})
""")


def quick_argv(out):
    return ["--quick", "--n-val", "64", "--precision", "float32", "--out", str(out)]


def run_quick(out, data_dir, epochs, stall=False, marker=""):
    script = QUICK_RUN.format(epochs=epochs, small=SMALL, stall=stall, marker=str(marker), argv=quick_argv(out))
    env = {**os.environ, "VAE_DATA_DIR": str(data_dir), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def files_of(out):
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (out / "model.weights.h5", out / "metrics.json")}


def main_in_process(out, epochs, monkeypatch, capsys):
    for key, value in {**SMALL, "epochs": epochs}.items():
        monkeypatch.setitem(cli.QUICK, key, value)
    monkeypatch.setattr(cli, "IWAE_KS", (1, 10))
    capsys.readouterr()
    metrics = cli.main(quick_argv(out))
    return metrics, capsys.readouterr().out


def assert_metrics_describe_the_weights(out, epochs):
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == epochs == len(metrics["history"]["loss"])
    assert metrics[cli.WEIGHTS_DIGEST] == runs.file_digest(out / "model.weights.h5")
    assert json.loads((out / "checkpoint" / "state.json").read_text())["epochs_done"] == epochs


def test_a_run_killed_while_scored_or_between_its_writes_is_finished_by_the_same_command(
    fake_fashion_dir, tmp_path, monkeypatch, capsys
):
    out, marker = tmp_path / "run", tmp_path / "scoring"
    first = run_quick(out, fake_fashion_dir, epochs=1)
    assert first.wait(timeout=600) == 0, first.stderr.read()[-3000:]
    finished = files_of(out)

    # continued to 2 epochs and killed (SIGKILL) while it is scored: after epoch 2 is checkpointed, before any write
    second = run_quick(out, fake_fashion_dir, epochs=2, stall=True, marker=marker)
    try:
        deadline = time.monotonic() + 600
        while not marker.exists():
            assert second.poll() is None and time.monotonic() < deadline, second.stderr.read()[-3000:]
            time.sleep(0.1)
    finally:
        second.send_signal(signal.SIGKILL)
        second.wait(timeout=60)
    assert files_of(out) == finished  # the 1-epoch model and metrics, while the checkpoint holds 2 epochs

    monkeypatch.setenv("VAE_DATA_DIR", str(fake_fashion_dir))
    _, printed = main_in_process(out, 2, monkeypatch, capsys)  # the same command again
    assert "scoring and writing them now" in printed and "already finished" not in printed
    assert_metrics_describe_the_weights(out, 2)
    done = files_of(out)
    _, printed = main_in_process(out, 2, monkeypatch, capsys)  # and once more: now it is finished
    assert "This run was already finished (2 epochs)" in printed and files_of(out) == done

    # continued to 3 epochs, crashing between the two final writes: new weights, the old metrics.json
    real_write = runs.write_json

    def crash(path, value):
        if path.name == "metrics.json":
            raise KeyboardInterrupt("a crash between the two writes")
        real_write(path, value)

    monkeypatch.setattr(runs, "write_json", crash)
    with pytest.raises(KeyboardInterrupt):
        main_in_process(out, 3, monkeypatch, capsys)
    monkeypatch.setattr(runs, "write_json", real_write)
    assert json.loads((out / "metrics.json").read_text())["epochs"] == 2
    _, printed = main_in_process(out, 3, monkeypatch, capsys)
    assert "scoring and writing them now" in printed
    assert_metrics_describe_the_weights(out, 3)

    # checkpoint/ removed: the same command refuses to train over the finished model
    done = files_of(out)
    for path in (out / "checkpoint").iterdir():
        path.unlink()
    (out / "checkpoint").rmdir()
    with pytest.raises(SystemExit) as info:
        main_in_process(out, 3, monkeypatch, capsys)
    assert "holds a trained model (model.weights.h5, metrics.json) but no checkpoint" in str(info.value.code)
    assert "--restart" in str(info.value.code)
    assert files_of(out) == done and not list(tmp_path.glob("run.old-*"))


def test_a_data_folder_whose_images_were_replaced_in_place_is_not_resumed(tmp_path, monkeypatch, capsys):
    folder, out = tmp_path / "images", tmp_path / "run"
    folder.mkdir()
    rng = np.random.default_rng(2)
    for i in range(40):
        Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8)).save(folder / f"{i:02d}.png")
    argv = ["--data-dir", str(folder), "--image-size", "8", "--precision", "float32", "--out", str(out)]
    cli.main([*argv, "--epochs", "1"])
    for path in folder.iterdir():  # same names, same count, other pixels
        Image.new("L", (8, 8), 255).save(path)
    with pytest.raises(SystemExit) as info:
        cli.main([*argv, "--epochs", "2"])
    assert "holds a run made with other settings" in str(info.value.code)
    assert "data_sha256:" in str(info.value.code)


def test_weights_that_cannot_fit_on_the_disk_are_refused_before_h5py_writes(make_tiny_vae, tmp_path, monkeypatch):
    """h5py, when the disk fills during a write, leaves an object that crashes the interpreter at exit."""
    monkeypatch.setattr(runs.shutil, "disk_usage", lambda path: runs.shutil._ntuple_diskusage(10**9, 10**9, 50_000))
    with pytest.raises(
        runs.RunFolderError,
        match=r"is full: model.weights.h5 could not be written \(about 1.0 MB "
        r"needed, 0.1 MB free\)",
    ):
        runs.save_weights(make_tiny_vae(), tmp_path / "model.weights.h5")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--image-size", "0"], "--image-size only apply to your own images"),
        (
            ["--data-dir", "x", "--image-size", "260"],
            "--image-size 260, as an image shape, must be (H, W, C) with H and W multiples of 4 from 4 to 256",
        ),
        (
            ["--data-dir", "x", "--image-size", "0"],
            "--image-size 0, as an image shape, must be (H, W, C) with H and W multiples of 4 from 4 to 256",
        ),
        (["--seed", str(2**32)], "--seed must be an integer from 0 to 2**32 - 1"),
        (["--latent-dim", "2000"], "--latent-dim must be a positive integer up to 1,024"),
        (["--batch-size", "100000"], "--batch-size must be a positive integer up to 4,096"),
    ],
)
def test_flags_out_of_range_are_refused_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        cli.parse_args(argv)
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_quick_keeps_an_n_val_given_explicitly():
    assert cli.parse_args(["--quick", "--n-val", "1000"]).n_val == 1000
    assert cli.parse_args(["--quick"]).n_val == cli.QUICK["n_val"]


def test_a_strategy_that_cannot_start_here_ends_with_a_message(monkeypatch, fake_fashion_dir, tmp_path):
    def no_tpu(name):
        raise ValueError("Please provide a TPU Name to connect to.")

    monkeypatch.setenv("VAE_DATA_DIR", str(fake_fashion_dir))
    monkeypatch.setattr(vh, "make_strategy", no_tpu)
    with pytest.raises(SystemExit) as info:
        cli.main(["--quick", "--strategy", "tpu", "--out", str(tmp_path / "never")])
    assert "--strategy tpu cannot start here (ValueError: Please provide a TPU Name" in str(info.value.code)
    assert "needs a TPU runtime" in str(info.value.code) and not (tmp_path / "never").exists()


BOUNDED_DECODES = textwrap.dedent("""
    import resource, sys
    import numpy as np
    import vae_helpers as vh
    from vae_helpers import fast_decoding
    vae, cvae = vh.load_pretrained("fashion-latent2"), vh.load_pretrained("fashion-cvae2")
    z = np.zeros((3000, 2), np.float32)
    vh.FastDecoder(vae)(z[:10]), vae.decode(z[:10]), cvae.generate(3, n=10), vh.class_grid(cvae, z[:1])  # warm up
    fast_decoding.MAX_DECODES_PER_CALL = int(sys.argv[1])  # 250: a few thousand points already need chunks
    size = int(next(l for l in open("/proc/self/status") if l.startswith("VmSize")).split()[1]) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size + 150 * 2**20, resource.RLIM_INFINITY))  # 150 MB more
    shapes = [vh.FastDecoder(vae)(z).shape, tuple(vae.decode(z).shape), cvae.generate(3, n=3000).shape,
              vh.class_grid(cvae, z[:300]).shape]
    print(shapes)
""")


def test_decoding_many_points_stays_within_an_address_space_cap():
    """Each of 3,000 points decoded at once needs about 110 kB of activations (some 330 MB): over the cap (with
    ``MAX_DECODES_PER_CALL`` above 3,000 the child fails). In chunks of 250 they fit."""
    done = subprocess.run(
        [sys.executable, "-c", BOUNDED_DECODES, "250"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == str(
        [(3000, 28, 28), (3000, 28, 28, 1), (3000, 28, 28, 1), (10, 300, 28, 28)]
    )


def test_chunks_are_decoded_at_most_max_decodes_per_call(monkeypatch):
    from vae_helpers import fast_decoding

    monkeypatch.setattr(fast_decoding, "MAX_DECODES_PER_CALL", 4)
    sizes = []
    result = fast_decoding.call_in_chunks(lambda a, b: sizes.append(len(a)) or a + b, np.arange(10), np.arange(10))
    assert sizes == [4, 4, 2]
    np.testing.assert_array_equal(result, 2 * np.arange(10))


def test_the_interpolation_explorer_refuses_a_huge_strip():
    vae = vh.load_pretrained("fashion-latent2")
    x = np.zeros((2, 28, 28, 1), np.float32)
    with pytest.raises(ValueError, match=r"steps must be an integer from 2 to 64 \(images in the strip"):
        vh.explore_interpolation(vae, vae, x, steps=10**6)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"latent_dim": 10**7}, "latent_dim must be a positive integer up to 1,024"),
        ({"latent_dim": 2.9}, "latent_dim must be a positive integer up to 1,024"),
        ({"image_shape": [2048, 2048, 1]}, "image_shape must be .* multiples of 4 from 4 to 256"),
        ({"image_shape": [-28, 28, 1]}, "image_shape must be .* multiples of 4 from 4 to 256"),
        ({"beta": float("nan")}, "beta must be a finite number >= 0"),
        ({"seed": -1}, "seed must be None or an integer from 0 to 2\\*\\*32 - 1"),
    ],
)
def test_a_crafted_metrics_json_is_refused_before_the_model_is_built(tmp_path, change, message, monkeypatch):
    info = {**json.loads((pretrained.PRETRAINED_DIR / "fashion-latent2.json").read_text()), **change}
    (tmp_path / "metrics.json").write_text(json.dumps(info))
    (tmp_path / "model.weights.h5").write_bytes((pretrained.PRETRAINED_DIR / "fashion-latent2.weights.h5").read_bytes())
    monkeypatch.setattr(model_module, "build_vae", lambda *a, **k: pytest.fail("built before the checks"))
    with pytest.raises(ValueError, match=f"metrics.json does not describe a model the course builds: {message}"):
        vh.load_pretrained(tmp_path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("[1, 2]", "must hold a JSON object .*got a list"),
        ("{oops", "is not readable JSON \\(JSONDecodeError"),
        ("[" * 200_000 + "]" * 200_000, "is not readable JSON \\(RecursionError"),
        ("{}".encode("utf-16").decode("latin-1"), "is not readable JSON"),
    ],
)
def test_an_unreadable_metrics_json_is_named(tmp_path, text, message):
    (tmp_path / "metrics.json").write_text(text, encoding="latin-1")
    (tmp_path / "model.weights.h5").write_bytes(b"")
    for function in (vh.load_pretrained, vh.pretrained_info):
        with pytest.raises(ValueError, match=f"metrics.json {message}"):
            function(tmp_path)


WEIGHTS_BOMB = textwrap.dedent("""
    import resource, shutil, sys, h5py, pathlib
    import vae_helpers as vh
    folder, source = pathlib.Path(sys.argv[1]), vh.pretrained.PRETRAINED_DIR
    shutil.copy(source / "fashion-latent2.json", folder / "metrics.json")
    shutil.copy(source / "fashion-latent2.weights.h5", folder / "model.weights.h5")
    with h5py.File(folder / "model.weights.h5", "r+") as file:  # declares 1.5 GiB, stores nothing
        del file["encoder/layers/conv2d/vars/0"]
        file.create_dataset("encoder/layers/conv2d/vars/0", shape=(20000, 20000), dtype="float32",
                            chunks=(1000, 1000), fillvalue=1.0)
    vh.load_pretrained("fashion-latent2")  # warm up
    size = int(next(l for l in open("/proc/self/status") if l.startswith("VmSize")).split()[1]) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size + 500 * 2**20, resource.RLIM_INFINITY))
    try:
        vh.load_pretrained(folder)
    except ValueError as err:
        print(err)
""")


def test_a_weights_file_declaring_huge_arrays_is_refused_before_they_are_read(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", WEIGHTS_BOMB, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (
        "model.weights.h5 does not hold the weights of vh.build_vae(latent_dim=2): it declares 19 arrays "
        "(shapes such as [(20000, 20000)]" in done.stdout
    )


def test_small_api_gaps_are_refused_clearly(tmp_path, monkeypatch):
    cvae = vh.load_pretrained("fashion-cvae2")
    with pytest.raises(ValueError, match=r"latent_grid decodes latent points alone.*vh.class_grid"):
        vh.latent_grid(cvae, n=3)
    with pytest.raises(ValueError, match=r"z must be latent points of shape \(S, 2\) for this CVAE, got \(2,\)"):
        vh.class_grid(cvae, np.zeros(2))
    with pytest.raises(ValueError, match=r"finite scores \(real numbers, .* dtype complex128"):
        vh.roc_auc([1 + 2j], [1])
    with pytest.raises(ValueError, match="chunk must be a positive integer, got -1"):
        vh.nearest_distances(np.zeros((5, 2)), np.zeros((6, 2)), chunk=-1)
    with pytest.raises(ValueError, match="size must be \\(H, W\\), two integers from 1 to 256"):
        vh.load_image_folder(tmp_path, size=True)
    monkeypatch.chdir(tmp_path)
    for name in ("", "  "):
        with pytest.raises(ValueError, match="expected a model name"):
            vh.load_pretrained(name)
    with pytest.raises(ValueError, match="is neither a pretrained model nor a folder"):
        vh.load_pretrained("a" * 5000)


def test_grid_coordinates_are_bounded():
    with pytest.raises(ValueError, match="n must be a positive integer up to 100"):
        vh.grid_coordinates(10**9)


def test_a_reloaded_part_declaring_a_list_of_one_input_takes_its_tensor_silently():
    """Keras 3.10 reloads a one-input encoder or decoder as taking a list of one tensor, and then warns at every
    call with the tensor itself ("The structure of `inputs` doesn't match"). Such a part, on any Keras release:"""
    import warnings

    import keras

    vae = vh.build_vae(2, seed=0)
    listed = {
        part: keras.Model([getattr(vae, part).inputs[0]], getattr(vae, part).outputs, name=part)
        for part in ("encoder", "decoder")
    }
    config = {
        **vae.get_config(),
        **{part: keras.saving.serialize_keras_object(model) for part, model in listed.items()},
    }
    rebuilt = vh.VAE.from_config(config)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z_mean, _, _ = rebuilt.encoder(np.zeros((2, 28, 28, 1), np.float32))
        images = rebuilt.decoder(z_mean)
    assert tuple(images.shape) == (2, 28, 28, 1)
