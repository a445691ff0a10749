from . import test_credit_exposure
from . import test_credit_hold
from . import test_credit_release
from . import test_credit_score
from . import test_credit_review
from . import test_credit_multi_company
from . import test_credit_ui_tour
from . import test_hostile_input
