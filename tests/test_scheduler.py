"""Runs share the compute slots fairly: one at a time per slot, in turn, and never stuck in the queue.

Real threads do fake work (a short sleep per step) behind ScheduledControls.
"""

import threading
import time

from ui.runs.scheduler import ScheduledControl, Scheduler


class Work:
    """Fake training loops that count their steps and how many run at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running = self.most_running = 0
        self.steps = {}
        self.threads = []

    def start(self, control):
        """Loop on a thread: wait for the control, then do one step of fake work."""
        self.steps[control] = 0
        thread = threading.Thread(target=self._loop, args=(control,), daemon=True)
        self.threads.append(thread)
        thread.start()
        return thread

    def _loop(self, control):
        while control.wait():
            with self.lock:
                self.running += 1
                self.most_running = max(self.most_running, self.running)
            time.sleep(0.001)
            with self.lock:
                self.running -= 1
                self.steps[control] += 1
        control.release()  # what a run does when it ends

    def total(self):
        """Return all steps done so far."""
        with self.lock:
            return sum(self.steps.values())

    def stop(self):
        """Stop every loop and return True if all of them ended."""
        for control in self.steps:
            control.stop()
        for thread in self.threads:
            thread.join(10)
        return not any(thread.is_alive() for thread in self.threads)


def test_one_slot_is_shared_in_turn(wait_until):
    scheduler = Scheduler(slots=1)
    work = Work()
    controls = [ScheduledControl(scheduler, quantum=0.01) for _ in range(3)]
    try:
        for control in controls:
            work.start(control)
        assert wait_until(lambda: work.total() >= 600)
    finally:
        stopped = work.stop()
    assert stopped and work.most_running == 1
    shares = [work.steps[c] / work.total() for c in controls]
    assert min(shares) > 0.15, shares  # a fair share is a third each
    assert scheduler.busy() == (0, 0)


def test_queue_positions_stop_while_queued_and_pause_gives_the_slot_away(wait_until):
    scheduler = Scheduler(slots=1)
    work = Work()
    first, second, third = (ScheduledControl(scheduler, quantum=60) for _ in range(3))  # a slot is kept till pause
    try:
        work.start(first)
        assert wait_until(lambda: work.steps[first] > 0)
        assert first.queued_behind() is None  # holding the slot, not queued
        second_thread = work.start(second)
        assert wait_until(lambda: second.queued_behind() == 0)
        work.start(third)
        assert wait_until(lambda: third.queued_behind() == 1)
        assert scheduler.busy() == (1, 2)

        second.stop()
        second_thread.join(10)
        assert not second_thread.is_alive() and work.steps[second] == 0  # it left the queue without a step
        assert third.queued_behind() == 0

        first.pause()
        assert wait_until(lambda: work.steps[third] > 0)  # the paused run gave its slot to the next one
        paused_at = work.steps[first]
        first.resume()
        assert wait_until(lambda: first.queued_behind() == 0)  # back in the queue, behind the new holder
        assert work.steps[first] == paused_at
    finally:
        stopped = work.stop()
    assert stopped and work.most_running == 1
