from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    ar_slack_user_id = fields.Char(
        string="Slack user id", copy=False, groups="base.group_system",
        help="Slack member id (e.g. U0123ABCD) of this user: Slack buttons and the /ar command act as this user, "
             "with this user's rights.")

    _sql_constraints = [
        ("ar_slack_user_id_company_uniq", "unique(ar_slack_user_id, company_id)",
         "This Slack user is already linked to another user of the company."),
    ]
