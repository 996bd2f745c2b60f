"""The reconciler's schedule: a run at start-up, then one per interval, until the service stops.
A failed run (Stripe or the ledger unreachable) is logged and retried at the next interval; the
watermark only moves after a run that listed everything, so nothing is skipped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from domain.errors import DomainError
from domain.use_cases import Reconcile, Reconciliation

log = logging.getLogger("service.reconciler")


class Reconciler:
    def __init__(self, reconcile: Reconcile, interval_seconds: float) -> None:
        self._reconcile = reconcile
        self._interval = interval_seconds
        self._finished = 0
        self._changed = asyncio.Condition()
        self.last: Reconciliation | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Reconciler]:
        """Runs on schedule in the background while the block runs; stopped on leaving it."""
        task = asyncio.create_task(self._forever(), name="reconciler")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def runs_finished(self, count: int) -> None:
        """Waits until `count` runs (successful or not) have finished since start-up."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._finished >= count)

    @property
    def finished(self) -> int:
        return self._finished

    async def _forever(self) -> None:
        while True:
            await self._run_once()
            await asyncio.sleep(self._interval)

    async def _run_once(self) -> None:
        try:
            self.last = done = await self._reconcile()
        except DomainError as error:
            log.warning("reconciliation failed, next try in %gs: %s", self._interval, error)
        except Exception:  # a bug: logged with its traceback, and the schedule goes on
            log.exception("reconciliation failed unexpectedly, next try in %gs", self._interval)
        else:
            level = logging.INFO if done.taken_in or done.pruned else logging.DEBUG
            if done.since is None:
                log.debug("reconciliation skipped: another replica is running it")
            else:
                log.log(
                    level,
                    "reconciled since %s: %d events listed, %d new, %d changed a payment, "
                    "%d said a product changed; %d payment events past retention pruned",
                    done.since.isoformat(),
                    done.listed,
                    done.taken_in,
                    done.changed,
                    done.products_changed,
                    done.pruned,
                )
        async with self._changed:
            self._finished += 1
            self._changed.notify_all()
