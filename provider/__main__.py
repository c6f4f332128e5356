"""The native ``recall`` provider plugin, as the Python language host runs a source plugin."""

from recall_provider.native.__main__ import main

main()
