from lxml import etree

from odoo import models


class IrQweb(models.AbstractModel):
    _inherit = "ir.qweb"

    def _compile(self, template):
        """Compile a reminder's mail template once per batch (``ar_reuse_compiled`` in the context).

        Odoo renders a mail template's body record by record, each time from a new element tree,
        which it compiles anew: about as long as the rest of a reminder's text. Rendered with the
        same source and context, the compiled functions are the same; they are kept for the
        transaction (views are kept by Odoo itself).
        """
        if not (isinstance(template, etree._Element) and self.env.context.get("ar_reuse_compiled")):
            return super()._compile(template)
        key = ("ar_qweb_compiled", etree.tostring(template), repr(sorted(self.env.context.items())))
        compiled = self.env.cr.cache.get(key)
        if compiled is None:
            compiled = self.env.cr.cache[key] = super()._compile(template)
        return compiled
