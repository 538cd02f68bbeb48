"""Checkers for the notebooks' exercises: ``vh.exercises.check_<name>(answer)``.

One module per notebook (``nb01_data``, ``nb02_sampling``, ...). Each checker prints a short confirmation when
the answer is right and raises ``AssertionError`` with a specific hint when it is not.
"""
