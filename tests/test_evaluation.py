"""evaluation.py: -ELBO bookkeeping, and the IWAE bound against its theory and a quadrature oracle of log p(x)."""

import math

import numpy as np
import pytest
from keras import ops

import vae_helpers as vh

from conftest import compiled_once


def test_evaluate_returns_the_three_means_and_kl_is_batch_independent(trained_vae):
    vae, _, x = trained_vae
    scores = vh.evaluate(vae, x, batch_size=256)
    assert set(scores) == {"neg_elbo", "reconstruction", "kl"}
    assert scores["neg_elbo"] == pytest.approx(scores["reconstruction"] + scores["kl"], rel=1e-6)
    assert scores["kl"] > 0
    # The KL term does not depend on the sampled z: batching must not change it.
    assert vh.evaluate(vae, x, batch_size=7)["kl"] == pytest.approx(scores["kl"], rel=1e-5)
    expected_kl = float(ops.convert_to_numpy(ops.mean(vh.kl_divergence(*vae.encoder(x)[:2]))))
    assert scores["kl"] == pytest.approx(expected_kl, rel=1e-5)


def test_a_seeded_evaluation_is_reproducible_whatever_the_batch_size(trained_vae):
    vae, _, x = trained_vae
    scores = vh.evaluate(vae, x, batch_size=256, seed=5)
    assert vh.evaluate(vae, x, batch_size=7, seed=5) == pytest.approx(scores, rel=1e-5)
    assert vh.evaluate(vae, x, seed=6)["reconstruction"] != scores["reconstruction"]  # other noise, other number
    # the noise is numpy's, so the oracle below reproduces it: z = mu + sigma * eps with eps from default_rng(5)
    eps = np.random.default_rng(5).standard_normal((len(x), vae.latent_dim), dtype=np.float32)
    z_mean, z_log_var, _ = vae.encoder(x)
    logits = vae.decoder_logits(z_mean + ops.multiply(ops.exp(0.5 * z_log_var), eps))  # keras.ops: any backend
    expected = float(ops.convert_to_numpy(ops.mean(vh.reconstruction_loss(x, logits))))
    assert scores["reconstruction"] == pytest.approx(expected, rel=1e-5)


def test_negative_elbo_ignores_beta(make_tiny_vae, images):
    vae = make_tiny_vae(beta=4.0)
    scores = vh.evaluate(vae, images)
    assert scores["neg_elbo"] == pytest.approx(scores["reconstruction"] + scores["kl"], rel=1e-6)


def test_iwae_with_one_sample_equals_the_negative_elbo_in_expectation(trained_vae):
    vae, _, x = trained_vae
    seeds = range(8)
    iwae = np.array([vh.iwae_bound(vae, x, k=1, seed=seed) for seed in seeds])
    elbo = np.array([vh.negative_elbo(vae, x) for _ in seeds])
    standard_error = math.sqrt(iwae.var(ddof=1) / len(iwae) + elbo.var(ddof=1) / len(elbo))
    assert abs(iwae.mean() - elbo.mean()) < 5 * standard_error


def test_iwae_bound_tightens_with_k(trained_vae):
    vae, _, x = trained_vae
    # -L_k is an upper bound on -log p(x) that decreases with k; -L_1 is the -ELBO. Two seeds per k.
    bounds = {k: np.mean([vh.iwae_bound(vae, x, k, seed=seed) for seed in (0, 1)]) for k in (1, 5, 50)}
    neg_elbo = np.mean([vh.negative_elbo(vae, x) for _ in range(2)])
    assert bounds[50] < bounds[5] < bounds[1]
    assert bounds[5] < neg_elbo


def log_marginal_by_quadrature(vae, image, z_mean, z_log_var, width=10.0, n=120):
    """log p(x) = log of the integral of p(x|z) p(z) over a 2-D box of +-width posterior std around z_mean,
    by the midpoint rule on an n x n grid, in float64 numpy (independent of vh.iwae_bound)."""
    sigma = np.exp(0.5 * z_log_var)
    axes = [np.linspace(m - width * s, m + width * s, n) for m, s in zip(z_mean, sigma)]
    z = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)  # (n*n, 2)
    logits = ops.convert_to_numpy(vae.decoder_logits(z.astype(np.float32))).astype(np.float64)  # (n*n, 28, 28, 1)
    x = image.astype(np.float64)[None]
    log_px_z = -np.sum(np.maximum(logits, 0) - x * logits + np.log1p(np.exp(-np.abs(logits))), axis=(1, 2, 3))
    log_pz = -0.5 * np.sum(z**2, axis=1) - math.log(2 * math.pi)
    log_terms = log_px_z + log_pz
    top = log_terms.max()
    cell = (axes[0][1] - axes[0][0]) * (axes[1][1] - axes[1][0])
    return top + math.log(np.sum(np.exp(log_terms - top)) * cell)


def test_iwae_bound_converges_to_log_marginal_likelihood_from_quadrature(trained_vae):
    vae, _, x = trained_vae
    images = x[:2]
    z_mean, z_log_var, _ = (ops.convert_to_numpy(t).astype(np.float64) for t in vae.encoder(images))
    for i, image in enumerate(images):
        neg_log_px = -log_marginal_by_quadrature(vae, image, z_mean[i], z_log_var[i])
        neg_elbo = vh.negative_elbo(vae, np.repeat(image[None], 2000, axis=0))  # mean over 2000 draws of z
        # With k = 2000 the bias of -L_k is small. Its noise is small too when q(z|x) is a reasonable proposal
        # (true for these images: -ELBO is within a few nats of -log p(x)); with a poor q the weights are
        # heavy-tailed and single estimates can fall well below -log p(x).
        iwae = np.mean([vh.iwae_bound(vae, image[None], k=2000, seed=seed) for seed in (0, 1)])
        assert neg_elbo > neg_log_px  # -ELBO >= -log p(x), with a gap (q is not the exact posterior)
        assert iwae == pytest.approx(neg_log_px, abs=0.5)  # nats
        assert abs(iwae - neg_log_px) < neg_elbo - neg_log_px  # much tighter than the ELBO


def test_iwae_is_reproducible_with_a_seed(trained_vae):
    vae, _, x = trained_vae
    assert vh.iwae_bound(vae, x[:16], 10, seed=3) == vh.iwae_bound(vae, x[:16], 10, seed=3)


def test_a_batch_larger_than_the_images_gives_its_room_to_the_samples_with_the_same_noise(trained_vae, monkeypatch):
    """batch_size=5,000 for 2 images once decoded one importance sample per call: 1,000 calls for k = 1,000."""
    from vae_helpers import evaluation, runtime

    vae, _, x = trained_vae
    compiled = runtime.compiled(vae, evaluation._log_sum_importance_weights)
    before = compiled.calls
    wide = vh.iwae_bound(vae, x[:2], 1000, batch_size=5000, seed=1)
    assert compiled.calls - before == 1, "one call: 2 images x 1,000 samples is within 5,000 decodes"
    monkeypatch.setattr(evaluation, "MAX_DECODES_PER_CALL", 100)  # 50 samples per call: 20 calls, same noise
    before = compiled.calls
    assert vh.iwae_bound(vae, x[:2], 1000, batch_size=5000, seed=1) == pytest.approx(wide, abs=1e-3)
    assert compiled.calls - before == 20


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"k": 0}, "k must be a positive integer"),
        ({"k": 2.5}, "k must be a positive integer"),
        ({"k": 10, "batch_size": 0}, "batch_size must be a positive integer"),
        ({"k": 10, "x": np.zeros((4, 28, 28), np.float32)}, r"add the channel axis"),
        ({"k": 10, "x": np.full((4, 28, 28, 1), 255.0, np.float32)}, r"values must lie in \[0, 1\]"),
    ],
)
def test_iwae_bound_rejects_bad_arguments(make_tiny_vae, images, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        vh.iwae_bound(make_tiny_vae(), **{"x": images[:4], **kwargs})


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"batch_size": -1}, "batch_size must be a positive integer"),
        ({"x": np.zeros((4, 28, 28, 1), np.uint8)}, "must hold floats"),
        ({"x": np.zeros((0, 28, 28, 1), np.float32)}, "N >= 1"),
    ],
)
def test_evaluate_rejects_bad_arguments(make_tiny_vae, images, kwargs, fragment):
    for function in (vh.evaluate, vh.negative_elbo):
        with pytest.raises(ValueError, match=fragment):
            function(make_tiny_vae(), **{"x": images[:4], **kwargs})


def test_evaluating_many_models_traces_once_per_model_without_retracing_warnings(make_tiny_vae, images, caplog):
    from vae_helpers import evaluation, runtime

    models = [make_tiny_vae(seed=i) for i in range(7)]  # notebook 07 evaluates six models in one session
    with caplog.at_level("WARNING", logger="tensorflow"):
        for vae in models:
            vh.evaluate(vae, images[:32], batch_size=16)
            vh.evaluate(vae, images[:32], batch_size=16)
            vh.iwae_bound(vae, images[:8], k=3)
    assert "retracing" not in caplog.text
    for vae in models:  # one batch shape: one trace per model, reused on the second call (PyTorch: eager calls)
        compiled_once(runtime.compiled(vae, evaluation._per_image_losses), shapes=1)
