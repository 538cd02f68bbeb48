"""Training recipes (notebook 05): how many epochs, how many images per step, and the learning rate over time.

A recipe is what :func:`vae_helpers.train` and the training command (``--recipe``) do when they are not told
otherwise. Two exist:

* ``"reference"``: the tutorial's recipe. Adam at a constant learning rate of 10⁻³, batches of 128 images,
  50 epochs. The shipped ``fashion-latent2`` was trained with it.
* ``"fast"``: the same model, objective and batches, trained to the reference's 50-epoch test −ELBO in 20
  epochs: Adam's learning rate rises linearly over the first epoch (warm-up) to a peak three times the
  reference's, then follows half a cosine down to 0 at the last step. The high rate makes fast progress early;
  the decay removes the noise that a constant rate keeps adding, which the reference's last epochs only slowly
  average away. Measured (test −ELBO after training, seed 42; the reference port scores 262.2 to 262.6 from run
  to run): in bfloat16, peak 2·10⁻³ for 15 epochs 262.8 nats; batches of 256 at 3·10⁻³ for 15 epochs 263.4;
  3·10⁻³ for 16, 17, 18 and 20 epochs 262.7, 262.5, 262.5 and 262.1 (the 17-epoch run with the latent heads,
  z, the decoder's first layer and the logits computed in float32: no gain within a run's noise, not adopted);
  a peak of 5·10⁻³ for 20 epochs 262.5; an average of the weights (EMA 0.999) for 16 epochs 262.8. In float32,
  3·10⁻³ for 17 epochs 262.2; batches of 64 at 2·10⁻³, 261.4 on the validation images after 15 of 16 epochs
  (the 17-epoch run: 261.4 after 17). These ran one thread per run, two runs at a time. The benchmark
  (``benchmarks/time_to_quality.py``, side by side with the tutorial's port; the book's Speed page has the
  table) measured 20 epochs at 262.3 nats and 4.9× less CPU in bfloat16, 261.7 nats and 2.7× in float32; in
  another of its runs 17 epochs scored 262.8 nats (5.3×) in bfloat16 and 262.1 nats (3.3×) in float32, against
  the port's 262.6: float32 met its goal (3×, at or below the port), bfloat16 missed the port's quality. Twenty
  epochs stay the recipe, since the default precision (bfloat16 where the CPU has it) must reach the port.

The schedule is a function of the optimizer's step counter, which the checkpoint saves, so a resumed run
continues the schedule exactly where it stopped. Its length is part of the run's settings: a run folder of a
12-epoch fast run never resumes as a 20-epoch one (the whole schedule would be another).
"""

from __future__ import annotations

import dataclasses
import math

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
    "fast": Recipe("fast", epochs=20, batch_size=128, learning_rate=3e-3, decay="cosine", warmup_epochs=1.0),
}
DEFAULT_RECIPE = "reference"  # reproduces the tutorial and the shipped models' recorded commands


def recipe_named(name) -> Recipe:
    """The :class:`Recipe` called ``name`` (one of :data:`RECIPES`); a clear error for any other value."""
    if isinstance(name, Recipe):
        return name
    if name not in RECIPES:
        raise ValueError(
            f"unknown recipe {name!r}: expected one of {', '.join(map(repr, RECIPES))} (vae_helpers.recipes.RECIPES)."
        )
    return RECIPES[name]


def steps_per_epoch(n_images: int, batch_size: int) -> int:
    """Optimizer steps in one epoch over ``n_images`` images (the last batch may be smaller)."""
    return math.ceil(n_images / batch_size)
