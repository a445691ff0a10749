from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class ArAssignCollector(models.TransientModel):
    """Assign the selected customers to a collector in one go.

    Opened on worklist rows (each row's company) or on customers (the current company):
    the collector is company-dependent, so it is set in the company of each line.
    """

    _name = "ar.assign.collector"
    _description = "Assign Customers to a Collector"

    user_id = fields.Many2one("res.users", string="Collector", required=True,
                              domain="[('share', '=', False)]")
    line_ids = fields.One2many("ar.assign.collector.line", "wizard_id", string="Customers")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if "line_ids" not in fields_list or values.get("line_ids"):
            return values
        model = self.env.context.get("active_model")
        ids = self.env.context.get("active_ids") or []
        if model == "ar.worklist":
            pairs = [(row.partner_id, row.company_id) for row in self.env["ar.worklist"].browse(ids)]
        elif model == "res.partner":
            company = self.env.company
            pairs = [(partner, company) for partner in self.env["res.partner"].browse(ids).commercial_partner_id]
        else:
            pairs = []
        values["line_ids"] = [
            fields.Command.create({"partner_id": partner.id, "company_id": company.id}) for partner, company in pairs
        ]
        return values

    def action_assign(self):
        """Make the chosen user the collector of every customer of the wizard."""
        self.ensure_one()
        if not self.line_ids:
            raise UserError(self.env._("Select the customers to assign first."))
        if self.user_id.share:
            raise UserError(self.env._("%(user)s is not an internal user: only internal users can collect.",
                                       user=self.user_id.name))
        # The write below is done as superuser: only in the companies the current user works in.
        elsewhere = self.line_ids.company_id - self.env.user.company_ids
        if elsewhere and not self.env.su:
            raise AccessError(self.env._("You do not work in %(companies)s: you cannot assign collectors there.",
                                         companies=", ".join(elsewhere.sudo().mapped("name"))))
        outside = self.line_ids.company_id - self.user_id.company_ids
        if outside:
            raise UserError(self.env._("%(user)s cannot work in %(companies)s: give them access to the company first.",
                                       user=self.user_id.name, companies=", ".join(outside.mapped("name"))))
        by_company = defaultdict(lambda: self.env["res.partner"])
        for line in self.line_ids:
            by_company[line.company_id] |= line.partner_id
        for company, partners in by_company.items():
            # sudo: assigning is a collections manager's task (ACL of this wizard), who may not edit contacts
            partners.sudo().with_company(company).write({"ar_collector_id": self.user_id.id})
        return {"type": "ir.actions.act_window_close"}


class ArAssignCollectorLine(models.TransientModel):
    _name = "ar.assign.collector.line"
    _description = "Customer to Assign to a Collector"

    wizard_id = fields.Many2one("ar.assign.collector", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    company_id = fields.Many2one("res.company", required=True)
    current_user_id = fields.Many2one("res.users", string="Current collector", compute="_compute_current_user_id")

    @api.depends("partner_id", "company_id")
    def _compute_current_user_id(self):
        for line in self:
            line.current_user_id = line.partner_id.with_company(line.company_id).ar_collector_id
