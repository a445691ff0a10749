from . import res_partner
from . import ar_credit_release
from . import ar_credit_hold
from . import account_move
from . import sale_order
from . import sale_order_line
