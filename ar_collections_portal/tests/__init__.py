from . import test_portal_statement
from . import test_portal_dispute_promise
from . import test_portal_security
from . import test_statement_token
from . import test_pay_overdue
from . import test_statement_pdf
from . import test_portal_field_access
from . import test_portal_links
