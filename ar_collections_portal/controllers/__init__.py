from . import portal
from . import portal_dispute
from . import autopay
from . import stripe
