from . import test_slack_interactivity
