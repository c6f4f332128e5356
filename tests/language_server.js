// Run Node.js programs for the real Pulumi CLI where no `pulumi-language-nodejs` is installed.
//
// The Go module proxy serves no version of Pulumi's Node.js language host (an untagged module
// of the pulumi repository), so a CLI built by scripts/pulumi_cli.py has none. This serves, in
// its place, the language server the Node.js SDK itself ships for the Automation API's inline
// programs (`LanguageServer` of `@pulumi/pulumi/automation/server`), with the one call it lacks
// for the CLI's `PULUMI_DEBUG_LANGUAGES=nodejs:<port>` attach (`Handshake`, which hands over the
// engine's address), running the project's program as the real host's runner does (`require`
// of the program's folder, so package.json's `main` names the file; the module's exports, or
// what an exported function returns, become the stack's outputs). It is the Node.js twin of
// tests/language_server.py.
//
// What differs from the real host, and so is not tested through it: the program must be
// compiled JavaScript (the real host runs TypeScript through ts-node; the tests run `tsc`
// first), CommonJS only (no `"type": "module"`), every run shares this process (the real host
// starts a process per run), and GetRequiredPlugins answers none (the plugin the program needs
// comes from Pulumi.yaml's `plugins.providers`).
//
// Usage: `node tests/language_server.js <program dir>` prints the port on its first line, then
// serves until it is killed.
//
// Plain CommonJS with no dependencies of its own: it is run by `node` as it stands, from a
// checkout that has no node_modules.

"use strict";

const fs = require("node:fs");
const path = require("node:path");

const programDirectory = path.resolve(process.argv[2] || process.cwd());

// The SDK is loaded from the PROGRAM's node_modules, never from anywhere near this file: its
// settings (the engine and monitor addresses, the config, the stack resource) are module
// singletons, so the server that sets them, the program and the generated SDK it imports must
// share one copy of `@pulumi/pulumi`. gRPC is the copy that SDK itself loads.
const sdkRoot = path.dirname(
    require.resolve("@pulumi/pulumi/package.json", { paths: [programDirectory] }),
);
const fromSdk = (name) => require(require.resolve(name, { paths: [sdkRoot] }));
const grpc = fromSdk("@grpc/grpc-js");
const { LanguageServer } = require(path.join(sdkRoot, "automation", "server"));
const { grpcChannelOptions } = require(path.join(sdkRoot, "runtime"));
const langproto = require(path.join(sdkRoot, "proto", "language_pb"));
const langrpc = require(path.join(sdkRoot, "proto", "language_grpc_pb"));

class AttachableLanguageServer extends LanguageServer {
    constructor() {
        // The SDK's server runs the function it is given inside the stack resource and records
        // what it returns as the stack's outputs.
        super(() => this.runProgram());
        this.engineAddress = "";
        this.programDirectory = programDirectory;
        this.entryPoint = ".";
    }

    // Keep the engine's address: the SDK's server expects it as the run's first argument. (On
    // an attach the CLI sends no program directory: it comes from our command line.)
    handshake(call, callback) {
        this.engineAddress = call.request.getEngineAddress();
        if (call.request.getProgramDirectory()) {
            this.programDirectory = call.request.getProgramDirectory();
        }
        callback(undefined, new langproto.LanguageHandshakeResponse());
    }

    // Run the program the CLI names, with the engine address where `LanguageServer.run` reads
    // it (args[0], which the real host gets on its command line), in the folder the CLI says.
    run(call, callback) {
        const info = call.request.getInfo();
        if (info && info.getProgramDirectory()) {
            this.programDirectory = info.getProgramDirectory();
        }
        this.entryPoint = (info && info.getEntryPoint()) || ".";
        process.chdir(call.request.getPwd() || this.programDirectory);
        call.request.setArgsList([this.engineAddress]);
        return super.run(call, callback);
    }

    async runProgram() {
        // A second run (preview after up, in one CLI command or the next) must execute the
        // program again, not get the exports of the first one from Node's module cache. Only
        // the program's own files are dropped (those whose package is the program's: the
        // nearest package.json above them is the program folder's); the packages it imports
        // (the SDK, the generated one, whose files `npm install` links from sdks/) stay loaded,
        // being the copies this server shares with it.
        const own = fs.realpathSync(this.programDirectory);
        for (const file of Object.keys(require.cache)) {
            if (packageRoot(file) === own) {
                delete require.cache[file];
            }
        }
        let program = path.resolve(this.programDirectory, this.entryPoint);
        // A folder is required as a folder (its package.json's `main`), as the real runner does.
        if (fs.statSync(program).isDirectory() && !program.endsWith(path.sep)) {
            program += path.sep;
        }
        const exported = require(program);
        // An exported function is the program (its result the outputs), as in Pulumi's runner.
        return await (exported instanceof Function ? exported() : exported);
    }
}

// The folder of the package.json nearest above `file` (Node's cache keys are real paths).
function packageRoot(file) {
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "package.json"))) {
            return dir;
        }
        if (path.dirname(dir) === dir) {
            return undefined;
        }
    }
}

function main() {
    const server = new grpc.Server({ ...grpcChannelOptions });
    server.addService(langrpc.LanguageRuntimeService, new AttachableLanguageServer());
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) {
            console.error(err);
            process.exit(1);
        }
        // The first line of stdout is the port (the tests read it); the program's own output
        // follows.
        process.stdout.write(`${port}\n`);
    });
}

main();
