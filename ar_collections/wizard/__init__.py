from . import ar_dunning_preview
from . import ar_aging_wizard
from . import ar_call_outcome
from . import ar_assign_collector
