from . import test_webhook_channel
