"""``python -m recall_provider.forwarder``: the forwarder's command."""

from recall_provider.forwarder.command import main

main()
