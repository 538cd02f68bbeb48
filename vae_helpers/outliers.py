"""What the likelihood says about outliers: out-of-distribution image sets, complexity corrections and ROC-AUC.
Introduced in notebook 11 (the per-image -ELBO and IWAE scores it ranks images by live in
:mod:`vae_helpers.evaluation`).

A VAE trained on Fashion-MNIST gives every image a number of nats, its -ELBO (or the tighter IWAE bound): an
estimate of -log p(x). Using it as an anomaly score ("high -ELBO = unusual image") looks natural, but
likelihood-based models can give *higher* likelihood to simpler images they never saw (Nalisnick et al., ICLR
2019). The complexity-corrected score of Serra et al. (ICLR 2020) subtracts what a generic compressor needs for
the image; for a Bernoulli decoder the -ELBO's own floor, the pixels' binary entropy, is the complexity in the model's
units (:func:`bernoulli_entropy`). All scores are per image, in nats or bits as named; higher means "more unusual".
"""

from __future__ import annotations

import io
import math

import numpy as np

from vae_helpers._checks import check_positive_int, check_seed
from vae_helpers.data import IMAGE_SHAPE, validate_images

DIGIT_BOX = 20  # sklearn's 8x8 digits are resized to 20x20 and centred in 28x28, as MNIST fits digits in a 20x20 box
DIGITS_MAX_VALUE = 16  # sklearn's digits hold whole numbers 0..16
N_DIGITS = 1_797  # images in sklearn's load_digits
PNG_COMPRESS_LEVEL = 9  # zlib's strongest setting inside PNG


def _check_count(n, available: int | None, name: str) -> int:
    """``n`` as an int in 1..available (``available`` None: any positive count)."""
    n = check_positive_int(n, name)
    if available is not None and n > available:
        raise ValueError(f"{name} must be at most {available:,} (the images available), got {n:,}.")
    return n


def load_digits_28(n: int | None = None) -> np.ndarray:
    """Handwritten digits from scikit-learn's bundled 8x8 ``load_digits`` (1,797 images), made MNIST-like.

    Each 8x8 image (whole numbers 0..16) is divided by 16, resized to 20x20 with Pillow's bilinear filter (on
    float32 pixels), clipped to [0, 1] and centred in a black 28x28 frame (4 pixels on each side), as
    MNIST fits its digits in a 20x20 box. Deterministic: no randomness, no download (the data ships inside the
    scikit-learn wheel).

    Args:
        n: how many (the first n of scikit-learn's order); None for all 1,797.

    Returns:
        float32 (n, 28, 28, 1) in [0, 1]: white strokes on black, like Fashion-MNIST.
    """
    from PIL import Image
    from sklearn.datasets import load_digits

    images = load_digits().images  # (1797, 8, 8), 0..16
    n = len(images) if n is None else _check_count(n, len(images), "n")
    margin = (IMAGE_SHAPE[0] - DIGIT_BOX) // 2
    out = np.zeros((n, *IMAGE_SHAPE), np.float32)
    for i, image in enumerate(images[:n]):
        small = Image.fromarray((image / DIGITS_MAX_VALUE).astype(np.float32))  # float32 -> mode "F"
        box = np.asarray(small.resize((DIGIT_BOX, DIGIT_BOX), Image.Resampling.BILINEAR), dtype=np.float32)
        out[i, margin : margin + DIGIT_BOX, margin : margin + DIGIT_BOX, 0] = np.clip(box, 0.0, 1.0)
    return out


def uniform_noise(n: int, seed: int = 0) -> np.ndarray:
    """``n`` images of independent uniform noise in [0, 1) (numpy's generator, ``seed``): float32 (n, 28, 28, 1)."""
    n = _check_count(n, None, "n")
    return np.random.default_rng(check_seed(seed, allow_none=False)).random((n, *IMAGE_SHAPE), dtype=np.float32)


def inverted(x) -> np.ndarray:
    """``1 - x``: dark garments on a white background. ``x``: (N, 28, 28, 1) in [0, 1]; same shape out, float32."""
    return 1.0 - validate_images(x)


def flipped(x) -> np.ndarray:
    """``x`` upside down (rows reversed). ``x``: (N, 28, 28, 1) in [0, 1]; same shape out, float32."""
    return np.ascontiguousarray(validate_images(x)[:, ::-1])


def outlier_sets(x_fashion, seed: int = 0) -> dict[str, np.ndarray]:
    """The four out-of-distribution sets of notebook 11, each with as many images as ``x_fashion`` (N, 28, 28, 1)
    (the digits: at most :data:`N_DIGITS`): ``{"digits", "noise", "inverted", "flipped"}`` -> float32 (n, 28, 28, 1).
    The noise is drawn with ``seed``."""
    x_fashion = validate_images(x_fashion, "x_fashion")
    return {
        "digits": load_digits_28(min(len(x_fashion), N_DIGITS)),
        "noise": uniform_noise(len(x_fashion), seed),
        "inverted": inverted(x_fashion),
        "flipped": flipped(x_fashion),
    }


def png_bits(x) -> np.ndarray:
    """Compressed length of each image of ``x`` (N, 28, 28, 1) in [0, 1], in bits: (N,) float64.

    Each image is rounded to 8 bits (``round(255 x)``) and saved as a greyscale PNG by Pillow
    (``compress_level=9``); the length is that file's size x 8, headers included (57 bytes of signature and chunk
    headers for every 28x28 greyscale image, so they shift all scores alike). A generic compressor's length is the complexity estimate of
    Serra et al. (ICLR 2020): flat images compress to little, noise hardly at all.
    """
    from PIL import Image

    x = validate_images(x)
    pixels = np.rint(x[..., 0] * 255).astype(np.uint8)  # (N, 28, 28)
    lengths = np.empty(len(x))
    for i, image in enumerate(pixels):
        buffer = io.BytesIO()
        Image.fromarray(image).save(  # uint8 -> mode "L"
            buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL
        )
        lengths[i] = 8 * buffer.tell()
    return lengths


def nats_to_bits(nats) -> np.ndarray:
    """Nats / ln 2: the same amount of information in bits (array in, float64 array out)."""
    return np.asarray(nats, np.float64) / math.log(2)


def complexity_corrected(neg_log_likelihood_nats, x) -> np.ndarray:
    """Serra et al.'s score S(x) = -log2 p(x) - L(x), in bits per image: (N,) float64.

    Args:
        neg_log_likelihood_nats: (N,) the model's -log p(x) estimate per image, in nats (e.g. from
            :func:`vae_helpers.per_image_negative_elbo` or :func:`vae_helpers.per_image_iwae`).
        x: (N, 28, 28, 1) the same images, in [0, 1]; L(x) is their :func:`png_bits`.

    The likelihood in bits minus a generic compressor's length: how many more bits the model needs than PNG
    does. A typical image of the training data is one the model codes well compared to PNG (low S); a simple image
    that both code in few bits is no longer mistaken for a typical one.
    """
    scores = np.asarray(neg_log_likelihood_nats, np.float64)
    x = validate_images(x)
    if scores.shape != (len(x),):
        raise ValueError(
            f"neg_log_likelihood_nats must hold one number of nats per image, shape ({len(x)},) for "
            f"these {len(x)} images; got shape {scores.shape}. Fix: pass the per-image scores of the "
            "same images, e.g. vh.per_image_negative_elbo(vae, x)."
        )
    if not np.all(np.isfinite(scores)):
        bad = np.flatnonzero(~np.isfinite(scores))
        raise ValueError(
            f"neg_log_likelihood_nats must be finite; {len(bad)} of {len(scores)} scores are not "
            f"(first at image {bad[0]}: {scores[bad[0]]}). Fix: score the images with a model whose "
            "weights are finite (vh.diagnose names a diverged one), or drop those images."
        )
    return nats_to_bits(scores) - png_bits(x)


def bernoulli_entropy(x) -> np.ndarray:
    """The -ELBO's floor for each image of ``x`` (N, 28, 28, 1) in [0, 1]: sum over its 784 pixels of the binary
    entropy ``H(x_i) = -x_i ln x_i - (1 - x_i) ln(1 - x_i)``, in nats: (N,) float64.

    The Bernoulli reconstruction term of a grey pixel is never below its entropy (the best decoder outputs
    p_i = x_i and still pays H(x_i)), so no model can give an image a -ELBO below this number. Black and white pixels
    cost 0, a pixel at 0.5 costs ln 2: it measures how grey, not how unusual, an image is. ``-ELBO - floor`` is then
    the complexity-corrected score in the model's own units: the nats the model pays beyond the unavoidable ones.
    """
    x = validate_images(x).astype(np.float64)
    return -np.sum(_x_log_x(x) + _x_log_x(1.0 - x), axis=(1, 2, 3))


def _x_log_x(p: np.ndarray) -> np.ndarray:
    """p ln p elementwise, with its limit 0 at p = 0."""
    return p * np.log(np.where(p > 0, p, 1.0))


def roc_auc(in_scores, out_scores) -> float:
    """ROC-AUC of a score that should be higher for out-of-distribution images (``sklearn.metrics``).

    Args:
        in_scores: (N_in,) scores of in-distribution images (label 0). out_scores: (N_out,) scores of outliers
            (label 1). Any unit, as long as both use the same one.

    Returns:
        The probability that a random outlier scores higher than a random in-distribution image (ties count
        half): 1 = perfect detection, 0.5 = chance, 0 = perfectly reversed (the outliers look *more* typical).
    """
    from sklearn.metrics import roc_auc_score

    arrays = []
    for name, scores in (("in_scores", in_scores), ("out_scores", out_scores)):
        array = np.asarray(scores) if not isinstance(scores, str) else np.array([])
        array = array.astype(np.float64) if array.dtype.kind in "biuf" else np.array([])  # no complex, no text
        if array.ndim != 1 or array.size == 0 or not np.all(np.isfinite(array)):
            raise ValueError(
                f"{name} must be a non-empty 1-D array of finite scores (real numbers, one per image), "
                f"got {type(scores).__name__} with shape {np.shape(scores)}"
                f"{f' and dtype {np.asarray(scores).dtype}' if not isinstance(scores, str) else ''}."
            )
        arrays.append(array)
    labels = np.concatenate([np.zeros(len(arrays[0])), np.ones(len(arrays[1]))])
    return float(roc_auc_score(labels, np.concatenate(arrays)))
