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
