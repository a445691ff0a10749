from . import test_cash_matching_signals
from . import test_cash_matching_amounts
from . import test_cash_matching_workflow
from . import test_cash_remittance_import
from . import test_cash_split_wizard
from . import test_cash_credit_pending
