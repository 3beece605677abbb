"""``backprop graph --format dot``: Graphviz source, and SVG, PNG or PDF rendered from it.

Gates are circles labelled with their operation, inputs are labelled with their names,
and each wire carries its source's value (green, above) and gradient (red, below), as
the tutorials draw circuits. Quoting is the graphviz package's.

Two layouts. ``dot`` ranks the gates left to right; its work grows with the wires'
lengths (a wire spanning k ranks is k hidden nodes, and a wire label doubles the ranks),
so a long sum over one input (``x + sin(x) + ...``: 201 nodes, three minutes) is beyond
it. Past ``LAYERED_LIMIT`` the picture switches to ``sfdp`` (force-directed, seconds for
thousands of nodes) with each gate's value and gradient in the gate itself: a label on
each wire is what made even sfdp slow (Graphviz places edge labels one by one).

Rendering runs in a child process: the pygraphviz wheel (Graphviz built in) when it is
installed, else the system's ``dot`` program. The child is ended with the command (an
interrupt, an error), its stderr is kept for the error message, and the wheel's own
fontconfig reads a configuration written here, which adds a font shipped on PyPI so text
renders on a machine with no fonts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..core.numbers import shown
from .drawing import Gate, Picture, gates, node_shape, shape_text, wire_numbers
from .registry import RenderOptions

VALUE_COLOR = "#1a7f37"
GRAD_COLOR = "#cf222e"
SHAPE_COLOR = "#57606a"

# dot's estimated layered size (drawn nodes plus the hidden nodes of long wires) past
# which the layout is sfdp: about one second of dot on this shape of graph.
LAYERED_LIMIT = 800
LAYOUTS = ("auto", "dot", "sfdp")

_SHAPES = {
    "input": {"shape": "plaintext", "fontsize": "16"},
    "const": {"shape": "plaintext"},
    "gate": {"shape": "circle", "width": "0.55", "fixedsize": "false"},
    "block": {"shape": "box", "style": "rounded"},
}

def numbers(picture: Picture, node_id: int, precision: int) -> tuple[str, str] | str | None:
    """The value and gradient shown, the shape alone of a large array, or None."""
    if picture.values is None or picture.grads is None:
        return None
    if picture.graph.arrays:
        return wire_numbers(picture, node_id, precision)
    return (shown(picture.values[node_id], precision), shown(picture.grads[node_id], precision))


def wire_label(picture: Picture, node_id: int, precision: int) -> str | None:
    shown_numbers = numbers(picture, node_id, precision)
    if shown_numbers is None:
        return None
    if isinstance(shown_numbers, str):  # a large array: its shape
        return f'<<font color="{SHAPE_COLOR}">{shown_numbers}</font>>'
    value, grad = shown_numbers
    # An HTML-like label: numbers only, so nothing to escape.
    return (f'<<font color="{VALUE_COLOR}">{value}</font><br/>'
            f'<font color="{GRAD_COLOR}">{grad}</font>>')


def gate_label(picture: Picture, gate: Gate, precision: int) -> str:
    """The gate's text with its value and gradient under it (the sfdp layout's labels)."""
    shown_numbers = numbers(picture, gate.node, precision)
    shape = node_shape(picture.graph, gate.node)
    if shown_numbers is None and not shape:
        return gate.text
    text = _html(gate.text)
    if shape:
        text += f'<br/><font color="{SHAPE_COLOR}" point-size="10">{shape_text(shape)}</font>'
    if shown_numbers is None or isinstance(shown_numbers, str):
        return f"<{text}>"
    value, grad = shown_numbers
    return (f'<{text}<br/><font color="{VALUE_COLOR}" point-size="11">{value}</font><br/>'
            f'<font color="{GRAD_COLOR}" point-size="11">{grad}</font>>')


def shaped_label(picture: Picture, gate: Gate) -> str:
    """A gate's text, and its shape under it when it is an array (the dot layout)."""
    shape = node_shape(picture.graph, gate.node)
    if not shape:
        return gate.text
    return (f'<{_html(gate.text)}<br/><font color="{SHAPE_COLOR}" point-size="10">'
            f'{shape_text(shape)}</font>>')


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def layered_size(picture: Picture, drawn: list[Gate] | None = None) -> int:
    """dot's work, estimated: the drawn nodes plus the hidden nodes of wires that span
    ranks (each rank spanned is one; wire labels double the ranks). One loop."""
    drawn = gates(picture.graph) if drawn is None else drawn
    per_rank = 2 if picture.evaluated else 1
    rank: dict[int, int] = {}
    size = len(drawn) + 1  # and the output's name
    for gate in drawn:
        if not gate.wires:
            rank[gate.node] = 0
            continue
        mine = 1 + max(rank[w] for w in gate.wires)
        rank[gate.node] = mine
        for w in gate.wires:
            size += (mine - rank[w]) * per_rank - 1
    return size


def layout_of(picture: Picture, drawn: list[Gate] | None = None) -> str:
    """The engine that draws ``picture``: its own choice, or dot while dot is quick."""
    if picture.layout != "auto":
        return picture.layout
    return "dot" if layered_size(picture, drawn) <= LAYERED_LIMIT else "sfdp"


def digraph(picture: Picture, options: RenderOptions) -> Any:
    import graphviz

    graph = picture.graph
    drawn = gates(graph)
    layout = layout_of(picture, drawn)
    on_wires = layout == "dot"  # sfdp: the numbers in the gates
    graph_attr = {"rankdir": "LR", "nodesep": "0.35", "ranksep": "0.6"}
    if not on_wires:
        # at most 40 inches a side: a PNG of thousands of gates stays a few megapixels
        graph_attr = {"layout": "sfdp", "overlap": "scale", "splines": "false",
                      "outputorder": "edgesfirst", "size": "40,40"}
    dot = graphviz.Digraph(
        "backprop",
        graph_attr=graph_attr,
        node_attr={"fontname": "Helvetica", "fontsize": "14"},
        edge_attr={"fontname": "Helvetica", "fontsize": "11", "arrowsize": "0.7"},
    )
    for gate in drawn:
        node = graph.nodes[gate.node]
        attrs = dict(_SHAPES[gate.kind])
        named_output = gate.node == graph.output and node.name == graph.output_name
        if node.name is not None and gate.kind not in ("input", "const") and not named_output:
            attrs["xlabel"] = node.name
        if gate.node == graph.output:
            attrs["penwidth"] = "2"
        if on_wires:
            text = shaped_label(picture, gate) if graph.arrays else gate.text
        else:
            text = gate_label(picture, gate, options.precision)
            if gate.kind == "gate":
                attrs.update(shape="ellipse", width="0.4", height="0.3")
        dot.node(f"n{gate.node}", text, **attrs)
        for source in gate.wires:
            label = wire_label(picture, source, options.precision) if on_wires else None
            dot.edge(f"n{source}", f"n{gate.node}", **({"label": label} if label else {}))
    output = graph.output
    dot.node("output", graph.output_name if len(graph.output_name) <= 40 else "output",
             shape="plaintext", fontsize="16")
    label = wire_label(picture, output, options.precision) if on_wires else None
    dot.edge(f"n{output}", "output", **({"label": label} if label else {}))
    return dot


def render(picture: Picture, options: RenderOptions) -> str:
    return digraph(picture, options).source


# The child that renders with the pygraphviz wheel: DOT on stdin, the file on stdout, and
# a one-line message (never a traceback) on stderr when Graphviz refuses.
_LIBRARY_CHILD = """\
import sys
try:
    import pygraphviz
    graph = pygraphviz.AGraph(string=sys.stdin.buffer.read().decode("utf-8"))
    data = graph.draw(format=sys.argv[1], prog=sys.argv[2])
except Exception as error:
    sys.stderr.write(f"error: {error}\\n")
    sys.exit(1)
sys.stdout.buffer.write(data)
"""


def library_available() -> bool:
    """Whether the pygraphviz wheel (Graphviz inside) is installed; not imported here."""
    import importlib.util

    try:
        return importlib.util.find_spec("pygraphviz") is not None
    except (ImportError, ValueError):
        return False


def renderer_command(fmt: str, layout: str) -> tuple[list[str], dict[str, str] | None]:
    """The child's command line and environment: the library first, the system's dot."""
    if library_available():
        env = dict(os.environ)
        config = fontconfig_file()
        if config is not None:
            env["FONTCONFIG_FILE"] = str(config)
        return [sys.executable, "-c", _LIBRARY_CHILD, fmt, layout], env
    dot = shutil.which("dot")
    if dot is None:
        from ..core.errors import EvaluationError

        raise EvaluationError(
            "Graphviz is not available, so the graph cannot be rendered",
            hint="pip install pygraphviz (it comes with Graphviz), or install Graphviz's "
            "dot program; or use --format dot or --format mermaid",
        )
    return [dot, f"-K{layout}", f"-T{fmt}"], None


def _bundled_font_dir() -> str | None:
    import importlib.util

    try:
        spec = importlib.util.find_spec("font_source_sans_pro")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "files"
    return str(folder) if folder.is_dir() else None


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fontconfig_file() -> Path | None:
    """A fontconfig configuration for the wheel's fontconfig: the system's own (when
    there is one), a font shipped on PyPI, and a cache folder of backprop's."""
    candidates = []
    cache_home = os.environ.get("XDG_CACHE_HOME")
    if cache_home:
        candidates.append(Path(cache_home))
    with contextlib.suppress(RuntimeError):  # no home folder
        candidates.append(Path.home() / ".cache")
    uid = os.getuid() if hasattr(os, "getuid") else 0
    candidates.append(Path(tempfile.gettempdir()) / f"backprop-cli-{uid}")
    fonts = _bundled_font_dir()
    for base in candidates:
        folder = base / "backprop-cli" / "fontconfig"
        lines = ['<?xml version="1.0"?>', '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
                 "<fontconfig>",
                 '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>']
        if fonts is not None:
            lines.append(f"  <dir>{_xml_text(fonts)}</dir>")
        lines += [f"  <cachedir>{_xml_text(str(folder / 'cache'))}</cachedir>",
                  "</fontconfig>", ""]
        text = "\n".join(lines)
        path = folder / "fonts.conf"
        try:
            if path.is_file() and path.read_text(encoding="utf-8") == text:
                return path
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f"fonts.conf.{os.getpid()}"
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, path)
            return path
        except OSError:
            continue
    return None


def _ends_with_parent() -> Any:
    """A pre-exec hook that has Linux end the child if backprop itself is killed."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def hook() -> None:
        prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    return hook


def run_child(argv: list[str], env: dict[str, str] | None, data: bytes,
              ) -> tuple[int, bytes, bytes]:
    """Run ``argv`` with ``data`` on stdin in a process group of its own, and end the
    group whatever happens here (KeyboardInterrupt, an error): no child outlives this."""
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, start_new_session=True,
                               preexec_fn=_ends_with_parent())
    try:
        out, err = process.communicate(data)
    finally:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                process.kill()
            process.wait()
    return process.returncode, out, err


def _graphviz_message(stderr: bytes) -> str:
    """What Graphviz said, less the wheel's fontconfig complaints about newer configs."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    kept = [line for line in lines if line and not line.startswith("Fontconfig")
            and "layout may take a long time" not in line]
    return " ".join(kept)[:300] or "no message"


def render_with_graphviz(picture: Picture, options: RenderOptions, fmt: str) -> bytes:
    """SVG, PNG or PDF from Graphviz (the pygraphviz wheel, or the system's dot)."""
    from ..core.errors import EvaluationError

    layout = layout_of(picture)
    source = render(picture, options)
    argv, env = renderer_command(fmt, layout)
    try:
        code, out, err = run_child(argv, env, source.encode("utf-8"))
    except OSError as error:
        raise EvaluationError(f"Graphviz could not be started: {error.strerror}") from None
    if code != 0 or not out:
        raise EvaluationError(f"Graphviz failed to render the graph: {_graphviz_message(err)}")
    return out


def render_svg(picture: Picture, options: RenderOptions) -> str:
    return render_with_graphviz(picture, options, "svg").decode("utf-8")


def render_png(picture: Picture, options: RenderOptions) -> bytes:
    return render_with_graphviz(picture, options, "png")


def render_pdf(picture: Picture, options: RenderOptions) -> bytes:
    return render_with_graphviz(picture, options, "pdf")
