"""Training recipes (notebook 05): how many epochs, how many images per step and the learning rate over time.

A recipe is what :func:`vae_helpers.train` and the training command (``--recipe``) do when they are not told
otherwise. Two exist:

* ``"reference"``: the tutorial's recipe. Adam at a constant learning rate of 10⁻³, batches of 128 images,
  50 epochs. The shipped ``fashion-latent2`` was trained with it.
* ``"fast"``: the same model and objective, trained to the reference's 50-epoch test −ELBO in 16 epochs: Adam's
  learning rate rises linearly over the first epoch (warm-up) to a peak three times the reference's, then
  follows half a cosine down to 0 at the last step. The high rate makes fast progress early; the decay removes
  the noise that a constant rate keeps adding, which the reference's last epochs only slowly average away.
  In bfloat16 (a model built with ``dtype_policy="mixed_bfloat16"``) the fast recipe trains 17 epochs with
  batches of 256 and twice the peak (6·10⁻³, the linear scaling rule of Goyal et al. 2017, "Accurate, large
  minibatch SGD"), which scored best there; in float32 the same change scored worse, so float32 keeps batches
  of 128 (the runs below). Their cost per image is within the noise of the benchmark's lever measurements.

Measured (test −ELBO after training, seed 42; the reference port scores 262.6 in the benchmark's runs, 262.2 to
262.7 in earlier ones; one run of a schedule moves by a few tenths of a nat with the number of threads):

* bfloat16, batches of 128, peak 3·10⁻³: 16, 17, 18 and 20 epochs 262.7, 262.5 to 262.8, 262.5 and 262.1 to
  262.3; peak 2·10⁻³ for 15 epochs 262.8, 5·10⁻³ for 20 epochs 262.5; an average of the weights (EMA 0.999)
  for 16 epochs 262.8; the latent heads, z, the decoder's first layer and the logits in float32 for 17 epochs
  262.5 (no gain within a run's noise).
* bfloat16, batches of 256: peak 3·10⁻³ for 15 epochs 263.4; 4·10⁻³ for 22 epochs 262.1; **6·10⁻³ for 17
  epochs 261.9** (the recipe) and for 22 epochs 261.4.
* float32, batches of 128, peak 3·10⁻³: 15 epochs 262.8, **16 epochs 262.3** (the recipe), 17 epochs 262.1 and
  262.2, 20 epochs 261.7; batches of 64 at 2·10⁻³: 261.4 on the validation images after 15 of 16 epochs. Batches
  of 256 at 6·10⁻³ for 17 epochs: 262.9, above the port.

The benchmark (``benchmarks/time_to_quality.py``, the three arms interleaved in time with the tutorial's port; the
book's Speed page has the table) measured this recipe at 261.9 nats and 6.5× less training CPU than the port in
bfloat16, 262.3 nats and 3.2× in float32 (the port: 262.6). Float32 at 17 epochs (262.1) had measured 2.9× and
3.25× in two runs made one arm after the other, too thin a margin over the 3× goal, hence 16 float32 epochs.

The schedule is a function of the optimizer's step counter, which the checkpoint saves, so a resumed run
continues the schedule exactly where it stopped. Its length is part of the run's settings: a run folder of a
12-epoch fast run never resumes as a 16-epoch one (the whole schedule would be another).
"""

from __future__ import annotations

import dataclasses
import math

from vae_helpers.dtype_policies import FLOAT32, MIXED_BFLOAT16

DECAYS = ("constant", "cosine")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A training recipe.

    Attributes:
        name: what ``recipe=`` / ``--recipe`` call it.
        epochs: epochs of a full run (a caller may ask for another number; a cosine decay then spans it).
        batch_size: images per optimizer step.
        learning_rate: Adam's learning rate: the constant rate, or the peak of a warm-up + cosine schedule.
        decay: ``"constant"`` or ``"cosine"`` (half cosine from the peak to 0 at the last step).
        warmup_epochs: epochs of linear rise from 0 to the peak before the decay (0: none).
    """

    name: str
    epochs: int
    batch_size: int
    learning_rate: float
    decay: str = "constant"
    warmup_epochs: float = 0.0

    def filled(self, epochs: int | None = None, batch_size: int | None = None, learning_rate: float | None = None):
        """``(epochs, batch_size, learning_rate)``: the values given, the recipe's where a value is None."""
        return (
            self.epochs if epochs is None else epochs,
            self.batch_size if batch_size is None else batch_size,
            self.learning_rate if learning_rate is None else learning_rate,
        )

    def learning_rate_schedule(self, steps_per_epoch: int, epochs: int, learning_rate: float | None = None):
        """Adam's ``learning_rate`` argument for a run of ``epochs`` epochs of ``steps_per_epoch`` steps: a float
        for a constant rate, else a ``keras.optimizers.schedules.CosineDecay`` with linear warm-up.
        ``learning_rate`` replaces the recipe's (the constant rate or the peak)."""
        peak = self.learning_rate if learning_rate is None else learning_rate
        if self.decay == "constant":
            return peak
        import keras  # here, so that reading a recipe (vae_helpers.config, the command's --help) loads no backend

        total = steps_per_epoch * epochs
        warmup = min(total - 1, int(round(self.warmup_epochs * steps_per_epoch)))
        return keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=0.0 if warmup else peak,
            decay_steps=total - warmup,
            alpha=0.0,
            warmup_target=peak if warmup else None,
            warmup_steps=warmup,
        )

    def run_settings(self, epochs: int, learning_rate: float | None = None) -> dict:
        """What a scheduled run's folder records so that it never resumes with another schedule; empty for a
        constant rate (a reference run may continue for more epochs or at another rate, as it always could)."""
        if self.decay == "constant":
            return {}
        return {
            "recipe": self.name,
            "schedule_epochs": epochs,
            "peak_learning_rate": self.learning_rate if learning_rate is None else learning_rate,
            "warmup_epochs": self.warmup_epochs,
        }


RECIPES = {
    "reference": Recipe("reference", epochs=50, batch_size=128, learning_rate=1e-3),
    "fast": Recipe("fast", epochs=16, batch_size=128, learning_rate=3e-3, decay="cosine", warmup_epochs=1.0),
}
# A recipe's version for a model that computes in bfloat16, where it has one (see the module's docstring).
BFLOAT16_RECIPES = {"fast": dataclasses.replace(RECIPES["fast"], epochs=17, batch_size=256, learning_rate=6e-3)}
DEFAULT_RECIPE = "reference"  # reproduces the tutorial and the shipped models' recorded commands


def recipe_named(name, dtype_policy: str = FLOAT32) -> Recipe:
    """The :class:`Recipe` called ``name`` (one of :data:`RECIPES`) for a model whose dtype policy is
    ``dtype_policy`` (its name, e.g. ``vae.dtype_policy.name``): the recipe's bfloat16 version
    (:data:`BFLOAT16_RECIPES`) for ``"mixed_bfloat16"`` where it has one, else the recipe itself. A clear error
    for an unknown name; a :class:`Recipe` is returned as it is."""
    if isinstance(name, Recipe):
        return name
    if name not in RECIPES:
        raise ValueError(
            f"unknown recipe {name!r}: expected one of {', '.join(map(repr, RECIPES))} (vae_helpers.recipes.RECIPES)."
        )
    if dtype_policy == MIXED_BFLOAT16:
        return BFLOAT16_RECIPES.get(name, RECIPES[name])
    return RECIPES[name]


def steps_per_epoch(n_images: int, batch_size: int) -> int:
    """Optimizer steps in one epoch over ``n_images`` images (the last batch may be smaller)."""
    return math.ceil(n_images / batch_size)
