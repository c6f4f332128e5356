"""Run Python programs for the real Pulumi CLI where no ``pulumi-language-python`` is installed.

The Go module proxy serves no version of Pulumi's Python language host (an untagged module of
the pulumi repository), so a CLI built by ``scripts/pulumi_cli.py`` has none. This serves, in
its place, the language server the Python SDK itself ships for the Automation API's inline
programs (``pulumi.automation._server.LanguageServer``), with the one call it lacks for the
CLI's ``PULUMI_DEBUG_LANGUAGES=python:<port>`` attach (``Handshake``, which hands over the
engine's address), running the project's ``__main__.py`` as the real host's runner does
(``runpy`` as ``__main__``, in the program's directory).

What differs from the real host, and so is not tested through it: the program runs in the
interpreter this server was started with (the tests start it with the project's virtualenv's
where they can; the dynamic provider host always runs in the virtualenv, started by the CLI's
own shim), every run shares this process (the real host starts a process per run), and the
host's plugin discovery from installed packages is skipped (GetRequiredPlugins answers none:
the program needs no plugin).

Usage: ``python tests/language_server.py`` prints the port on its first line, then serves until
it is killed.
"""

from __future__ import annotations

import os
import runpy
import sys
from concurrent import futures
from typing import Any

import grpc
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import language_pb2, language_pb2_grpc


class AttachableLanguageServer(LanguageServer):
    """The SDK's inline-program server, attachable by the CLI and running ``__main__.py``."""

    def __init__(self) -> None:
        super().__init__(self._main)
        self.engine_address = ""
        self.program_directory = os.getcwd()

    def _main(self) -> None:
        program = os.path.join(self.program_directory, "__main__.py")
        sys.path.insert(0, self.program_directory)
        try:
            runpy.run_path(program, run_name="__main__")
        finally:
            sys.path.remove(self.program_directory)

    def Handshake(self, request: Any, context: Any) -> Any:
        """Keep the engine's address: the SDK's server expects it as the run's first argument."""
        self.engine_address = request.engine_address
        if request.program_directory:
            self.program_directory = request.program_directory
        return language_pb2.LanguageHandshakeResponse()

    def Run(self, request: Any, context: Any) -> Any:
        """Run the program the CLI names, with the engine address where the SDK looks for it."""
        if request.info.program_directory:
            self.program_directory = request.info.program_directory
        # The program runs where the CLI says (the project), as the real host runs it.
        os.chdir(request.pwd or self.program_directory)
        del request.args[:]
        request.args.append(self.engine_address)
        return super().Run(request, context)


def main() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(AttachableLanguageServer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
