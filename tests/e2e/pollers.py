"""Clients that send requests without pause, one thread each, and keep every
answer as (host time sent, host time answered, version or None, why none)."""

import threading
import time


class Poller:
    """One thread per `ask`; `ask()` sends one request and returns (the version
    that answered or None, why none answered)."""

    def __init__(self, asks):
        self.answers = []
        self.running = True
        self.threads = [threading.Thread(target=self._run, args=(ask,), daemon=True) for ask in asks]
        for thread in self.threads:
            thread.start()

    def _run(self, ask):
        while self.running:
            sent = time.time()
            version, why = ask()
            self.answers.append((sent, time.time(), version, why))

    def recent(self, n):
        return [version for _, _, version, _ in sorted(self.answers[-n:])]

    def stop(self):
        self.running = False
        for thread in self.threads:
            thread.join(timeout=10)
        self.answers.sort()


def last_answer(poller, version):
    """When the last answer from `version` arrived (host time), or None."""
    return max((answered for _, answered, v, _ in poller.answers if v == version), default=None)


def last_not_from(poller, version, after):
    """When the last request sent after `after` was answered by another version
    than `version`, or got no answer (host time); `after` if none."""
    return max((answered for sent, answered, v, _ in poller.answers if sent > after and v != version), default=after)


def unanswered(poller, after):
    """The requests sent after `after` that got no answer: (count, "kinds, first–last ms after it")."""
    missed = [(sent, why) for sent, _, v, why in poller.answers if sent > after and v is None]
    if not missed:
        return 0, ""
    kinds = sorted({why for _, why in missed})
    return len(missed), f" {kinds} sent {(missed[0][0] - after) * 1000:.0f}–{(missed[-1][0] - after) * 1000:.0f} ms after"
