"""What the clients app announces to the apps built on it (which it does not import)."""

from django.dispatch import Signal

# The curator of these clients changed, or their records moved to another client (a merge):
# sent with ``client_ids``, inside the service's transaction.
clients_reassigned = Signal()
