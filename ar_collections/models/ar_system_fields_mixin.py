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

    def _ar_check_system_fields(self, vals, create=False):
        """Refuse ``vals`` that change an application-kept field (a value equal to the
        default on create, or to the current one on write, changes nothing and passes)."""
        touched = set(vals) & set(self._ar_system_fields)
        if self.env.su or not touched:
            return
        defaults = self.default_get(list(touched)) if create else {}
        written = sorted(
            name for name in touched
            if not self._ar_unchanged(name, vals[name], defaults, create)
        )
        if written:
            labels = ", ".join(self._fields[name].get_description(self.env)["string"] for name in written)
            raise AccessError(self.env._(
                "%(fields)s of a %(model)s are kept by the application: use its buttons instead.",
                fields=labels, model=self._description,
            ))

    def _ar_unchanged(self, name, value, defaults, create):
        field = self._fields[name]
        if create:
            return field.convert_to_cache(value, self) == field.convert_to_cache(defaults.get(name), self)
        return all(field.convert_to_record(field.convert_to_cache(value, record), record) == record[name]
                   for record in self)

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
            self._ar_check_system_fields(vals, create=True)
