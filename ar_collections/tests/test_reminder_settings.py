from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestReminderSettings(TransactionCase):
    """Settings > Collections switches the reminder run on and sets its interval, on the cron itself."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cron = cls.env.ref("ar_collections.ir_cron_dunning_run")
        cls.cron.write({"active": False, "interval_number": 1, "interval_type": "days"})

    def _save(self, **values):
        settings = self.env["res.config.settings"].create(values)
        settings.execute()
        return settings

    def test_switch_reminders_on_and_off(self):
        self.assertFalse(self.env["res.config.settings"].create({}).ar_reminders_auto,
                         "the settings show the run as off, as the cron is after install")
        self._save(ar_reminders_auto=True, ar_reminders_interval_number=2, ar_reminders_interval_type="weeks")
        self.assertRecordValues(self.cron, [{"active": True, "interval_number": 2, "interval_type": "weeks"}])
        shown = self.env["res.config.settings"].create({})
        self.assertRecordValues(shown, [{
            "ar_reminders_auto": True, "ar_reminders_interval_number": 2, "ar_reminders_interval_type": "weeks",
        }])
        self._save(ar_reminders_auto=False)
        self.assertFalse(self.cron.active)

    def test_saving_other_settings_keeps_the_run(self):
        """The form is filled from the cron, so saving an unrelated setting does not switch it off."""
        self.cron.write({"active": True, "interval_number": 12, "interval_type": "hours"})
        self._save(ar_reply_pause_days=9)
        self.assertRecordValues(self.cron, [{"active": True, "interval_number": 12, "interval_type": "hours"}])

    def test_interval_must_be_positive(self):
        with self.assertRaisesRegex(UserError, "positive"):
            self._save(ar_reminders_auto=True, ar_reminders_interval_number=0)
        self.assertRecordValues(self.cron, [{"active": False, "interval_number": 1}])
