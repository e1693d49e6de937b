"""The one exception type for a user's mistakes and bad files.

Anything raised as :class:`OpscopeError` carries a message a person can act on; the CLI
prints it as ``opscope: <message>`` and exits 2, the GUI shows it in a dialog. Every other
exception is a programming error and keeps its traceback.
"""


class OpscopeError(Exception):
    """A problem with the user's input (a bad file, a wrong option), not with opscope."""
