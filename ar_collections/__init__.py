from . import models
from . import report
from . import tools
from . import wizard


def _post_init_hook(env):
    """Give every existing company its default dunning policy."""
    env["res.company"].search([])._ar_ensure_default_policy()
