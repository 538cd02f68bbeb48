"""Helpers for the hands-on VAE course: ``import vae_helpers as vh``.

Each name below is introduced in a notebook (module in brackets):
data (01) · sampling (02) · model (03) · losses, likelihoods (04, 10) · training, recipes, evaluation (05) · plots,
latent, pretrained, fast_decoding, explore (06) · autoencoder (08) · conditional (09) · model_kinds (the registry of
the three) · claims, exercises (all notebooks); diagnose (12); runtime and backends/: what depends on the Keras
backend; devices: GPUs, precision, distribution (dtype_policies: the precisions' names).
"""

try:
    import keras  # noqa: F401  (loads the backend named by KERAS_BACKEND, TensorFlow by default)
except ModuleNotFoundError as err:
    raise ImportError(
        f"Keras could not load its backend ({err}). Install one with the course: pip install -e '.[tensorflow]' "
        "(the default), or pip install -e '.[jax]' (or '.[torch]') and set KERAS_BACKEND=jax (or torch) before "
        "starting Python."
    ) from err

from vae_helpers import exercises
from vae_helpers.amortization import posterior_bounds, refine_posterior
from vae_helpers.autoencoder import Autoencoder, build_autoencoder, reconstruction_error
from vae_helpers.claims import ClaimError, check_claim
from vae_helpers.conditional import CVAE, build_cvae, class_grid
from vae_helpers.config import DEFAULT_SEED, N_VALIDATION, RunOptions, is_quick_mode, run_options, split_validation
from vae_helpers.diagnosis import diagnose
from vae_helpers.data import (
    CLASS_NAMES,
    CorruptDataError,
    DataNotFoundError,
    find_fashion_mnist,
    load_fashion_mnist,
    make_dataset,
    validate_images,
)
from vae_helpers.evaluation import (
    evaluate,
    iwae_bound,
    kl_per_dimension,
    negative_elbo,
    per_image_iwae,
    per_image_negative_elbo,
)
from vae_helpers.explore import (
    explore_conditional,
    explore_interpolation,
    explore_latent,
    explore_latent_map,
    explore_reconstruction,
    explorer_snapshot,
)
from vae_helpers.fast_decoding import FastDecoder
from vae_helpers.image_folders import load_image_folder, write_sample_patches
from vae_helpers.latent import grid_coordinates, interpolate_latent, latent_grid, nearest_distances
from vae_helpers.losses import (
    LIKELIHOODS,
    gaussian_log_density,
    kl_divergence,
    kl_monte_carlo,
    pixel_nll,
    reconstruction_loss,
)
from vae_helpers.outliers import (
    bernoulli_entropy,
    complexity_corrected,
    load_digits_28,
    outlier_sets,
    png_bits,
    roc_auc,
)
from vae_helpers.model import VAE, build_decoder, build_encoder, build_vae, encode_means
from vae_helpers.plots import (
    figure_png,
    plot_history,
    plot_latent_grid,
    plot_latent_scatter,
    plot_reconstructions,
    show_images,
)
from vae_helpers.pretrained import list_pretrained, load_pretrained, pretrained_info
from vae_helpers.recipes import RECIPES
from vae_helpers.runs import RunFolderError
from vae_helpers.devices import fastest_dtype_policy, make_strategy
from vae_helpers.sampling import Sampling, reparameterize
from vae_helpers.training import (
    KLWarmup,
    TrainingDivergedError,
    read_state,
    train,
)

from vae_helpers._version import __version__

__all__ = [
    "LIKELIHOODS",
    "load_image_folder",
    "pixel_nll",
    "write_sample_patches",
    "bernoulli_entropy",
    "complexity_corrected",
    "load_digits_28",
    "outlier_sets",
    "per_image_iwae",
    "per_image_negative_elbo",
    "png_bits",
    "roc_auc",
    "posterior_bounds",
    "refine_posterior",
    "Autoencoder",
    "build_autoencoder",
    "reconstruction_error",
    "CVAE",
    "build_cvae",
    "class_grid",
    "CLASS_NAMES",
    "ClaimError",
    "N_VALIDATION",
    "split_validation",
    "CorruptDataError",
    "DEFAULT_SEED",
    "DataNotFoundError",
    "FastDecoder",
    "RunFolderError",
    "find_fashion_mnist",
    "KLWarmup",
    "RECIPES",
    "RunOptions",
    "Sampling",
    "TrainingDivergedError",
    "VAE",
    "build_decoder",
    "build_encoder",
    "build_vae",
    "check_claim",
    "encode_means",
    "diagnose",
    "evaluate",
    "exercises",
    "explore_conditional",
    "explore_interpolation",
    "explore_latent",
    "explore_latent_map",
    "explore_reconstruction",
    "explorer_snapshot",
    "fastest_dtype_policy",
    "figure_png",
    "gaussian_log_density",
    "grid_coordinates",
    "interpolate_latent",
    "is_quick_mode",
    "iwae_bound",
    "kl_divergence",
    "kl_monte_carlo",
    "kl_per_dimension",
    "latent_grid",
    "nearest_distances",
    "list_pretrained",
    "load_fashion_mnist",
    "load_pretrained",
    "make_dataset",
    "make_strategy",
    "negative_elbo",
    "plot_history",
    "plot_latent_grid",
    "plot_latent_scatter",
    "plot_reconstructions",
    "pretrained_info",
    "read_state",
    "reconstruction_loss",
    "reparameterize",
    "run_options",
    "show_images",
    "train",
    "validate_images",
]
