from ._clv import *  # noqa
