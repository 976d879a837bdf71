"""Loading the alert rule file (``alert_rules.yaml``) into ``schemas.alert_rules.RuleSet``.

The schema lives in ``schemas``; this module only reads YAML and makes every problem point at
the file, the field and the line (``alert_rules.yaml line 23: grouping[1].window: bad duration
'5x' ...``), so a rule file can be fixed without guessing. Duplicate YAML keys are errors too:
YAML would silently keep the last one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from schemas.alert_rules import Problem, RuleError, RuleSet, field_path

__all__ = ["DEFAULT_PATH", "RuleError", "RuleSet", "load_alert_rules", "load_yaml_model"]

DEFAULT_PATH = Path(__file__).with_name("alert_rules.yaml")


def load_alert_rules(path: str | Path = DEFAULT_PATH) -> RuleSet:
    """Read and validate a rule file; raises ``RuleError`` naming the file, field and line."""
    return load_yaml_model(path, RuleSet)


def load_yaml_model(path: str | Path, model: Any) -> Any:
    """Read a YAML file into a ``_Schema`` class (``model.model_validate``); every problem is
    a ``RuleError`` naming the file, the field and the line."""
    path = Path(path)
    source = _shown(path)
    loader = yaml.SafeLoader(path.read_text())
    try:
        root = loader.get_single_node()
        raw = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleError([Problem("", f"not valid YAML: {problem}",
                                 mark.line + 1 if mark else None)], source) from exc
    finally:
        loader.dispose()
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise RuleError([Problem("(root)", "the top level must be a mapping", 1)], source)
    if dupes := list(_duplicate_keys(root)):
        raise RuleError(dupes, source)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise RuleError.from_validation(exc, source, _line_finder(root), model) from exc


def _shown(path: Path) -> str:
    """The path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _line_finder(root: yaml.Node | None) -> Callable[[tuple[int | str, ...]], int | None]:
    """``loc -> line``: the deepest node of the YAML tree that ``loc`` reaches (the key's line
    for a mapping entry, so a missing or unknown key points at its parent or itself)."""

    def line_of(loc: tuple[int | str, ...]) -> int | None:
        node = root
        line = root.start_mark.line + 1 if root is not None else None
        for seg in loc:
            if isinstance(node, yaml.MappingNode) and isinstance(seg, str):
                pair = next(((k, v) for k, v in node.value if k.value == seg), None)
                if pair is None:
                    break
                line, node = pair[0].start_mark.line + 1, pair[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(seg, int) \
                    and 0 <= seg < len(node.value):
                node = node.value[seg]
                line = node.start_mark.line + 1
            else:
                break
        return line

    return line_of


def _duplicate_keys(node: yaml.Node | None, loc: tuple[int | str, ...] = (),
                    seen: set[int] | None = None) -> Iterator[Problem]:
    """Problems for mapping keys given twice (anywhere in the tree)."""
    seen = set() if seen is None else seen
    if node is None or id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[object] = set()
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                if k.value in keys:
                    yield Problem(field_path((*loc, k.value)),
                                  "duplicate key (YAML would silently keep the last one)",
                                  k.start_mark.line + 1)
                keys.add(k.value)
            yield from _duplicate_keys(v, (*loc, getattr(k, "value", "?")), seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*loc, i), seen)
