"""Running generated code: imported (python, numpy), compiled and run (c), under node (js).

Each runner takes the generated source and a list of points (each a list of floats, in
the order of the function's parameters) and returns, per point, ``(value, gradients)``
(and for C, the return code too). A runner whose tool is missing skips the test, with
the command that installs it as the reason.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from backprop_cli.api import evaluate_at, parse_program
from backprop_cli.codegen.generate import generate
from backprop_cli.core.errors import EvaluationError
from backprop_cli.core.graph import Graph

_counter = itertools.count()
GCC_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror"]


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"needs {tool}: apt-get install -y {package}")
    return path


def run_python(source: str, points: list[list[float]], tmp: Path, name: str = "value_and_grad"
               ) -> list[tuple[float, list[float]]]:
    module = _import(source, tmp)
    fn = getattr(module, name)
    return [(v, list(g.values())) for v, g in (fn(*p) for p in points)]


def run_numpy(source: str, points: list[list[float]], tmp: Path, name: str = "value_and_grad"
              ) -> list[tuple[float, list[float]]]:
    """Every point at once: the inputs as arrays of rows."""
    import numpy as np

    module = _import(source, tmp)
    columns = [np.array(c, dtype=float) for c in zip(*points)] if points and points[0] else []
    value, gradient = getattr(module, name)(*columns)
    value = np.broadcast_to(value, (len(points),))
    grads = [np.broadcast_to(g, (len(points),)) for g in gradient.values()]
    return [(float(value[k]), [float(g[k]) for g in grads]) for k in range(len(points))]


def _import(source: str, tmp: Path) -> Any:
    path = tmp / f"generated_{next(_counter)}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compile_c(source: str, tmp: Path) -> Path:
    """The generated file alone, with the strict flags: it must compile cleanly."""
    gcc = need("gcc", "gcc")
    path = tmp / f"generated_{next(_counter)}.c"
    path.write_text(source, encoding="utf-8")
    result = subprocess.run([gcc, *GCC_FLAGS, "-c", str(path), "-o", str(path.with_suffix(".o"))],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + source
    return path.with_suffix(".o")


def run_c(source: str, points: list[list[float]], tmp: Path, n_inputs: int, n_grads: int,
          name: str = "value_and_grad") -> list[tuple[int, float, list[float]]]:
    gcc = need("gcc", "gcc")
    obj = compile_c(source, tmp)
    params = ", ".join(["double"] * n_inputs + ["double *", "double *"])
    args = ", ".join([f"in[{k}]" for k in range(n_inputs)] + ["&value", "grad"])
    reads = " ".join(f'if (scanf("%lf", &in[{k}]) != 1) return 0;' for k in range(n_inputs))
    driver = f"""#include <stdio.h>
int {name}({params});
int main(void) {{
    double in[{max(n_inputs, 1)}], value, grad[{max(n_grads, 1)}];
    int k, rc;
    for (;;) {{
        {reads if n_inputs else 'static int once = 0; if (once++) return 0;'}
        rc = {name}({args});
        printf("%d %.17g", rc, value);
        for (k = 0; k < {n_grads}; k++) printf(" %.17g", grad[k]);
        printf("\\n");
    }}
}}
"""
    main = tmp / f"driver_{next(_counter)}.c"
    main.write_text(driver, encoding="utf-8")
    exe = main.with_suffix("")
    build = subprocess.run([gcc, "-std=c99", str(main), str(obj), "-o", str(exe), "-lm"],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    text = "\n".join(" ".join(repr(float(x)) for x in p) for p in points) + "\n"
    out = subprocess.run([str(exe)], input=text, capture_output=True, text=True, check=True)
    rows = []
    for line in out.stdout.splitlines():
        fields = line.split()
        rows.append((int(fields[0]), float(fields[1]), [float(f) for f in fields[2:]]))
    return rows


def run_js(source: str, points: list[list[float]], tmp: Path, name: str = "valueAndGrad",
           trace: list[dict[str, float]] | None = None) -> Any:
    node = need("node", "nodejs")
    module = tmp / f"generated_{next(_counter)}.mjs"
    module.write_text(source, encoding="utf-8")
    if trace is None:
        call = f"points.map(p => {{ const r = m.{name}(...p); " \
               "return [r.value, Object.values(r.gradient)]; })"
    else:
        call = "points.map(p => m.trace(p))"
    driver = tmp / f"driver_{next(_counter)}.mjs"
    driver.write_text(f"""import * as m from {json.dumps(module.as_uri())};
import {{ readFileSync }} from "node:fs";
const points = JSON.parse(readFileSync(0, "utf8"), (k, v) => typeof v === "string" ? Number(v) : v);
const out = {call};
console.log(JSON.stringify(out, (k, v) =>
  typeof v === "number" && !Number.isFinite(v) ? String(v) : v));
""", encoding="utf-8")
    data = trace if trace is not None else points
    out = subprocess.run([node, str(driver)], input=json.dumps(_jsonable(data)),
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout, parse_constant=float,
                      object_hook=lambda d: {k: _number(v) for k, v in d.items()})


def _jsonable(data: Any) -> Any:
    if isinstance(data, float) and not math.isfinite(data):
        return str(data).replace("inf", "Infinity").replace("nan", "NaN")
    if isinstance(data, list):
        return [_jsonable(x) for x in data]
    if isinstance(data, dict):
        return {k: _jsonable(v) for k, v in data.items()}
    return data


def _number(v: Any) -> Any:
    if isinstance(v, list):
        return [_number(x) for x in v]
    if isinstance(v, str):
        return float(v)
    return v


def js_rows(result: Any) -> list[tuple[float, list[float]]]:
    return [(_number(v), [_number(g) for g in gs]) for v, gs in result]


# -- what eval says --------------------------------------------------------------------------
class Expected:
    """``backprop eval`` at one point: the IEEE results, and whether eval refuses them."""

    def __init__(self, graph: Graph, point: dict[str, float], wrt: list[str]) -> None:
        loose = evaluate_at(graph, point, allow_nonfinite=True)
        self.value = loose.value
        self.grads = [loose.gradient[n] for n in wrt]
        live = _ancestors(graph)
        values = [loose.evaluation.values[i] for i in live]
        grads = [loose.evaluation.grads[i] for i in live]
        self.live_finite = all(map(math.isfinite, values + grads))
        try:
            evaluate_at(graph, point)
            self.refused = False
        except EvaluationError:
            self.refused = True


def _ancestors(graph: Graph) -> list[int]:
    seen = {graph.output}
    for i in range(graph.output, -1, -1):
        if i in seen:
            seen.update(graph.nodes[i].args)
    return sorted(seen)


def same(a: float, b: float, rel: float = 0.0) -> bool:
    """Equal (NaN equals NaN), or within ``rel`` relative."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a == b:
        return True
    if math.isinf(a) or math.isinf(b):
        return False
    return abs(a - b) <= rel * max(abs(a), abs(b))


def source_for(program: str, lang: str, **options: Any) -> tuple[Graph, str]:
    graph = parse_program(program)
    return graph, generate(graph, lang, **options)


__all__ = ["Expected", "compile_c", "js_rows", "need", "run_c", "run_js", "run_numpy",
           "run_python", "same", "source_for", "sys"]
