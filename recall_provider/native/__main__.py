"""``pulumi-resource-recall``: the native provider plugin, as the Pulumi CLI starts it.

The CLI runs the plugin with its engine's address as the last argument (and options such as
``--logtostderr`` or ``--tracing URL`` before it), reads the port the plugin serves on from the
first line of its standard output, and talks gRPC to it from then on.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

import grpc.aio
from pulumi.runtime.proto import provider_pb2_grpc

from recall_provider.engine_address import EngineWatch, command_name
from recall_provider.native.server import RecallProvider

__all__ = ["MAX_MESSAGE", "main"]

MAX_MESSAGE = 400 * 1024 * 1024
"""The largest message the engine sends or takes (pulumi/pulumi
``sdk/go/common/util/rpcutil/serve.go``, ``maxRPCMessageSize``): a big state's Read or Diff."""


async def _serve() -> None:
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", MAX_MESSAGE)])
    argv = list(sys.argv)
    # A create whose engine is gone (the CLI killed, this plugin left to finish) keeps this
    # machine's record of it: the next up takes the app over instead of stopping at it.
    provider = RecallProvider(command=command_name(argv), caller_alive=EngineWatch(argv))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(provider, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    await server.wait_for_termination()


def main() -> None:
    """Serve until the engine closes the plugin (it kills the process)."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve())


if __name__ == "__main__":
    main()
