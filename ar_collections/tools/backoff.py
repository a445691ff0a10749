"""One retry schedule for every queue of the add-ons (reminder mail, Slack digest, autopay charges)."""


class Backoff:
    """Try once, then again after each of ``delays`` in turn; after the last one, give up.

    ``tries`` counts the tries made so far (failed ones included), so a queue keeps one integer
    per item and asks this schedule when to come back.
    """

    def __init__(self, *delays):
        if not delays:
            raise ValueError("a retry schedule needs at least one delay")
        self.delays = delays

    @property
    def max_tries(self):
        """Tries in all: the first one and one after each delay."""
        return len(self.delays) + 1

    def exhausted(self, tries):
        return tries >= self.max_tries

    def delay(self, tries):
        """The wait before the next try after ``tries`` tries (the last delay once past the end)."""
        return self.delays[min(max(tries, 1), len(self.delays)) - 1]

    def next_try(self, now, tries):
        """When to try again after ``tries`` tries, or ``None`` when they are used up."""
        return None if self.exhausted(tries) else now + self.delay(tries)
