from . import autopay
from . import stripe
