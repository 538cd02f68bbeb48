"""Command line behind ``python -m vae_helpers`` (also ``vae-train``): train, resume, evaluate, write weights.

Example: ``python -m vae_helpers --latent-dim 2 --epochs 50 --out runs/latent2``; ``--model autoencoder``
trains the plain autoencoder of notebook 08 instead (``vh.build_autoencoder``: no sampling, no KL), ``--model cvae``
the conditional VAE of notebook 09 (``vh.build_cvae``: encoder and decoder also get each image's label);
``--data-dir FOLDER --image-size 32 --color rgb [--likelihood gaussian]`` trains on your own images (notebook 10). Running the same command
again after an interruption resumes from the last finished epoch (the checkpoint lives in ``OUT/checkpoint``);
a resume with other settings (``--beta``, ``--free-bits``, ``--kl-warmup-epochs``, ..., or other images in
``--data-dir``: their SHA-256 is recorded) stops and names them. A run stopped after its last epoch but before
both files below were written is scored and written by the same command (``metrics.json`` records the epochs and
the SHA-256 of the weights file it describes, so a mismatched pair is detected); a folder that holds a model but
no ``checkpoint/`` is never trained over (use ``--restart`` or another ``--out``).
Writes ``OUT/model.weights.h5`` (float32 weights; load the model with ``vh.load_pretrained(OUT)``) and
``OUT/metrics.json`` (command, seed, versions, wall time, history, -ELBO/reconstruction/KL per split, IWAE bounds;
for an autoencoder the reconstruction error per split, ``vh.reconstruction_error``; ``diagnosis``: the findings of
``vh.diagnose`` on the validation images and the history, also printed).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import sys
import time

from vae_helpers import devices, runs, runtime
from vae_helpers._checks import (
    BATCH_SIZE_HINT,
    MAX_BATCH_SIZE,
    MAX_IMAGE_SIDE,
    check_beta,
    check_image_shape,
    check_latent_dim,
    check_learning_rate,
    check_positive_int,
    check_seed,
)
from vae_helpers.config import N_TRAINING_IMAGES, N_VALIDATION, QUICK_N_TRAIN, split_validation
from vae_helpers.dtype_policies import FLOAT32
from vae_helpers.likelihoods import DEFAULT_GAUSSIAN_STD, LIKELIHOODS, check_gaussian_std
from vae_helpers.losses import check_free_bits
from vae_helpers.model_kinds import MODEL_KINDS
from vae_helpers.pretrained import RUN_METRICS, RUN_WEIGHTS
from vae_helpers.recipes import BFLOAT16_RECIPES, DEFAULT_RECIPE, RECIPES, recipe_named

QUICK = {"epochs": 1, "n_train": QUICK_N_TRAIN, "n_val": 512, "n_eval": 100}  # a smoke test of the command
WEIGHTS_DIGEST = "weights_sha256"  # in metrics.json: the SHA-256 of the model.weights.h5 it describes
IWAE_KS = (1, 10, 100)
STRATEGY_NEEDS = {
    "tpu": "--strategy tpu needs a TPU runtime (Colab or Cloud TPU). ",
    "multiworker": "--strategy multiworker needs $TF_CONFIG describing the workers. ",
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m vae_helpers", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model",
        choices=tuple(MODEL_KINDS),
        default="vae",
        help="; ".join(
            f"{kind.name}: {kind.summary} (vh.{kind.builder}, notebook {kind.notebook})"
            for kind in MODEL_KINDS.values()
        )
        + " (default vae). A cvae learns from Fashion-MNIST's labels, or with --data-dir from the "
        "folder's class subfolders",
    )
    parser.add_argument(
        "--recipe",
        choices=tuple(RECIPES),
        default=DEFAULT_RECIPE,
        help="reference (default: the tutorial's Adam 1e-3, batch 128, 50 epochs; what the shipped "
        f"models were trained with) or fast (batch {RECIPES['fast'].batch_size}, warm-up and "
        f"cosine decay from {RECIPES['fast'].learning_rate:g}, {RECIPES['fast'].epochs} epochs; in bfloat16 "
        f"batch {BFLOAT16_RECIPES['fast'].batch_size} and {BFLOAT16_RECIPES['fast'].learning_rate:g}: "
        "the reference's test -ELBO in a fraction of its time; vae_helpers.recipes)",
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="total epochs (default: the recipe's, 50 for the reference)"
    )
    parser.add_argument("--latent-dim", type=int, default=2, help="latent size (default 2)")
    parser.add_argument("--beta", type=float, default=1.0, help="KL weight (default 1.0: the ELBO)")
    parser.add_argument(
        "--free-bits",
        type=float,
        default=0.0,
        metavar="LAMBDA",
        help="free bits (Kingma et al. 2016): during training each latent dimension's KL, averaged "
        "over the batch, counts as at least LAMBDA nats (default 0: off); scores use the true KL",
    )
    parser.add_argument(
        "--kl-warmup-epochs",
        type=int,
        default=0,
        metavar="N",
        help="KL warm-up: raise beta linearly from 0 to --beta over the first N epochs "
        "(vh.KLWarmup; default 0: no warm-up)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=None, help="global batch size (default: the recipe's, 128 for the reference)"
    )
    parser.add_argument(
        "--n-val",
        type=int,
        default=None,
        help=f"training images held out for validation (default {N_VALIDATION}; with --data-dir a tenth of the folder)",
    )
    parser.add_argument(
        "--data-dir",
        type=pathlib.Path,
        default=None,
        metavar="FOLDER",
        help="train on your own images instead of Fashion-MNIST (notebook 10): PNG/JPEG files in "
        "FOLDER or in one subfolder per class, read by vh.load_image_folder; a tenth is held "
        "out for validation and a tenth for the test scores",
    )
    parser.add_argument(
        "--image-size",
        type=int,
        default=None,
        metavar="N",
        help=f"with --data-dir: resize the images to N x N (a multiple of 4 up to {MAX_IMAGE_SIDE}; default 28)",
    )
    parser.add_argument(
        "--color",
        choices=("grayscale", "rgb"),
        default=None,
        help="with --data-dir: read the images as grayscale (default) or rgb",
    )
    parser.add_argument(
        "--likelihood",
        choices=LIKELIHOODS,
        default="bernoulli",
        help="p(x|z) of the model, any --model (default bernoulli, the reference's; vae_helpers/likelihoods.py)",
    )
    parser.add_argument(
        "--gaussian-std",
        type=float,
        default=DEFAULT_GAUSSIAN_STD,
        help="with --likelihood gaussian: its fixed standard deviation in pixel units (default 0.1)",
    )
    parser.add_argument("--n-train", type=int, default=None, help="use only this many training images")
    parser.add_argument("--seed", type=int, default=42, help="seed for weights, shuffling and sampling")
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="Adam's learning rate, or the peak of the fast recipe's schedule (default: the "
        "recipe's, 0.001 for the reference); for the reference, on a resume, the rate used "
        "from then on (the optimizer's moments are kept)",
    )
    parser.add_argument(
        "--restart",
        action="store_true",
        help="move an existing OUT folder aside (to OUT.old-<date>; nothing is deleted) and train from scratch",
    )
    parser.add_argument("--out", type=pathlib.Path, default=None, help="output folder (default runs/latentD-betaB)")
    parser.add_argument(
        "--strategy",
        choices=devices.STRATEGIES,
        default="default",
        help="data-parallel training: mirrored (tf.distribute on TensorFlow, "
        "keras.distribution.DataParallel on JAX); multiworker (reads $TF_CONFIG) and tpu on "
        "TensorFlow only",
    )
    parser.add_argument(
        "--precision",
        choices=("auto", *devices.DTYPE_POLICIES),
        default="auto",
        help="dtype policy for training (default auto: vh.fastest_dtype_policy(), i.e. "
        "mixed_bfloat16 on CPUs with native bfloat16, else float32); "
        "the saved model and its evaluation are always float32",
    )
    parser.add_argument("--steps-per-execution", type=int, default=1, help="batches per compiled call")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: {QUICK['epochs']} epoch on {QUICK['n_train']} images, small evaluation "
        f"(--n-val {QUICK['n_val']} unless given)",
    )
    args = parser.parse_args(argv)
    if args.data_dir is None:
        given = [
            flag for flag, value in (("--image-size", args.image_size), ("--color", args.color)) if value is not None
        ]
        if given:
            parser.error(f"{' and '.join(given)} only apply to your own images: add --data-dir FOLDER.")
    # Each value is checked by the library's own check (one home for each bound and its message), named by its flag,
    # before anything is loaded or built; an error is the usage error of argparse (exit code 2).
    try:
        for flag, check in _CHECKS.items():
            name = flag[2:].replace("-", "_")
            if getattr(args, name) is not None:
                setattr(args, name, check(getattr(args, name), flag))
    except ValueError as err:
        parser.error(str(err))
    if args.gaussian_std != DEFAULT_GAUSSIAN_STD and args.likelihood != "gaussian":
        parser.error("--gaussian-std only applies to --likelihood gaussian")
    if args.quick:  # an --n-val given explicitly is kept
        args.epochs, args.n_train = QUICK["epochs"], QUICK["n_train"]
        if args.n_val is None and args.data_dir is None:
            args.n_val = QUICK["n_val"]
    if args.n_val is None:
        args.n_val = N_VALIDATION if args.data_dir is None else None  # a folder: a tenth, set when it is read
    if args.n_val is not None and args.data_dir is None and args.n_val >= N_TRAINING_IMAGES:
        parser.error(f"--n-val must be < {N_TRAINING_IMAGES} (it is taken from the training set), got {args.n_val}")
    if args.kl_warmup_epochs < 0:
        parser.error(f"--kl-warmup-epochs must be >= 0 (0: no warm-up), got {args.kl_warmup_epochs}")
    if not MODEL_KINDS[args.model].regularized:
        vae_only = {
            "--beta": (args.beta, 1.0),
            "--free-bits": (args.free_bits, 0.0),
            "--kl-warmup-epochs": (args.kl_warmup_epochs, 0),
        }
        given = [f"{flag} {value:g}" for flag, (value, default) in vae_only.items() if value != default]
        if given:
            parser.error(
                f"{', '.join(given)}: an {args.model} has no KL term; these options are for a model "
                "with one (--model vae or cvae). Drop them, or train a VAE."
            )
    if args.out is None:
        suffixes = [
            f"-freebits{args.free_bits:g}" if args.free_bits else "",
            f"-warmup{args.kl_warmup_epochs}" if args.kl_warmup_epochs else "",
            "-quick" if args.quick else "",
        ]
        name = {
            "autoencoder": f"autoencoder{args.latent_dim}",
            "cvae": f"cvae{args.latent_dim}-beta{args.beta:g}",
            "vae": f"latent{args.latent_dim}-beta{args.beta:g}",
        }[args.model]
        args.out = pathlib.Path("runs") / f"{name}{''.join(suffixes)}"
    return args


def apply_recipe(args, precision: str):
    """Fill ``args.epochs``, ``args.batch_size`` and ``args.learning_rate`` not given on the command line with the
    recipe's values for the training precision ``precision`` (a dtype policy name, ``--precision auto``
    resolved); return ``args``."""
    recipe = recipe_named(args.recipe, precision)
    args.epochs, args.batch_size, args.learning_rate = recipe.filled(args.epochs, args.batch_size, args.learning_rate)
    return args


def _image_size(size, flag: str) -> int:
    """``--image-size N`` checked as the image shape (N, N, 1) the models take."""
    return check_image_shape((size, size, 1), f"{flag} {size}, as an image shape,")[0]


_CHECKS = {  # flag -> the library's check of its value, (value, flag) -> the value
    "--epochs": check_positive_int,
    "--latent-dim": check_latent_dim,
    "--batch-size": lambda value, flag: check_positive_int(value, flag, MAX_BATCH_SIZE, BATCH_SIZE_HINT),
    "--n-val": check_positive_int,
    "--n-train": check_positive_int,
    "--steps-per-execution": check_positive_int,
    "--image-size": _image_size,
    "--gaussian-std": check_gaussian_std,
    "--beta": check_beta,
    "--free-bits": check_free_bits,
    "--learning-rate": check_learning_rate,
    "--seed": lambda value, flag: check_seed(value, name=flag, allow_none=False),
}


def versions() -> dict:
    """The versions a run was made with: Python, the Keras backend and its library, Keras, numpy."""
    import importlib

    import keras
    import numpy

    backend = runtime.backend()
    return {
        "python": platform.python_version(),
        "backend": backend,
        backend: importlib.import_module(backend).__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
    }


def main(argv=None) -> dict:
    """Run the command line; return the metrics written to ``OUT/metrics.json``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    import keras

    import vae_helpers as vh

    keras.utils.set_random_seed(args.seed)
    if args.data_dir is not None:
        x_train, x_val, x_test, labels = _read_folder(args)
    else:
        (x_train, y_train), (x_test, y_test) = vh.load_fashion_mnist()
        (x_train, x_val), (y_train, y_val) = (
            split_validation(x_train, args.n_val),
            split_validation(y_train, args.n_val),
        )
        labels = {"train": y_train, "validation": y_val, "test": y_test, "num_classes": len(vh.CLASS_NAMES)}
    if args.n_train is not None:
        x_train = x_train[: args.n_train]
        if labels is not None:
            labels["train"] = labels["train"][: args.n_train]
    try:
        strategy = vh.make_strategy(args.strategy)
    except Exception as err:  # TensorFlow raises several types when the hardware or $TF_CONFIG is missing
        sys.exit(
            f"error: --strategy {args.strategy} cannot start here ({type(err).__name__}: "
            f"{str(err).strip().splitlines()[0] if str(err).strip() else 'no detail'}). "
            f"{STRATEGY_NEEDS.get(args.strategy, '')}Run without --strategy to train on this machine's "
            "devices."
        )
    precision = vh.fastest_dtype_policy() if args.precision == "auto" else args.precision
    apply_recipe(args, precision)
    try:
        if args.restart and args.out.exists():
            runs.move_aside(args.out)
        with runs.exclusive(args.out):
            return _train_and_score(
                args,
                argv,
                strategy,
                precision,
                x_train,
                x_val,
                x_test,
                labels if MODEL_KINDS[args.model].conditional else None,
            )
    except (runs.RunFolderError, vh.TrainingDivergedError) as err:
        sys.exit(f"error: {err}")


def _train_and_score(args, argv, strategy, precision, x_train, x_val, x_test, labels) -> dict:
    """Train (or resume), then score and write the run's files; ``labels`` ({split: (N,)} and ``"num_classes"``) for
    a conditional model, else None."""
    import vae_helpers as vh

    checkpoint = args.out / "checkpoint"
    outputs = (args.out / RUN_WEIGHTS, args.out / RUN_METRICS)
    previous_state = vh.read_state(checkpoint)
    if previous_state is None and any(path.exists() for path in outputs):
        raise runs.RunFolderError(
            f"{args.out} holds a trained model ({', '.join(p.name for p in outputs if p.exists())}) but no checkpoint "
            f"to resume from ({checkpoint} is gone), so training again would overwrite it; nothing was changed. "
            + runs.ways_out(args.out)
        )
    with devices.strategy_scope(strategy):
        vae = _build(args, precision, labels)
    warmup = [vh.KLWarmup(args.kl_warmup_epochs, final_beta=args.beta)] if args.kl_warmup_epochs else []
    if args.data_dir is not None:  # a run folder never resumes with another folder, size or colour
        data = {
            "data": str(args.data_dir.resolve()),
            "image_size": args.image_size or 28,
            "color": args.color or "grayscale",
            "data_sha256": args.data_sha256,
        }
    else:
        data = vh.find_fashion_mnist()
        data = {"data": str(data) if data is not None else "downloaded by Keras"}
    if args.likelihood != "bernoulli":
        data.update(likelihood=args.likelihood, gaussian_std=args.gaussian_std)
    start, start_cpu = time.perf_counter(), time.process_time()
    history = vh.train(
        vae,
        x_train,
        x_val,
        epochs=args.epochs,
        batch_size=args.batch_size,
        checkpoint_dir=checkpoint,
        strategy=strategy,
        seed=args.seed,
        steps_per_execution=args.steps_per_execution,
        learning_rate=args.learning_rate,
        recipe=args.recipe,
        callbacks=warmup,
        settings=data,
        **({} if labels is None else {"y_train": labels["train"], "y_val": labels["validation"]}),
    )
    train_seconds, train_cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    epochs_done = vh.read_state(checkpoint)["epochs_done"]
    finished = _finished_metrics(outputs, epochs_done)
    if finished is not None:
        print(
            f"This run was already finished ({epochs_done} epochs): {outputs[0]} and {outputs[1]} are left as they are."
        )
        return finished
    if previous_state and previous_state["epochs_done"] >= args.epochs:
        print(
            f"{checkpoint} holds {epochs_done} finished epochs but {outputs[0].name} and {outputs[1].name} are "
            "not theirs (the run stopped before writing them): scoring and writing them now."
        )
    # Evaluate and save a float32 copy: the same weights in full-precision arithmetic, without optimizer state,
    # exactly the model that vh.load_pretrained(OUT) rebuilds.
    trained, vae = vae, _build(args, FLOAT32, labels)
    vae.set_weights(trained.get_weights())
    autoencoder = not MODEL_KINDS[args.model].regularized
    if not autoencoder:
        vae.beta.assign(args.beta)  # beta is one of the variables: a run shorter than its warm-up stopped below it

    n_eval = QUICK["n_eval"] if args.quick else None
    splits = {"train": x_train[: n_eval or 10_000], "validation": x_val[:n_eval], "test": x_test[:n_eval]}
    if autoencoder:
        scores = {split: {"reconstruction": vh.reconstruction_error(vae, x)} for split, x in splits.items()}
        iwae = None  # no posterior, no likelihood bound
    else:  # a CVAE's scores take each image's label: they bound -log p(x | y)
        given = {split: {} if labels is None else {"labels": labels[split][: len(x)]} for split, x in splits.items()}
        scores = {split: vh.evaluate(vae, x, seed=args.seed, **given[split]) for split, x in splits.items()}
        iwae = {str(k): vh.iwae_bound(vae, splits["test"], k, seed=args.seed, **given["test"]) for k in IWAE_KS}
    diagnosis = vh.diagnose(
        vae,
        splits["validation"],
        history=history,  # notebook 12
        labels=None if labels is None else labels["validation"][: len(splits["validation"])],
    )
    print(diagnosis)
    metrics = {
        "command": " ".join(["python -m vae_helpers", *argv]),
        **({} if args.model == "vae" else {"model": args.model}),  # a JSON without "model" is a VAE's
        **({} if args.data_dir is None else {"data_dir": str(args.data_dir), "image_shape": list(x_test.shape[1:])}),
        **({} if labels is None else {"num_classes": labels["num_classes"]}),
        **(
            {} if args.likelihood == "bernoulli" else {"likelihood": args.likelihood, "gaussian_std": args.gaussian_std}
        ),
        "latent_dim": args.latent_dim,
        **(
            {}
            if autoencoder
            else {"beta": args.beta, "free_bits": args.free_bits, "kl_warmup_epochs": args.kl_warmup_epochs}
        ),
        "recipe": args.recipe,
        "epochs": epochs_done,
        "batch_size": args.batch_size,
        "seed": args.seed,
        "quick": args.quick,
        "strategy": args.strategy,
        "training_precision": precision,
        "n_train": len(x_train),
        "n_validation": len(x_val),
        "evaluated_on": {split: len(x) for split, x in splits.items()},
        "units": "nats per image (means); lower is better",
        "scores": scores,
        **({} if iwae is None else {"iwae_test": iwae}),
        "learning_rate": args.learning_rate,
        "learning_rate_per_epoch": vh.read_state(checkpoint)["learning_rates"],
        # this run's training (epochs and validation; loading and scoring excluded): wall and process CPU time
        "train_wall_seconds": round(train_seconds, 1),
        "train_cpu_seconds": round(train_cpu_seconds, 1),
        "resumed_from_epoch": previous_state["epochs_done"] if previous_state else 0,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": versions(),
        "history": history,
        "diagnosis": diagnosis.as_dicts(),
    }
    runs.save_weights(vae, outputs[0])  # each file whole or not at all: a failed write keeps the old one
    metrics[WEIGHTS_DIGEST] = runs.file_digest(outputs[0])  # a crash before the next write is detected on a rerun
    runs.write_json(outputs[1], metrics)
    score = (
        f"test reconstruction error {scores['test']['reconstruction']:.2f} nats"
        if autoencoder
        else f"test -ELBO {scores['test']['neg_elbo']:.2f} nats"
        + ("" if iwae is None else f", IWAE-{max(IWAE_KS)} {iwae[str(max(IWAE_KS))]:.2f} nats")
    )
    print(f"Wrote {args.out / RUN_WEIGHTS} and {args.out / RUN_METRICS}: {score}.")
    return metrics


def _finished_metrics(outputs, epochs_done: int) -> dict | None:
    """The metrics of a finished run: ``metrics.json`` if it is readable, records ``epochs_done`` epochs (those of
    the checkpoint) and the SHA-256 of the weights file beside it; else None (scoring is missing work)."""
    weights, metrics = outputs
    if not (weights.is_file() and metrics.is_file()):
        return None
    try:
        recorded = json.loads(metrics.read_text())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(recorded, dict) or recorded.get("epochs") != epochs_done:
        return None
    return recorded if recorded.get(WEIGHTS_DIGEST) == runs.file_digest(weights) else None


def _build(args, precision, labels):
    """The model the command trains (``--model``, :data:`vae_helpers.model_kinds.MODEL_KINDS`), built under the dtype
    policy ``precision`` from the same settings ``metrics.json`` records (``vh.load_pretrained`` reads them)."""
    size, channels = args.image_size or 28, 3 if args.color == "rgb" else 1
    settings = {
        "latent_dim": args.latent_dim,
        "seed": args.seed,
        "beta": args.beta,
        "free_bits": args.free_bits,
        "likelihood": args.likelihood,
        "gaussian_std": args.gaussian_std,
        "image_shape": (size, size, channels),
        "num_classes": None if labels is None else labels["num_classes"],
    }
    return MODEL_KINDS[args.model].build(settings, dtype_policy=precision)


def _read_folder(args):
    """``(train, validation, test, labels)`` from ``--data-dir``: images shuffled with ``--seed``, a tenth (at least
    one image, or ``--n-val``) for validation, a tenth for the test scores, the rest (or ``--n-train``) to train;
    ``labels`` ({split: class indices (N,)}, ``"num_classes"``) from the class subfolders for a conditional
    ``--model``, else None."""
    import numpy as np

    import vae_helpers as vh

    size = args.image_size or 28
    try:
        x, y, class_names = vh.load_image_folder(args.data_dir, size=(size, size), color=args.color or "grayscale")
    except (OSError, ValueError) as err:
        sys.exit(f"error: {err}")
    conditional = MODEL_KINDS[args.model].conditional
    if conditional and y is None:
        sys.exit(
            f"error: --model {args.model} learns from labels, and {args.data_dir} holds no class subfolders. "
            "Put each class's images in a subfolder of its own (e.g. FOLDER/cats, FOLDER/dogs), or train "
            "--model vae."
        )
    args.data_sha256 = runs.array_digest(x)  # recorded: a resume on other images (even as many) stops
    order = np.random.default_rng(args.seed).permutation(len(x))
    x = x[order]
    n_val = args.n_val or max(1, len(x) // 10)
    n_test = max(1, len(x) // 10)
    if len(x) < n_val + n_test + 1:
        sys.exit(
            f"error: {args.data_dir} has {len(x)} images: too few for {n_val} validation, {n_test} test and "
            "at least one training image."
        )
    args.n_val = n_val
    x_test, x_val, x_train = x[:n_test], x[n_test : n_test + n_val], x[n_test + n_val :]
    if not conditional:
        return x_train, x_val, x_test, None
    y = y[order]
    labels = {
        "test": y[:n_test],
        "validation": y[n_test : n_test + n_val],
        "train": y[n_test + n_val :],
        "num_classes": len(class_names),
    }
    return x_train, x_val, x_test, labels


def console() -> None:
    """Entry point of the ``vae-train`` command (its exit code is 0, not the metrics)."""
    main()
