from . import ar_credit_limit_review
from . import ar_credit_limit_review_line
