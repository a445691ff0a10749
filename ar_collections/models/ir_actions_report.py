from odoo import models


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _build_wkhtmltopdf_args(self, paperformat_id, landscape, specific_paperformat_args=None,
                                set_viewport_size=False):
        """``ar_print_delay`` in the context: the milliseconds to wait for scripts instead of
        ``report.print_delay`` (the reminder letters, see ``ar.dunning.message._ar_render_letter_batch``)."""
        args = super()._build_wkhtmltopdf_args(
            paperformat_id, landscape, specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size)
        delay = self.env.context.get("ar_print_delay")
        if delay is not None and "--javascript-delay" in args:
            args[args.index("--javascript-delay") + 1] = str(int(delay))
        return args
