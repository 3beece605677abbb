// backprop graph -F html: step through the forward and backward passes of a circuit.
//
// Every value, gradient, local derivative and contribution shown here is computed by the
// program's generated JavaScript (BACKPROP_MODULES, one per view); this script only
// formats numbers, shows and hides them, and words the steps as `--explain` does.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("data").textContent);
  const MODULES = window.BACKPROP_MODULES || {};
  const $ = (id) => document.getElementById(id);

  // ---- numbers, written as backprop writes them -------------------------------------

  // ---- arrays: nested lists, row-major, as `eval -F json` writes them ---------------

  const isArray = Array.isArray;
  const shapeOf = (v) => { const s = []; while (isArray(v)) { s.push(v.length); v = v[0]; } return s; };
  const sizeOf = (shape) => shape.reduce((a, n) => a * n, 1);
  const flat = (v) => isArray(v) ? v.flatMap(flat) : [v];
  const shapeText = (shape) => shape.join("x");
  // the page's data writes the numbers JSON has no text for as "nan", "inf", "-inf"
  const decode = (v) => isArray(v) ? v.map(decode) : typeof v === "string" ? Number(v.replace("inf", "Infinity")) : v;
  // the element at a flat (row-major) index, and a copy with it replaced
  function element(v, k) { return flat(v)[k]; }
  function withElement(v, k, x) {
    let n = -1;
    const walk = (u) => isArray(u) ? u.map(walk) : (++n === k ? x : u);
    return walk(v);
  }
  // ``a vector of 3``, ``a matrix 2x3`` (core/shapes.py describe)
  function describe(shape) {
    if (shape.length === 0) return "a scalar";
    if (shape.length === 1) return `a vector of ${shape[0]}`;
    return `${shape.length === 2 ? "a matrix" : "an array"} ${shapeText(shape)}`;
  }
  // ``w[0]``, ``W[1,0]``: the names of the elements, row-major (core/numbers.py)
  function elementNames(name, shape) {
    let names = [""];
    for (const n of shape) names = names.flatMap((p) => [...Array(n).keys()].map((k) => p ? `${p},${k}` : String(k)));
    return shape.length ? names.map((p) => `${name}[${p}]`) : [name];
  }
  // An array on one line, each number written by `number`; over `threshold` elements,
  // the first and last 3 of each axis around "..." (core/numbers.py array_text).
  function arrayText(v, number, threshold) {
    const elide = sizeOf(shapeOf(v)) > threshold;
    const axis = (u) => {
      if (!isArray(u)) return number(u);
      const keep = elide && u.length > 6 ? [0, 1, 2, -1, u.length - 3, u.length - 2, u.length - 1]
        : [...u.keys()];
      return "[" + keep.map((k) => k < 0 ? "..." : axis(u[k])).join(", ") + "]";
    };
    return axis(v);
  }

  // Python's repr of a float, less a trailing ".0" (core/numbers.py format_number).
  function formatNumber(v) {
    if (isArray(v)) return arrayText(v, formatNumber, Infinity);
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    if (v === 0) return Object.is(v, -0) ? "-0" : "0";
    const [mant, expText] = v.toExponential().split("e");
    const exp = parseInt(expText, 10);
    const sign = mant[0] === "-" ? "-" : "";
    const digits = mant.replace("-", "").replace(".", "");
    let out;
    if (exp < -4 || exp >= 16) {
      out = digits[0] + (digits.length > 1 ? "." + digits.slice(1) : "") + "e" +
        (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0");
    } else if (exp >= 0) {
      out = digits.length <= exp + 1 ? digits + "0".repeat(exp + 1 - digits.length)
        : digits.slice(0, exp + 1) + "." + digits.slice(exp + 1);
    } else {
      out = "0." + "0".repeat(-exp - 1) + digits;
    }
    return sign + out;
  }

  // `precision` significant digits, as Python's "%.{p}g" (ties to even), and no "-0".
  function shown(v, p) {
    if (isArray(v)) return arrayText(v, (x) => shown(x, p), 1000);
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    if (v === 0) return "0";
    const sign = v < 0 ? "-" : "";
    const a = Math.abs(v);
    let [mant, expText] = a.toExponential(p - 1).split("e");
    let exp = parseInt(expText, 10);
    // toExponential rounds an exact tie up; Python rounds it to the even digit
    const long = a.toExponential(Math.min(100, p + 30)).split("e")[0].replace(".", "");
    if (/^50*$/.test(long.slice(p)) && Number(long[p - 1]) % 2 === 0) {
      const kept = long.slice(0, p);
      mant = kept[0] + (p > 1 ? "." + kept.slice(1) : "");
      exp = parseInt(a.toExponential(Math.min(100, p + 30)).split("e")[1], 10);
    }
    let out;
    if (exp >= -4 && exp < p) {
      const digits = mant.replace(".", "");
      if (exp >= 0) {
        out = digits.length <= exp + 1 ? digits + "0".repeat(exp + 1 - digits.length)
          : digits.slice(0, exp + 1) + "." + digits.slice(exp + 1);
      } else {
        out = "0." + "0".repeat(-exp - 1) + digits;
      }
      if (out.includes(".")) out = out.replace(/0+$/, "").replace(/\.$/, "");
    } else {
      if (mant.includes(".")) mant = mant.replace(/0+$/, "").replace(/\.$/, "");
      out = mant + "e" + (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0");
    }
    out = sign + out;
    return out === "-0" ? "0" : out;
  }

  // A number, or an array of up to `limit` elements, to `p` digits; a larger array by
  // its shape, <3x3 array> (as --explain writes arrays: render/explain.py _small_array).
  function small(v, p, limit) {
    const shape = shapeOf(v);
    return sizeOf(shape) <= limit ? shown(v, p) : `<${shapeText(shape)} array>`;
  }
  const EXPLAIN_ELEMENTS = 6; // --explain's arrays written element by element
  const SHOWN_ELEMENTS = 12; // the page's: the table, a forward step, the inputs

  // The class of a number, in the order of graph_html.CLASS_POINTS.
  function numberClass(x) {
    if (x < -1) return Number.isInteger(x) ? 1 : 0;
    if (x === -1) return 2;
    if (x < 0) return 3;
    if (x === 0) return 4;
    if (x < 1) return 5;
    if (x === 1) return 6;
    return Number.isInteger(x) ? 7 : 8;
  }

  // ---- one view: its circuit, its steps, its module ----------------------------------

  function makeView(data) {
    const root = document.querySelector(`.circuit[data-view="${data.key}"]`);
    const svg = root.querySelector("svg");
    const module = MODULES[data.key];
    const nodeEls = new Map(); // node id -> <g class="node">
    const wireEls = new Map(); // source node id -> [<g class="edge">]
    const wireInto = new Map(); // target node id -> [<g class="edge">]
    const labels = []; // {node, kind, el}: a value or gradient drawn in the circuit
    for (const g of svg.querySelectorAll("g.node")) {
      const title = g.querySelector("title").textContent;
      const m = /^n(\d+)$/.exec(title);
      if (!m) continue;
      const id = Number(m[1]);
      nodeEls.set(id, g);
      g.dataset.node = id;
      collect(g, id);
    }
    for (const g of svg.querySelectorAll("g.edge")) {
      const title = g.querySelector("title").textContent;
      const m = /^n(\d+)->(n(\d+)|output)$/.exec(title);
      if (!m) continue;
      const source = Number(m[1]);
      const target = m[3] === undefined ? -1 : Number(m[3]);
      if (!wireEls.has(source)) wireEls.set(source, []);
      wireEls.get(source).push(g);
      if (!wireInto.has(target)) wireInto.set(target, []);
      wireInto.get(target).push(g);
      collect(g, source);
    }
    function collect(g, id) {
      for (const t of g.querySelectorAll("text")) {
        const fill = (t.getAttribute("fill") || "").toLowerCase();
        const kind = fill === DATA.colors.value ? "value" : fill === DATA.colors.grad ? "grad" : null;
        if (kind === null) continue;
        t.dataset.node = id;
        t.dataset.kind = kind;
        labels.push({ node: id, kind, el: t });
      }
    }
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    const box = svg.viewBox.baseVal;
    const home = { x: box.x, y: box.y, width: box.width, height: box.height };

    // the steps: the start, the forward pass node by node, the output's seed, the
    // backward pass gate by gate, the gradients of the inputs
    const steps = [{ kind: "start" }];
    const forwardAt = new Map();
    for (const id of data.forward) {
      forwardAt.set(id, steps.length);
      steps.push({ kind: "forward", node: id });
    }
    const seedAt = steps.length;
    steps.push({ kind: "seed", node: data.output });
    data.backward.forEach((gate, k) => steps.push({ kind: "backward", gate, index: k }));
    steps.push({ kind: "end" });
    const endAt = steps.length - 1;
    // the step from which each node's value and gradient are shown
    const valueFrom = (id) => forwardAt.has(id) ? forwardAt.get(id) : seedAt;
    const gradFrom = (id) => {
      const c = data.nodes[id].complete;
      return c === -1 ? seedAt : c >= data.backward.length ? endAt : seedAt + 1 + c;
    };
    return { data, root, svg, module, nodeEls, wireEls, wireInto, labels, steps, home,
             valueFrom, gradFrom, seedAt, endAt, tbody: null, rows: [] };
  }

  const views = DATA.views.map(makeView);
  const state = { view: 0, step: 0, playing: null, inputs: new Map(), numbers: null };
  for (const input of DATA.views[0].inputs) state.inputs.set(input.name, decode(input.value));

  // ---- the numbers, from the generated code ------------------------------------------

  function compute(view) {
    const data = view.data;
    if (!data.live) return firstNumbers(view);
    const point = {};
    for (const input of data.inputs) point[input.name] = state.inputs.get(input.name);
    const t = view.module.trace(point);
    const at = (table, id) => decode(table[id]);
    const n = data.nodes.length;
    const values = new Array(n), grads = new Array(n);
    for (let i = 0; i < n; i++) { values[i] = at(t.values, i); grads[i] = at(t.grads, i); }
    // local derivatives and contributions of every step, from the generated code of the
    // gate: g * op(a0, a1, ...) differentiated by each a_k, at g = 1 and at g = upstream
    const locals = [], contributions = [];
    for (const step of data.backward) {
      const node = data.nodes[step.node];
      if (node.modules) { // an array gate
        const [local, chained] = arrayGate(node, step, values, grads);
        locals.push(local);
        contributions.push(chained);
        continue;
      }
      const gate = MODULES["gate:" + node.gate].contribution;
      const args = node.args.map((a) => values[a]);
      const one = gate(1, ...args).gradient;
      const chained = gate(grads[step.node], ...args).gradient;
      locals.push(step.contributions.map((c) => one["a" + c.arg]));
      contributions.push(step.contributions.map((c) => chained["a" + c.arg]));
    }
    return { values, grads, locals, contributions, error: findError(view, values, grads, locals, contributions) };
  }

  // An array gate's contributions, and its elementwise local derivatives, from its
  // generated modules (graph_html.array_gate_graph): g * op(a0, a1, ...) differentiated
  // by each a_k, at g = the upstream gradient; and, the operands spread to the gate's
  // shape, at g = ones, taken back to the shape --explain shows the local in.
  function arrayGate(node, step, values, grads) {
    const args = node.args.map((a) => values[a]);
    const chained = MODULES[node.modules.contribution].contribution(grads[node.id], ...args).gradient;
    let one = null;
    if (node.modules.local) {
      const spread = args.map((v) => spreadTo(v, node.shape));
      one = MODULES[node.modules.local].contribution(spreadTo(1, node.shape), ...spread).gradient;
    }
    const local = step.contributions.map((c) => c.rule === "elementwise" && one
      ? firstAlong(decode(one["a" + c.arg]), c.local_shape) : null);
    return [local, step.contributions.map((c) => decode(chained["a" + c.arg]))];
  }

  // a number or an array, broadcast to `shape` (its axes right-aligned, as NumPy does)
  function spreadTo(v, shape) {
    const own = shapeOf(v);
    const build = (depth, index) => {
      if (depth === shape.length) {
        let u = v;
        const skip = shape.length - own.length;
        for (let d = 0; d < own.length; d++) u = u[own[d] === 1 ? 0 : index[skip + d]];
        return u;
      }
      return [...Array(shape[depth]).keys()].map((k) => build(depth + 1, [...index, k]));
    };
    return build(0, []);
  }

  // the array `v` taken to `shape` (which broadcasts to v's): the first element along
  // every axis that `shape` lacks or has once
  function firstAlong(v, shape) {
    const full = shapeOf(v);
    const want = [...Array(full.length - shape.length).fill(null), ...shape];
    const take = (u, d) => {
      if (d === full.length) return u;
      if (want[d] === null) return take(u[0], d + 1);
      if (want[d] === 1 && full[d] !== 1) return [take(u[0], d + 1)];
      return u.map((x) => take(x, d + 1));
    };
    return take(v, 0);
  }

  // The numbers of the point the page was made at, as the page's data holds them (the
  // generated code cannot compute this program: arrays, before JavaScript has them).
  function firstNumbers(view) {
    const first = view.data.first;
    return { values: decode(first.values), grads: decode(first.grads),
             locals: decode(first.locals), contributions: decode(first.contributions),
             error: null };
  }

  // The CLI's message for the first number that is not finite (core/engine.py).
  function findError(view, values, grads, locals, contributions) {
    const data = view.data;
    if (data.arrays) return findArrayError(data, values, grads);
    for (let i = 0; i < values.length; i++) {
      if (Number.isFinite(values[i])) continue;
      const node = data.nodes[i];
      if (node.input || node.args.length === 0) {
        return [`error: the value of ${node.label} is not finite (${formatNumber(values[i])})`,
                ...node.location];
      }
      const args = node.args.map((a) => values[a]);
      let reason = null;
      const domain = node.gate === null ? null : data.domains[node.gate];
      if (args.every(Number.isFinite) && domain) {
        reason = domain[args.map(numberClass).join(",")] || null;
      }
      if (reason === null) reason = Number.isNaN(values[i]) ? "not a number" : "overflow";
      return [`error: ${node.label} is not finite (${formatNumber(values[i])}): ${reason}`,
              ...node.location, ...where(data, node, values)];
    }
    // the gradients: the first contribution, output first, that is not finite
    for (let k = 0; k < data.backward.length; k++) {
      const step = data.backward[k];
      for (let j = 0; j < step.contributions.length; j++) {
        const d = locals[k][j];
        if (Number.isFinite(contributions[k][j])) continue;
        const node = data.nodes[step.node];
        const what = operandText(data, node, step.contributions[j].arg);
        const reason = Number.isFinite(d) ? "the gradient overflows"
          : `its local derivative with respect to ${what} is ${formatNumber(d)}`;
        return [`error: the gradient through ${node.label} is not finite: ${reason}`,
                ...node.location, ...where(data, node, values)];
      }
    }
    if (!grads.every(Number.isFinite)) return ["error: a gradient is not finite"];
    return null;
  }

  // The CLI's message over arrays (core/engine.py _array_value_error and
  // _array_gradient_error): the first element that is not finite, with its index.
  function findArrayError(data, values, grads) {
    const bad = (table) => {
      for (let i = 0; i < table.length; i++) {
        const k = flat(table[i]).findIndex((v) => !Number.isFinite(v));
        if (k >= 0) return [i, indexOf(k, shapeOf(table[i]))];
      }
      return null;
    };
    const at = (index) => index.length ? ` at [${index.join(", ")}]` : "";
    const value = bad(values);
    if (value !== null) {
      const [i, index] = value;
      const node = data.nodes[i];
      const v = elementAt(values[i], index);
      if (node.args.length === 0) {
        return [`error: the value of ${node.label}${at(index)} is not finite (${formatNumber(v)})`,
                ...node.location];
      }
      let reason = null;
      const domain = node.gate === null ? null : data.domains[node.gate];
      const elementwise = node.modules && node.modules.local;
      if (domain && (elementwise || !node.modules)) {
        const operands = node.args.map((a) => elementAt(values[a], index));
        if (operands.every(Number.isFinite)) reason = domain[operands.map(numberClass).join(",")] || null;
      }
      if (reason === null) reason = Number.isNaN(v) ? "not a number" : "overflow";
      return [`error: ${node.label}${at(index)} is not finite (${formatNumber(v)}): ${reason}`,
              ...node.location];
    }
    const grad = bad(grads);
    if (grad !== null) {
      const [i, index] = grad;
      const users = data.nodes.filter((n) => n.id > i && n.args.includes(i));
      const gate = users.length ? users[0] : data.nodes[i];
      return [`error: the gradient of ${data.nodes[i].label}${at(index)} is not finite ` +
              `(${formatNumber(elementAt(grads[i], index))}), through ${gate.label}`, ...gate.location];
    }
    return null;
  }

  // a flat (row-major) index as an index per axis
  function indexOf(k, shape) {
    const index = [];
    for (let d = shape.length - 1; d >= 0; d--) { index.unshift(k % shape[d]); k = Math.floor(k / shape[d]); }
    return index;
  }

  // the element of `v` at `index` of a broadcast shape (core/engine.py _element)
  function elementAt(v, index) {
    const shape = shapeOf(v);
    const own = index.slice(index.length - shape.length);
    for (let d = 0; d < shape.length; d++) v = v[shape[d] > 1 ? Math.min(own[d], shape[d] - 1) : 0];
    return v;
  }

  function operandText(data, node, k) {
    const all = data.nodes[node.id].forward.operands;
    const a = node.args[k];
    const found = all.find((o) => o[1] === a);
    return found ? found[0] : data.nodes[a].label;
  }

  function where(data, node, values) {
    const parts = node.forward.operands.map(([text, a]) => `${text} = ${formatNumber(values[a])}`);
    return parts.length ? [`  where ${parts.join(", ")}`] : [];
  }

  // ---- words of a step ---------------------------------------------------------------

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  const span = (cls, text) => `<span class="${cls}">${escapeHtml(text)}</span>`;

  function stepLines(view, step, numbers) {
    const data = view.data;
    const p = data.precision;
    // as --explain writes a number (and an array: up to 6 elements, else its shape)
    const number = data.arrays ? (v) => small(v, p, EXPLAIN_ELEMENTS) : (v) => shown(v, p);
    const num = (v) => { const t = number(v); return t.startsWith("-") ? `(${t})` : t; };
    // a forward step's numbers: arrays of up to 12 elements
    const full = (v) => small(v, p, SHOWN_ELEMENTS);
    const { values, grads, locals, contributions } = numbers;
    const lines = [];
    const sums = (id) => {
      const into = data.fan_in[String(id)];
      if (!into) return;
      const terms = into.map(([gate, arg]) => {
        const k = data.backward.findIndex((s) => s.node === gate);
        const j = data.backward[k].contributions.findIndex((c) => c.arg === arg);
        return num(contributions[k][j]);
      });
      lines.push(`    ${escapeHtml(data.nodes[id].d)} = ${terms.join(" + ")} = ` +
                 `${span("grad", number(grads[id]))}   (${into.length} paths: the gradients add up)`);
    };
    if (step.kind === "start") {
      lines.push("the forward pass computes every node's value from the inputs to the output;");
      lines.push("then the backward pass sends the gradient from the output back to the inputs.");
      if (data.arrays) {
        lines.push("", "vectors and matrices: each gate shows its shape; arrays of up to " +
                   `${SHOWN_ELEMENTS} elements are shown element by element.`);
      }
      lines.push("", "step with Right and Left, play with Space; Home and End go to the ends.");
    } else if (step.kind === "forward") {
      const node = data.nodes[step.node];
      const f = node.forward;
      const shape = node.shape && node.shape.length ? `   (${describe(node.shape)})` : "";
      lines.push(`[${node.id}] ${escapeHtml(f.title)}${escapeHtml(shape)}`);
      const parts = f.operands.map(([text, a]) => `${escapeHtml(text)} = ${span("value", full(values[a]))}`);
      lines.push(`    value = ${span("value", full(values[node.id]))}` +
                 (parts.length ? `   where ${parts.join(", ")}` : ""));
      if (node.shape && node.shape.length && sizeOf(node.shape) <= SHOWN_ELEMENTS && sizeOf(node.shape) > 1) {
        const names = elementNames("value", node.shape);
        flat(values[node.id]).forEach((v, k) => lines.push(`      ${names[k]} = ${span("value", shown(v, p))}`));
      }
    } else if (step.kind === "seed") {
      lines.push(`backward pass of ${escapeHtml(data.output_label)}, from the output back to the inputs`);
      lines.push("", `${escapeHtml(data.nodes[data.output].d)} = ${span("grad", "1")}`);
    } else if (step.kind === "backward") {
      const gate = step.gate;
      const k = step.index;
      sums(gate.node);
      lines.push(`[${gate.node}] ${escapeHtml(gate.title)}` + (gate.pattern ? `   (${escapeHtml(gate.pattern)})` : ""));
      const kink = kinkOf(view, gate, values);
      if (kink) lines.push(`    ! ${escapeHtml(kink)}`);
      gate.contributions.forEach((c, j) => {
        const rule = c.rule || "chain";
        const upstream = num(grads[gate.node]);
        const local = locals[k][j];
        const target = escapeHtml(data.nodes[c.to].d);
        const result = span("grad", number(contributions[k][j]));
        const summed = c.summed ? "   (summed back to its shape: it was broadcast)" : "";
        let chain;
        if (rule === "vjp") {
          chain = [target];
          if (c.formula) {
            chain.push(escapeHtml(c.formula));
            if (c.numbers) {
              chain.push(c.numbers.map((piece, i) => i % 2 === 0 ? escapeHtml(piece)
                : piece === -1 ? span("grad", upstream) : span("value", num(values[piece]))).join(""));
            }
          }
          chain.push(result);
          lines.push("    " + chain.join(" = ") + summed);
        } else if (rule === "elementwise") {
          chain = [target, "upstream * local"];
          if (c.formula && c.formula !== number(local) && c.formula !== num(local)) {
            chain.push(`upstream * ${escapeHtml(c.formula.includes(" ") ? `(${c.formula})` : c.formula)}`);
          }
          chain.push(`${span("grad", upstream)} * ${num(local)}`, result);
          lines.push("    " + chain.join(" = ") + (c.summed ? summed : "   (element by element)"));
        } else {
          chain = [target, `${escapeHtml(data.nodes[gate.node].d)} * ${escapeHtml(c.local_name)}`];
          if (c.formula && c.formula !== number(local) && c.formula !== num(local)) {
            chain.push(`${span("grad", upstream)} * ${escapeHtml(c.formula)}`);
          }
          chain.push(`${span("grad", upstream)} * ${num(local)}`, result);
          lines.push("    " + chain.join(" = "));
        }
      });
    } else {
      const fanned = data.inputs.filter((i) => data.fan_in[String(i.id)]);
      if (fanned.length) {
        lines.push("inputs that feed several gates");
        for (const i of fanned) sums(i.id);
        lines.push("");
      }
      lines.push("gradients: " + data.inputs.map(
        (i) => `${escapeHtml(data.nodes[i.id].d)} = ${span("grad", number(grads[i.id]))}`).join(", "));
    }
    return lines;
  }

  // The kink at this gate, worded by its op's rule (probed by class of its arguments).
  function kinkOf(view, gate, values) {
    const node = view.data.nodes[gate.node];
    // a def's rules run its body, and an array's kinks are found element by element
    // (check.element_kink): both are shown at the first point only
    if (node.block || view.data.arrays) return sameAsFirst(view) ? gate.kink : null;
    const table = view.data.kinks[node.gate];
    if (!table) return null;
    const out = values[node.id];
    const args = node.args.map((a) => values[a]);
    let key;
    if (args.length > 2) key = args.map((a) => (a === out ? "=" : ".")).join("");
    else key = args.map((a) => `${numberClass(a)}${a === out ? "=" : ""}`).join(",");
    return table[key] || null;
  }

  function sameAsFirst(view) {
    return view.data.inputs.every((i) => {
      const now = flat(state.inputs.get(i.name)), first = flat(decode(i.value));
      return now.length === first.length && now.every((v, k) => Object.is(v, first[k]));
    });
  }

  // ---- drawing a step ----------------------------------------------------------------

  function current() { return views[state.view]; }

  function show() {
    const view = current();
    const step = state.step;
    const at = view.steps[step];
    const numbers = state.numbers;
    const p = view.data.precision;
    for (const label of view.labels) {
      const from = label.kind === "value" ? view.valueFrom(label.node) : view.gradFrom(label.node);
      const v = label.kind === "value" ? numbers.values[label.node] : numbers.grads[label.node];
      label.el.textContent = shown(v, p);
      label.el.dataset.number = formatNumber(v);
      label.el.classList.toggle("pending", step < from);
    }
    for (const el of view.svg.querySelectorAll(".current, .forward, .backward")) {
      el.classList.remove("current", "forward", "backward");
    }
    const mark = (id) => { const g = view.nodeEls.get(id); if (g) g.classList.add("current"); };
    if (at.kind === "forward") {
      mark(at.node);
      for (const g of view.wireInto.get(at.node) || []) g.classList.add("forward");
    } else if (at.kind === "seed") {
      mark(at.node);
      for (const g of view.wireInto.get(-1) || []) g.classList.add("backward");
    } else if (at.kind === "backward") {
      mark(at.gate.node);
      for (const g of view.wireInto.get(at.gate.node) || []) g.classList.add("backward");
    }
    const phase = at.kind === "start" ? "the circuit"
      : at.kind === "forward" ? "forward pass" : at.kind === "end" ? "the gradients" : "backward pass";
    $("phase").textContent = phase;
    $("explain").innerHTML = stepLines(view, at, numbers).join("\n");
    $("counter").textContent = `step ${step} of ${view.steps.length - 1}`;
    $("scrub").max = String(view.steps.length - 1);
    $("scrub").value = String(step);
    const error = numbers.error;
    $("error-box").hidden = error === null;
    $("error").textContent = error === null ? "" : error.join("\n");
    const cell = (v) => small(v, p, SHOWN_ELEMENTS);
    for (const row of view.rows) {
      const id = row.id;
      row.value.textContent = step >= view.valueFrom(id) ? cell(numbers.values[id]) : "";
      row.grad.textContent = step >= view.gradFrom(id) ? cell(numbers.grads[id]) : "";
      row.value.dataset.number = formatNumber(numbers.values[id]);
      row.grad.dataset.number = formatNumber(numbers.grads[id]);
      const here = (at.kind === "forward" || at.kind === "seed") ? at.node === id
        : at.kind === "backward" ? at.gate.node === id : false;
      row.tr.classList.toggle("current", here);
    }
    document.body.dataset.step = String(step);
    document.body.dataset.steps = String(view.steps.length);
  }

  function buildTable(view) {
    $("shape-head").hidden = !view.data.arrays;
    $("nodes").classList.toggle("arrays", view.data.arrays);
    const tbody = $("nodes").tBodies[0];
    tbody.textContent = "";
    view.rows = [];
    for (const node of view.data.nodes) {
      if (!node.drawn && node.id !== view.data.output) continue;
      const tr = document.createElement("tr");
      const texts = [String(node.id), node.name && !node.input ? `${node.name} = ${node.label}` : node.label,
                     node.op];
      if (view.data.arrays) texts.push(node.shape.length ? shapeText(node.shape) : "");
      const cells = [...texts, "", ""].map((text) => {
        const td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
        return td;
      });
      cells[1].title = node.label;
      const [value, grad] = cells.slice(-2);
      value.className = "value";
      grad.className = "grad";
      if (view.data.arrays) cells[3].className = "shape";
      tr.dataset.node = node.id;
      tbody.appendChild(tr);
      view.rows.push({ id: node.id, tr, value, grad });
    }
  }

  function recompute() {
    state.numbers = compute(current());
  }

  // ---- the URL hash: #step=7, &expand, and the inputs changed from the program's ------

  // an input's elements by name, as the hash writes them: x, or w[0], W[1,0]
  const elementsOf = (input) => elementNames(input.name, input.shape || []);
  const LIVE = DATA.views.every((v) => v.live);

  function readHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    const expand = params.has("expand") && views.length > 1;
    state.view = expand ? 1 : 0;
    for (const input of DATA.views[0].inputs) {
      let value = decode(input.value);
      if (LIVE) {
        elementsOf(input).forEach((name, k) => {
          const text = params.get(`in.${name}`);
          const v = text === null ? NaN : Number(text);
          if (text !== null && text.trim() !== "" && Number.isFinite(v)) {
            value = isArray(value) ? withElement(value, k, v) : v;
          }
        });
      }
      state.inputs.set(input.name, value);
    }
    const step = parseInt(params.get("step") || "0", 10);
    state.step = Math.max(0, Math.min(Number.isFinite(step) ? step : 0, current().steps.length - 1));
  }

  function writeHash() {
    const params = new URLSearchParams();
    params.set("step", String(state.step));
    if (state.view === 1) params.set("expand", "");
    for (const input of DATA.views[0].inputs) {
      const now = flat(state.inputs.get(input.name)), first = flat(decode(input.value));
      elementsOf(input).forEach((name, k) => {
        if (!Object.is(now[k], first[k])) params.set(`in.${name}`, formatNumber(now[k]));
      });
    }
    const hash = "#" + params.toString().replace("expand=", "expand");
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }

  // ---- inputs ------------------------------------------------------------------------
  // A number: a field and a slider. A vector or matrix of up to 12 elements: one field
  // per element, and a slider for the element selected (the field last focused). A
  // larger array: its shape, read-only. Without generated code for the program (arrays,
  // before JavaScript has them) every input is read-only: the page shows its first point.

  const inputEls = new Map(); // name -> {fields: [field per element], slider, selected, caption}

  function rangeAround(slider, v) {
    const span = Math.max(1, Math.abs(v)) * 2;
    slider.min = String(v - span);
    slider.max = String(v + span);
    slider.step = String(span / 100);
  }

  function buildInputs() {
    const box = $("inputs");
    if (!LIVE) {
      const note = document.createElement("p");
      note.className = "note";
      note.id = "inputs-note";
      note.textContent = "read-only: the numbers are those of the point the page was made at " +
        "(the generated JavaScript does not compute arrays yet); for another point, make the " +
        "page again with other bindings, w=[1,2,3].";
      box.appendChild(note);
    }
    for (const input of DATA.views[0].inputs) {
      const shape = input.shape || [];
      const first = flat(decode(input.value));
      const names = elementsOf(input);
      const row = document.createElement("div");
      row.className = shape.length ? "input-row input-array" : "input-row";
      const label = document.createElement("label");
      label.textContent = input.name;
      label.title = shape.length ? `${input.name}: ${describe(shape)}` : input.name;
      row.appendChild(label);
      if (shape.length && sizeOf(shape) > SHOWN_ELEMENTS) {
        const text = document.createElement("span");
        text.className = "shape";
        text.id = `input-${input.name}`;
        text.textContent = `${describe(shape)} (read-only here: more than ${SHOWN_ELEMENTS} elements)`;
        row.appendChild(text);
        box.appendChild(row);
        continue;
      }
      const grid = document.createElement("div");
      grid.className = "elements";
      if (shape.length) {
        const columns = shape.length === 1 ? Math.min(shape[0], 6) : shape[shape.length - 1];
        grid.style.gridTemplateColumns = `repeat(${columns}, minmax(3.5em, 7em))`;
      }
      const entry = { fields: [], slider: null, selected: 0, caption: null, shape };
      names.forEach((name, k) => {
        const field = document.createElement("input");
        field.type = "number";
        field.step = "any";
        field.id = shape.length ? `input-${input.name}-${name.slice(input.name.length + 1, -1).split(",").join("-")}`
          : `input-${input.name}`;
        field.dataset.input = input.name;
        field.dataset.element = String(k);
        field.title = name;
        field.setAttribute("aria-label", name);
        field.disabled = !LIVE;
        field.addEventListener("input", () => {
          if (field.value.trim() === "" || !Number.isFinite(field.valueAsNumber)) return;
          setInput(input.name, shape.length ? k : null, field.valueAsNumber, field);
        });
        field.addEventListener("focus", () => select(input.name, k));
        grid.appendChild(field);
        entry.fields.push(field);
      });
      if (!shape.length) label.htmlFor = entry.fields[0].id;
      const slider = document.createElement("input");
      slider.type = "range";
      slider.dataset.input = input.name;
      slider.disabled = !LIVE;
      slider.setAttribute("aria-label", `${shape.length ? names[0] : input.name} (slider)`);
      rangeAround(slider, first[0]);
      slider.addEventListener("input", () => {
        const k = entry.selected;
        setInput(input.name, shape.length ? k : null, Number(slider.value), slider);
      });
      entry.slider = slider;
      if (shape.length) {
        const caption = document.createElement("span");
        caption.className = "element-caption";
        entry.fields[0].classList.add("selected");
        caption.textContent = names[0];
        entry.caption = caption;
        const under = document.createElement("div");
        under.className = "slider-row";
        under.append(caption, slider);
        row.append(grid, under);
      } else {
        row.append(grid, slider);
      }
      box.appendChild(row);
      inputEls.set(input.name, entry);
    }
  }

  // the element of an array input that its slider moves
  function select(name, k) {
    const entry = inputEls.get(name);
    if (!entry.shape.length || entry.selected === k) return;
    entry.selected = k;
    const input = DATA.views[0].inputs.find((i) => i.name === name);
    const names = elementsOf(input);
    entry.caption.textContent = names[k];
    entry.slider.setAttribute("aria-label", `${names[k]} (slider)`);
    for (const field of entry.fields) field.classList.toggle("selected", Number(field.dataset.element) === k);
    rangeAround(entry.slider, flat(decode(input.value))[k]);
    syncInputs(null);
  }

  function syncInputs(except) {
    for (const [name, { fields, slider, selected }] of inputEls) {
      const now = flat(state.inputs.get(name));
      fields.forEach((field, k) => { if (field !== except) field.value = formatNumber(now[k]); });
      const v = now[selected];
      if (slider !== except) {
        if (v < Number(slider.min)) slider.min = String(v);
        if (v > Number(slider.max)) slider.max = String(v);
        slider.value = String(v);
      }
    }
  }

  function setInput(name, k, v, from) {
    const old = state.inputs.get(name);
    state.inputs.set(name, k === null ? v : withElement(old, k, v));
    syncInputs(from);
    recompute();
    show();
    writeHash();
  }

  // ---- stepping ----------------------------------------------------------------------

  function go(step) {
    const last = current().steps.length - 1;
    state.step = Math.max(0, Math.min(step, last));
    show();
    writeHash();
  }

  function play() {
    if (state.playing !== null) { stop(); return; }
    if (state.step >= current().steps.length - 1) go(0);
    $("play").textContent = "pause";
    state.playing = setInterval(() => {
      if (state.step >= current().steps.length - 1) { stop(); return; }
      go(state.step + 1);
    }, 900);
  }

  function stop() {
    if (state.playing !== null) clearInterval(state.playing);
    state.playing = null;
    $("play").textContent = "play";
  }

  function switchView(index) {
    const before = current();
    const at = before.steps[state.step];
    for (const view of views) view.root.hidden = true;
    state.view = index;
    const view = current();
    view.root.hidden = false;
    // keep the phase: the same place in the forward or backward pass, as near as there is
    let step = at.kind === "end" ? view.endAt : at.kind === "start" ? 0
      : at.kind === "forward" ? Math.min(state.step, view.seedAt - 1) : view.seedAt;
    if (at.kind === "backward") step = Math.min(view.seedAt + (state.step - before.seedAt), view.endAt);
    buildTable(view);
    recompute();
    go(step);
  }

  // ---- pan and zoom on the viewBox ---------------------------------------------------

  function zoom(view, factor, cx, cy) {
    const b = view.svg.viewBox.baseVal;
    const x = cx === undefined ? b.x + b.width / 2 : cx;
    const y = cy === undefined ? b.y + b.height / 2 : cy;
    b.x = x - (x - b.x) * factor;
    b.y = y - (y - b.y) * factor;
    b.width *= factor;
    b.height *= factor;
  }

  function fit(view) {
    const b = view.svg.viewBox.baseVal;
    Object.assign(b, { x: view.home.x, y: view.home.y, width: view.home.width, height: view.home.height });
  }

  function svgPoint(view, event) {
    const pt = view.svg.createSVGPoint();
    pt.x = event.clientX;
    pt.y = event.clientY;
    return pt.matrixTransform(view.svg.getScreenCTM().inverse());
  }

  function bindStage() {
    const stage = $("stage");
    stage.addEventListener("wheel", (event) => {
      event.preventDefault();
      const view = current();
      const p = svgPoint(view, event);
      zoom(view, event.deltaY > 0 ? 1.15 : 1 / 1.15, p.x, p.y);
    }, { passive: false });
    let drag = null;
    stage.addEventListener("pointerdown", (event) => {
      const view = current();
      drag = { start: svgPoint(view, event), view };
      stage.classList.add("dragging");
      stage.setPointerCapture(event.pointerId);
    });
    stage.addEventListener("pointermove", (event) => {
      if (drag === null) return;
      const p = svgPoint(drag.view, event);
      const b = drag.view.svg.viewBox.baseVal;
      b.x -= p.x - drag.start.x;
      b.y -= p.y - drag.start.y;
    });
    const end = () => { drag = null; stage.classList.remove("dragging"); };
    stage.addEventListener("pointerup", end);
    stage.addEventListener("pointercancel", end);
  }

  // ---- start ---------------------------------------------------------------------------

  function start() {
    document.body.classList.toggle("arrays", DATA.views[0].arrays === true);
    buildInputs();
    bindStage();
    readHash();
    syncInputs(null);
    for (const view of views) view.root.hidden = true;
    current().root.hidden = false;
    if (views.length > 1) {
      $("expand-toggle").hidden = false;
      $("expand").checked = state.view === 1;
      $("expand").addEventListener("change", () => switchView($("expand").checked ? 1 : 0));
    }
    buildTable(current());
    recompute();
    show();
    $("first").addEventListener("click", () => { stop(); go(0); });
    $("back").addEventListener("click", () => { stop(); go(state.step - 1); });
    $("next").addEventListener("click", () => { stop(); go(state.step + 1); });
    $("last").addEventListener("click", () => { stop(); go(current().steps.length - 1); });
    $("play").addEventListener("click", play);
    $("scrub").addEventListener("input", () => { stop(); go(Number($("scrub").value)); });
    $("zoom-in").addEventListener("click", () => zoom(current(), 1 / 1.25));
    $("zoom-out").addEventListener("click", () => zoom(current(), 1.25));
    $("zoom-fit").addEventListener("click", () => fit(current()));
    document.addEventListener("keydown", (event) => {
      const tag = event.target && event.target.tagName;
      if (tag === "INPUT" && event.target.type !== "range" && event.target.type !== "checkbox") return;
      if (event.target && event.target.type === "range" && event.target.dataset.input) return;
      const keys = {
        ArrowRight: () => { stop(); go(state.step + 1); },
        ArrowLeft: () => { stop(); go(state.step - 1); },
        Home: () => { stop(); go(0); },
        End: () => { stop(); go(current().steps.length - 1); },
        " ": play,
        "+": () => zoom(current(), 1 / 1.25),
        "=": () => zoom(current(), 1 / 1.25),
        "-": () => zoom(current(), 1.25),
        "0": () => fit(current()),
      };
      const action = keys[event.key];
      if (!action || event.ctrlKey || event.metaKey || event.altKey) return;
      event.preventDefault();
      action();
    });
    window.addEventListener("hashchange", () => {
      const view = state.view;
      readHash();
      syncInputs(null);
      if (state.view !== view) {
        const step = state.step;
        state.view = view;
        $("expand").checked = !$("expand").checked;
        switchView(view === 0 ? 1 : 0);
        go(step);
        return;
      }
      recompute();
      show();
    });
    writeHash();
  }

  // for tests and the curious: the page's formatting, and where it stands
  window.backpropPage = { shown, formatNumber, numberClass, state, steps: () => current().steps.length };
  start();
})();
