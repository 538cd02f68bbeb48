"""Checkers for the notebooks' exercises: ``vh.exercises.check_<name>(answer)``.

One module per notebook (``nb01_data``, ``nb02_sampling``, ...), all built on :mod:`._feedback`: a checker
prints a line starting with "Correct" when the answer is right, prints how to start when the answer is still
``None``, and raises :class:`ExerciseError` (an ``AssertionError``) with a specific hint when it is wrong. An
exercise whose answer is one number is a table, a :class:`NumericExercise` (:mod:`._table`): its answer, its typical
wrong answers with their hints, and a hint for any other number.
"""

from vae_helpers.exercises import nb01_data, nb02_sampling, nb03_model, nb04_loss, nb05_training, nb07_further
from vae_helpers.exercises import nb08_autoencoder
from vae_helpers.exercises import nb09_conditional
from vae_helpers.exercises import nb11_outliers
from vae_helpers.exercises import nb12_diagnose
from vae_helpers.exercises._feedback import ExerciseError
from vae_helpers.exercises._table import NumericExercise
from vae_helpers.exercises.nb01_data import check_constant_guess_loss, check_perfect_decoder, check_training_steps
from vae_helpers.exercises.nb02_sampling import (
    check_grad_log_var,
    check_gradient_noise,
    check_reparameterize,
    check_sample_std,
)
from vae_helpers.exercises.nb03_model import (
    check_conv_params,
    check_extra_decoder_params,
    check_image_size,
    check_pooled_shape,
)
from vae_helpers.exercises.nb04_loss import (
    check_jensen_gap,
    check_kl_by_hand,
    check_mean_reduction_factor,
    check_pixel_nll,
    check_wide_proposal,
)
from vae_helpers.exercises.nb05_training import (
    check_best_epoch,
    check_bits_per_pixel,
    check_resume_epoch,
    check_resume_prediction,
    overfitting_history,
)
from vae_helpers.exercises.nb06_latent import (
    check_hole_prediction,
    check_nearest_image,
    check_quantile_grid,
    check_slerp,
)
from vae_helpers.exercises.nb07_further import (
    check_active_dimensions,
    check_collapsed_iwae_gap,
    check_free_bits_kl,
    check_warmup_beta,
)
from vae_helpers.exercises.nb08_autoencoder import check_code_gaussian, check_head_params, check_image_nll
from vae_helpers.exercises.nb09_conditional import check_label_nats, check_label_weights, check_style_transfer
from vae_helpers.exercises.nb10_own_images import (
    check_cb_minimum,
    check_error_cost_prediction,
    check_gaussian_std_prediction,
)
from vae_helpers.exercises.nb11_outliers import (
    check_auc_by_hand,
    check_entropy_floor,
    check_serra_score,
    check_tighter_bound,
)
from vae_helpers.exercises.nb12_diagnose import (
    check_best_gaussian_std,
    check_mystery_run,
    check_per_pixel_factor,
    mystery_history,
)

#: The checkers graded by a fixed table, with their table.
TABLES = {
    check_sample_std: nb02_sampling.SAMPLE_STD_TABLE,
    check_grad_log_var: nb02_sampling.GRAD_LOG_VAR_TABLE,
    check_conv_params: nb03_model.CONV_PARAMS_TABLE,
    check_kl_by_hand: nb04_loss.KL_BY_HAND_TABLE,
    check_pixel_nll: nb04_loss.PIXEL_NLL_TABLE,
    check_jensen_gap: nb04_loss.JENSEN_GAP_TABLE,
    check_mean_reduction_factor: nb04_loss.MEAN_REDUCTION_TABLE,
    check_resume_epoch: nb05_training.RESUME_EPOCH_TABLE,
    check_best_epoch: nb05_training.BEST_EPOCH_TABLE,
    check_bits_per_pixel: nb05_training.BITS_PER_PIXEL_TABLE,
    check_free_bits_kl: nb07_further.FREE_BITS_TABLE,
    check_warmup_beta: nb07_further.WARMUP_BETA_TABLE,
    check_head_params: nb08_autoencoder.HEAD_PARAMS_TABLE,
    check_label_weights: nb09_conditional.LABEL_WEIGHTS_TABLE,
    check_label_nats: nb09_conditional.LABEL_NATS_TABLE,
    check_auc_by_hand: nb11_outliers.AUC_BY_HAND_TABLE,
    check_serra_score: nb11_outliers.SERRA_SCORE_TABLE,
    check_entropy_floor: nb11_outliers.ENTROPY_FLOOR_TABLE,
    check_best_gaussian_std: nb12_diagnose.BEST_STD_TABLE,
    check_per_pixel_factor: nb12_diagnose.PER_PIXEL_FACTOR_TABLE,
}

#: The checkers whose table is built from their inputs, with the function that builds it: ``check(answer, *inputs)``
#: grades ``answer`` with ``build(*inputs)``.
TABLE_BUILDERS = {
    check_constant_guess_loss: nb01_data.constant_guess_table,
    check_extra_decoder_params: nb03_model.extra_decoder_params_table,
    check_active_dimensions: nb07_further.active_dimensions_table,
    check_image_nll: nb08_autoencoder.image_nll_table,
}
