"""Rewrite the region enum of the shipped forms from the region seed (workflow_app/demo_data.py).

Forms are static JSON Schema deployed with their BPMN version, so a running case keeps the
choices it was started with; this script regenerates `enum` and `x-labels` of every
`region_code` property in bpmn/forms/*.json from the region table's seed, and
tests/test_demo.py fails while a form and the region table disagree. Run after changing regions:

    python scripts/sync_region_enum.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from workflow_app.demo import region_choices

FORMS = Path(__file__).resolve().parents[1] / "bpmn" / "forms"
# The top-level region_code property: its enum on one line, then its x-labels object.
_BLOCK = re.compile(r'(\n    "region_code": \{.*?\n      "enum": )\[[^\]]*\](,\n      "x-labels": )\{[^}]*\n      \}',
                    re.S)


def sync(path: Path) -> bool:
    """Rewrite one form's region enum and labels; return True when the file changed."""
    text = path.read_text(encoding="utf-8")
    labels = region_choices()
    enum = json.dumps(list(labels), ensure_ascii=False)
    body = ",\n".join(f"        {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in labels.items())
    new = _BLOCK.sub(lambda m: f"{m.group(1)}{enum}{m.group(2)}{{\n{body}\n      }}", text, count=1)
    if new != text:
        json.loads(new)  # never write a broken form
        path.write_text(new, encoding="utf-8")
    return new != text


def main() -> int:
    """Sync every form that has a top-level region_code enum."""
    for path in sorted(FORMS.glob("*.json")):
        if sync(path):
            print(f"updated {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
