from . import ar_remittance_import
from . import ar_cash_match_split
