"""graph -F html in a real browser: Debian's Chromium, headless, driven by Playwright.

The page is loaded from a file (file://) with no console error and no request but its
own; every step of the tutorials' neuron shows the numbers of ``eval -F json`` and the
words of ``eval --explain``; an input changed in the page changes every number to those
of ``eval`` at the new point; the step is in the URL; a domain error is worded as the CLI
words it. Screenshots go to the test's folder (and, with BACKPROP_SHOTS=DIR, to DIR).

On a machine without Chromium these tests skip, saying how to install it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backprop_cli.core.numbers import shown
from tests.harness import ROOT, run

CHROMIUM = "/usr/bin/chromium"
INSTALL = "Chromium is not installed: apt-get install -y chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PRECISION = 4  # graph's default -p
SAMPLES = ROOT / "samples"
NEURON = str(SAMPLES / "neuron.bp")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(INSTALL)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()


class Opened:
    """A page in the browser, and everything it said and asked for."""

    def __init__(self, browser: Any, path: Path, fragment: str = "") -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 820})
        self.url = path.resolve().as_uri()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console",
                     lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(self.url + fragment)
        self.page.wait_for_function("() => document.body.dataset.step !== undefined")

    def others(self) -> list[str]:
        """Requests for anything but the page itself."""
        return [url for url in self.requests if url.split("#")[0] != self.url]

    @property
    def step(self) -> int:
        return int(self.page.evaluate("document.body.dataset.step"))

    @property
    def steps(self) -> int:
        return int(self.page.evaluate("document.body.dataset.steps"))

    def labels(self) -> list[dict[str, Any]]:
        """Every value and gradient drawn in the circuit in view."""
        return self.page.evaluate("""() => [...document.querySelectorAll(
            '.circuit:not([hidden]) text[data-kind]')].map((t) => ({
              node: Number(t.dataset.node), kind: t.dataset.kind, text: t.textContent,
              number: t.dataset.number, pending: t.classList.contains('pending')}))""")

    def rows(self) -> dict[int, tuple[str, str]]:
        cells = self.page.evaluate("""() => [...document.querySelectorAll('#nodes tbody tr')]
            .map((tr) => [Number(tr.dataset.node), tr.querySelector('td.value').textContent,
                          tr.querySelector('td.grad').textContent])""")
        return {node: (value, grad) for node, value, grad in cells}

    def explain(self) -> list[str]:
        return self.page.inner_text("#explain").split("\n")

    def shot(self, folder: Path, name: str) -> Path:
        path = folder / f"{name}.png"
        self.page.screenshot(path=str(path))
        extra = os.environ.get("BACKPROP_SHOTS")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(extra) / path.name)
        return path

    def close(self) -> None:
        self.page.close()


def make_page(tmp_path: Path, *args: str, name: str = "circuit.html") -> Path:
    out = tmp_path / name
    done = run("graph", *args, "-o", str(out))
    assert done.code == 0, done.err
    return out


def reference(*args: str) -> dict[str, Any]:
    """``eval -F json`` and the text of ``eval --explain`` at the same point."""
    numbers = json.loads(run("eval", *args, "-F", "json").out)
    text = run("eval", *args, "--explain", "-p", str(PRECISION)).out
    steps = json.loads(run("eval", *args, "--explain", "-F", "json").out)["steps"]
    return {"nodes": numbers["nodes"], "text": text, "steps": steps}


def explain_blocks(text: str) -> tuple[dict[int, list[str]], list[str]]:
    """The CLI's explanation cut into one block per gate, as the page shows a step: the
    gate's sum of paths (printed at the end of the previous block) first, and the tail
    (the inputs that feed several gates, the gradients)."""
    blocks: dict[int, list[str]] = {}
    current: int | None = None
    pending: list[str] = []
    tail: list[str] = []
    lines = text.rstrip("\n").split("\n")
    last_gate = max((i for i, line in enumerate(lines) if re.match(r"\[\d+\] ", line)),
                    default=2)  # none: the output is an input
    end = next((i for i in range(last_gate, len(lines)) if lines[i] == ""), len(lines))
    for index, line in enumerate(lines):
        if index > end:
            tail.append(line)
            continue
        head = re.match(r"\[(\d+)\] ", line)
        if head:
            current = int(head.group(1))
            blocks[current] = [*pending, line]
            pending = []
        elif "paths: the gradients add up" in line:
            pending.append(line)
        elif line.startswith("    ") and current is not None:
            blocks[current].append(line)
    return blocks, tail


SHOWN_ELEMENTS = 12  # the page's table and forward steps: arrays up to this, else the shape


def size_of(number: Any) -> int:
    return len(elements(number))


def elements(number: Any) -> list[Any]:
    return [e for part in number for e in elements(part)] if isinstance(number, list) else [number]


def shape_of(number: Any) -> list[int]:
    shape = []
    while isinstance(number, list):
        shape.append(len(number))
        number = number[0]
    return shape


def table_text(number: Any) -> str:
    """A number as the page's table writes it: an array of up to 12 elements in full."""
    if size_of(number) <= SHOWN_ELEMENTS:
        return shown(number, PRECISION)
    return f"<{'x'.join(map(str, shape_of(number)))} array>"


def same_numbers(text: str, number: Any) -> bool:
    """The page's exact number (``formatNumber``: shortest round-trip text, nested lists
    for an array) is eval's, to the last bit."""
    got = json.loads(re.sub(r"\b(nan|-?inf)\b", r'"\1"', text))
    return [float(e) for e in elements(got)] == pytest.approx(
        [float(e) for e in elements(number)], rel=1e-12, abs=1e-300)


def check_step(opened: Opened, ref: dict[str, Any], data_steps: list[dict[str, Any]]) -> None:
    """The numbers shown at this step are eval's; the words are --explain's."""
    step = opened.step
    nodes = ref["nodes"]
    forward = data_steps[0]
    n_forward = len(forward)
    seed = 1 + n_forward
    gates = [s["node"] for s in ref["steps"]]
    end = seed + 1 + len(gates)
    at_gate = {g: k for k, g in enumerate(gates)}
    into: dict[int, list[int]] = {}
    for s in ref["steps"]:
        for c in s["contributions"]:
            into.setdefault(c["to"], []).append(at_gate[s["node"]])

    def value_from(node: int) -> int:
        return 1 + forward.index(node) if node in forward else seed

    def grad_from(node: int) -> int:
        if node == nodes[-1]["id"] or node == output_of(ref):
            return seed
        if node in into:
            return seed + 1 + max(into[node])
        return end

    labels = opened.labels()
    assert labels, "no numbers drawn"
    for label in labels:
        node = nodes[label["node"]]
        number = node["value"] if label["kind"] == "value" else node["grad"]
        assert label["text"] == shown(number, PRECISION), (step, label)
        assert same_numbers(label["number"], number), (step, label)
        start = value_from(node["id"]) if label["kind"] == "value" else grad_from(node["id"])
        assert label["pending"] == (step < start), (step, label)
    for node_id, (value, grad) in opened.rows().items():
        node = nodes[node_id]
        assert value == (table_text(node["value"]) if step >= value_from(node_id) else "")
        assert grad == (table_text(node["grad"]) if step >= grad_from(node_id) else "")
    lines = opened.explain()
    blocks, tail = explain_blocks(ref["text"])
    if 1 <= step <= n_forward:
        node = nodes[forward[step - 1]]
        assert lines[0].startswith(f"[{node['id']}] ")
        assert f"value = {table_text(node['value'])}" in lines[1]
        if node.get("shape") and 1 < size_of(node["value"]) <= SHOWN_ELEMENTS:
            # and a small array element by element
            assert [line.split(" = ")[1] for line in lines[2:]] == [
                shown(e, PRECISION) for e in elements(node["value"])]
    elif step == seed:
        assert ref["text"].split("\n")[2] in lines  # df/df = 1
    elif seed < step < end:
        assert lines == blocks[gates[step - seed - 1]], step
    elif step == end:
        assert lines == tail


def output_of(ref: dict[str, Any]) -> int:
    return ref["steps"][0]["node"] if ref["steps"] else ref["nodes"][-1]["id"]


def page_forward(opened: Opened) -> list[int]:
    return opened.page.evaluate("JSON.parse(document.getElementById('data').textContent)"
                                ".views[window.backpropPage.state.view].forward")


def walk(opened: Opened, ref: dict[str, Any]) -> int:
    """Home, then Right through every step, checking each; the number of steps."""
    forward = page_forward(opened)
    opened.page.evaluate("() => document.activeElement && document.activeElement.blur()")
    opened.page.keyboard.press("Home")
    assert opened.step == 0
    count = opened.steps
    assert count == 1 + len(forward) + 1 + len(ref["steps"]) + 1
    for expected in range(count):
        assert opened.step == expected
        check_step(opened, ref, [forward])
        opened.page.keyboard.press("ArrowRight")
    assert opened.step == count - 1  # Right at the end stays there
    return count


# -- the tutorials' neuron, step by step ----------------------------------------------------

def test_every_step_of_the_neuron(browser: Any, tmp_path: Path) -> None:
    opened = Opened(browser, make_page(tmp_path, "-f", NEURON))
    ref = reference("-f", NEURON)
    walk(opened, ref)
    assert opened.errors == [] and opened.others() == []
    opened.close()


@pytest.mark.parametrize("program", [
    ["-f", str(SAMPLES / "neuron-steps.bp")],  # every intermediate named
    ["-f", str(SAMPLES / "named.bp")],
    ["x*y + x + max(x, y)", "x=3", "y=-2"],  # fan-out: the paths add up; max routes
    ["relu(x) * abs(y) + x^2", "x=0", "y=-1.5"],  # a kink at the point
    ["max(x, x, 0.25) - min(x, -0.25) + x", "x=1"],  # one gate sends x two contributions
    ["-f", str(SAMPLES / "functions.bp")],  # user functions, each one gate
])
def test_every_step_of_other_circuits(browser: Any, tmp_path: Path, program: list[str]) -> None:
    opened = Opened(browser, make_page(tmp_path, *program))
    walk(opened, reference(*program))
    assert opened.errors == [] and opened.others() == []
    opened.close()


def test_an_input_changed_in_the_page_moves_every_number(browser: Any, tmp_path: Path) -> None:
    opened = Opened(browser, make_page(tmp_path, "-f", NEURON))
    opened.page.fill("#input-w0", "0.75")
    opened.page.fill("#input-x1", "-0.5")
    assert "in.w0=0.75" in opened.page.evaluate("location.hash")
    walk(opened, reference("-f", NEURON, "w0=0.75", "x1=-0.5"))
    # and the slider moves it too
    slider = opened.page.locator('input[type=range][data-input="w2"]')
    slider.evaluate("(s) => { s.value = '1.5'; s.dispatchEvent(new Event('input')); }")
    assert opened.page.input_value("#input-w2") == "1.5"
    opened.page.evaluate("() => document.activeElement && document.activeElement.blur()")
    opened.page.keyboard.press("End")
    check_step(opened, reference("-f", NEURON, "w0=0.75", "x1=-0.5", "w2=1.5"),
               [page_forward(opened)])
    opened.shot(tmp_path, "neuron-changed")
    assert opened.errors == [] and opened.others() == []
    opened.close()


def test_a_kink_reached_in_the_page_is_flagged(browser: Any, tmp_path: Path) -> None:
    formula = "relu(x) * y + max(x, y)"
    opened = Opened(browser, make_page(tmp_path, formula, "x=1", "y=2"))
    for x, y in (("0", "2"), ("2", "2"), ("-1", "0.5")):
        opened.page.fill("#input-x", x)
        opened.page.fill("#input-y", y)
        walk(opened, reference(formula, f"x={x}", f"y={y}"))
    assert opened.errors == []
    opened.close()


def test_the_step_is_in_the_url(browser: Any, tmp_path: Path) -> None:
    path = make_page(tmp_path, "-f", NEURON)
    opened = Opened(browser, path, "#step=7")
    assert opened.step == 7
    check_step(opened, reference("-f", NEURON), [page_forward(opened)])
    opened.page.keyboard.press("ArrowRight")
    assert opened.page.evaluate("location.hash") == "#step=8"
    opened.page.keyboard.press("ArrowLeft")
    opened.page.keyboard.press("ArrowLeft")
    assert opened.page.evaluate("location.hash") == "#step=6"
    opened.page.click("#last")
    assert opened.step == opened.steps - 1
    opened.page.click("#first")
    assert opened.step == 0
    opened.page.evaluate("location.hash = '#step=12&in.w0=3'")
    opened.page.wait_for_function("() => document.body.dataset.step === '12'")
    check_step(opened, reference("-f", NEURON, "w0=3"), [page_forward(opened)])
    assert opened.page.input_value("#input-w0") == "3"
    assert opened.errors == [] and opened.others() == []
    opened.close()


def test_space_plays_and_pauses(browser: Any, tmp_path: Path) -> None:
    opened = Opened(browser, make_page(tmp_path, "-f", NEURON))
    opened.page.keyboard.press("Space")
    opened.page.wait_for_function("() => Number(document.body.dataset.step) >= 1", timeout=5000)
    opened.page.keyboard.press("Space")
    stopped = opened.step
    opened.page.wait_for_timeout(1000)  # more than a step of play
    assert opened.step == stopped
    assert opened.errors == []
    opened.close()


def test_pan_and_zoom_move_the_view_and_fit_restores_it(browser: Any, tmp_path: Path) -> None:
    opened = Opened(browser, make_page(tmp_path, "-f", NEURON))
    box = ("(() => { const b = document.querySelector('.circuit:not([hidden]) svg')"
           ".viewBox.baseVal; return [b.x, b.y, b.width, b.height]; })()")
    home = opened.page.evaluate(box)
    opened.page.mouse.move(400, 400)
    opened.page.mouse.wheel(0, -300)
    zoomed = opened.page.evaluate(box)
    assert zoomed[2] < home[2]
    opened.page.mouse.down()
    opened.page.mouse.move(300, 350)
    opened.page.mouse.up()
    panned = opened.page.evaluate(box)
    assert panned[0] > zoomed[0] and panned[2] == pytest.approx(zoomed[2])
    opened.page.click("#zoom-fit")
    assert opened.page.evaluate(box) == pytest.approx(home)
    opened.close()


def test_a_domain_error_is_worded_as_the_cli_words_it(browser: Any, tmp_path: Path) -> None:
    formula = "log(x) * y + sqrt(y)"
    opened = Opened(browser, make_page(tmp_path, formula, "x=2", "y=1"))
    assert opened.page.is_hidden("#error-box")
    for x, y in (("0", "1"), ("-1", "1"), ("2", "0")):
        opened.page.fill("#input-x", x)
        opened.page.fill("#input-y", y)
        done = run("eval", formula, f"x={x}", f"y={y}")
        assert done.code == 1
        expected = [line for line in done.err.rstrip("\n").split("\n")
                    if not line.startswith("hint:")]
        assert opened.page.inner_text("#error").split("\n") == expected
    opened.page.fill("#input-y", "4")
    assert opened.page.is_hidden("#error-box")
    opened.page.fill("#input-x", "0")
    opened.shot(tmp_path, "domain-error")
    assert opened.errors == []
    opened.close()


@pytest.mark.parametrize(("sample", "changed"), [("sigmoid.bp", "w0=-1"), ("functions.bp", "w=-1")])
def test_blocks_expand_with_the_toggle(browser: Any, tmp_path: Path, sample: str,
                                       changed: str) -> None:
    program = ["-f", str(SAMPLES / sample)]
    name, value = changed.split("=")
    opened = Opened(browser, make_page(tmp_path, *program))
    collapsed = walk(opened, reference(*program))
    opened.page.check("#expand")
    assert "expand" in opened.page.evaluate("location.hash")
    expanded = walk(opened, reference(*program, "--expand"))
    assert expanded > collapsed
    opened.page.fill(f"#input-{name}", value)
    walk(opened, reference(*program, "--expand", changed))
    opened.page.uncheck("#expand")  # back to the blocks, at the point changed
    opened.page.click("#last")
    check_step(opened, reference(*program, changed), [page_forward(opened)])
    assert opened.errors == [] and opened.others() == []
    opened.close()


def test_a_few_hundred_nodes(browser: Any, tmp_path: Path) -> None:
    terms = " + ".join(f"sin(x * {k}) * y" for k in range(1, 80))
    program = [terms, "x=0.5", "y=2"]
    opened = Opened(browser, make_page(tmp_path, *program))
    ref = reference(*program)
    assert len(ref["nodes"]) > 300
    opened.page.click("#last")
    check_step(opened, ref, [page_forward(opened)])
    opened.page.fill("#input-x", "-1.25")
    check_step(opened, reference(terms, "x=-1.25", "y=2"), [page_forward(opened)])
    opened.shot(tmp_path, "large")
    assert opened.errors == [] and opened.others() == []
    opened.close()


def test_the_page_formats_numbers_as_backprop_does(browser: Any, tmp_path: Path) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from backprop_cli.core.numbers import format_number

    opened = Opened(browser, make_page(tmp_path, "-f", NEURON))
    special = [0.125, 0.5, 2.5, 1e16, 1e-5, 1.234e-05, 123456789012345.6, 1e22, -1e-300,
               5e-324, 9.995, 0.00012345, 1e15, 99999.5, 0.1 + 0.2]
    cases = special + [-v for v in special]

    @settings(max_examples=20, deadline=None)
    @given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=20, max_size=20))
    def batch(numbers: list[float]) -> None:
        check(numbers)

    def check(numbers: list[float]) -> None:
        got = opened.page.evaluate("""(xs) => xs.map((x) => [window.backpropPage.formatNumber(x),
            [1, 2, 4, 6, 17].map((p) => window.backpropPage.shown(x, p))])""", numbers)
        for x, (text, shown_texts) in zip(numbers, got):
            assert text == format_number(x), x
            assert shown_texts == [shown(x, p) for p in (1, 2, 4, 6, 17)], x

    check(cases)
    batch()
    opened.close()


def test_a_screenshot_mid_backward_pass(browser: Any, tmp_path: Path) -> None:
    """The README's picture (BACKPROP_SHOTS=docs to write it there): the mul gate w1 * x1
    sending back the upstream gradient times the other input."""
    opened = Opened(browser, make_page(tmp_path, "-f", NEURON), "#step=21")
    assert opened.page.text_content("#phase") == "backward pass"
    assert opened.explain()[0].startswith("[8] w1 * x1   (mul swaps")
    path = opened.shot(tmp_path, "page-neuron-backward")
    assert path.stat().st_size > 10_000
    opened.close()


def test_random_programs_show_eval_numbers(browser: Any) -> None:
    """Random straight-line programs (fan-out, max and min, powers, blocks): at the last
    step, and after an input is changed in the page, every number is eval's."""
    import tempfile

    from hypothesis import given, settings

    from tests.strategies import points, programs

    @settings(max_examples=6, deadline=None)
    @given(programs(), points, points)
    def check(program: str, point: dict[str, float], moved: dict[str, float]) -> None:
        text = "\n".join(f"{n} = {v!r}" for n, v in point.items()) + "\n" + program
        with tempfile.TemporaryDirectory() as folder:
            opened = Opened(browser, make_page(Path(folder), text))
            try:
                opened.page.click("#last")
                check_step(opened, reference(text), [page_forward(opened)])
                opened.page.fill("#input-x", repr(moved["x"]))
                opened.page.click("#last")
                check_step(opened, reference(text, f"x={moved['x']!r}"), [page_forward(opened)])
                assert opened.errors == [] and opened.others() == []
            finally:
                opened.close()

    check()


# -- vectors and matrices ---------------------------------------------------------------------

NEURON_VECTORS = ["-f", str(SAMPLES / "neuron-vectors.bp")]
LAYER = ["-f", str(SAMPLES / "layer.bp")]


def shapes_drawn(opened: Opened) -> list[str]:
    """The gates' shapes in the circuit in view (``3``, ``3x2``)."""
    return opened.page.evaluate("""() => [...document.querySelectorAll(
        '.circuit:not([hidden]) g.node text')].filter((t) => (t.getAttribute('fill') || '')
        .toLowerCase() === '#57606a').map((t) => t.textContent)""")


@pytest.mark.parametrize("program", [NEURON_VECTORS, LAYER])
def test_every_step_of_an_array_program(browser: Any, tmp_path: Path,
                                        program: list[str]) -> None:
    """Every step's numbers are eval's and its words --explain's, arrays element by
    element; the gates show their shapes and the table the nodes' shapes."""
    opened = Opened(browser, make_page(tmp_path, *program))
    ref = reference(*program)
    walk(opened, ref)
    shapes = {node["id"]: "x".join(map(str, node["shape"])) for node in ref["nodes"]}
    table = opened.page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '#nodes tbody tr')].map((tr) => [tr.dataset.node,
                                         tr.querySelector('td.shape').textContent]))""")
    assert table and all(text == shapes[int(node)] for node, text in table.items())
    assert sorted(set(shapes_drawn(opened))) == sorted(
        {shape for node, shape in shapes.items() if shape and str(node) in table})
    assert opened.errors == [] and opened.others() == []
    opened.close()


def test_an_array_input_has_a_field_per_element(browser: Any, tmp_path: Path) -> None:
    opened = Opened(browser, make_page(tmp_path, *LAYER))
    fields = opened.page.evaluate("""() => [...document.querySelectorAll(
        '#inputs input[type=number]')].map((f) => [f.getAttribute('aria-label'), f.value])""")
    ref = {node["label"]: node["value"] for node in reference(*LAYER)["nodes"]}
    expected = []
    for name in ("W", "b", "x", "target"):
        from backprop_cli.core.numbers import element_names, format_number

        value = ref[name]
        expected += list(zip(element_names(name, tuple(shape_of(value))),
                             [format_number(float(e)) for e in elements(value)]))
    assert [tuple(f) for f in fields] == expected
    opened.close()


def test_an_element_changed_in_the_page_moves_every_number(browser: Any, tmp_path: Path) -> None:
    """One field per element: a change recomputes every value, gradient and step of the
    neuron with vectors (the generated code's numbers, eval's at the new point); the
    slider moves the element last focused; the URL keeps the elements changed."""
    opened = Opened(browser, make_page(tmp_path, *NEURON_VECTORS))
    assert opened.page.is_hidden("#inputs-note")
    opened.page.fill("#input-w-1", "0.5")
    opened.page.fill("#input-x-0", "1.5")
    assert "in.w%5B1%5D=0.5" in opened.page.evaluate("location.hash")
    walk(opened, reference(*NEURON_VECTORS, "w=[2,0.5,-3]", "x=[1.5,-2]"))
    opened.page.focus("#input-w-2")
    assert opened.page.text_content("#inputs .element-caption") == "w[2]"
    slider = opened.page.locator('input[type=range][data-input="w"]')
    slider.evaluate("(s) => { s.value = s.min; s.dispatchEvent(new Event('input')); }")
    assert opened.page.input_value("#input-w-2") == "-9"  # -3 - 2 * 3: the range about -3
    opened.page.evaluate("() => document.activeElement && document.activeElement.blur()")
    opened.page.keyboard.press("End")
    check_step(opened, reference(*NEURON_VECTORS, "w=[2,0.5,-9]", "x=[1.5,-2]"),
               [page_forward(opened)])
    assert opened.errors == [] and opened.others() == []
    opened.close()
    # the URL opens the page at the point changed
    reopened = Opened(browser, make_page(tmp_path, *NEURON_VECTORS), "#step=30&in.w%5B1%5D=0.5")
    assert reopened.page.input_value("#input-w-1") == "0.5"
    check_step(reopened, reference(*NEURON_VECTORS, "w=[2,0.5,-3]"), [page_forward(reopened)])
    reopened.close()


def test_a_matrix_element_changed_in_the_page(browser: Any, tmp_path: Path) -> None:
    """The layer: W's fields row by row; a change of W[1,0] and of b[2] moves every
    step's numbers (the vector-Jacobian products' too), with the blocks and expanded."""
    opened = Opened(browser, make_page(tmp_path, *LAYER))
    opened.page.fill("#input-W-1-0", "-0.75")
    opened.page.fill("#input-b-2", "2")
    moved = ["W=[[2,-3],[-0.75,1],[-1,0.25]]", "b=[-3,0,2]"]
    walk(opened, reference(*LAYER, *moved))
    opened.page.check("#expand")
    walk(opened, reference(*LAYER, *moved, "--expand"))
    opened.page.uncheck("#expand")
    opened.page.evaluate("location.hash = '#step=19&in.W%5B1%2C0%5D=-0.75&in.b%5B2%5D=2'")
    opened.page.wait_for_function("() => document.body.dataset.step === '19'")
    assert opened.explain()[0].startswith("[4] W @ x")
    opened.shot(tmp_path, "page-layer-backward")
    assert opened.errors == [] and opened.others() == []
    opened.close()


def test_a_large_array_input_is_read_only_with_its_shape(browser: Any, tmp_path: Path) -> None:
    matrix = "[" + ",".join("[" + ",".join(str((r * 4 + c) % 5 - 2) for c in range(4)) + "]"
                            for r in range(4)) + "]"
    program = ["sum(tanh(A @ v))", f"A={matrix}", "v=[1,-0.5,0.25,2]"]
    opened = Opened(browser, make_page(tmp_path, *program))
    assert opened.page.text_content("#input-A").startswith("a matrix 4x4 (read-only")
    assert opened.page.locator('#inputs input[data-input="A"]').count() == 0
    walk(opened, reference(*program))  # a 4x4 gradient in the table as <4x4 array>
    opened.page.fill("#input-v-3", "-1")
    walk(opened, reference(program[0], program[1], "v=[1,-0.5,0.25,-1]"))
    assert opened.errors == [] and opened.others() == []
    opened.close()


def test_a_domain_error_in_an_element_is_worded_as_the_cli_words_it(browser: Any,
                                                                   tmp_path: Path) -> None:
    formula = "sum(log(w) * x) + sum(sqrt(x))"
    opened = Opened(browser, make_page(tmp_path, formula, "w=[1,2,3]", "x=[1,2,3]"))
    assert opened.page.is_hidden("#error-box")
    for field, value, binding in (("#input-w-1", "0", "w=[1,0,3]"),
                                  ("#input-w-1", "-2", "w=[1,-2,3]")):
        opened.page.fill(field, value)
        done = run("eval", formula, binding, "x=[1,2,3]")
        assert done.code == 1
        expected = [line for line in done.err.rstrip("\n").split("\n")
                    if not line.startswith("hint:")]
        assert opened.page.inner_text("#error").split("\n") == expected
    opened.page.fill("#input-w-1", "2")
    opened.page.fill("#input-x-2", "0")  # sqrt's gradient at 0
    done = run("eval", formula, "w=[1,2,3]", "x=[1,2,0]")
    assert done.code == 1
    assert opened.page.inner_text("#error").split("\n") == [
        line for line in done.err.rstrip("\n").split("\n") if not line.startswith("hint:")]
    assert opened.errors == []
    opened.close()
