from . import ar_credit_release
from . import ar_slack_interaction
from . import ar_slack_message
