from . import demo_credit
