from . import res_company
from . import res_config_settings
from . import res_partner
from . import ar_credit_score
from . import ar_credit_release
from . import account_move
from . import account_move_line
from . import sale_order
