from datetime import datetime, timedelta

from odoo.tests import BaseCase

from odoo.addons.ar_collections.tools.backoff import Backoff


class TestBackoff(BaseCase):
    """The one retry schedule of the add-ons' queues."""

    def test_schedule(self):
        now = datetime(2026, 1, 1, 9, 0)
        schedule = Backoff(timedelta(minutes=10), timedelta(hours=1))
        self.assertEqual(schedule.max_tries, 3)
        self.assertEqual(schedule.next_try(now, 1), now + timedelta(minutes=10))
        self.assertEqual(schedule.next_try(now, 2), now + timedelta(hours=1))
        self.assertIsNone(schedule.next_try(now, 3), "the third failure is the last")
        self.assertTrue(schedule.exhausted(3))
        self.assertFalse(schedule.exhausted(2))
        self.assertEqual(schedule.delay(9), timedelta(hours=1), "a lease past the end keeps the last wait")
        with self.assertRaises(ValueError):
            Backoff()
