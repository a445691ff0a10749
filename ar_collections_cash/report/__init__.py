from . import ar_cash_match_report
from . import ar_collections_dashboard
