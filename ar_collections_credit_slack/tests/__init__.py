from . import test_slack_credit_release
