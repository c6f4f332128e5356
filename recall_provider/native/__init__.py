"""The native ``recall`` provider plugin: the core's ``AppService`` for every Pulumi language.

``schema`` is the package schema made from the declarations, ``values`` converts the engine's
property values to the core's and back, ``server`` serves the engine's gRPC calls, and
``__main__`` is ``pulumi-resource-recall``, the plugin the CLI starts.
"""
