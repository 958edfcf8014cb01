"""The layout holds: imports run one way (no cycle between modules or between parts of the
package, labelling and model never import each other, profiling sits on top of both and only the
CLI imports it), and the CLI imports without termios."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "stance"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> stance modules it imports, anywhere in the file (imports inside functions count)."""
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(base + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for t in targets:
                while t and t not in modules:  # `import stance.model.bundle` names that module
                    t = t.rpartition(".")[0]
                if t and t != name:
                    graph[name].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def part(module: str) -> str:
    """The part a module belongs to: a top-level module or subpackage of stance."""
    return ".".join(module.split(".")[:2])


def test_no_import_cycle_between_modules():
    assert cycles(import_graph()) == []


def test_no_import_cycle_between_parts():
    parts: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        parts.setdefault(part(module), set()).update(part(t) for t in targets if part(t) != part(module))
    assert cycles(parts) == []


def test_labeling_and_model_never_import_each_other():
    graph = import_graph()
    crossing = [(m, t) for m, ts in graph.items() for t in ts
                if {part(m), part(t)} == {"stance.labeling", "stance.model"}]
    assert crossing == []


def test_profiling_sits_on_top():
    """Profiling uses the model and the bottom modules; nothing but the CLI reaches up into it."""
    graph = import_graph()
    reaching_up = [(m, t) for m, ts in graph.items() for t in ts
                   if part(t) == "stance.profiling" and part(m) not in ("stance.profiling", "stance.cli")]
    assert reaching_up == []
    assert any(part(t) == "stance.model" for m, ts in graph.items() if part(m) == "stance.profiling" for t in ts)


def test_shared_plot_helpers_sit_at_the_bottom():
    """stance.plots (colours, saving) is shared by model and profiling plots, so it imports neither."""
    graph = import_graph()
    assert graph["stance.plots"] == set()
    assert "stance.plots" in graph["stance.model.plots"] and "stance.plots" in graph["stance.profiling.plots"]


def test_the_graph_sees_imports_inside_functions():
    """The checks above would pass vacuously if lazy imports were missed."""
    graph = import_graph()
    assert "stance.model.bundle" in graph["stance"]  # stance.load_model imports it inside the function
    assert "stance.labeling.terminal" in graph["stance.cli.label"]
    assert "stance.profiling.plots" in graph["stance.profiling.report"]  # `from . import plots` in write_report
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_cli_imports_and_labels_without_termios(tmp_path):
    """Where there is no termios (Windows), `stance` still imports and --plain labelling works."""
    articles = tmp_path / "a.txt"
    articles.write_text("A title\n\n" + "The lab published its weights and its training data for anyone. " * 3
                        + "\n", encoding="utf-8")
    probe = ("import sys\n"
             "sys.modules['termios'] = None\n"
             "sys.modules['tty'] = None\n"
             "import stance.cli.main\n"
             f"sys.argv = ['stance', 'label', {str(articles)!r}, '-a', 'win', '--labels-dir', {str(tmp_path)!r},"
             " '--plain', '--no-suggest']\n"
             "stance.cli.main.main()\n")
    r = subprocess.run([sys.executable, "-c", probe], input="0\n", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "termios" not in r.stderr
    assert (tmp_path / "win.jsonl").read_text(encoding="utf-8").count('"answer"') == 1
