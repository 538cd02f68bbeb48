"""Speed and quality benchmarks of the course code against the reference tutorial (see ``run.py``)."""
