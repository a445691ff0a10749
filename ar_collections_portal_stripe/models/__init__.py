from . import res_company
from . import res_config_settings
from . import payment_provider
from . import payment_token
from . import payment_transaction
from . import ar_autopay_mandate
from . import ar_autopay_attempt
