from odoo import api, fields, models


class ArDunningLevelChannel(models.Model):
    """A channel a dunning level reaches the customer through, in sending order.

    Extension point of the dunning engine, shaped like payment providers' ``code``: ``channel``
    is the one list of channels. An add-on adds one with
    ``fields.Selection(selection_add=[(code, label)], ondelete={code: "cascade"})`` here and
    ``_ar_dispatch_<code>`` on ``ar.dunning.message``; every other field and check reads the
    list from here (through ``ar.dunning.engine._get_channel_selection``).
    """

    _name = "ar.dunning.level.channel"
    _description = "Dunning Level Channel"
    _order = "level_id, sequence, id"

    level_id = fields.Many2one("ar.dunning.level", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    channel = fields.Selection(
        [
            ("email", "Email"),
            ("sms", "SMS"),
            ("letter", "Letter"),
            ("phone", "Phone call"),
        ],
        required=True,
        help="Email and SMS use the level's templates; a letter is a PDF to post; a phone call is an "
             "activity for the customer's collector.",
    )

    _sql_constraints = [
        ("level_channel_uniq", "unique(level_id, channel)", "A level uses each channel once."),
    ]

    @api.constrains("level_id", "channel")
    def _check_level_channels(self):
        # Lines written on their own (not through the level) are checked as the level's are.
        self.level_id._check_channels()
