from . import test_credit_delivery
