from . import ar_aging_report
from . import ar_overdue_trend
from . import ar_collections_dashboard
from . import ar_collections_dashboard_snapshot
from . import ar_cash_forecast
from . import ar_worklist
from . import ar_collector_report
from . import ar_dunning_effectiveness
