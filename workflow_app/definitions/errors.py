"""Errors raised while validating and deploying process definitions."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from workflow_app.errors import DomainError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an uploaded file: where it is and what it is."""

    file: str
    message: str
    element_id: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.element_id:
            where += f" [{self.element_id}]"
        if self.line:
            where += f" line {self.line}"
        return f"{where}: {self.message}"


class DefinitionInvalid(DomainError):
    """The files are not a valid, deployable process; ``problems`` says why, element by element."""

    status = 422
    code = "invalid_definition"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        summary = "; ".join(str(p) for p in self.problems[:5])
        if len(self.problems) > 5:
            summary += f"; and {len(self.problems) - 5} more"
        super().__init__(
            f"the process definition is not deployable: {summary}",
            details={"problems": [asdict(p) for p in self.problems]},
        )
