"""The code's shape in figures (issue 14): lines per service, modules over 600 lines, functions
over 60 lines, `dict[str, Any]` in production code and `# fmt: skip` markers.

    uv run python scripts/code_figures.py            # the table
    uv run python scripts/code_figures.py --list     # and every long module and function

Production code is `shared/src`, `services/*/src` and `scripts`; migrations are left out (they are
written once and read as a history). Lines are physical lines of the file.
"""

from __future__ import annotations

import argparse
import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULE_LIMIT = 600
FUNCTION_LIMIT = 60
DICT_ANY = re.compile(r"dict\[str,\s*Any\]")


@dataclass
class Room:
    name: str
    files: int = 0
    lines: int = 0
    test_lines: int = 0
    dict_any: int = 0
    fmt_skip: int = 0
    long_modules: list[tuple[str, int]] = field(default_factory=list)
    long_functions: list[tuple[str, int]] = field(default_factory=list)


def _rooms() -> dict[str, tuple[list[Path], list[Path]]]:
    rooms: dict[str, tuple[list[Path], list[Path]]] = {
        "shared": ([ROOT / "shared" / "src"], [ROOT / "shared" / "tests"]),
        "scripts": ([ROOT / "scripts"], []),
    }
    for service in sorted((ROOT / "services").iterdir()):
        if (service / "src").is_dir():
            rooms[service.name] = ([service / "src"], [service / "tests"])
    rooms["tests (platform)"] = ([], [ROOT / "tests"])
    return rooms


def _python(folders: list[Path]) -> list[Path]:
    found: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            found.extend(p for p in folder.rglob("*.py") if "migrations" not in p.parts)
    return sorted(found)


def _functions(tree: ast.AST) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - start + 1
            out.append((node.name, length))
    return out


def measure() -> list[Room]:
    rooms: list[Room] = []
    for name, (production, tests) in _rooms().items():
        room = Room(name)
        for path in _python(production):
            text = path.read_text(encoding="utf-8")
            lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
            room.files += 1
            room.lines += lines
            room.dict_any += len(DICT_ANY.findall(text))
            room.fmt_skip += text.count("# fmt: skip")
            where = str(path.relative_to(ROOT))
            if lines > MODULE_LIMIT:
                room.long_modules.append((where, lines))
            for function, length in _functions(ast.parse(text)):
                if length > FUNCTION_LIMIT:
                    room.long_functions.append((f"{where}:{function}", length))
        for path in _python(tests):
            room.test_lines += path.read_text(encoding="utf-8").count("\n")
        rooms.append(room)
    return rooms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="name every long module and function")
    args = parser.parse_args()
    rooms = measure()
    header = (
        f"{'room':<18}{'files':>6}{'lines':>8}{'tests':>8}"
        f"{'>600':>6}{'fn>60':>7}{'dict[str,Any]':>15}{'fmt:skip':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in rooms:
        print(
            f"{r.name:<18}{r.files:>6}{r.lines:>8}{r.test_lines:>8}"
            f"{len(r.long_modules):>6}{len(r.long_functions):>7}{r.dict_any:>15}{r.fmt_skip:>10}"
        )
    total = Room("total")
    for r in rooms:
        total.files += r.files
        total.lines += r.lines
        total.test_lines += r.test_lines
        total.dict_any += r.dict_any
        total.fmt_skip += r.fmt_skip
        total.long_modules += r.long_modules
        total.long_functions += r.long_functions
    print("-" * len(header))
    print(
        f"{total.name:<18}{total.files:>6}{total.lines:>8}{total.test_lines:>8}"
        f"{len(total.long_modules):>6}{len(total.long_functions):>7}"
        f"{total.dict_any:>15}{total.fmt_skip:>10}"
    )
    if args.list:
        print(f"\nmodules over {MODULE_LIMIT} lines:")
        for where, n in sorted(total.long_modules, key=lambda x: -x[1]):
            print(f"  {n:>5}  {where}")
        print(f"\nfunctions over {FUNCTION_LIMIT} lines:")
        for where, n in sorted(total.long_functions, key=lambda x: -x[1]):
            print(f"  {n:>5}  {where}")


if __name__ == "__main__":
    main()
