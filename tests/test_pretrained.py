"""The shipped models load on this stack (weights only, architecture from code), stay small, and score what their
JSON says."""

import pytest

import vae_helpers as vh
from vae_helpers.pretrained import PRETRAINED_DIR

REQUIRED = {
    "fashion-latent2",
    "fashion-latent2-fast",
    "fashion-latent16",
    "fashion-latent2-beta0.1",
    "fashion-latent2-beta1",
    "fashion-latent2-beta4",
    "fashion-latent2-beta16",
    "fashion-latent16-beta16",
    "fashion-latent16-beta16-warmup",
    "fashion-latent16-beta16-freebits",
}
MAX_BYTES = 1024 * 1024  # weights only: no configuration, no optimizer state
TOLERANCE_NATS = 0.1


@pytest.fixture(scope="module")
def test_images():
    (_, _), (x_test, _) = vh.load_fashion_mnist()
    return x_test


def test_all_course_models_are_shipped_with_their_json():
    assert REQUIRED <= set(vh.list_pretrained())
    for name in vh.list_pretrained():
        assert (PRETRAINED_DIR / f"{name}.json").is_file(), f"{name} has no metrics JSON"


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_model_file_is_small(name):
    assert (PRETRAINED_DIR / f"{name}.weights.h5").stat().st_size < MAX_BYTES


def test_only_weights_are_shipped():
    shipped = {path.name for path in PRETRAINED_DIR.iterdir() if not path.name.startswith(".")}
    assert shipped == {f"{name}{suffix}" for name in vh.list_pretrained() for suffix in (".weights.h5", ".json")}


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_json_records_how_the_model_was_made(name):
    info = vh.pretrained_info(name)
    assert info["command"].startswith("python -m vae_helpers")
    assert not info["quick"], "a shipped model must come from a full (non-quick) run"
    for key in (
        "seed",
        "epochs",
        "latent_dim",
        "beta",
        "versions",
        "train_wall_seconds",
        "history",
        "training_precision",
    ):
        assert key in info, f"{name}.json lacks {key}"
    assert len(info["history"]["loss"]) == info["epochs"]
    for split in ("train", "validation", "test"):
        assert set(info["scores"][split]) == {"neg_elbo", "reconstruction", "kl"}
    assert set(info["iwae_test"]) == {"1", "10", "100"}


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_loads_and_matches_its_json_on_the_test_set(name, test_images):
    info = vh.pretrained_info(name)
    vae = vh.load_pretrained(name)
    assert isinstance(vae, vh.VAE) and vae.latent_dim == info["latent_dim"]
    assert float(vae.beta.numpy()) == pytest.approx(info["beta"])
    n = info["evaluated_on"]["test"]
    fresh = vh.evaluate(vae, test_images[:n], seed=info["seed"])  # as the training command scored it
    for key in ("neg_elbo", "reconstruction", "kl"):
        assert fresh[key] == pytest.approx(info["scores"]["test"][key], abs=TOLERANCE_NATS), key


def test_iwae_100_is_tighter_than_the_elbo_for_the_reference_model():
    info = vh.pretrained_info("fashion-latent2")
    iwae = info["iwae_test"]
    assert iwae["100"] < iwae["10"] < info["scores"]["test"]["neg_elbo"]
    assert iwae["1"] == pytest.approx(info["scores"]["test"]["neg_elbo"], abs=TOLERANCE_NATS)


def test_fresh_iwae_bound_is_tighter_than_fresh_elbo(test_images):
    vae = vh.load_pretrained("fashion-latent2")
    x = test_images[:500]
    assert vh.iwae_bound(vae, x, k=50, seed=1) < vh.negative_elbo(vae, x) - 0.5


def test_the_collapse_models_were_trained_the_same_way_but_for_warmup_and_free_bits():
    infos = {way: vh.pretrained_info(f"fashion-latent16-beta16{way}") for way in ("", "-warmup", "-freebits")}
    budget = {
        (i["latent_dim"], i["beta"], i["epochs"], i["n_train"], i["seed"], i["training_precision"])
        for i in infos.values()
    }
    assert budget == {(16, 16.0, 10, 55_000, 42, "float32")}
    assert [(i["kl_warmup_epochs"], i["free_bits"]) for i in infos.values()] == [(0, 0.0), (5, 0.0), (0, 0.5)]


def test_the_beta_sweep_has_one_budget():
    infos = [vh.pretrained_info(f"fashion-latent2-beta{beta}") for beta in ("0.1", "1", "4", "16")]
    assert {(i["latent_dim"], i["epochs"], i["n_train"], i["seed"], i["training_precision"]) for i in infos} == {
        (2, 20, 55_000, 42, "float32")
    }


def test_the_cvae_scores_what_its_json_says_with_the_labels_and_worse_without_the_right_ones():
    info = vh.pretrained_info("fashion-cvae2")
    cvae = vh.load_pretrained("fashion-cvae2")
    assert isinstance(cvae, vh.CVAE) and info["model"] == "cvae" and "--model cvae" in info["command"]
    reference = vh.pretrained_info("fashion-latent2-beta1")  # the VAE notebook 09 compares it with
    for key in ("latent_dim", "beta", "epochs", "batch_size", "seed", "n_train", "n_validation", "training_precision"):
        assert info[key] == reference[key], key
    (_, _), (x_test, y_test) = vh.load_fashion_mnist()
    assert info["evaluated_on"]["test"] == len(x_test)
    fresh = vh.evaluate(cvae, x_test, seed=info["seed"], labels=y_test)
    for key in ("neg_elbo", "reconstruction", "kl"):
        assert fresh[key] == pytest.approx(info["scores"]["test"][key], abs=TOLERANCE_NATS), key
    wrong = vh.evaluate(cvae, x_test[:1000], seed=info["seed"], labels=(y_test[:1000] + 1) % 10)
    assert wrong["neg_elbo"] > fresh["neg_elbo"] + 10  # the label carries information the decoder uses


def test_unknown_name_lists_the_available_models():
    with pytest.raises(ValueError, match="fashion-latent2"):
        vh.load_pretrained("fashion-latent3")


def test_the_fast_model_is_the_fast_recipe_on_the_reference_data():
    """fashion-latent2-fast (notebook 05) is fashion-latent2's model, data and seed trained with --recipe fast in
    float32: fewer epochs, a test -ELBO within 1 nat of the 50-epoch reference run."""
    fast, reference = vh.pretrained_info("fashion-latent2-fast"), vh.pretrained_info("fashion-latent2")
    assert fast["recipe"] == "fast" and "--recipe fast" in fast["command"]
    assert fast["training_precision"] == "float32" and fast["epochs"] == vh.RECIPES["fast"].epochs < reference["epochs"]
    same = ("latent_dim", "beta", "seed", "n_train", "n_validation", "batch_size")
    assert {key: fast[key] for key in same} == {key: reference[key] for key in same}
    assert abs(fast["scores"]["test"]["neg_elbo"] - reference["scores"]["test"]["neg_elbo"]) < 1.0
    assert fast["learning_rate_per_epoch"][-1] < 1e-9 < fast["learning_rate_per_epoch"][0]  # the cosine ends at 0
