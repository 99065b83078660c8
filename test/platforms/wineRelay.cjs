// Runs inside wine, in the Windows Node: starts the daemon with Windows pipes as its stdio and
// relays them over two TCP connections to the test on the host (stdin/stdout, then stderr).
// Node under wine cannot open the Unix pipes wine hands it as stdio (EBADF at process.stdin):
// a workaround of the test tooling, nothing the product needs on Windows.
const net = require('node:net');
const { spawn } = require('node:child_process');

const [port, ...argv] = process.argv.slice(2);
const io = net.connect(Number(port), '127.0.0.1', () => {
  const err = net.connect(Number(port), '127.0.0.1', () => {
    const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    io.pipe(child.stdin);
    child.stdout.pipe(io);
    child.stderr.pipe(err);
    io.on('close', () => child.stdin.end());
    child.on('exit', (code) => err.end(() => process.exit(code ?? 1)));
  });
});
