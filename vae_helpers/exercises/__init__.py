"""Checkers for the notebooks' exercises: ``vh.exercises.check_<name>(answer)``.

One module per notebook (``nb01_data``, ``nb02_sampling``, ...), all built on :mod:`._feedback`: a checker
prints a line starting with "Correct" when the answer is right, prints how to start when the answer is still
``None``, and raises :class:`ExerciseError` (an ``AssertionError``) with a specific hint when it is wrong.
"""

from vae_helpers.exercises._feedback import ExerciseError
from vae_helpers.exercises.nb01_data import check_constant_guess_loss, check_perfect_decoder, check_training_steps
from vae_helpers.exercises.nb02_sampling import (
    check_grad_log_var, check_gradient_noise, check_reparameterize, check_sample_std,
)
from vae_helpers.exercises.nb03_model import (
    check_conv_params, check_extra_decoder_params, check_image_size, check_pooled_shape,
)
from vae_helpers.exercises.nb04_loss import (
    check_jensen_gap, check_kl_by_hand, check_mean_reduction_factor, check_pixel_nll, check_wide_proposal,
)
from vae_helpers.exercises.nb05_training import (
    check_best_epoch, check_bits_per_pixel, check_resume_epoch, check_resume_prediction, overfitting_history,
)
from vae_helpers.exercises.nb06_latent import check_hole_prediction, check_nearest_image, check_quantile_grid, check_slerp
from vae_helpers.exercises.nb07_further import (
    check_active_dimensions, check_collapsed_iwae_gap, check_free_bits_kl, check_warmup_beta,
)
