from . import ar_dunning_preview
