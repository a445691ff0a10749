from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    ar_autopay_retry_offsets = fields.Char(
        string="Autopay retries (days after the first attempt)", default="1,3,7",
        help="Comma-separated days after the first failed attempt at which a soft-declined autopay charge "
             "is retried (at most 5, increasing, within 30 days). Hard declines are never retried.",
    )

    @api.constrains("ar_autopay_retry_offsets")
    def _check_ar_autopay_retry_offsets(self):
        for company in self:
            company._ar_autopay_retry_days()

    def _ar_autopay_retry_days(self):
        """The retry offsets of the company as a list of increasing day counts.

        :raise ValidationError: when the setting is not 0 to 5 increasing whole days within 30 days
        """
        self.ensure_one()
        text = (self.ar_autopay_retry_offsets or "").strip()
        if not text:
            return []
        try:
            days = [int(part) for part in text.split(",")]
        except ValueError:
            raise ValidationError(self.env._(
                "Autopay retries must be whole numbers of days separated by commas, like 1,3,7 (got %(value)s).",
                value=text,
            )) from None
        if len(days) > 5 or any(day < 1 or day > 30 for day in days) or days != sorted(set(days)):
            raise ValidationError(self.env._(
                "Autopay retries must be at most 5 increasing days between 1 and 30, like 1,3,7 (got %(value)s).",
                value=text,
            ))
        return days
