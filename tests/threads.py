"""Running the same work in several threads at once, as several schedulers or requests would."""

from __future__ import annotations

import threading
from collections.abc import Callable


def at_once(work: Callable[[], object], times: int = 3, timeout: float = 120) -> list[BaseException]:
    """Run ``work`` in ``times`` threads started together and wait for them; return what they raised."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # reported to the test, which asserts there were none
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    return errors
