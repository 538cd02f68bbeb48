"""Every numbered notebook follows the course skeleton (DESIGN.md § Notebook skeleton) and is run by nbval."""

import json
import pathlib
import re
import tomllib

import pytest

import vae_helpers as vh

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
EXPECTED = [
    "01_data",
    "02_sampling_trick",
    "03_encoder_decoder",
    "04_loss_elbo",
    "05_training",
    "06_latent_space",
    "07_going_further",
    "08_autoencoder_vs_vae",
    "09_conditional_vae",
    "10_your_own_images",
    "11_likelihood_and_outliers",
    "12_when_training_goes_wrong",
]
# Numbered notebooks that nbval does not execute, with the reason. Empty: every notebook runs in CI.
EXCLUDED_FROM_NBVAL: dict[str, str] = {}
CHECK = "# NBVAL_CHECK_OUTPUT"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
REPOSITORY = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
COLAB_NOTEBOOKS = (
    f"https://colab.research.google.com/github/{REPOSITORY.removeprefix('https://github.com/')}/blob/main/notebooks/"
)
MAX_WIDGET_STATE_BYTES = 100_000


def _notebook_paths():
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def _load(path):
    return json.loads(path.read_text())


def _source(cell):
    return "".join(cell["source"])


def _is_solution(cell):
    return "solution" in cell.get("metadata", {}).get("tags", [])


def test_the_seven_notebooks_exist_in_order():
    assert [p.stem for p in _notebook_paths()] == EXPECTED


def test_every_numbered_notebook_is_executed_by_nbval_or_excluded_with_a_reason():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "notebooks" in options["testpaths"] and "--nbval-lax" in options["addopts"]
    ignored = re.findall(r"--ignore(?:-glob)?[= ](\S+)", options["addopts"])
    conftest = NOTEBOOK_DIR / "conftest.py"
    conftest_text = conftest.read_text() if conftest.exists() else ""
    for path in _notebook_paths():
        excluded = any(path.name in pattern for pattern in ignored) or path.name in conftest_text
        if excluded:
            assert EXCLUDED_FROM_NBVAL.get(path.stem), f"{path.name} is not executed and no reason is written"


@pytest.fixture(params=[p.stem for p in _notebook_paths()])
def notebook(request):
    path = NOTEBOOK_DIR / f"{request.param}.ipynb"
    return path, _load(path)


def test_header_has_title_badge_learning_goals_and_prerequisites(notebook):
    path, nb = notebook
    header = nb["cells"][0]
    assert header["cell_type"] == "markdown"
    text = _source(header)
    assert text.startswith(f"# {path.stem[:2]}"), "title must start with the notebook number"
    assert BADGE in text and COLAB_NOTEBOOKS + path.name in text, "Colab badge must point at this notebook's own path"
    assert "**What you will learn:**" in text and "**Prerequisites:**" in text


def test_setup_installs_on_colab_only_and_reads_run_options(notebook):
    _, nb = notebook
    code = [_source(c) for c in nb["cells"] if c["cell_type"] == "code"]
    assert "google.colab" in code[0] and "pip install" in code[0], "first code cell installs the package on Colab"
    assert any("import vae_helpers as vh" in c for c in code)
    assert any("vh.run_options()" in c for c in code), "a visible run-options cell reads quick mode"
    assert not any(re.search(r"^\s*from \S+ import \*", c, re.M) for c in code), "no star imports"


def test_summary_and_at_least_three_exercises_with_checkers_and_hidden_solutions(notebook):
    _, nb = notebook
    markdown = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "## Summary" in markdown and "## Exercises" in markdown
    assert len(re.findall(r"^### Exercise \d+", markdown, re.M)) >= 3
    learner = [c for c in nb["cells"] if c["cell_type"] == "code" and not _is_solution(c)]
    solutions = [c for c in nb["cells"] if c["cell_type"] == "code" and _is_solution(c)]
    learner_checks = {m for c in learner for m in re.findall(r"vh\.exercises\.(check_\w+)", _source(c))}
    solution_checks = {m for c in solutions for m in re.findall(r"vh\.exercises\.(check_\w+)", _source(c))}
    assert len(learner_checks) >= 3 and learner_checks <= solution_checks
    for name in learner_checks:
        assert callable(getattr(vh.exercises, name, None)), f"vh.exercises.{name} does not exist"
    for cell in solutions:
        assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True, "solutions start collapsed"


def test_solution_cells_store_no_output_so_no_answer_shows_before_its_exercise(notebook):
    """GitHub, nbviewer and Colab ignore the collapsed-cell metadata: a stored verdict would show the answer. The
    checker raises on a wrong answer, so nbval still proves that each solution passes without comparing output."""
    _, nb = notebook
    for cell in (c for c in nb["cells"] if c["cell_type"] == "code" and _is_solution(c)):
        assert not cell["outputs"], f"solution cell stores output:\n{_source(cell)[:200]}"
        assert not _source(cell).startswith(CHECK), "a solution stores no output, so nbval has nothing to compare"


def test_every_notebook_ends_with_a_link_to_the_next_one_and_the_last_to_the_course_map(notebook):
    path, nb = notebook
    paths = _notebook_paths()
    later = [p for p in paths if p.name > path.name]
    last = nb["cells"][-1]
    assert last["cell_type"] == "markdown" and "**Next:**" in _source(last), "the last cell says what comes next"
    target = later[0].name if later else "../README.md#course-map"
    assert f"]({target})" in _source(last), f"the last cell links to {target}"


def test_at_least_two_checked_cells_with_stored_output(notebook):
    _, nb = notebook
    checked = [c for c in nb["cells"] if c["cell_type"] == "code" and _source(c).startswith(CHECK)]
    assert len([c for c in checked if not _is_solution(c)]) >= 2, "two checked cells besides the solutions"
    for cell in checked:
        assert cell["outputs"], f"checked cell has no stored output to compare:\n{_source(cell)[:200]}"


def test_stored_outputs_are_from_a_real_run_without_unexpected_errors(notebook):
    _, nb = notebook
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] is not None for c in code), "every code cell is stored executed"
    counts = [c["execution_count"] for c in code]
    assert counts == sorted(counts), "cells were executed out of order"
    assert any(
        o.get("output_type") == "display_data" and "image/png" in o.get("data", {}) for c in code for o in c["outputs"]
    ), "a stored plot, so GitHub shows results"
    for cell in code:
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        if errors:
            assert "raises-exception" in cell["metadata"].get("tags", []), f"unexpected error in:\n{_source(cell)}"


def test_metadata_is_clean(notebook):
    path, nb = notebook
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    widget_state = json.dumps(nb["metadata"].get("widgets", {}))
    assert len(widget_state) < MAX_WIDGET_STATE_BYTES, "stored widget state too large"
    for cell in nb["cells"]:
        assert "execution" not in cell.get("metadata", {}), "execution timing metadata must be stripped"


def test_every_public_helper_is_used_by_a_notebook_or_documented_as_advanced():
    sources = "\n".join(_source(c) for p in _notebook_paths() for c in _load(p)["cells"])
    reference = (ROOT / "docs" / "reference.md").read_text()
    advanced = reference.split("<!-- advanced-api -->", 1)[1] if "<!-- advanced-api -->" in reference else ""
    unused = [name for name in vh.__all__ if not re.search(rf"\bvh\.{name}\b", sources) and f"`{name}`" not in advanced]
    assert not unused, f"not used in any notebook nor listed in docs/reference.md's advanced API: {unused}"


# a home folder, a temporary folder, or an absolute path into the installed libraries
MACHINE_PATH = re.compile(r"~/|/root/|/home/\w|/Users/\w|/tmp/tmp|/[\w.-]+(?:/[\w.-]+)*/(?:site|dist)-packages/")


def _output_texts(cell):
    for output in cell.get("outputs", []):
        yield "".join(output.get("text", ""))
        yield "\n".join(output.get("traceback", [])) + output.get("evalue", "")
        for kind in ("text/plain", "text/html"):
            yield "".join(output.get("data", {}).get(kind, ""))


def test_no_stored_output_holds_a_machine_path(notebook):
    _, nb = notebook
    for cell in nb["cells"]:
        for text in _output_texts(cell):
            found = MACHINE_PATH.search(text) or (str(ROOT) in text and str(ROOT))
            assert not found, f"a machine path in a stored output ({found}): tools/run_notebooks.py removes them"


def test_the_re_execution_tool_removes_machine_paths():
    from conftest import load_tool

    tool = load_tool("run_notebooks")
    text = (
        f"File \x1b[0;32m~/.pyenv/versions/3.11.7/lib/python3.11/site-packages/keras/src/x.py:3\x1b[0m\n"
        f"File /usr/lib/python3/dist-packages/numpy/core.py:1\nFile {ROOT}/vae_helpers/model.py:9\n"
        "Resuming from /tmp/tmpab_12cd/checkpoint"
    )
    assert tool.without_machine_paths(text) == (
        "File \x1b[0;32m\u2026/site-packages/keras/src/x.py:3\x1b[0m\nFile \u2026/site-packages/numpy/core.py:1\n"
        "File vae_helpers/model.py:9\nResuming from /tmp/\u2026/checkpoint"
    )
    assert not MACHINE_PATH.search(tool.without_machine_paths(text))


def test_stored_outputs_come_from_a_full_run_of_the_current_code(notebook):
    from conftest import load_tool

    tool = load_tool("run_notebooks")
    path, _ = notebook
    import nbformat

    nb = nbformat.read(path, as_version=4)
    run = nb.metadata.get(tool.METADATA_KEY)
    assert run, f"{path.name} was not stored by tools/run_notebooks.py: run `python tools/run_notebooks.py {path}`"
    assert run["mode"] == "full", f"{path.name} is stored from quick mode: rerun it in full mode (the default)"
    assert run["code_sha256"] == tool.code_hash(nb), (
        f"{path.name}'s code cells changed after its outputs were stored: `python tools/run_notebooks.py {path}`"
    )


def test_solution_cells_hide_their_outputs_as_well_as_their_code(notebook):
    _, nb = notebook
    solutions = [c for c in nb["cells"] if c["cell_type"] == "code" and _is_solution(c)]
    assert solutions
    for cell in solutions:
        assert cell["metadata"].get("jupyter") == {"source_hidden": True, "outputs_hidden": True}, _source(cell)[:80]


CLAIM_CALL = re.compile(r"\bvh\.check_claim\(")


def test_every_notebook_checks_its_claims_and_every_stored_claim_held(notebook):
    path, nb = notebook
    claim_cells = [c for c in nb["cells"] if c["cell_type"] == "code" and CLAIM_CALL.search(_source(c))]
    assert len(claim_cells) >= 2, f"{path.name}: claims about results are checked by vh.check_claim cells"
    for cell in claim_cells:
        shown = "".join("".join(o.get("text", "")) for o in cell["outputs"] if o.get("output_type") == "stream")
        calls = len(CLAIM_CALL.findall(_source(cell)))
        assert shown.count("\u2713 checked:") >= calls, f"a claim is not shown as checked:\n{_source(cell)[:300]}"
        assert "quick mode" not in shown


def test_progress_bars_are_stored_as_their_final_state(notebook):
    _, nb = notebook
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", ""))
            assert "\b" not in text and "\r" not in text, f"a redrawn progress bar is stored:\n{_source(cell)[:200]}"


def test_the_re_execution_tool_shows_streams_as_jupyter_does():
    from conftest import load_tool

    tool = load_tool("run_notebooks")
    bar = "Epoch 1/2\n\r 1/16 ━ - loss: 9\x08\x08\x08\r16/16 ━━ - loss: 5\nEpoch 2/2\n"
    assert tool.as_terminal_shows(bar) == "Epoch 1/2\n16/16 ━━ - loss: 5\nEpoch 2/2\n"
    assert tool.as_terminal_shows("abc\x08\x08X\n\x08q") == "aX\nq"
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    before = tool.code_hash(nb)
    nb.cells.append(nbformat.v4.new_markdown_cell("prose does not count"))
    assert tool.code_hash(nb) == before
    nb.cells[0].source = "print(2)"
    assert tool.code_hash(nb) != before


TIMES = re.compile(r"about (\d+) min to read · about (\d+) min to run \(full mode, 2 CPU cores\)")


def test_header_and_course_map_state_reading_time_and_the_measured_full_run_time(notebook):
    from conftest import load_tool

    path, nb = notebook
    header = TIMES.search(_source(nb["cells"][0]))
    assert header, (
        f"{path.name}'s header says `**Time:** about N min to read · about M min to run (full mode, 2 CPU cores)`"
    )
    run = nb["metadata"].get(load_tool("run_notebooks").METADATA_KEY, {})
    assert run.get("cpus") == 2, "the stored run was measured on 2 CPU cores"
    measured_minutes = run["seconds"] / 60
    stated = int(header.group(2))
    assert abs(stated - measured_minutes) <= max(1.0, 0.25 * measured_minutes), (
        f"{path.name} says about {stated} min to run; its stored full run took {measured_minutes:.1f} min"
    )
    # the README's course map states the same reading time and the measured run time: tools/tables.py writes it,
    # tests/test_tables.py checks it
