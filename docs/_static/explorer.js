/* The book's live explorers: notebook 06's latent explorer and notebook 09's conditional explorer, with no Python.
 *
 * tools/book.py puts <div class="live-explorer" data-explorer="latent|conditional"> where the notebook shows its
 * ipywidgets explorer. This script builds the sliders (one per latent dimension, [-span, span] in steps of `step`,
 * as in vae_helpers.explore), runs the decoder exported by tools/export_decoders.py (models/explorers.json says which
 * file) with onnxruntime-web (copied into _static/onnxruntime/ from its npm package: no CDN), and draws the pixel
 * probabilities as vae_helpers.explore does ("gray_r": probability 1 is black ink, 0 is white).
 * Every file comes from this site; onnxruntime runs single-threaded (threads need cross-origin isolation, which a
 * plain static server does not give).
 *
 * For the browser test: each explorer element gets data-state="ready" (or "error"), data-draws (a counter),
 * data-z (the latent point drawn, JSON) and the property lastOutput (Float32Array of the main image's 784
 * probabilities); window.vaeBook.decode(kind, rows) decodes rows of decoder inputs.
 */
(function () {
  "use strict";
  const script = document.currentScript;
  const base = new URL(".", script.src);  // .../_static/
  const SIZE = 28;  // Fashion-MNIST images: 28 x 28 x 1
  const SCALE = 7;  // the main picture: 196 x 196 screen pixels

  function loadScript(url) {
    return new Promise((resolve, reject) => {
      const tag = document.createElement("script");
      tag.src = url;
      tag.onload = resolve;
      tag.onerror = () => reject(new Error("could not load " + url));
      document.head.appendChild(tag);
    });
  }

  let runtime = null;  // Promise of {manifest, sessions}
  function start() {
    if (!runtime) {
      runtime = (async () => {
        await loadScript(new URL("onnxruntime/ort.wasm.min.js", base).href);
        ort.env.wasm.wasmPaths = new URL("onnxruntime/", base).href;
        ort.env.wasm.numThreads = 1;
        const manifest = await (await fetch(new URL("models/explorers.json", base))).json();
        return {manifest, sessions: {}};
      })();
    }
    return runtime;
  }

  async function session(kind) {
    const rt = await start();
    if (!rt.manifest[kind]) throw new Error("models/explorers.json has no explorer " + kind);
    if (!rt.sessions[kind]) {
      const url = new URL("models/" + rt.manifest[kind].file, base).href;
      rt.sessions[kind] = ort.InferenceSession.create(url, {executionProviders: ["wasm"]});
    }
    return {info: rt.manifest[kind], session: await rt.sessions[kind]};
  }

  /* rows: array of B arrays of the decoder's inputs -> Float32Array (B * 784) of pixel probabilities */
  async function decode(kind, rows) {
    const {info, session: s} = await session(kind);
    const flat = Float32Array.from(rows.flat());
    const input = new ort.Tensor("float32", flat, [rows.length, info.inputs]);
    const result = await s.run({[s.inputNames[0]]: input});
    return Float32Array.from(result[s.outputNames[0]].data);
  }

  function draw(canvas, probabilities, offset, x0) {
    const context = canvas.getContext("2d");
    const image = context.createImageData(SIZE, SIZE);
    for (let i = 0; i < SIZE * SIZE; i++) {
      const p = Math.min(1, Math.max(0, probabilities[offset + i]));
      const grey = 255 - Math.round(p * 255);
      image.data.set([grey, grey, grey, 255], 4 * i);
    }
    context.putImageData(image, x0, 0);
  }

  function element(tag, attributes, parent) {
    const node = document.createElement(tag);
    Object.assign(node, attributes);
    if (parent) parent.appendChild(node);
    return node;
  }

  function gaussian() {  // Box-Muller: one N(0, 1) draw
    const u = 1 - Math.random(), v = Math.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  async function build(box) {
    const kind = box.dataset.explorer;
    const {info} = await session(kind);
    box.textContent = "";
    const conditional = kind === "conditional";
    element("p", {className: "explorer-status", textContent: (conditional
      ? "Live explorer: the decoder of " + info.model + " runs in your browser. Pick a class, move a slider " +
        "(or focus it and press the arrow keys): the top picture is z decoded as that class, the strip the same z " +
        "in all ten classes."
      : "Live explorer: the decoder of " + info.model + " runs in your browser. Move a slider (or focus it and " +
        "press the arrow keys): the picture is the decoded z.")}, box);
    const row = element("div", {className: "explorer-row"}, box);
    const controls = element("div", {}, row);
    let menu = null;
    if (conditional) {
      const label = element("label", {textContent: "class "}, controls);
      menu = element("select", {className: "explorer-class"}, label);
      info.classes.forEach((name, k) => element("option", {value: String(k), textContent: name}, menu));
    }
    const sliders = [];
    for (let i = 0; i < info.latent_dim; i++) {
      const label = element("label", {}, controls);
      const readout = element("span", {textContent: `z[${i}] = 0.00 `});
      label.appendChild(readout);
      const slider = element("input", {type: "range", className: "explorer-slider", min: -info.span,
                                        max: info.span, step: info.step, value: 0}, label);
      slider.setAttribute("aria-label", `z[${i}]`);
      sliders.push({slider, readout, index: i});
    }
    const buttons = element("div", {}, controls);
    const sample = element("button", {className: "explorer-sample btn btn-sm btn-outline-primary",
                                      textContent: "Sample from prior", type: "button"}, buttons);
    const reset = element("button", {className: "explorer-reset btn btn-sm btn-outline-secondary",
                                     textContent: "Reset", type: "button"}, buttons);
    const main = element("canvas", {className: "main", width: SIZE, height: SIZE}, row);
    let strip = null;
    if (conditional) {
      strip = element("canvas", {className: "strip", width: SIZE * info.classes.length, height: SIZE}, box);
    }

    let busy = false, again = false;
    box.dataset.draws = "0";
    async function redraw() {
      if (busy) { again = true; return; }
      busy = true;
      try {
        do {
          again = false;
          const z = sliders.map(({slider}) => Number(slider.value));
          sliders.forEach(({readout, index}) => { readout.textContent = `z[${index}] = ${z[index].toFixed(2)} `; });
          let output;
          if (conditional) {
            const K = info.classes.length, chosen = Number(menu.value);
            const rows = [...Array(K).keys()].map((k) => z.concat([...Array(K).keys()].map((j) => (j === k ? 1 : 0))));
            const all = await decode(kind, rows);
            for (let k = 0; k < K; k++) draw(strip, all, k * SIZE * SIZE, k * SIZE);
            output = all.slice(chosen * SIZE * SIZE, (chosen + 1) * SIZE * SIZE);
          } else {
            output = await decode(kind, [z]);
          }
          draw(main, output, 0, 0);
          box.lastOutput = output;
          box.dataset.z = JSON.stringify(z);
          box.dataset.draws = String(Number(box.dataset.draws) + 1);
        } while (again);
      } finally {
        busy = false;
      }
    }
    sliders.forEach(({slider}) => slider.addEventListener("input", redraw));
    if (menu) menu.addEventListener("change", redraw);
    sample.addEventListener("click", () => {
      sliders.forEach(({slider}) => { slider.value = Math.min(info.span, Math.max(-info.span, gaussian())); });
      redraw();
    });
    reset.addEventListener("click", () => { sliders.forEach(({slider}) => { slider.value = 0; }); redraw(); });
    await redraw();
    box.dataset.state = "ready";
  }

  window.vaeBook = {decode};
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".live-explorer").forEach((box) => {
      build(box).catch((error) => {
        box.dataset.state = "error";
        box.textContent = "The live explorer could not start (" + error.message + "). Run the notebook in " +
          "JupyterLab or Colab to explore.";
        console.error(error);
      });
    });
  });
})();
