# One entry point for the course. `make lab` and `make test` are the README's two commands.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
PRETRAINED := vae_helpers/pretrained
export TF_CPP_MIN_LOG_LEVEL ?= 3

.PHONY: lab test install-lab install-test unit notebooks browser bench train pretrained

install-lab:
	$(PIP) install --quiet -e ".[lab]"

install-test:
	$(PIP) install --quiet -e ".[test]"

## make lab: install what the course needs and open it in JupyterLab
lab: install-lab
	$(PYTHON) -m jupyter lab notebooks/

## make test: install what the tests need and run every test (unit, notebooks in quick mode, browser)
test: install-test
	VAE_QUICK=1 MPLBACKEND=Agg $(PYTHON) -m pytest

## make train: train the reference VAE (50 epochs, latent size 2) into runs/
train:
	$(PYTHON) -m vae_helpers.train --latent-dim 2 --epochs 50 --out runs/fashion-latent2

## make bench: speed benchmarks (prints a table, writes benchmarks/results/<machine>.json)
bench:
	$(PYTHON) benchmarks/run.py

## make pretrained: retrain every shipped model and copy it into the package (about 2 hours on 2 CPU cores).
## float32, as the shipped models were trained (the training command would pick bfloat16 on CPUs that have it);
## the beta sweep trains 5 epochs on 20,000 images, enough for notebook 07; each JSON records its exact command
pretrained:
	$(PYTHON) -m vae_helpers.train --latent-dim 2 --epochs 50 --precision float32 --out runs/fashion-latent2
	$(PYTHON) -m vae_helpers.train --latent-dim 16 --epochs 50 --precision float32 --out runs/fashion-latent16
	for beta in 0.1 1 4 16; do \
	  $(PYTHON) -m vae_helpers.train --latent-dim 2 --beta $$beta --epochs 5 --n-train 20000 --precision float32 \
	    --out runs/fashion-latent2-beta$$beta || exit 1; \
	done
	for run in runs/fashion-*; do \
	  name=$$(basename $$run); \
	  cp $$run/model.keras $(PRETRAINED)/$$name.keras && cp $$run/metrics.json $(PRETRAINED)/$$name.json; \
	done
