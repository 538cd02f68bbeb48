"""tools/course_setup.py, the set-up behind `make lab` and `make test`, in fake machines: nothing here installs
anything; each fake records the commands it was asked to run and answers as the machine it stands for would."""

import pathlib
import subprocess
import sys

import pytest

from conftest import load_tool

ROOT = pathlib.Path(__file__).resolve().parents[1]
course_setup = load_tool("course_setup")

APT = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]


class FakeMachine:
    """A machine with the given commands on its PATH. ``installs`` maps a command prefix to what running it adds
    (``"data"`` or a Chromium path); ``fails`` lists command prefixes that exit with 1."""

    def __init__(
        self, euid=0, commands=("apt-get",), environ=None, data=False, installs=None, fails=(), playwright_browser=False
    ):
        self.euid, self.commands, self.environ = euid, set(commands), dict(environ or {})
        self.data, self.installs, self.fails = data, dict(installs or {}), list(fails)
        self.playwright_browser = playwright_browser
        self.ran = []

    def which(self, name):
        if name not in self.commands:
            return None
        return name if name.startswith("/") else f"/usr/bin/{name}"

    def run(self, command):
        self.ran.append(command)
        text = " ".join(command)
        if any(text.startswith(prefix) for prefix in self.fails):
            return 1
        for prefix, effect in self.installs.items():
            if text.startswith(prefix):
                if effect == "data":
                    self.data = True
                elif effect == "playwright":
                    self.playwright_browser = True
                else:
                    self.commands.add(effect)
        return 0

    def system(self):
        return course_setup.System(
            euid=self.euid,
            environ=self.environ,
            which=self.which,
            run=self.run,
            data_folder=lambda: pathlib.Path("/usr/share/datasets/fashion-mnist") if self.data else None,
            playwright_chromium=lambda: "/root/.cache/ms-playwright/chromium" if self.playwright_browser else None,
            python="/venv/bin/python",
        )


def test_nothing_is_run_when_the_data_and_a_chromium_are_there():
    machine = FakeMachine(commands={"apt-get", "chromium"}, data=True)
    assert course_setup.check(machine.system()) == 0
    assert machine.ran == []


def test_as_root_on_debian_apt_installs_both_after_refreshing_the_package_lists():
    install = " ".join(APT + ["install"])
    machine = FakeMachine(
        installs={
            f"{install} -y -q --no-install-recommends dataset-fashion-mnist": "data",
            f"{install} -y -q --no-install-recommends chromium": "chromium",
        },
        fails=[],
    )
    # a fresh machine: the first install fails until `apt-get update` has run
    first_try = {"done": False}
    original_run = machine.run

    def run(command):
        if command[3:4] == ["install"] and not first_try["done"]:
            machine.ran.append(command)
            return 1
        if command[3:4] == ["update"]:
            first_try["done"] = True
        return original_run(command)

    machine.run = run
    assert course_setup.check(machine.system()) == 0
    assert [c[3] for c in machine.ran] == ["install", "update", "install", "install"]
    assert machine.data and "chromium" in machine.commands


def test_a_user_with_passwordless_sudo_installs_through_sudo_n():
    machine = FakeMachine(
        euid=1000,
        commands={"apt-get", "sudo"},
        installs={
            "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "
            "--no-install-recommends dataset-fashion-mnist": "data",
            "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "
            "--no-install-recommends chromium": "chromium",
        },
    )
    assert course_setup.check(machine.system()) == 0
    assert machine.ran[0] == ["sudo", "-n", "true"]
    assert all(command[:2] == ["sudo", "-n"] for command in machine.ran)


def test_without_apt_rights_it_falls_back_to_keras_and_playwright_downloads():
    machine = FakeMachine(
        euid=1000,
        commands={"apt-get", "sudo"},
        fails=["sudo -n true"],
        installs={
            "/venv/bin/python -c import keras": "data",
            "/venv/bin/python -m playwright install chromium": "playwright",
        },
    )
    assert course_setup.check(machine.system()) == 0
    assert ["/venv/bin/python", "-m", "playwright", "install", "chromium"] in machine.ran
    assert not any("apt-get" in command for command in machine.ran)


def test_what_cannot_be_installed_is_listed_with_its_commands_before_pytest(capsys):
    machine = FakeMachine(euid=1000, commands=set(), fails=["/venv/bin/python"])  # no apt-get, offline
    assert course_setup.check(machine.system()) == 1
    message = capsys.readouterr().err
    assert "`make test` cannot start" in message
    assert "- Fashion-MNIST (the course's data set). Get it with:" in message
    assert "sudo apt-get install dataset-fashion-mnist" in message and "export VAE_DATA_DIR=" in message
    assert "- Chromium (for the browser tests of the explorers). Get it with:" in message
    assert "sudo apt-get install chromium" in message
    assert "/venv/bin/python -m playwright install chromium" in message


def test_a_vae_data_dir_without_the_files_is_reported_not_worked_around(capsys):
    machine = FakeMachine(environ={"VAE_DATA_DIR": "/data/typo"}, commands={"apt-get", "chromium"})
    assert course_setup.check(machine.system()) == 1
    assert machine.ran == []  # installing elsewhere would not help: the loader only looks there
    assert "$VAE_DATA_DIR=/data/typo lacks some of its four files" in capsys.readouterr().err


def test_skipping_the_browser_tests_needs_no_chromium():
    machine = FakeMachine(environ={"VAE_SKIP_BROWSER": "1"}, commands=set(), data=True)
    assert course_setup.check(machine.system()) == 0 and machine.ran == []


@pytest.mark.parametrize(
    "commands, environ, playwright_browser, expected",
    [
        ({"chromium"}, {}, False, "/usr/bin/chromium"),
        ({"google-chrome"}, {}, True, "/usr/bin/google-chrome"),  # an installed browser first
        (set(), {}, True, ""),  # Playwright's own: no path needed
        (set(), {}, False, None),
        ({"/opt/chrome", "chromium"}, {"CHROMIUM": "/opt/chrome"}, False, "/opt/chrome"),
        ({"chromium"}, {"CHROMIUM": "/opt/missing"}, False, None),  # a wrong $CHROMIUM is not silently replaced
    ],
)
def test_find_chromium(commands, environ, playwright_browser, expected):
    machine = FakeMachine(commands=commands, environ=environ, playwright_browser=playwright_browser)
    assert course_setup.find_chromium(machine.system()) == expected


@pytest.mark.parametrize("euid, root_flag", [(0, True), (1000, False)])
def test_lab_opens_notebook_01_with_allow_root_only_for_root(euid, root_flag):
    command = course_setup.lab_command(FakeMachine(euid=euid).system(), ["--no-browser"])
    assert command[:4] == ["/venv/bin/python", "-m", "jupyter", "lab"]
    assert ("--allow-root" in command) is root_flag
    assert f"--ServerApp.root_dir={ROOT / 'notebooks'}" in command
    assert "--LabApp.default_url=/lab/tree/01_data.ipynb" in command and (ROOT / "notebooks/01_data.ipynb").is_file()
    assert command[-1] == "--no-browser"


def test_venv_falls_back_to_installing_python3_venv_on_debian(tmp_path):
    calls = {"venv": 0}
    machine = FakeMachine(installs={})
    original_run = machine.run

    def run(command):
        if command[1:3] == ["-m", "venv"]:
            calls["venv"] += 1
            machine.ran.append(command)
            return 1 if calls["venv"] == 1 else 0  # ensurepip missing until python3.X-venv is installed
        return original_run(command)

    machine.run = run
    assert course_setup.make_venv(machine.system(), str(tmp_path / ".venv")) == 0
    version = f"python{sys.version_info.major}.{sys.version_info.minor}-venv"
    assert machine.ran[1] == [*APT, "install", "-y", "-q", "--no-install-recommends", version]


def test_venv_failure_without_rights_says_what_to_do(tmp_path, capsys):
    machine = FakeMachine(euid=1000, commands=set(), fails=["/venv/bin/python -m venv"])
    assert course_setup.make_venv(machine.system(), str(tmp_path / ".venv")) == 1
    message = capsys.readouterr().err
    assert "sudo apt-get install python3." in message and "activate an environment of your own" in message


def test_the_script_explains_itself_on_bad_arguments():
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "course_setup.py"), "frobnicate"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "make test" in done.stderr
