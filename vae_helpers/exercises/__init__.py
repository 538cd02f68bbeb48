"""Checkers for the notebooks' exercises: ``vh.exercises.check_<name>(answer)``.

One module per notebook (``nb01_data``, ``nb02_sampling``, ...), all built on :mod:`._feedback`: a checker
prints a line starting with "Correct" when the answer is right, prints how to start when the answer is still
``None``, and raises :class:`ExerciseError` (an ``AssertionError``) with a specific hint when it is wrong.
"""

from vae_helpers.exercises._feedback import ExerciseError
