"""The one error contract: services raise ApplicationError; pages and the API present it."""


class ApplicationError(Exception):
    """A business rule refused an operation.

    ``message`` is for the user, already translated; ``errors`` maps field names to lists of
    messages, for showing next to the fields (pages) or in a 400 answer (API).
    """

    def __init__(self, message, errors: dict | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.extra = extra or {}
