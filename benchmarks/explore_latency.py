"""Latency of the latent explorer: slider value set -> new PNG in the Image widget, in Python.

``python -m benchmarks.explore_latency`` prints a table; ``benchmarks/run.py`` calls :func:`run`.

Both sides are measured in the same run, on the same reference decoder (latent size 2; untrained weights cost the
same as trained ones), over the same slider moves:

- course: ``vh.explore_latent`` (the decoder's one compiled copy, ``vae_helpers.fast_decoding.compiled_decoder``,
  traced once; Pillow PNG, nearest-neighbour enlargement);
- naive: the obvious callback, ``decoder.predict`` then a matplotlib figure saved as PNG.

Each side gets a few warm-up moves first (tracing, first matplotlib figure). Goal: p95 < 30 ms on 2 CPU cores,
with the decoder traced exactly once.
"""

from __future__ import annotations

import io
import os
import sys
import time

import numpy as np

N_MOVES = 200
WARMUP_MOVES = 5
GOAL_P95_MS = 30.0


def slider_values(n: int, span: float = 3.0) -> np.ndarray:
    """``n`` distinct slider positions sweeping [-span, span] (each set fires one update)."""
    return np.round(np.linspace(-span, span, n), 3)


def _time_moves(slider, image, values) -> dict:
    """Set the slider to each value, timing until the callback has put new PNG bytes in ``image``."""
    for value in values[:WARMUP_MOVES]:
        slider.value = float(value) + 0.0005  # warm-up positions, distinct from the measured ones
    milliseconds, unchanged = [], 0
    for value in values:
        before = image.value
        start = time.perf_counter()
        slider.value = float(value)
        milliseconds.append((time.perf_counter() - start) * 1000)
        unchanged += image.value == before
    return {"p50_ms": float(np.percentile(milliseconds, 50)), "p95_ms": float(np.percentile(milliseconds, 95)),
            "moves": len(values), "moves_without_new_image": int(unchanged)}


def measure_course(decoder, values) -> dict:
    """The course explorer (``vh.explore_latent``), first slider; also reports the decoder's trace count."""
    import vae_helpers as vh
    from vae_helpers.explore.parts import find_widgets

    fast = vh.FastDecoder(decoder)
    explorer = vh.explore_latent(fast)
    slider, image = find_widgets(explorer, "explorer-slider")[0], find_widgets(explorer, "explorer-image")[0]
    result = _time_moves(slider, image, values)
    result["traces"] = fast.trace_count
    return result


def measure_naive(decoder, values) -> dict:
    """The straightforward explorer: ``decoder.predict`` and a matplotlib PNG in the slider's callback."""
    import ipywidgets as widgets
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    slider = widgets.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.05)
    image = widgets.Image(format="png")

    def redraw(change):
        probabilities = decoder.predict(np.array([[change["new"], 0.0]], dtype="float32"), verbose=0)
        fig, ax = plt.subplots(figsize=(2.1, 2.1), dpi=80)  # 168 px, like the course explorer
        ax.imshow(probabilities[0, :, :, 0], cmap="gray", vmin=0, vmax=1)
        ax.axis("off")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        plt.close(fig)
        image.value = buffer.getvalue()

    slider.observe(redraw, names="value")
    return _time_moves(slider, image, values)


def run(n_moves: int = N_MOVES) -> dict:
    """Measure both explorers on ``n_moves`` slider moves; return timings (ms), trace count and ratios."""
    import vae_helpers as vh

    decoder = vh.build_decoder(latent_dim=2)
    values = slider_values(n_moves)
    course, naive = measure_course(decoder, values), measure_naive(decoder, values)
    return {
        "benchmark": "explore_latency",
        "cpu_count": os.cpu_count(),
        "moves": n_moves,
        "course": course,
        "naive": naive,
        "speedup_p50": naive["p50_ms"] / course["p50_ms"],
        "speedup_p95": naive["p95_ms"] / course["p95_ms"],
        "goal_p95_ms": GOAL_P95_MS,
        "meets_goal": course["p95_ms"] < GOAL_P95_MS and course["traces"] == 1,
    }


def format_table(result: dict) -> str:
    """The result of :func:`run` as a small text table."""
    rows = [f"Explorer slider -> new PNG in the Image widget ({result['moves']} moves, {result['cpu_count']} CPUs)",
            f"{'':34} {'p50 ms':>8} {'p95 ms':>8} {'traces':>7}"]
    for name, label in (("naive", "naive: predict + matplotlib PNG"), ("course", "course: vh.explore_latent")):
        side = result[name]
        rows.append(f"{label:34} {side['p50_ms']:8.1f} {side['p95_ms']:8.1f} {side.get('traces', '-'):>7}")
    rows.append(f"speed-up (naive / course): p50 x{result['speedup_p50']:.1f}, p95 x{result['speedup_p95']:.1f}; "
                f"goal p95 < {result['goal_p95_ms']:g} ms with 1 trace: {'met' if result['meets_goal'] else 'NOT met'}")
    return "\n".join(rows)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    outcome = run(int(sys.argv[1]) if len(sys.argv) > 1 else N_MOVES)
    print(format_table(outcome))
