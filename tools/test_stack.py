"""Run the unit tests and the notebooks (quick mode) on another stack of library versions: `make test` runs both.

    python tools/test_stack.py minimum   # the oldest versions pyproject.toml admits (tools/stacks/minimum.txt)
    python tools/test_stack.py colab     # what Google Colab runs (tools/stacks/colab.txt)
    python tools/test_stack.py jax       # KERAS_BACKEND=jax, no TensorFlow installed (tools/stacks/jax.txt)
    python tools/test_stack.py torch     # KERAS_BACKEND=torch, CPU wheel, no TensorFlow or JAX (not in make test)
    python tools/test_stack.py minimum colab jax   # what make test runs: the three environments are made at once,
                                                   # then each stack is tested in turn (the first failure stops)

Each stack is a pip constraints file whose comment lines name its Python (``# python: X.Y``), the extras of the
course it installs (``# extras: tensorflow,test``, each declared in pyproject.toml), and optionally its Keras backend (``# backend: jax``, default
TensorFlow; a stack on another backend must not have TensorFlow installed), the notebooks it runs
(``# notebooks: 03 05``, default all) and test files it leaves to the other stacks (``# skip: tests/test_x.py``). The stack gets its own virtual
environment, ``.venv-NAME`` (kept between runs; pip's cache is shared, so a second environment downloads nothing
twice), with the course installed editable. Python X.Y is looked for on the PATH and in pyenv; where it is not
installed, the stack's packages are tested on this Python and the run says so. The tests run in parallel as
pyproject.toml's pytest options say (pytest-xdist, one worker per core, each test file and notebook in one worker).

Some tests run in the main stack only (:data:`MAIN_STACK_ONLY`): the browser tests, since JupyterLab 4 draws no
ipywidgets 7 widgets (Colab has its own widget manager), and the tests whose outcome the pinned versions cannot
change, since what they check is the project's own files or the standard library.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
STACKS = ROOT / "tools" / "stacks"
PYTHON_LINE = re.compile(r"^#\s*python:\s*(\d+\.\d+)\s*$", re.M)
SETTING_LINE = re.compile(r"^#\s*(extras|backend|notebooks|skip):\s*(.+?)\s*$", re.M)
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)\s*$", re.M)
# Test paths that every stack leaves to the main stack (make test's first run, on the newest versions):
MAIN_STACK_ONLY = (
    "tests/browser",  # JupyterLab 4 and Voila in a real browser: ipywidgets 8's front end only
    # The project's files against each other (pyproject.toml, environment.yml, README, Makefile, .ci/run, the stack
    # files), `make lab`'s URL (JupyterLab, unpinned: the same release in every stack) and `python -m
    # vae_helpers --help` (argparse); the pinned libraries' part in importing the course and in the training
    # command runs in each stack through tests/test_import.py and tests/test_cli.py.
    "tests/test_project.py",
    "tests/test_course_setup.py",  # tools/course_setup.py in fake machines: standard library only
    "tests/test_stacks.py",  # this script, standard library only; make test runs it on the main stack's Python
    # The notebooks' stored cells, metadata and text, and the names that vae_helpers exports: the same files
    # whatever is installed (the notebooks themselves run in every stack)
    "tests/test_notebooks_structure.py",
    "tests/test_tables.py",  # the generated tables against their JSON and the notebooks' metadata: files only
    # The benchmarks are maintainers' tools that `make bench` runs in the main environment (the newest versions);
    # what they measure (the course's training and scoring) is tested in every stack by the other test files.
    "tests/test_benchmarks.py",
)


def stack_file(name: str) -> pathlib.Path:
    path = STACKS / f"{name}.txt"
    if not path.is_file():
        available = sorted(p.stem for p in STACKS.glob("*.txt"))
        raise SystemExit(f"no stack named {name!r}: expected one of {available} (files in {STACKS}).")
    return path


def pins(path: pathlib.Path) -> dict:
    """``{package: version}`` for every ``name==version`` line of a constraints file."""
    return {name.lower().replace("_", "-"): version for name, version in PIN.findall(path.read_text())}


def wanted_python(path: pathlib.Path) -> str:
    match = PYTHON_LINE.search(path.read_text())
    if match is None:
        raise SystemExit(f"{path} must name its Python in a line like '# python: 3.11'.")
    return match.group(1)


def settings(path: pathlib.Path) -> dict:
    """``{"extras": ..., "backend": ..., "notebooks": [paths], "skip": [test files]}`` from a constraints file's
    comment lines."""
    found = dict(SETTING_LINE.findall(path.read_text()))
    if "extras" not in found:
        raise SystemExit(
            f"{path} must name the course's extras it installs in a line like '# extras: tensorflow,test'."
        )
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if "notebooks" in found:
        wanted = found["notebooks"].split()
        notebooks = [nb for nb in notebooks if nb.name[:2] in wanted]
        if len(notebooks) != len(wanted):
            raise SystemExit(
                f"{path} names notebooks {wanted}, but notebooks/ holds only {[nb.name for nb in notebooks]} of them."
            )
    skip = found.get("skip", "").split()
    missing = [test_file for test_file in skip if not (ROOT / test_file).is_file()]
    if missing:
        raise SystemExit(f"{path} skips test files that do not exist: {missing}.")
    return {
        "extras": found["extras"],
        "backend": found.get("backend", "tensorflow"),
        "notebooks": [str(nb.relative_to(ROOT)) for nb in notebooks],
        "skip": skip,
    }


def unknown_extras(extras: str) -> list[str]:
    """The extras in ``extras`` (comma-separated, as a stack names them) that pyproject.toml does not declare."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    return [extra for extra in extras.split(",") if extra not in declared]


def find_python(version: str) -> str | None:
    """An interpreter of Python ``version`` (X.Y) that runs: ``pythonX.Y`` on the PATH, else the newest pyenv X.Y.Z.

    Each candidate is asked for its version, since a pyenv shim is on the PATH even for a Python it cannot run.
    """
    pyenv_root = pathlib.Path(os.environ.get("PYENV_ROOT", pathlib.Path.home() / ".pyenv"))
    installed = sorted(
        pyenv_root.glob(f"versions/{version}.*/bin/python"),
        key=lambda p: [int(part) for part in re.findall(r"\d+", p.parts[-3])],
        reverse=True,
    )
    for candidate in [shutil.which(f"python{version}"), *map(str, installed)]:
        if candidate and _runs_as(candidate, version):
            return candidate
    return None


def _runs_as(python: str, version: str) -> bool:
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except OSError:
        return False
    return done.returncode == 0 and done.stdout.strip() == version


def run(command: list, **kwargs) -> None:
    print("+", " ".join(map(str, command)), flush=True)
    code = subprocess.run(command, **kwargs).returncode
    if code != 0:
        raise SystemExit(code)


def requirements(extras: str) -> list[str]:
    """What ``pip install -e .[extras]`` asks for besides the course itself: pyproject.toml's dependencies and those
    of each extra in ``extras`` (comma-separated)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [
        *project["dependencies"],
        *(req for extra in extras.split(",") for req in project["optional-dependencies"][extra]),
    ]


def plan(name: str) -> dict:
    """Check a stack's file and make its virtual environment if it has none; return what :func:`install` and
    :func:`test` need: ``name``, ``constraints``, ``venv``, ``python`` (the venv's) and the :func:`settings`."""
    constraints = stack_file(name)
    version = wanted_python(constraints)
    stack = settings(constraints)
    unknown = unknown_extras(stack["extras"])
    if unknown:  # pip would only warn, and then miss the packages they bring
        raise SystemExit(
            f"[{name}] {constraints} names extras that pyproject.toml does not declare: {unknown}. "
            "Add them to [project.optional-dependencies] or fix the '# extras:' line."
        )
    venv = ROOT / f".venv-{name}"
    venv_python = venv / "bin" / "python"
    if not venv_python.exists():
        python = find_python(version)
        if python is None:
            python = sys.executable
            print(
                f"[{name}] Python {version} is not installed here: testing the stack's packages on Python "
                f"{sys.version_info.major}.{sys.version_info.minor} instead ({python}).",
                flush=True,
            )
        run([python, "-m", "venv", str(venv)])
    return {"name": name, "constraints": constraints, "venv": venv, "python": venv_python, **stack}


def install_requirements(stacks: list[dict]) -> None:
    """Install every stack's pinned requirements, all stacks at once: one pip unpacks and byte-compiles on one core
    (about 75 s for the TensorFlow stacks on 2 cores), so two or three in parallel use the cores that one leaves
    idle. The course itself is installed afterwards, one stack at a time (:func:`test`): its editable install
    writes into this checkout."""
    running = []
    for stack in stacks:
        command = [
            str(stack["python"]),
            "-m",
            "pip",
            "install",
            "--quiet",
            "-c",
            str(stack["constraints"]),
            *requirements(stack["extras"]),
        ]
        print(f"[{stack['name']}] +", " ".join(command), flush=True)
        log = tempfile.TemporaryFile()  # not a pipe: a pip that fills one would wait for the others
        running.append((stack["name"], subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT), log))
    failed = []
    for name, process, log in running:
        code = process.wait()
        log.seek(0)
        output = log.read().decode(errors="replace").strip()
        if output:
            print(f"[{name}] pip said:\n{output}", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        raise SystemExit(f"pip could not install the requirements of {failed}: see its messages above.")


def test(stack: dict) -> None:
    """Install the course into the stack's environment, check the pins, run the unit tests and the notebooks."""
    name, venv, venv_python, constraints = stack["name"], stack["venv"], stack["python"], stack["constraints"]
    run(
        [
            str(venv_python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "-c",
            str(constraints),
            "-e",
            f"{ROOT}[{stack['extras']}]",
        ]
    )
    installed = subprocess.run(
        [str(venv_python), "-m", "pip", "list", "--format=freeze"], check=True, capture_output=True, text=True
    ).stdout
    have = {n.lower().replace("_", "-"): v for n, v in PIN.findall(installed)}
    wrong = {
        package: (version, have.get(package))
        for package, version in pins(constraints).items()
        if have.get(package) != version
    }
    if wrong:
        raise SystemExit(f"[{name}] pip did not install the pinned versions (pinned, installed): {wrong}")
    if stack["backend"] != "tensorflow" and "tensorflow" in have:
        raise SystemExit(
            f"[{name}] TensorFlow {have['tensorflow']} is installed in {venv}, but this stack tests the "
            f"{stack['backend']} backend without it: remove {venv} and run again."
        )
    print(
        f"[{name}] Python {sys_version(venv_python)}, backend {stack['backend']}; "
        + ", ".join(f"{p} {v}" for p, v in pins(constraints).items()),
        flush=True,
    )
    env = {**os.environ, "VAE_QUICK": "1", "KERAS_BACKEND": stack["backend"]}
    env.pop("VIRTUAL_ENV", None)
    env.pop("MPLBACKEND", None)  # the notebooks run with Jupyter's inline backend, as a learner's do
    ignored = [f"--ignore={path}" for path in [*MAIN_STACK_ONLY, *stack["skip"]]]
    run([str(venv_python), "-m", "pytest", "tests", *stack["notebooks"], *ignored, "-q"], cwd=ROOT, env=env)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    for name in argv:  # every stack named exists before any environment is made
        settings(stack_file(name))
    stacks = [plan(name) for name in argv]
    install_requirements(stacks)
    for stack in stacks:
        test(stack)
    return 0


def sys_version(python: pathlib.Path) -> str:
    return subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
