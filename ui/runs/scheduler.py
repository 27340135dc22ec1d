"""Fair sharing of the CPU between the training runs of all sessions.

At most ``slots`` runs compute at the same moment (one in each worker process);
the others wait in a first-come queue.  A run gives its slot back after a short
quantum and queues again, so twenty runs on two cores all move forward, and a
page that is not training never waits behind them.  Not for anything
Streamlit-specific: it works on plain threads.
"""

import threading
import time
from collections import deque

from nn.train import Control


class Scheduler:
    """A first-come queue in front of ``slots`` compute slots."""

    def __init__(self, slots=1):
        self.slots = slots
        self._cond = threading.Condition()
        self._queue = deque()
        self._running = set()

    def acquire(self, who, cancelled=lambda: False):
        """Block until ``who`` holds a slot; return False if ``cancelled()`` became true while waiting."""
        with self._cond:
            self._queue.append(who)
            while len(self._running) >= self.slots or self._queue[0] is not who:
                if cancelled():
                    self._queue.remove(who)
                    self._cond.notify_all()
                    return False
                self._cond.wait(0.5)
            self._queue.popleft()
            self._running.add(who)
            self._cond.notify_all()
            return True

    def release(self, who):
        """Give back ``who``'s slot, if it holds one."""
        with self._cond:
            self._running.discard(who)
            self._cond.notify_all()

    def wake(self):
        """Wake every waiter so a cancelled one can leave the queue."""
        with self._cond:
            self._cond.notify_all()

    def ahead_of(self, who):
        """Return how many runs are queued before ``who``, or None if it is not queued."""
        with self._cond:
            return self._queue.index(who) if who in self._queue else None

    def busy(self):
        """Return (running, queued) counts."""
        with self._cond:
            return len(self._running), len(self._queue)


class ScheduledControl(Control):
    """A run's Control that also takes a compute slot before each stretch of steps."""

    def __init__(self, scheduler, quantum=0.25):
        super().__init__()
        self.scheduler, self.quantum = scheduler, quantum
        self._slot_until = None  # monotonic deadline while holding a slot

    def stop(self):
        """End the run after its current step, even while it waits in the queue."""
        super().stop()
        self.scheduler.wake()

    def wait(self):
        """Block while paused or queued; return False once stopped."""
        if self._slot_until is not None and (time.monotonic() > self._slot_until or self.stopped):
            self.release()
        if not super().wait():
            return False
        if self._slot_until is None:
            if not self.scheduler.acquire(self, cancelled=lambda: self.stopped):
                return False
            self._slot_until = time.monotonic() + self.quantum
        return True

    def idle(self):
        """Give the slot back while paused, so the others can use it."""
        self.release()

    def release(self):
        """Give the slot back (at a pause, a stop, the end of a quantum or the end of the run)."""
        if self._slot_until is not None:
            self._slot_until = None
            self.scheduler.release(self)

    def queued_behind(self):
        """Return how many runs wait before this one, or None when it is not waiting."""
        return self.scheduler.ahead_of(self)
