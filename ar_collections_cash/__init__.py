from . import models
from . import report
from . import tools
from . import wizard


def post_init_hook(env):
    env["account.bank.statement.line"]._ar_cash_second_worker_follows()
