"""Deploying process definitions: validate a bundle of files, then store immutable versions."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow_app.db import unit_of_work
from workflow_app.definitions.dmn_tests import (
    TESTS_DIR,
    check_shape,
    is_tests_file,
    run_row_tests,
    tests_file_for,
)
from workflow_app.definitions.errors import DefinitionInvalid, Problem
from workflow_app.definitions.lint import check_form_schema, lint_bundle
from workflow_app.definitions.lint_loops import loop_warnings
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.definitions.xmlsafe import parse_xml
from workflow_app.engine import CompiledDefinition, Engine
from workflow_app.engine.parsing import ParsedProcess, parse_bundle
from workflow_app.errors import NotFound

DMN_NAMESPACES = {
    "dmn13": "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "dmn12": "http://www.omg.org/spec/DMN/20180521/MODEL/",
}
MAX_FILES = 200


@dataclass(frozen=True)
class DeployResult:
    """What a deploy did for one process key."""

    key: str
    version: int
    created: bool
    definition_id: int
    warnings: tuple[Problem, ...] = ()  # shown to the deployer, never blocking (e.g. unbounded loops)


@dataclass
class _Bundle:
    """An upload after the safety checks: parsed trees and decoded forms, by file name."""

    raw: dict[str, str]
    bpmn: dict[str, etree._ElementTree]
    dmn: dict[str, etree._ElementTree]
    forms: dict[str, object]
    dmn_tests: dict[str, object] = field(default_factory=dict)  # dmn-tests/<table>.dmn.json (dmn_tests.py)


def bundle_name(file_name: str) -> str:
    """Where an uploaded file goes in a bundle: ``x.bpmn``, ``x.dmn``, ``forms/x.json``, and a table's row tests
    ``dmn-tests/x.dmn.json``."""
    if file_name.lower().endswith(".dmn.json"):
        return f"{TESTS_DIR}/{file_name}"
    return f"forms/{file_name}" if file_name.lower().endswith(".json") else file_name


def collect_files(paths: Collection[str | Path]) -> dict[str, bytes]:
    """Read ``.bpmn``/``.dmn`` files and ``forms/*.json`` from files and directories, keyed by bundle name."""
    files: dict[str, bytes] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.suffix in (".bpmn", ".dmn") and child.is_file():
                    files[child.name] = child.read_bytes()
            forms = path / "forms"
            if forms.is_dir():
                for child in sorted(forms.glob("*.json")):
                    files[f"forms/{child.name}"] = child.read_bytes()
            row_tests = path / TESTS_DIR
            if row_tests.is_dir():
                for child in sorted(row_tests.glob("*.dmn.json")):
                    files[f"{TESTS_DIR}/{child.name}"] = child.read_bytes()
        elif path.is_file():
            files[bundle_name(path.name)] = path.read_bytes()
        else:
            raise DefinitionInvalid([Problem(file=str(path), message="no such file or directory")])
    return files


_spec_cache: OrderedDict[tuple[str, str], CompiledDefinition] = OrderedDict()
_spec_cache_lock = threading.Lock()
_SPEC_CACHE_SIZE = 128


def compiled(definition: ProcessDefinition, engine: Engine) -> CompiledDefinition:
    """The definition's spec objects, restored once per process; keyed by content, so never stale."""
    cache_key = (definition.key, definition.sha256)
    with _spec_cache_lock:
        hit = _spec_cache.get(cache_key)
        if hit is not None:
            _spec_cache.move_to_end(cache_key)
            return hit
    loaded = engine.load_spec(definition.spec_json)
    with _spec_cache_lock:
        _spec_cache[cache_key] = loaded
        while len(_spec_cache) > _SPEC_CACHE_SIZE:
            _spec_cache.popitem(last=False)
    return loaded


class DefinitionService:
    """Validates uploads and stores process definition versions; owns its transactions."""

    def __init__(self, session: Session, engine: Engine, *, max_bytes: int,
                 known_operators: Collection[str] | None = None) -> None:
        self.session = session
        self.engine = engine
        self.max_bytes = max_bytes
        self.known_operators = known_operators

    def validate(self, files: Mapping[str, bytes]) -> list[ParsedProcess]:
        """Check a bundle end to end without storing anything; raise DefinitionInvalid with every problem."""
        bundle = self._read(files)
        self._check(bundle)
        return parse_bundle(bundle.bpmn, bundle.dmn)

    def deploy(self, files: Mapping[str, bytes], deployed_by: str | None = None) -> list[DeployResult]:
        """Validate the bundle and store a new version of each process whose files changed."""
        bundle = self._read(files)
        self._check(bundle)
        processes = parse_bundle(bundle.bpmn, bundle.dmn)
        decision_files = self._decision_files(bundle.dmn)
        warnings = loop_warnings(bundle.bpmn)
        results = []
        with unit_of_work(self.session):
            for process in processes:
                needed = self._files_of(process, bundle, decision_files)
                result = self._store(process, needed, deployed_by)
                results.append(replace(result, warnings=tuple(warnings.get(result.key, ()))))
        return results

    def latest(self, key: str) -> ProcessDefinition:
        """The newest version of ``key``."""
        found = self.session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc()).limit(1)
        ).first()
        if found is None:
            raise NotFound(f"no process definition with key '{key}'")
        return found

    def get(self, key: str, version: int | None = None) -> ProcessDefinition:
        """Version ``version`` of ``key`` (the latest when None)."""
        if version is None:
            return self.latest(key)
        if not 0 < version < 2**31:  # past the column's range the driver raises OverflowError: a 500
            raise NotFound(f"process definition '{key}' has no version {version}")
        found = self.session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
        ).first()
        if found is None:
            raise NotFound(f"process definition '{key}' has no version {version}")
        return found

    def list(self, all_versions: bool = False) -> list[ProcessDefinition]:
        """Every definition's latest version (or every version), by key."""
        query = select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
        if not all_versions:
            newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
                      .group_by(ProcessDefinition.key).subquery())
            query = query.join(newest, (newest.c.key == ProcessDefinition.key)
                               & (newest.c.v == ProcessDefinition.version))
        return list(self.session.scalars(query))

    # -- internals -----------------------------------------------------------------------------

    def _check(self, bundle: _Bundle) -> None:
        """The lint, then the tables' row tests (they run only on tables that lint clean)."""
        problems = lint_bundle(bundle.bpmn, bundle.dmn, bundle.forms, known_operators=self.known_operators)
        if not problems:
            problems = run_row_tests(self.engine, bundle.dmn, bundle.dmn_tests)
        if problems:
            raise DefinitionInvalid(problems)

    def _read(self, files: Mapping[str, bytes]) -> _Bundle:
        if not files:
            raise DefinitionInvalid([Problem(file="(upload)", message="no files given")])
        if len(files) > MAX_FILES:
            raise DefinitionInvalid([Problem(file="(upload)", message=f"more than {MAX_FILES} files")])
        problems: list[Problem] = []
        bundle = _Bundle(raw={}, bpmn={}, dmn={}, forms={})
        for name, data in files.items():
            suffix = PurePosixPath(name).suffix.lower()
            if suffix not in (".bpmn", ".dmn", ".json"):
                problems.append(Problem(file=name, message="only .bpmn, .dmn and .json files can be deployed"))
                continue
            try:
                if suffix == ".json" and is_tests_file(name):
                    bundle.dmn_tests[name] = rows = self._read_form(name, data)
                    problems.extend(check_shape(name, rows))
                elif suffix == ".json":
                    form = self._read_form(name, data)
                    problems.extend(check_form_schema(name, form))
                    bundle.forms[name] = form
                else:
                    tree = parse_xml(data, name, max_bytes=self.max_bytes)
                    (bundle.bpmn if suffix == ".bpmn" else bundle.dmn)[name] = tree
                bundle.raw[name] = data.decode("utf-8")
            except DefinitionInvalid as exc:
                problems.extend(exc.problems)
            except UnicodeDecodeError:
                problems.append(Problem(file=name, message="the file is not UTF-8 text"))
        if problems:
            raise DefinitionInvalid(problems)
        return bundle

    def _read_form(self, name: str, data: bytes) -> object:
        if len(data) > self.max_bytes:
            raise DefinitionInvalid([Problem(file=name, message=f"larger than {self.max_bytes} bytes")])
        try:
            return json.loads(data.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise DefinitionInvalid([Problem(file=name, message=f"not valid JSON: {exc}")]) from exc

    @staticmethod
    def _decision_files(dmn: Mapping[str, etree._ElementTree]) -> dict[str, str]:
        found = {}
        for name, tree in dmn.items():
            for prefix in DMN_NAMESPACES:
                # Spiff's business rule task knows its table by the decisionTable's id; people name the decision.
                for path in (f"//{prefix}:decision/@id", f"//{prefix}:decisionTable/@id"):
                    for decision_id in tree.xpath(path, namespaces=DMN_NAMESPACES):
                        found[str(decision_id)] = name
        return found

    @staticmethod
    def _files_of(process: ParsedProcess, bundle: _Bundle, decision_files: Mapping[str, str]) -> dict[str, str]:
        """The files one process needs: its BPMN (and called processes'), its DMN tables, its forms."""
        names = set(process.bpmn_files)
        names.update(decision_files[d] for d in process.decision_ids if d in decision_files)
        names.update(tests_file_for(n) for n in list(names) if tests_file_for(n) in bundle.dmn_tests)
        by_basename = {PurePosixPath(n).name: n for n in bundle.forms}
        for meta in process.task_meta.values():
            for ref in (meta.get("form"), meta.get("ui")):
                if ref and PurePosixPath(ref).name in by_basename:
                    names.add(by_basename[PurePosixPath(ref).name])
        return {name: bundle.raw[name] for name in sorted(names)}

    def _store(self, process: ParsedProcess, files: dict[str, str], deployed_by: str | None) -> DeployResult:
        digest = hashlib.sha256()
        for name, text in sorted(files.items()):
            digest.update(name.encode() + b"\0" + text.encode() + b"\0")
        sha = digest.hexdigest()
        existing = self.session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == process.key, ProcessDefinition.sha256 == sha)
        ).first()
        if existing is not None:
            return DeployResult(process.key, existing.version, False, existing.id)
        current = self.session.scalar(
            select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == process.key)
        ) or 0
        definition = ProcessDefinition(
            key=process.key, version=current + 1, name=process.name, sha256=sha, bpmn_file=process.bpmn_file,
            files=files, spec_json=self.engine.dump_spec(process.spec, process.subprocess_specs),
            task_meta=process.task_meta, properties=process.properties, deployed_by=deployed_by,
        )
        self.session.add(definition)
        try:
            # A concurrent deploy of the same key takes the same version number: the unique
            # constraint refuses one of them, which the caller sees as a conflict to retry.
            self.session.flush()
        except IntegrityError as exc:
            from workflow_app.errors import Conflict

            raise Conflict(f"another deploy of '{process.key}' happened at the same time; try again") from exc
        return DeployResult(process.key, definition.version, True, definition.id)
