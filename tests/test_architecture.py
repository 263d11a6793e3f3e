"""The layering promises that import-linter cannot express on its own."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import spacehome

DOMAIN = Path(spacehome.__file__).parent / "domain"


def test_domain_imports_only_the_standard_library() -> None:
    offenders = []
    for path in DOMAIN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "spacehome":
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_importing_spacehome_reads_no_data() -> None:
    code = (
        "import spacehome, spacehome.cli.main, spacehome.services.station as s;"
        "assert s.default_record.cache_info().currsize == 0;"
        "print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr
