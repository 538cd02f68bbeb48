"""Quality bar: does the course's model score as well as the straightforward port of the reference tutorial?

``python benchmarks/quality.py`` trains the port (:class:`~vae_helpers.reference.ReferenceVAE`, compiled and fit
like the tutorial: ``compile(optimizer="adam")``, ``fit(x, x, batch_size=128, shuffle=True)``) on the same data as
``python -m vae_helpers``: the first 55,000 training images, the last 5,000 held out for validation, seed
42. Both models are then scored by the same code on the 10,000 test images: ``vh.evaluate`` (-ELBO) and
``vh.iwae_bound`` (IWAE-k), in nats per image. It writes ``benchmarks/results/quality.json`` and prints the
comparison. With ``--epochs 50`` (the default) the course side is the shipped ``fashion-latent2`` model, trained
by that command; with fewer epochs the course model is trained here too, for the same epochs (and the JSON says
so), because a 50-epoch model against a shorter-trained port would not be a fair comparison.

Scoring the port with the course's evaluation: its decoder ends in ``Conv2DTranspose(1, 3,
activation="sigmoid")``, so it outputs probabilities, while ``vh.evaluate`` computes the Bernoulli NLL from
logits. :func:`as_course_vae` gives it logits without retraining anything: the same last layer without its
sigmoid (same weights) is named ``"logits"`` and followed by a sigmoid, and the port's encoder and decoder layers
are reused as they are. The probabilities are unchanged (checked), and the NLL is then exact. The alternative,
binary cross-entropy on clipped probabilities as Keras computes it, caps each pixel's loss at
``-log(1e-7) = 16.1`` nats, so it can only under-report a confidently wrong pixel.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

if __package__ in (None, ""):  # run as `python benchmarks/quality.py`
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

import vae_helpers as vh  # noqa: E402
from vae_helpers.config import split_validation  # noqa: E402
from vae_helpers.reference import ReferenceVAE  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent / "results" / "quality.json"
SHIPPED = "fashion-latent2"
SHIPPED_EPOCHS = 50
SEED, BATCH_SIZE = 42, 128


def as_course_vae(reference: ReferenceVAE) -> vh.VAE:
    """Wrap a trained port as a :class:`vh.VAE` whose decoder exposes logits; no weight is copied or changed.

    The decoder reuses the port's layers up to the last one, then applies a linear copy of its last
    ``Conv2DTranspose`` (same weights, named ``"logits"``) and a sigmoid: the same probabilities, plus logits.
    """
    if not isinstance(reference, ReferenceVAE):
        raise ValueError(f"expected a ReferenceVAE (vae_helpers.reference), got {type(reference).__name__}.")
    decoder = reference.decoder
    last = decoder.layers[-1]
    if not isinstance(last, layers.Conv2DTranspose) or last.get_config()["activation"] != "sigmoid":
        raise ValueError("the port's decoder must end with Conv2DTranspose(..., activation='sigmoid').")
    z = keras.Input(shape=decoder.inputs[0].shape[1:])
    h = z
    for layer in decoder.layers[1:-1]:  # skip the InputLayer; these layers keep their weights
        h = layer(h)
    linear = layers.Conv2DTranspose.from_config({**last.get_config(), "activation": "linear", "name": "logits"})
    logits = linear(h)
    linear.set_weights(last.get_weights())
    probabilities = layers.Activation("sigmoid", name="probabilities")(logits)
    return vh.VAE(reference.encoder, keras.Model(z, probabilities, name="decoder"), name="reference_port")


def shipped_model():
    """What ``vh.load_pretrained`` takes for the shipped model (its name), or ``make pretrained``'s run folder
    before it is copied into the package; None if neither exists."""
    if SHIPPED in vh.list_pretrained():
        return SHIPPED
    run = pathlib.Path(__file__).resolve().parents[1] / "runs" / SHIPPED
    if (run / vh.pretrained.RUN_WEIGHTS).is_file() and (run / vh.pretrained.RUN_METRICS).is_file():
        return run
    return None


def score(vae, x_test, iwae_ks) -> dict:
    """-ELBO (reconstruction, KL) and IWAE-k on ``x_test``, as ``python -m vae_helpers`` computes them."""
    keras.utils.set_random_seed(SEED)
    return {
        "test": vh.evaluate(vae, x_test),
        "iwae_test": {str(k): vh.iwae_bound(vae, x_test, k, seed=SEED) for k in iwae_ks},
    }


def train_reference(x_train, x_val, epochs: int):
    keras.utils.set_random_seed(SEED)
    port = ReferenceVAE()
    port.compile(optimizer="adam")
    start = time.perf_counter()
    history = port.fit(
        x_train, x_train, epochs=epochs, batch_size=BATCH_SIZE, shuffle=True, validation_data=(x_val, x_val), verbose=2
    ).history
    seconds = time.perf_counter() - start
    wrapped = as_course_vae(port)
    probe = x_val[:256]
    gap = float(
        np.max(
            np.abs(
                keras.ops.convert_to_numpy(port.decoder(port.encoder(probe)[0]))
                - keras.ops.convert_to_numpy(wrapped.decoder(wrapped.encoder(probe)[0]))
            )
        )
    )
    if gap > 1e-5:
        raise AssertionError(f"the logits wrapper changed the port's probabilities by up to {gap:.1e}.")
    return wrapped, seconds, {key: [float(v) for v in values] for key, values in history.items()}


def train_course(x_train, x_val, epochs: int):
    keras.utils.set_random_seed(SEED)
    vae = vh.build_vae(2, seed=SEED)
    start = time.perf_counter()
    history = vh.train(vae, x_train, x_val, epochs=epochs, batch_size=BATCH_SIZE, seed=SEED, verbose=2)
    return vae, time.perf_counter() - start, history


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--epochs",
        type=int,
        default=SHIPPED_EPOCHS,
        help=f"epochs for the port (default {SHIPPED_EPOCHS}); fewer also retrains the course model",
    )
    parser.add_argument("--iwae-k", type=int, nargs="*", default=[100], help="IWAE sample counts (default 100)")
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be >= 1, got {args.epochs}")
    (x_train, _), (x_test, _) = vh.load_fashion_mnist()
    x_train, x_val = split_validation(x_train)
    # Trace the evaluation once now: TensorFlow's autograph reads the source file at the first trace, so a
    # long run must not meet an edited evaluation.py for the first time after its training.
    score(vh.build_vae(), x_test[:2], args.iwae_k)

    port, port_seconds, port_history = train_reference(x_train, x_val, args.epochs)
    results = {
        "reference_port": {
            **score(port, x_test, args.iwae_k),
            "epochs": args.epochs,
            "train_seconds": round(port_seconds, 1),
            "history": port_history,
        }
    }
    source = shipped_model()
    shipped = vh.pretrained_info(source) if source is not None else None
    if args.epochs == SHIPPED_EPOCHS and shipped is not None:
        course_source = f"shipped {SHIPPED} (python -m vae_helpers, {shipped['epochs']} epochs)"
        model = vh.load_pretrained(source)
        results["course"] = {
            **score(model, x_test, args.iwae_k),
            "epochs": shipped["epochs"],
            "train_seconds": shipped.get("train_wall_seconds"),
            "history": shipped["history"],
        }
    else:
        course_source = f"trained here with vh.train for the same {args.epochs} epochs"
        vae, seconds, history = train_course(x_train, x_val, args.epochs)
        results["course"] = {
            **score(vae, x_test, args.iwae_k),
            "epochs": args.epochs,
            "train_seconds": round(seconds, 1),
            "history": history,
        }
    course, port_scores = results["course"], results["reference_port"]
    report = {
        "what": "test -ELBO and IWAE bounds (nats per image, lower is better) of the course model and of the "
        "straightforward port of the reference tutorial, same data, seed and evaluation code",
        "epochs": args.epochs,
        "full_length": args.epochs == SHIPPED_EPOCHS,
        "note": None
        if args.epochs == SHIPPED_EPOCHS
        else f"shortened run: both models trained {args.epochs} epochs instead of {SHIPPED_EPOCHS} (CPU time).",
        "course_source": course_source,
        "n_train": len(x_train),
        "n_validation": len(x_val),
        "n_test": len(x_test),
        "seed": SEED,
        **results,
        "course_minus_port_neg_elbo": course["test"]["neg_elbo"] - port_scores["test"]["neg_elbo"],
        # -ELBO on the 5,000 validation images after each epoch (the port's from its own loss, clipped BCE)
        "validation_neg_elbo_by_epoch": {
            "reference_port": port_scores["history"]["val_loss"],
            "course": course["history"].get("val_loss"),
        },
        "shipped_model": None
        if shipped is None
        else {
            "name": SHIPPED,
            "epochs": shipped["epochs"],
            "test": shipped["scores"]["test"],
            "iwae_test": shipped["iwae_test"],
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(
        f"Test -ELBO after {args.epochs} epochs: port {port_scores['test']['neg_elbo']:.2f}, course "
        f"{course['test']['neg_elbo']:.2f} nats ({course_source}); difference "
        f"{report['course_minus_port_neg_elbo']:+.2f} nats."
    )
    if shipped is not None:
        print(
            f"Shipped {SHIPPED} ({shipped['epochs']} epochs): test -ELBO {shipped['scores']['test']['neg_elbo']:.2f}"
            f" nats, IWAE-100 {shipped['iwae_test'].get('100', float('nan')):.2f} nats."
        )
    print(f"Wrote {args.out}.")
    return report


if __name__ == "__main__":
    main()
