from . import test_credit_score
from . import test_credit_review
from . import test_credit_limit_review
from . import test_credit_install_defaults
from . import test_credit_reminder_hold
