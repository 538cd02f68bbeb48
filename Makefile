# One entry point for the course. `make lab` and `make test` are the README's two commands.
#
# Python: the active virtual or conda environment if there is one, else the course's own .venv, made on first
# use (so pip never writes into the system's Python). `make test PYTHON=...` picks another interpreter.
ifeq ($(origin PYTHON),undefined)
  ifneq ($(VIRTUAL_ENV)$(CONDA_PREFIX),)
    PYTHON := python
  else
    VENV := .venv
    PYTHON := $(VENV)/bin/python
  endif
endif
BOOTSTRAP_PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
PRETRAINED := vae_helpers/pretrained
export TF_CPP_MIN_LOG_LEVEL ?= 3

.PHONY: lab test test-main test-stacks install-lab install-test install-book book bench train pretrained

ifdef VENV
$(VENV):
	$(BOOTSTRAP_PYTHON) tools/course_setup.py venv $(VENV)
endif

install-lab: $(VENV)
	$(PIP) install --quiet -e ".[tensorflow,lab]"

install-test: $(VENV)
	$(PIP) install --quiet -e ".[tensorflow,jax,test,book]"

install-book: $(VENV)
	$(PIP) install --quiet -e ".[book]"

## make lab: install what the course needs, then open JupyterLab at notebook 01 (prints its URL; Ctrl-C stops it)
lab: install-lab
	$(PYTHON) tools/course_setup.py lab $(LAB_ARGS)

## make test: install the test tools, get the data set and a Chromium if they are missing, lint and check the formatting (ruff), then run every test:
## the main stack (unit, notebooks in quick mode, browser: the explorers and the web book, which `make book` builds
## first), then the minimum-versions, Colab and JAX stacks.
## pytest runs one worker per core (pyproject.toml's addopts: pytest-xdist); `PYTEST_ADDOPTS=-n0 make test-main`
## runs in one process
test: test-main test-stacks

test-main: install-test book
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) tools/course_setup.py check
	VAE_QUICK=1 $(PYTHON) -m pytest

## the unit tests and the notebooks (quick mode) on the oldest declared versions, on Colab's versions, and on JAX
## without TensorFlow installed
test-stacks: install-test
	$(PYTHON) tools/test_stack.py minimum colab jax

## make book: the course as a static web book in build/book/ (open build/book/index.html: no Python runs there,
## nothing is fetched from the network): the stored notebooks (never executed), the README and docs/, with the
## explorers of notebooks 06 and 09 live on their pages. Needs npm once (MathJax and onnxruntime-web into build/npm/)
book: install-book
	$(PYTHON) tools/book.py

## make train: train the reference VAE (50 epochs, latent size 2) into runs/
train: install-lab
	$(PYTHON) -m vae_helpers --latent-dim 2 --epochs 50 --out runs/fashion-latent2

## make bench: speed benchmarks (prints a table, writes benchmarks/results/<machine>.json)
bench: install-test
	$(PYTHON) benchmarks/run.py

## make pretrained: retrain every shipped model and copy it into the package (about 5 hours on 2 CPU cores).
## fashion-latent2-fast is the fast recipe's model (notebook 05; benchmarks/time_to_quality.py trains the same run).
## float32, as the shipped models were trained (the training command would pick bfloat16 on CPUs that have it);
## the beta sweep trains 20 epochs on the 55,000 training images (about 12 min each); notebook 07's collapse
## experiment trains latent 16, beta 16 three ways (plain, KL warm-up, free bits), 10 epochs on the 55,000 images
## each (about 10 min each); notebook 09's conditional VAE trains 20 epochs like the beta sweep (about 12 min on
## free cores); each JSON records its exact command.
## Its runs live in runs/pretrained/, apart from `make train`'s (a run folder holds one run's settings only)
pretrained: install-lab
	$(PYTHON) -m vae_helpers --latent-dim 2 --epochs 50 --precision float32 --out runs/pretrained/fashion-latent2
	$(PYTHON) -m vae_helpers --recipe fast --latent-dim 2 --precision float32 --out runs/pretrained/fashion-latent2-fast
	$(PYTHON) -m vae_helpers --latent-dim 16 --epochs 50 --precision float32 --out runs/pretrained/fashion-latent16
	$(PYTHON) -m vae_helpers --model autoencoder --latent-dim 2 --epochs 50 --precision float32 \
	  --out runs/pretrained/fashion-autoencoder2
	for beta in 0.1 1 4 16; do \
	  $(PYTHON) -m vae_helpers --latent-dim 2 --beta $$beta --epochs 20 --precision float32 \
	    --out runs/pretrained/fashion-latent2-beta$$beta || exit 1; \
	done
	collapse="--latent-dim 16 --beta 16 --epochs 10 --precision float32"; \
	$(PYTHON) -m vae_helpers $$collapse --out runs/pretrained/fashion-latent16-beta16 && \
	$(PYTHON) -m vae_helpers $$collapse --kl-warmup-epochs 5 --out runs/pretrained/fashion-latent16-beta16-warmup && \
	$(PYTHON) -m vae_helpers $$collapse --free-bits 0.5 --out runs/pretrained/fashion-latent16-beta16-freebits
	$(PYTHON) -m vae_helpers --model cvae --latent-dim 2 --beta 1 --epochs 20 --precision float32 \
	  --out runs/pretrained/fashion-cvae2
	for run in runs/pretrained/fashion-*; do \
	  name=$$(basename $$run); \
	  cp $$run/model.weights.h5 $(PRETRAINED)/$$name.weights.h5 && cp $$run/metrics.json $(PRETRAINED)/$$name.json; \
	done
