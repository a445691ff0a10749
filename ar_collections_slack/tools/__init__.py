from . import slack
