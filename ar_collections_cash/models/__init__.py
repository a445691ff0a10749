from . import res_company
from . import res_config_settings
from . import ar_remittance
from . import ar_remittance_line
from . import ar_cash_match
from . import ar_cash_match_line
from . import account_bank_statement_line
from . import account_move
