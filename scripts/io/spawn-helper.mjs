// The helper process of `spawner.ts`: starts the commands it is sent and answers with their output.
// A request and its answer are one line of JSON each on stdin and stdout:
//   {"id":1,"file":"git","args":["diff"],"cwd":"/repo","env":{...},"input":"<base64>"}
//   {"id":1,"code":0,"stdout":"<base64>","stderr":"<base64>"}  or  {"id":1,"error":"spawn git ENOENT"}
// It stays small, so starting a process from it costs far less than from a large one, and ends
// when its parent closes stdin (or dies). Ctrl-C is its parent's to handle.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

const answer = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
  const request = JSON.parse(line);
  const child = spawn(request.file, request.args, {
    cwd: request.cwd,
    env: request.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout = [];
  const stderr = [];
  let failed = false;
  child.stdout.on('data', (chunk) => stdout.push(chunk));
  child.stderr.on('data', (chunk) => stderr.push(chunk));
  child.on('error', (error) => {
    failed = true;
    answer({ id: request.id, error: error.message });
  });
  child.on('close', (code) => {
    if (failed) return;
    answer({
      id: request.id,
      code: code ?? 1,
      stdout: Buffer.concat(stdout).toString('base64'),
      stderr: Buffer.concat(stderr).toString('base64'),
    });
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(Buffer.from(request.input, 'base64'));
});
