"""The tables that come from data (the README's course map, the pretrained models', the benchmarks') are what
tools/tables.py writes from their data: notebooks' headers and stored run times, vae_helpers/pretrained/*.json,
benchmarks/results/*.json."""

import pathlib
import re

import pytest

from conftest import load_tool

ROOT = pathlib.Path(__file__).resolve().parents[1]
tables = load_tool("tables")


@pytest.mark.parametrize("name", tables.FILES)
def test_every_table_is_what_tools_tables_writes_from_its_data(name):
    committed = (ROOT / name).read_text()
    assert tables.BLOCK.search(committed), f"{name} holds no generated table"
    assert tables.regenerate(committed, name) == committed, (
        f"a table of {name} is stale: run `python tools/tables.py` (`--check` shows the difference)"
    )


def test_every_table_name_is_used_once():
    used = [match.group(2) for name in tables.FILES for match in tables.BLOCK.finditer((ROOT / name).read_text())]
    assert sorted(used) == sorted(tables.TABLES)


def test_the_course_map_has_one_row_per_notebook_with_its_measured_run_time():
    rows = re.findall(
        r"^\| (\d\d) \| \[.+?\]\(notebooks/(\S+?)\) \|.*?about (\d+) min to run", (ROOT / "README.md").read_text(), re.M
    )
    notebooks = sorted(path.name for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert [row[1] for row in rows] == notebooks


def test_a_changed_json_makes_its_table_stale(tmp_path, monkeypatch):
    """The check can fail: a score changed in a model's JSON changes the committed table."""
    import json
    import shutil

    copy = tmp_path / "pretrained"
    shutil.copytree(tables.PRETRAINED, copy)
    info = json.loads((copy / "fashion-latent2.json").read_text())
    info["scores"]["test"]["neg_elbo"] += 1.0
    (copy / "fashion-latent2.json").write_text(json.dumps(info))
    monkeypatch.setattr(tables, "PRETRAINED", copy)
    committed = (ROOT / "docs" / "pretrained.md").read_text()
    assert tables.regenerate(committed, "docs/pretrained.md") != committed
