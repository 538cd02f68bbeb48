"""Latency of the explorers: control value set -> new PNG in the Image widget, in Python.

``python -m benchmarks.explore_latency`` prints a table; ``benchmarks/run.py`` calls :func:`run`.

All sides are measured in the same run, on reference decoders of latent size 2 (untrained weights cost the same
as trained ones), over the same slider moves:

- course: ``vh.explore_latent`` (the decoder's one compiled copy, ``vae_helpers.fast_decoding.compiled_decoder``,
  traced once; Pillow PNG, nearest-neighbour enlargement);
- conditional: ``vh.explore_conditional`` on ``vh.build_cvae(2)``, the same slider moves and then as many class
  changes in its dropdown; each update decodes all 10 classes at z in one compiled call (the image and the strip);
- naive: the obvious callback, ``decoder.predict`` then a matplotlib figure saved as PNG (one image per update: the
  baseline of both course explorers' ratios).

Each side gets a few warm-up moves first (tracing, first matplotlib figure). Goals on 2 CPU cores, with the decoder
traced exactly once: p95 < 30 ms for ``vh.explore_latent``, p95 < 10 ms for ``vh.explore_conditional`` (both kinds
of update).
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
CONDITIONAL_GOAL_P95_MS = 10.0


def slider_values(n: int, span: float = 3.0) -> np.ndarray:
    """``n`` distinct slider positions sweeping [-span, span] (each set fires one update)."""
    return np.round(np.linspace(-span, span, n), 3)


def class_values(n: int, num_classes: int) -> np.ndarray:
    """``n`` class indices for a dropdown that starts at 0, each unlike the one before: 1, 2, ..., K-1, 0, 1, ..."""
    return np.arange(1, n + 1) % num_classes


def _time_moves(control, image, values, warmup) -> dict:
    """Set ``control`` to each warm-up value, then to each of ``values``, timing until the callback has put new PNG
    bytes in ``image``."""
    for value in warmup:
        control.value = value
    milliseconds, unchanged = [], 0
    for value in values:
        before = image.value
        start = time.perf_counter()
        control.value = value
        milliseconds.append((time.perf_counter() - start) * 1000)
        unchanged += image.value == before
    return {
        "p50_ms": float(np.percentile(milliseconds, 50)),
        "p95_ms": float(np.percentile(milliseconds, 95)),
        "moves": len(values),
        "moves_without_new_image": int(unchanged),
    }


def _time_slider(slider, image, values) -> dict:
    """:func:`_time_moves` for a slider, warmed up at positions distinct from the measured ones."""
    return _time_moves(slider, image, [float(v) for v in values], [float(v) + 0.0005 for v in values[:WARMUP_MOVES]])


def measure_course(decoder, values) -> dict:
    """The course explorer (``vh.explore_latent``), first slider; also reports the decoder's trace count."""
    import vae_helpers as vh
    from vae_helpers.explore.parts import find_widgets

    fast = vh.FastDecoder(decoder)
    explorer = vh.explore_latent(fast)
    slider, image = find_widgets(explorer, "explorer-slider")[0], find_widgets(explorer, "explorer-image")[0]
    result = _time_slider(slider, image, values)
    result["traces"] = fast.trace_count
    return result


def measure_conditional(cvae, values) -> dict:
    """``vh.explore_conditional``: its first slider over ``values`` (the result), then as many class changes
    (``"class_change"``, the same statistics); with the core decoder's trace count after both."""
    import vae_helpers as vh
    from vae_helpers.explore.parts import find_widgets

    explorer = vh.explore_conditional(cvae)
    slider, image = find_widgets(explorer, "explorer-slider")[0], find_widgets(explorer, "explorer-image")[0]
    (classes,) = find_widgets(explorer, "explorer-class")
    result = _time_slider(slider, image, values)
    changes = [int(k) for k in class_values(len(values), cvae.num_classes)]  # 1, 2, ...
    warmup = [int(k) for k in (class_values(WARMUP_MOVES, cvae.num_classes) + 1) % cvae.num_classes]  # 2, ..., 6
    result["class_change"] = _time_moves(classes, image, changes, warmup)
    result["traces"] = vh.FastDecoder(cvae.core_decoder).trace_count  # the explorer's shared compiled copy
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
    return _time_slider(slider, image, values)


def run(n_moves: int = N_MOVES) -> dict:
    """Measure the explorers on ``n_moves`` slider moves (and class changes); return timings (ms), trace counts
    and ratios."""
    import vae_helpers as vh

    decoder, cvae = vh.build_decoder(latent_dim=2), vh.build_cvae(latent_dim=2)
    values = slider_values(n_moves)
    course, conditional = measure_course(decoder, values), measure_conditional(cvae, values)
    naive = measure_naive(decoder, values)
    worst_conditional_p95 = max(conditional["p95_ms"], conditional["class_change"]["p95_ms"])
    return {
        "benchmark": "explore_latency",
        "cpu_count": os.cpu_count(),
        "moves": n_moves,
        "course": course,
        "conditional": conditional,
        "naive": naive,
        "speedup_p50": naive["p50_ms"] / course["p50_ms"],
        "speedup_p95": naive["p95_ms"] / course["p95_ms"],
        "goal_p95_ms": GOAL_P95_MS,
        "meets_goal": course["p95_ms"] < GOAL_P95_MS and course["traces"] == 1,
        "conditional_goal_p95_ms": CONDITIONAL_GOAL_P95_MS,
        "conditional_meets_goal": worst_conditional_p95 < CONDITIONAL_GOAL_P95_MS and conditional["traces"] == 1,
    }


SIDES = (
    ("naive", None, "naive: predict + matplotlib"),
    ("course", None, "course: vh.explore_latent"),
    ("conditional", None, "course: vh.explore_conditional (slider)"),
    ("conditional", "class_change", "course: vh.explore_conditional (class)"),
)  # (side, part, row label)


def timings_of(result: dict, side: str, part: str | None) -> dict | None:
    """The timings of one row of :data:`SIDES` in a :func:`run` result (None where the result has none)."""
    timings = result.get(side)
    if isinstance(timings, dict) and part is not None:
        timings = timings.get(part)
    return timings if isinstance(timings, dict) else None


def format_table(result: dict) -> str:
    """The result of :func:`run` as a small text table."""
    rows = [
        f"Explorer control -> new PNG in the Image widget ({result['moves']} moves, {result['cpu_count']} CPUs)",
        f"{'':40} {'p50 ms':>8} {'p95 ms':>8} {'traces':>7}",
    ]
    for side, part, label in SIDES:
        timings = timings_of(result, side, part)
        if timings is not None:
            traces = result[side].get("traces", "-")
            rows.append(f"{label:40} {timings['p50_ms']:8.1f} {timings['p95_ms']:8.1f} {traces:>7}")
    rows.append(
        f"speed-up (naive / course): p50 x{result['speedup_p50']:.1f}, p95 x{result['speedup_p95']:.1f}; "
        f"goal p95 < {result['goal_p95_ms']:g} ms with 1 trace: {'met' if result['meets_goal'] else 'NOT met'}"
    )
    if "conditional_goal_p95_ms" in result:
        rows.append(
            f"conditional explorer: goal p95 < {result['conditional_goal_p95_ms']:g} ms (slider and class) "
            f"with 1 trace: {'met' if result['conditional_meets_goal'] else 'NOT met'}"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    outcome = run(int(sys.argv[1]) if len(sys.argv) > 1 else N_MOVES)
    print(format_table(outcome))
