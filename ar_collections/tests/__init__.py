from . import test_access_rights
from . import test_demo_book
from . import test_dunning_policy
from . import test_dunning_run
from . import test_multi_company
from . import test_receivable
from . import test_reminder_content
from . import test_ui_tour
