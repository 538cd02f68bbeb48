"""outliers.py (notebook 11): the out-of-distribution sets, per-image scores and ROC-AUC, against independent oracles
(numpy float64 formulas, hand-made bilinear interpolation, pair counting), and the exercises of notebook 11."""

import io
import math

import numpy as np
import pytest
from keras import ops
from PIL import Image

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError


def _log_bernoulli(x, logits):
    """log p(x|z) summed over pixels, float64 numpy: x log s(l) + (1 - x) log(1 - s(l)), written stably."""
    return -np.sum(np.maximum(logits, 0) - x * logits + np.log1p(np.exp(-np.abs(logits))), axis=(-3, -2, -1))


def _log_normal(z, mean, log_var):
    return -0.5 * np.sum(math.log(2 * math.pi) + log_var + (z - mean) ** 2 / np.exp(log_var), axis=-1)


def _encode(vae, x):
    z_mean, z_log_var, _ = vae.encoder(x)
    return ops.convert_to_numpy(z_mean).astype(np.float64), ops.convert_to_numpy(z_log_var).astype(np.float64)


# ---- per-image scores -----------------------------------------------------------------------------------------


def test_per_image_negative_elbo_averages_to_negative_elbo_on_the_same_seed(trained_vae):
    vae, _, x = trained_vae
    scores = vh.per_image_negative_elbo(vae, x, batch_size=100, seed=7)
    assert scores.shape == (len(x),)
    assert scores.mean() == pytest.approx(vh.negative_elbo(vae, x, seed=7), rel=1e-5)
    assert np.allclose(vh.per_image_negative_elbo(vae, x, batch_size=9, seed=7), scores, rtol=1e-5)


def test_per_image_negative_elbo_matches_a_float64_formula_with_the_same_noise(trained_vae):
    vae, _, x = trained_vae
    x = x[:12]
    eps = np.random.default_rng(3).standard_normal((len(x), vae.latent_dim), dtype=np.float32)
    z_mean, z_log_var = _encode(vae, x)
    z = z_mean + np.exp(0.5 * z_log_var) * eps
    logits = ops.convert_to_numpy(vae.decoder_logits(z.astype(np.float32))).astype(np.float64)
    kl = 0.5 * np.sum(np.exp(z_log_var) + z_mean**2 - 1 - z_log_var, axis=1)
    expected = -_log_bernoulli(x.astype(np.float64), logits) + kl
    assert np.allclose(vh.per_image_negative_elbo(vae, x, seed=3), expected, rtol=1e-4)


def test_per_image_iwae_averages_to_iwae_bound_and_matches_a_log_mean_exp_oracle(trained_vae):
    vae, _, x = trained_vae
    x, k = x[:10], 6
    scores = vh.per_image_iwae(vae, x, k, seed=4)
    assert scores.shape == (len(x),)
    assert scores.mean() == pytest.approx(vh.iwae_bound(vae, x, k, seed=4), rel=1e-5)
    # One chunk of k samples for these 10 images, drawn as (k, N, D) from numpy's generator.
    eps = np.random.default_rng(4).standard_normal((k, len(x), vae.latent_dim), dtype=np.float32)
    z_mean, z_log_var = _encode(vae, x)
    z = z_mean + np.exp(0.5 * z_log_var) * eps  # (k, N, D)
    logits = ops.convert_to_numpy(vae.decoder_logits(z.reshape(-1, vae.latent_dim).astype(np.float32)))
    logits = logits.astype(np.float64).reshape(k, *x.shape)
    log_w = (
        _log_bernoulli(x.astype(np.float64)[None], logits)
        + _log_normal(z, 0.0, 0.0)
        - _log_normal(z, z_mean, z_log_var)
    )  # (k, N)
    top = log_w.max(axis=0)
    expected = -(top + np.log(np.mean(np.exp(log_w - top), axis=0)))
    assert np.allclose(scores, expected, rtol=1e-4)


def test_per_image_iwae_with_many_samples_is_below_the_expected_negative_elbo_of_each_image(trained_vae):
    vae, _, x = trained_vae
    x = x[:20]
    draws = np.array([vh.per_image_negative_elbo(vae, x, seed=seed) for seed in range(30)])  # (30, 20)
    elbo_mean, standard_error = draws.mean(axis=0), draws.std(axis=0, ddof=1) / math.sqrt(len(draws))
    iwae = vh.per_image_iwae(vae, x, 200, seed=0)
    # -L_200 <= E[-ELBO] for every image (up to the Monte-Carlo error of the mean), and clearly below on average
    assert np.all(iwae < elbo_mean + 4 * standard_error)
    assert np.mean(elbo_mean - iwae) > 1.0  # nats


def test_every_images_negative_elbo_is_above_its_bernoulli_floor(trained_vae):
    vae, _, x = trained_vae
    assert np.all(vh.per_image_negative_elbo(vae, x, seed=0) >= vh.bernoulli_entropy(x))


# ---- the floor, PNG lengths and the corrected score --------------------------------------------------------------


def test_bernoulli_entropy_is_the_reconstruction_term_of_the_perfect_decoder(images):
    x = np.clip(images, 0.01, 0.99)
    perfect_logits = np.log(x / (1 - x))  # p = x
    expected = ops.convert_to_numpy(vh.reconstruction_loss(x, perfect_logits.astype(np.float32)))
    assert np.allclose(vh.bernoulli_entropy(x), expected, rtol=1e-4)
    black_and_white = (images > 0.5).astype(np.float32)
    assert np.all(vh.bernoulli_entropy(black_and_white) == 0)
    assert vh.bernoulli_entropy(np.full((1, 28, 28, 1), 0.5, np.float32))[0] == pytest.approx(784 * math.log(2))


def test_a_constant_image_compresses_to_fewer_bits_than_noise():
    constant = np.full((2, 28, 28, 1), 0.3, np.float32)
    noise = vh.outliers.uniform_noise(2, seed=0)
    assert np.all(vh.png_bits(constant) < 1_000)
    assert np.all(vh.png_bits(noise) > 8 * 784)  # noise is incompressible: more than its 8 bits per pixel


def test_png_bits_counts_the_bytes_of_a_png_that_decodes_to_the_8_bit_image(images):
    bits = vh.png_bits(images[:3])
    for image, length in zip(images[:3], bits):
        buffer = io.BytesIO()
        Image.fromarray(np.rint(image[..., 0] * 255).astype(np.uint8)).save(buffer, format="PNG", compress_level=9)
        assert length == 8 * len(buffer.getvalue())
        decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())))
        assert np.array_equal(decoded, np.rint(image[..., 0] * 255))  # lossless


def test_complexity_corrected_is_bits_of_the_model_minus_bits_of_png(images):
    nats = np.linspace(100, 300, 5)
    expected = nats / math.log(2) - vh.png_bits(images[:5])
    assert np.allclose(vh.complexity_corrected(nats, images[:5]), expected)


@pytest.mark.parametrize("scores", [np.ones(4), np.ones((5, 1))], ids=["too few", "2-D"])
def test_complexity_corrected_refuses_scores_that_are_not_one_per_image(images, scores):
    with pytest.raises(ValueError, match="one number of nats per image, shape \\(5,\\)"):
        vh.complexity_corrected(scores, images[:5])


def test_complexity_corrected_names_a_score_that_is_not_finite_rather_than_its_shape(images):
    with pytest.raises(ValueError, match=r"must be finite; 1 of 5 scores are not \(first at image 2: nan\)"):
        vh.complexity_corrected([1.0, 2.0, np.nan, 3.0, 4.0], images[:5])


# ---- ROC-AUC ---------------------------------------------------------------------------------------------------


def test_roc_auc_of_perfectly_separated_scores_is_one_and_reversed_is_zero():
    assert vh.roc_auc([1.0, 2.0, 3.0], [4.0, 5.0]) == 1.0
    assert vh.roc_auc([4.0, 5.0], [1.0, 2.0, 3.0]) == 0.0
    assert vh.roc_auc([1.0, 1.0], [1.0]) == 0.5


def test_roc_auc_is_the_share_of_pairs_where_the_outlier_scores_higher():
    rng = np.random.default_rng(0)
    inside, outside = rng.integers(0, 10, 40).astype(float), rng.integers(3, 13, 30).astype(float)  # many ties
    pairs = outside[:, None] - inside[None, :]
    expected = np.mean(pairs > 0) + 0.5 * np.mean(pairs == 0)
    assert vh.roc_auc(inside, outside) == pytest.approx(expected)


@pytest.mark.parametrize("bad", [[], [[1.0, 2.0]], [1.0, np.inf], "scores"], ids=["empty", "2-D", "inf", "text"])
def test_roc_auc_refuses_what_is_not_a_list_of_finite_scores(bad):
    with pytest.raises(ValueError, match="out_scores must be a non-empty 1-D array of finite scores"):
        vh.roc_auc([1.0, 2.0], bad)


# ---- the out-of-distribution sets --------------------------------------------------------------------------------


def _bilinear(image, size):
    """Upscale a 2-D float image to (size, size): pixel-centre aligned bilinear interpolation, edges clamped."""
    n = image.shape[0]
    coords = np.clip((np.arange(size) + 0.5) * n / size - 0.5, 0, n - 1)
    low = np.floor(coords).astype(int)
    high, frac = np.minimum(low + 1, n - 1), coords - low
    rows = image[low] * (1 - frac)[:, None] + image[high] * frac[:, None]
    return rows[:, low] * (1 - frac)[None, :] + rows[:, high] * frac[None, :]


def test_the_digits_are_a_deterministic_bilinear_resize_of_sklearns_digits_centred_in_28x28():
    from sklearn.datasets import load_digits

    digits = vh.load_digits_28()
    assert digits.shape == (1797, 28, 28, 1) and digits.dtype == np.float32
    assert digits.min() == 0.0 and digits.max() <= 1.0
    frame = np.ones((28, 28), bool)
    frame[4:24, 4:24] = False
    assert np.all(digits[:, frame] == 0)
    originals = load_digits().images / 16.0  # (1797, 8, 8) in [0, 1]
    for i in (0, 1, 500, 1796):
        assert np.allclose(digits[i, 4:24, 4:24, 0], _bilinear(originals[i], 20), atol=2e-3)
    assert np.array_equal(vh.load_digits_28(5), digits[:5])


def test_noise_inverted_and_flipped_sets(images):
    noise = vh.outliers.uniform_noise(3, seed=1)
    assert noise.shape == (3, 28, 28, 1) and noise.dtype == np.float32 and 0 <= noise.min() and noise.max() < 1
    assert np.array_equal(noise, vh.outliers.uniform_noise(3, seed=1))
    assert not np.array_equal(noise, vh.outliers.uniform_noise(3, seed=2))
    assert np.array_equal(vh.outliers.inverted(images), 1 - images)
    flipped = vh.outliers.flipped(images)
    assert np.array_equal(flipped[:, 0], images[:, -1]) and np.array_equal(vh.outliers.flipped(flipped), images)
    sets = vh.outlier_sets(images, seed=0)
    assert list(sets) == ["digits", "noise", "inverted", "flipped"]
    assert all(s.shape == images.shape and s.dtype == np.float32 for s in sets.values())


# ---- bad input -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda vae, x: vh.per_image_negative_elbo(vae.encoder, x), "needs a whole vh.VAE"),
        (lambda vae, x: vh.per_image_iwae(vae, x, 0), "k must be a positive integer"),
        (lambda vae, x: vh.per_image_negative_elbo(vae, x[..., 0]), "add the channel axis"),
        (lambda vae, x: vh.per_image_iwae(vae, x * 255, 5), "values must lie in \\[0, 1\\]"),
        (lambda vae, x: vh.load_digits_28(2000), "n must be at most 1,797"),
        (lambda vae, x: vh.load_digits_28(0), "n must be a positive integer"),
        (lambda vae, x: vh.outliers.uniform_noise(3, seed=-1), "seed must be an integer from 0 to 2"),
        (lambda vae, x: vh.png_bits(np.zeros((2, 28, 28, 1), np.uint8)), "must hold floats in \\[0, 1\\]"),
    ],
    ids=[
        "encoder only",
        "k = 0",
        "no channel axis",
        "uint8 range",
        "too many digits",
        "no digits",
        "negative seed",
        "integer images",
    ],
)
def test_bad_input_gets_a_clear_error(make_tiny_vae, images, call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call(make_tiny_vae(), images[:4])


# ---- the exercises of notebook 11: answers computed without their tables -----------------------------------------


def test_exercise_answers_computed_independently_are_praised(capsys):
    from sklearn.metrics import roc_auc_score

    vh.exercises.check_auc_by_hand(roc_auc_score([0, 0, 0, 1, 1], [250, 260, 300, 240, 280]))
    vh.exercises.check_serra_score(300 / math.log(2) - 8 * 400)
    grey = np.full((1, 28, 28, 1), 0.5, np.float32)
    vh.exercises.check_entropy_floor(float(vh.reconstruction_loss(grey, np.zeros_like(grey))[0]))
    assert capsys.readouterr().out.count("Correct!") == 3


def test_the_serra_exercise_says_when_the_png_length_was_left_in_bytes():
    with pytest.raises(ExerciseError, match="in bytes: multiply by 8"):
        vh.exercises.check_serra_score(300 / math.log(2) - 400)
