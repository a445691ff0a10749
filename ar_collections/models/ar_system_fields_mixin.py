from odoo import api, models
from odoo.exceptions import AccessError


class ArSystemFieldsMixin(models.AbstractModel):
    """Fields the application keeps (states, SLA dates, baselines): users change them only
    through the model's actions, never by writing them directly (a form hides them as
    readonly, JSON-RPC does not)."""

    _name = "ar.system.fields.mixin"
    _description = "AR Collections: fields only the application writes"
    # Field names the application alone writes; the actions write them as superuser.
    _ar_system_fields = ()

    def _ar_check_system_fields(self, vals):
        if self.env.su:
            return
        written = sorted(set(vals) & set(self._ar_system_fields))
        if written:
            labels = ", ".join(self._fields[name].get_description(self.env)["string"] for name in written)
            raise AccessError(self.env._(
                "%(fields)s of a %(model)s are kept by the application: use its buttons instead.",
                fields=labels, model=self._description,
            ))

    def write(self, vals):
        self._ar_check_system_fields(vals)
        return super().write(vals)

    def _ar_system_write(self, vals):
        """Write application-kept fields after checking the user may write these records."""
        self.check_access("write")
        return self.sudo().write(vals)

    @api.model
    def _ar_check_system_create(self, vals_list):
        for vals in vals_list:
            self._ar_check_system_fields(vals)
