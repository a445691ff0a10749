from datetime import timedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import ArCreditSaleCommon


@tagged("post_install", "-at_install")
class TestCreditRelease(ArCreditSaleCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_limit(cls.customer, 1700.0)  # 1,650 open: any order of more than 50.00 is blocked

    def test_request_approve_and_confirm(self):
        order = self._order(self.customer_contact, qty=3)  # 300.00
        with self.assertRaisesRegex(UserError, "request a credit release"):
            order.with_user(self.salesman).action_confirm()

        action = order.with_user(self.salesman).action_ar_request_credit_release()
        self.assertEqual(action["res_model"], "ar.credit.release")
        with Form(self.env["ar.credit.release"].with_user(self.salesman).with_context(**action["context"])) as form:
            self.assertEqual(form.partner_id, self.customer, "prefilled with the customer's company")
            self.assertEqual(form.sale_order_id, order)
            self.assertAlmostEqual(form.amount, 300.0)
            form.reason = "Framework agreement signed, first order"
        release = form.record
        self.assertEqual(release.state, "draft")
        self.assertEqual(release.requested_by_id, self.salesman)
        self.assertRegex(release.name, r"^CR/\d{4}/\d{4}$")

        release.with_user(self.salesman).action_request()
        self.assertEqual(release.state, "requested")
        activity = release.activity_ids
        self.assertEqual(activity.user_id, self.credit_manager, "the company's credit manager is asked")

        release.with_user(self.credit_manager).action_approve()
        self.assertEqual(release.state, "approved")
        self.assertEqual(release.approved_by_id, self.credit_manager)
        self.assertFalse(release.activity_ids, "the approval request is done")

        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertAlmostEqual(release.amount_used, 300.0)
        self.assertEqual(release.state, "used", "the whole amount is used")
        self.assertIn(f"Confirmed under credit release {release.name} approved by Carla Credit",
                      order.message_ids.mapped("body")[0])
        self.assertIn("would bring the credit exposure", release.message_ids.mapped("body")[0],
                      "the release keeps what it let through and why")

    def test_release_for_any_order_is_spent_until_exhausted(self):
        release = self._release(self.customer, 250.0)
        first = self._order(self.customer, qty=1)  # 100
        first.with_user(self.salesman).action_confirm()
        self.assertAlmostEqual(release.amount_remaining, 150.0)
        self.assertEqual(release.state, "approved")
        too_big = self._order(self.customer, qty=2)  # 200 > 150 left
        with self.assertRaisesRegex(UserError, rf"Credit release {release.name} has \$\s?150\.00 left, less than"):
            too_big.with_user(self.salesman).action_confirm()
        self.assertEqual(too_big.state, "draft")
        self.assertAlmostEqual(release.amount_remaining, 150.0, "a refused order uses nothing")

    def test_release_tied_to_an_order_is_not_usable_by_another(self):
        order = self._order(self.customer, qty=1)
        self._release(self.customer, 1000.0, sale_order_id=order.id)
        other = self._order(self.customer, qty=1)
        with self.assertRaises(UserError):
            other.action_confirm()
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_manual_hold_is_not_overridden(self):
        self._release(self.customer, 1000.0)
        self.customer.with_user(self.credit_manager).write({
            "ar_credit_hold": True, "ar_credit_hold_reason": "Bankruptcy filing",
        })
        order = self._order(self.customer, qty=1)
        with self.assertRaisesRegex(UserError, r"on credit hold \(Bankruptcy filing\)"):
            order.action_confirm()

    def test_release_passes_overdue_and_reminder_holds(self):
        self.company.ar_credit_overdue_days = 10
        self.customer.sudo().write({"ar_dunning_hold": True, "ar_dunning_hold_reason": "Level +30 reached"})
        release = self._release(self.customer, 100.0)
        order = self._order(self.customer, qty=1)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(release.state, "used")

    # ------------------------------------------------------------------
    # Segregation of duties
    # ------------------------------------------------------------------

    def test_requester_cannot_approve_own_request(self):
        release = self.env["ar.credit.release"].with_user(self.credit_manager).create({
            "partner_id": self.customer.id, "amount": 500.0, "reason": "I trust them",
        })
        release.with_user(self.credit_manager).action_request()
        with self.assertRaisesRegex(AccessError, "another Credit Manager must approve it"):
            release.with_user(self.credit_manager).action_approve()
        self.assertEqual(release.state, "requested")
        self.assertFalse(release.activity_ids, "nobody is asked to approve their own request")
        release.with_user(self.credit_manager_2).action_approve()
        self.assertEqual(release.approved_by_id, self.credit_manager_2)

    def test_salesman_cannot_approve_or_forge_workflow(self):
        release = self.env["ar.credit.release"].with_user(self.salesman).create({
            "partner_id": self.customer.id, "amount": 500.0, "reason": "Urgent",
        })
        release.with_user(self.salesman).action_request()
        with self.assertRaisesRegex(AccessError, "Only a Credit Manager can approve"):
            release.with_user(self.salesman).action_approve()
        with self.assertRaisesRegex(AccessError, "Use the release's buttons"):
            release.with_user(self.salesman).write({"state": "approved"})
        with self.assertRaisesRegex(AccessError, "Use the release's buttons"):
            release.with_user(self.credit_manager).write({"approved_by_id": self.credit_manager_2.id})
        with self.assertRaisesRegex(AccessError, "starts as a draft"):
            self.env["ar.credit.release"].with_user(self.salesman).create({
                "partner_id": self.customer.id, "amount": 500.0, "reason": "x", "state": "approved",
            })
        forged = self.env["ar.credit.release"].with_user(self.salesman).create({
            "partner_id": self.customer.id, "amount": 500.0, "reason": "x",
            "requested_by_id": self.credit_manager_2.id,
        })
        self.assertEqual(forged.requested_by_id, self.salesman, "the requester is whoever creates it")
        self.assertEqual(release.state, "requested")

    def test_other_salesman_cannot_change_a_request(self):
        release = self.env["ar.credit.release"].with_user(self.salesman).create({
            "partner_id": self.customer.id, "amount": 500.0, "reason": "Urgent",
        })
        self.assertEqual(release.with_user(self.salesman_2).amount, 500.0, "readable by the sales team")
        with self.assertRaises(AccessError):
            release.with_user(self.salesman_2).write({"amount": 5000.0})
        with self.assertRaisesRegex(AccessError, "Only the requester or a Credit Manager"):
            release.with_user(self.salesman_2).action_cancel()

    def test_approved_release_is_frozen_and_tracked(self):
        self.env.flush_all()
        self.env.cr.precommit.run()
        # the account test base disables tracking: approve in a plain context, as the UI does
        release = self.env["ar.credit.release"].with_env(self.env(user=self.salesman, context={})).create({
            "partner_id": self.customer.id, "amount": 400.0, "reason": "Seasonal peak",
        })
        self.env.flush_all()
        self.env.cr.precommit.run()  # changes made in the creating transaction are not tracked
        release.action_request()
        release.with_env(self.env(user=self.credit_manager, context={})).action_approve()
        with self.assertRaisesRegex(UserError, "can no longer be changed"):
            release.with_user(self.salesman).write({"amount": 4000.0})
        # the approval's request ends here (its tracking is written); the refused deletion is a
        # request of its own, rolled back as Odoo rolls back a request that raised
        self.env.flush_all()
        self.env.cr.precommit.run()
        with self.assertRaisesRegex(UserError, "Only draft or cancelled credit releases can be deleted"), \
                self.cr.savepoint():
            release.with_user(self.credit_manager).unlink()
        states = release.sudo().message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "state").mapped("new_value_char")
        self.assertIn("Approved", states)
        self.assertIn(f"Credit release {release.name} of $\u00a0400.00 approved by Carla Credit",
                      str(self.customer.message_ids.mapped("body")[0]).replace("&nbsp;", "\u00a0"))

    def test_refuse_and_cancel(self):
        release = self.env["ar.credit.release"].with_user(self.salesman).create({
            "partner_id": self.customer.id, "amount": 500.0, "reason": "Urgent",
        })
        release.with_user(self.salesman).action_request()
        release.with_user(self.credit_manager).action_refuse()
        self.assertEqual(release.state, "refused")
        with self.assertRaisesRegex(UserError, "is refused: it cannot be approved"):
            release.with_user(self.credit_manager_2).action_approve()
        release.with_user(self.salesman).action_draft()
        release.with_user(self.salesman).write({"amount": 200.0})
        release.with_user(self.salesman).action_cancel()
        self.assertEqual(release.state, "cancelled")
        release.with_user(self.salesman).unlink()
        self.assertFalse(release.exists())

    # ------------------------------------------------------------------
    # Expiry and bad input
    # ------------------------------------------------------------------

    def test_expiry_in_the_past_refused(self):
        with self.assertRaisesRegex(ValidationError, "that date is past"):
            self.env["ar.credit.release"].with_user(self.salesman).create({
                "partner_id": self.customer.id, "amount": 100.0, "reason": "x",
                "expiry_date": self.today - timedelta(days=1),
            })
        with self.assertRaisesRegex(ValidationError, "valid for a year at most"):
            self.env["ar.credit.release"].with_user(self.salesman).create({
                "partner_id": self.customer.id, "amount": 100.0, "reason": "x",
                "expiry_date": self.today + timedelta(days=400),
            })

    def test_approving_after_expiry_refused(self):
        release = self.env["ar.credit.release"].with_user(self.salesman).create({
            "partner_id": self.customer.id, "amount": 100.0, "reason": "x", "expiry_date": self.today,
        })
        release.with_user(self.salesman).action_request()
        release.sudo().state = "requested"
        # a day later
        self.env.cr.execute("UPDATE ar_credit_release SET expiry_date = %s WHERE id = %s",
                            (self.today - timedelta(days=1), release.id))
        release.invalidate_recordset()
        with self.assertRaisesRegex(UserError, rf"{release.name} expired on"):
            release.with_user(self.credit_manager).action_approve()
        self.assertEqual(release.state, "requested")

    def test_expired_release_no_longer_passes_and_cron_closes_it(self):
        release = self._release(self.customer, 1000.0)
        release.sudo().expiry_date = self.today - timedelta(days=1)
        order = self._order(self.customer, qty=1)
        with self.assertRaisesRegex(UserError, rf"Credit release {release.name} expired on"):
            order.action_confirm()
        self.env["ar.credit.release"]._cron_expire_releases()
        self.assertEqual(release.state, "expired")
        with self.assertRaisesRegex(UserError, rf"Credit release {release.name} expired on"):
            order.action_confirm()
        self.assertAlmostEqual(release.amount_used, 0.0)

    def test_bad_amounts_and_partner_refused(self):
        for amount in (0.0, -100.0):
            with self.assertRaisesRegex(ValidationError, "needs a positive amount"), self.env.cr.savepoint():
                self.env["ar.credit.release"].with_user(self.salesman).create({
                    "partner_id": self.customer.id, "amount": amount, "reason": "x",
                })
        with self.assertRaisesRegex(ValidationError, "for the customer's company, Overdue Industries"):
            self.env["ar.credit.release"].with_user(self.salesman).create({
                "partner_id": self.customer_contact.id, "amount": 10.0, "reason": "x",
            })
        for reason in (False, "   "):
            with self.assertRaisesRegex(ValidationError, "Say why the customer should get more credit"):
                self.env["ar.credit.release"].with_user(self.salesman).create({
                    "partner_id": self.customer.id, "amount": 10.0, "reason": reason,
                })
