"""Moving running cases of one version of a process to another (迁移): a dry run, then the move.

Who may do what: a designer or an admin runs the dry run (it reads, never writes); only an admin moves
cases — the designer who made the new version asks the admin, who reviews the dry run and executes it
(docs/versions-and-migration.md). Each case moves in its own transaction with a 迁移 event in its history;
a case changed since the dry run (its optimistic-lock version differs) is refused and stays where it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app.definitions.models import ProcessDefinition
from workflow_app.definitions.service import DefinitionService
from workflow_app.errors import Conflict, InvalidInput
from workflow_app.instances.errors import InstanceNotRunning, VersionConflict, VersionIncompatible
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.instances.service import InstanceService

MAX_CASES = 500  # per dry run or move: a larger population is moved in several rounds
MAX_RENAMES = 100


class InvalidMigration(InvalidInput):
    """The versions or the step mapping of a migration request make no sense."""

    code = "invalid_migration"


@dataclass
class CasePlan:
    """One case of the source version: where it waits, and whether (or why not) it can move."""

    instance_id: str
    business_key: str | None
    lock: int
    waiting_at: list[dict[str, str]]
    movable: bool
    reasons: list[str] = field(default_factory=list)


@dataclass
class MigrationPlan:
    """What a move from ``from_version`` to ``to_version`` would do, case by case."""

    process_key: str
    from_version: int
    to_version: int
    renames: dict[str, str]
    cases: list[CasePlan]
    truncated: bool = False

    @property
    def movable(self) -> int:
        """How many cases would move."""
        return sum(1 for c in self.cases if c.movable)


@dataclass
class MoveOutcome:
    """What happened to one case in a move."""

    instance_id: str
    moved: bool
    reason: str | None = None


class MigrationService:
    """Dry runs and moves of running cases between versions; every move is the instance service's transaction."""

    def __init__(self, session: Session, instances: InstanceService) -> None:
        self.session = session
        self.instances = instances

    def plan(self, key: str, from_version: int, to_version: int,
             renames: Mapping[str, str] | None = None) -> MigrationPlan:
        """The dry run: every running case of ``from_version`` with whether it can move (nothing is written)."""
        source, target, renames = self._versions(key, from_version, to_version, renames)
        cases = self._cases(source)
        plans = [self._plan_case(instance, target, renames) for instance in cases[:MAX_CASES]]
        self.session.rollback()  # the checks loaded workflows only: leave no transaction open
        return MigrationPlan(key, from_version, to_version, renames, plans, truncated=len(cases) > MAX_CASES)

    def execute(self, key: str, from_version: int, to_version: int, *, actor: str,
                renames: Mapping[str, str] | None = None,
                expected: Mapping[str, int] | None = None) -> list[MoveOutcome]:
        """Move the running cases of ``from_version`` (only those in ``expected``, at those lock versions,
        when given — the cases of the dry run the admin approved), one transaction each."""
        source, target, renames = self._versions(key, from_version, to_version, renames)
        ids = [i.id for i in self._cases(source)[:MAX_CASES]]
        if expected is not None:
            ids = [i for i in ids if i in expected]
        self.session.rollback()
        outcomes = []
        for instance_id in ids:
            try:
                self.instances.move_to_version(instance_id, target, actor=actor, renames=renames,
                                               expected_lock=None if expected is None else expected[instance_id])
                outcomes.append(MoveOutcome(instance_id, True))
            except VersionConflict:
                outcomes.append(MoveOutcome(instance_id, False, "案件在试算后已有变动，请重新试算"))
            except (VersionIncompatible, InstanceNotRunning) as exc:
                outcomes.append(MoveOutcome(instance_id, False, _reason(exc)))
        return outcomes

    # -- internals -----------------------------------------------------------------------------

    def _versions(self, key: str, from_version: int, to_version: int, renames: Mapping[str, str] | None
                  ) -> tuple[ProcessDefinition, ProcessDefinition, dict[str, str]]:
        definitions = DefinitionService(self.session, self.instances.engine, max_bytes=0)
        source, target = definitions.get(key, from_version), definitions.get(key, to_version)
        if to_version <= from_version:
            raise InvalidMigration("案件只能迁移到更新的版本", details={"fields": {"to_version": ["must be newer"]}})
        renames = dict(renames or {})
        if len(renames) > MAX_RENAMES or any(
                not isinstance(k, str) or not isinstance(v, str) or not 0 < len(k) <= 128 or not 0 < len(v) <= 128
                for k, v in renames.items()):
            raise InvalidMigration(f"环节对应关系最多 {MAX_RENAMES} 条，每个标识 1 到 128 个字符")
        return source, target, renames

    def _cases(self, source: ProcessDefinition) -> list[ProcessInstance]:
        return list(self.session.scalars(
            select(ProcessInstance).where(ProcessInstance.definition_id == source.id,
                                          ProcessInstance.status == InstanceStatus.RUNNING)
            .order_by(ProcessInstance.started_at, ProcessInstance.id).limit(MAX_CASES + 1)))

    def _plan_case(self, instance: ProcessInstance, target: ProcessDefinition,
                   renames: Mapping[str, str]) -> CasePlan:
        waiting, found = self.instances.move_check(instance, target, renames)
        return CasePlan(
            instance_id=instance.id, business_key=instance.business_key, lock=instance.version,
            waiting_at=[{"element_id": i, "name": n} for i, n in waiting], movable=not found,
            reasons=[o.message(target.version) for o in found])


def _reason(exc: Conflict) -> str:
    reasons = (exc.details or {}).get("reasons") if isinstance(exc.details, dict) else None
    if reasons:
        return "；".join(reasons)
    if isinstance(exc, InstanceNotRunning):
        return "案件已不在办理中"
    return str(exc)

