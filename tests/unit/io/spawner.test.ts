import { describe, expect, it } from 'vitest';
import { collect } from '../../../scripts/io/spawner.ts';

const options = { cwd: process.cwd(), env: process.env };

describe('commands started through the spawn helper', () => {
  it('are started by the helper, not by this process', async () => {
    const result = await collect('sh', ['-c', 'echo $PPID'], options);
    expect(result.code).toBe(0);
    expect(Number(result.stdout.toString().trim())).not.toBe(process.pid);
  });

  it('give back stdout and stderr byte for byte, the exit code, and take stdin', async () => {
    const result = await collect('sh', ['-c', 'cat; printf "\\377\\000\\n" >&2; exit 3'], {
      ...options,
      input: 'héllo\n',
    });
    expect(result.code).toBe(3);
    expect(result.stdout.toString('utf8')).toBe('héllo\n');
    expect([...result.stderr]).toEqual([0xff, 0x00, 0x0a]);
  });

  it('run in the folder and with the environment asked for, many at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        collect('sh', ['-c', 'echo "$N $(pwd)"'], { cwd: '/tmp', env: { ...process.env, N: String(index) } }),
      ),
    );
    expect(results.map((result) => result.stdout.toString().trim())).toEqual(
      Array.from({ length: 20 }, (_, index) => `${index} /tmp`),
    );
  });

  it('reject a program that does not exist', async () => {
    await expect(collect('aifactory-no-such-program', [], options)).rejects.toThrow(/ENOENT/);
  });
});
