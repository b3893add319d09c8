// The checks sandbox: runs model-written check commands where no key or token of the factory can be read.
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { CheckSandboxKind } from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';
import { type CommandResult, checkEnvironment, runCommand, runProgram } from './command.ts';
import type { CheckToolchain } from './toolchain.ts';

/**
 * The uid and gid isolated checks run as: no account of a usual system has them, so the check
 * owns nothing of the factory's and may signal, trace or read none of its processes.
 */
export const SANDBOX_ID = 64_123;
/** HOME inside the sandbox: on a private tmpfs, owned by SANDBOX_ID, gone with the sandbox. */
export const SANDBOX_HOME = '/home/check';
/** Time the sandbox's own kill waits past the check's limit, for the factory's kill to come first. */
const KILL_GRACE_SECONDS = 5;
/** Time allowed to hand a tree to the sandbox user and back. */
const CHOWN_TIMEOUT_MS = 120_000;
/** The top-level folders SETUP_SCRIPT starts empty (a fresh /tmp among them, writable by the check). */
const EMPTIED = ['/tmp', '/run', '/root', '/home'];

/**
 * Builds the sandbox's file system, run as root inside fresh mount, PID (and network)
 * namespaces: a tmpfs root that binds the system's top-level folders read-only, except those
 * where a user's or the factory's files live (/tmp, /home, /root, /run), which are empty; its
 * own /proc, showing only the check's processes; a minimal /dev; a tmpfs over each path of
 * `hide` (the factory's home, temporary folder, repository); each folder of `binds` (the
 * toolchain's, where those hide it) bound back read-only, the folders made for it passable; the checked
 * tree, bound back at its own path. Then it enters that root and runs the rest of its arguments.
 * Paths arrive as arguments, never inside the script, so no path can change what the script does.
 */
const SETUP_SCRIPT = `set -eu
root=$1 tree=$2 id=$3 network=$4 hides=$5 binds=$6
shift 6
umask 022
mount -t tmpfs -o mode=0755 aifactory-sandbox "$root"
for entry in /*; do
  name=\${entry#/}
  case $name in proc | dev | sys | tmp | run | root | home | lost+found) continue ;; esac
  if [ -L "$entry" ]; then
    ln -s "$(readlink "$entry")" "$root/$name"
  elif [ -d "$entry" ]; then
    mkdir "$root/$name"
    mount --rbind "$entry" "$root/$name"
    mount -o remount,bind,ro "$root/$name"
  fi
done
mkdir -m 0755 "$root/proc" "$root/dev" "$root/sys" "$root/run" "$root/home"
mkdir -m 0700 "$root/root"
mkdir -m 1777 "$root/tmp"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t tmpfs -o mode=1777,nosuid,nodev aifactory-tmp "$root/tmp"
mount -t tmpfs -o mode=0755,nosuid,nodev aifactory-home "$root/home"
mount -t tmpfs -o mode=0755,nosuid aifactory-dev "$root/dev"
for node in null zero full random urandom tty; do
  touch "$root/dev/$node"
  mount --bind "/dev/$node" "$root/dev/$node"
done
mkdir -m 1777 "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mount --bind -o ro /sys "$root/sys" 2>/dev/null || true
if [ "$network" = 1 ]; then
  if [ -d /run/systemd/resolve ]; then
    mkdir -p "$root/run/systemd/resolve"
    mount --bind -o ro /run/systemd/resolve "$root/run/systemd/resolve"
  fi
else
  ip link set lo up 2>/dev/null || true
fi
while [ "$hides" -gt 0 ]; do
  if [ -d "$root$1" ]; then mount -t tmpfs -o mode=0755,nosuid,nodev aifactory-hidden "$root$1"; fi
  hides=$((hides - 1))
  shift
done
while [ "$binds" -gt 0 ]; do
  case $1 in /root/*) chmod 0711 "$root/root" ;; esac
  dir= rest=\${1#/}
  while [ -n "$rest" ]; do
    dir="$dir/\${rest%%/*}"
    case $rest in */*) rest=\${rest#*/} ;; *) rest= ;; esac
    [ -d "$root$dir" ] || mkdir -m 0755 "$root$dir"
  done
  mount --bind "$1" "$root$1"
  mount -o remount,bind,ro "$root$1"
  binds=$((binds - 1))
  shift
done
mkdir -m 0700 "$root${SANDBOX_HOME}"
chown "$id:$id" "$root${SANDBOX_HOME}"
mkdir -p "$root$tree"
mount --bind "$tree" "$root$tree"
exec chroot "$root" "$@"
`;

/** Whether this machine can isolate checks, and the prefix that runs a program as root. */
export type SandboxSupport =
  | { available: true; privileged: readonly string[] }
  | { available: false; reason: string };

/** One check to run: the command, the tree it runs in (its only writable place), its limit. */
export interface CheckRequest {
  command: string;
  tree: string;
  timeoutMs: number;
  /** More paths the check must not see, beyond the factory's home and temporary folder (the repository). */
  hide?: readonly string[];
}

/**
 * Where model-written check commands run. Both forges take one, so the rule lives in one place.
 * @throws FactoryError (`auth`) when checks must be isolated and this machine cannot: the
 *   set-up is wrong, not the task, so the task pauses with the fix named.
 */
export interface CheckSandbox {
  run(request: CheckRequest): Promise<CommandResult>;
}

/** How the sandbox is made: the config's `checks.sandbox` and `checks.network`, and seams for tests. */
export interface CheckSandboxOptions {
  kind?: CheckSandboxKind;
  network?: boolean;
  /** Where the warning of `none` goes (default: standard error). */
  warn?: (message: string) => void;
  /** Paths no check may see, beyond the factory's home and temporary folder: the repository's checkout. */
  hide?: readonly string[];
  /** Says whether isolation is possible here (default: tries it once per process). */
  probe?: () => Promise<SandboxSupport>;
  /**
   * The checks' toolchain (toolchain.ts), asked once, at the first check: its PATH replaces the
   * factory's, and its folders are shown read-only where the sandbox hides them. Default: the
   * factory's PATH as it is.
   */
  toolchain?: () => Promise<CheckToolchain>;
}

/** The warning printed by every run that runs checks with `checks.sandbox: "none"`. */
export const NO_SANDBOX_WARNING =
  'checks.sandbox is "none": checks.command runs model-written code as the factory itself, where it can read every key and token of this run (from /proc, files and the network) and write anywhere the factory can. Remove checks.sandbox to isolate checks';

/** The refusal when checks must be isolated and cannot be, naming the ways out. */
export function sandboxRefusal(reason: string): string {
  return `checks.command was not run: it runs model-written code, and this machine cannot isolate it (${reason}). Run the factory as root or as a user with passwordless sudo, on Linux with util-linux's unshare and setpriv; or set checks.sandbox: "none" to run checks beside the factory's keys`;
}

/**
 * The toolchain, asked once: a set-up that cannot give the checks their Node is the set-up's
 * fault, not the task's, so it pauses the task (`auth`, as a refused sandbox does) with the fix.
 */
function onceToolchain(
  source: (() => Promise<CheckToolchain>) | undefined,
): () => Promise<CheckToolchain | undefined> {
  let found: Promise<CheckToolchain | undefined> | undefined;
  return () => {
    found ??= source
      ? source().catch((error: unknown) => {
          const reason = error instanceof Error ? error.message : String(error);
          throw new FactoryError('auth', `checks.command was not run: ${reason}`);
        })
      : Promise.resolve(undefined);
    return found;
  };
}

/** A sandbox as the config asks: isolated (the default), or `none` with its warning. */
export function createCheckSandbox(options: CheckSandboxOptions = {}): CheckSandbox {
  const toolchain = onceToolchain(options.toolchain);
  if (options.kind === 'none') {
    const warn = options.warn ?? ((message: string) => console.warn(`warning: ${message}`));
    let warned = false;
    return {
      run: async ({ command, tree, timeoutMs }) => {
        if (!warned) warn(NO_SANDBOX_WARNING);
        warned = true;
        const tools = await toolchain();
        return runCommand(
          command,
          tree,
          timeoutMs,
          tools ? { ...process.env, PATH: tools.path } : process.env,
        );
      },
    };
  }
  const probe = options.probe ?? probeSandbox;
  let support: Promise<SandboxSupport> | undefined;
  return {
    run: async (request) => {
      support ??= probe();
      const found = await support;
      if (!found.available) throw new FactoryError('auth', sandboxRefusal(found.reason));
      const hide = [...(options.hide ?? []), ...(request.hide ?? [])];
      return runIsolated(found.privileged, options.network === true, { ...request, hide }, await toolchain());
    },
  };
}

let probed: Promise<SandboxSupport> | undefined;

/**
 * Tries the sandbox once per process, with `true` as the check: as root directly, otherwise
 * through `sudo -n`. The answer holds for the process's life (its user and tools do not change).
 */
export function probeSandbox(): Promise<SandboxSupport> {
  probed ??= (async (): Promise<SandboxSupport> => {
    if (process.platform !== 'linux')
      return { available: false, reason: `it needs Linux, not ${process.platform}` };
    const privileged = process.getuid?.() === 0 ? [] : ['sudo', '-n', '--'];
    const tree = await mkdtemp(join(tmpdir(), 'aifactory-probe-'));
    try {
      const trial = await runIsolated(privileged, false, { command: 'true', tree, timeoutMs: 60_000 });
      if (trial.code === 0) return { available: true, privileged };
      const said = trial.output.trim().split('\n').at(-1) ?? '';
      const as = privileged.length === 0 ? 'as root' : 'through sudo -n';
      return {
        available: false,
        reason: `trying it ${as} failed with exit ${trial.code}${said ? `: ${said}` : ''}`,
      };
    } finally {
      await rm(tree, { recursive: true, force: true });
    }
  })();
  return probed;
}

/** A path as the kernel sees it, so a symbolic link on the way cannot point a mount elsewhere. */
async function resolved(path: string): Promise<string | undefined> {
  return realpath(path).catch(() => undefined);
}

function within(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith('/') ? folder : `${folder}/`);
}

/**
 * The toolchain folders the sandbox binds back read-only: those inside a place it hides or
 * empties (a Node under ~/.nvm, a Python under ~/.pyenv). Never a folder that is or holds such a
 * place (a home, the repository, /tmp): what the check sees of one is only the toolchain in it.
 */
export function foldersToBind(folders: readonly string[], hidden: readonly string[]): string[] {
  const places = [...EMPTIED, ...hidden];
  return folders.filter(
    (folder) =>
      isAbsolute(folder) &&
      !/[\n\0]/.test(folder) &&
      places.some((place) => within(folder, place)) &&
      !places.some((place) => within(place, folder)),
  );
}

/** Gives every file of `tree` to `owner`, never following a symbolic link the check left. */
async function chownTree(privileged: readonly string[], owner: string, tree: string): Promise<void> {
  const argv = [...privileged, 'chown', '-hRP', owner, '--', tree];
  const { code, output } = await runProgram(argv, tree, CHOWN_TIMEOUT_MS);
  if (code !== 0) {
    throw new FactoryError(
      'checks',
      `could not give ${tree} to the checks sandbox's user ${owner}: ${output.trim()}`,
    );
  }
}

/**
 * Runs the check as SANDBOX_ID in fresh mount, PID and (unless `network`) network namespaces,
 * with no capability, no new privileges and no supplementary group, on the file system of
 * SETUP_SCRIPT. The tree is the sandbox user's while the check runs and the factory's again after.
 */
async function runIsolated(
  privileged: readonly string[],
  network: boolean,
  request: CheckRequest,
  toolchain?: CheckToolchain,
): Promise<CommandResult> {
  const tree = (await resolved(request.tree)) ?? request.tree;
  const hide = [homedir(), tmpdir(), process.cwd(), '/var/tmp', ...(request.hide ?? [])];
  // A top-level folder the sandbox empties is fresh already; hidden again, /tmp would be unwritable.
  const hidden = (await Promise.all(hide.map(resolved))).filter(
    (path): path is string => path !== undefined && path !== '/' && !EMPTIED.includes(path),
  );
  const toolFolders = (await Promise.all((toolchain?.readOnly ?? []).map(resolved))).filter(
    (path): path is string => path !== undefined,
  );
  const binds = foldersToBind([...new Set(toolFolders)], hidden);
  // The factory's user names are not the sandbox's; its home and temporary folder are its own.
  const { USER: _user, LOGNAME: _logname, ...inherited } = checkEnvironment(process.env);
  const env = {
    ...inherited,
    ...(toolchain ? { PATH: toolchain.path } : {}),
    HOME: SANDBOX_HOME,
    TMPDIR: '/tmp',
    TMP: '/tmp',
    TEMP: '/tmp',
  };
  const root = await mkdtemp(join(tmpdir(), 'aifactory-check-root-'));
  const owner = `${process.getuid!()}:${process.getgid!()}`;
  try {
    await chownTree(privileged, `${SANDBOX_ID}:${SANDBOX_ID}`, tree);
    try {
      const seconds = Math.ceil(request.timeoutMs / 1000) + KILL_GRACE_SECONDS;
      return await runProgram(
        [
          ...privileged,
          // Through sudo the factory may not signal the sandbox: its own kill is this one.
          ...['timeout', '--signal=KILL', `${seconds}s`],
          ...['unshare', '--mount', '--pid', '--fork', '--kill-child', '--propagation', 'private'],
          ...(network ? [] : ['--net']),
          ...['sh', '-c', SETUP_SCRIPT, 'aifactory-sandbox', root, tree, String(SANDBOX_ID)],
          ...[network ? '1' : '0', String(hidden.length), String(binds.length), ...hidden, ...binds],
          ...['setpriv', `--reuid=${SANDBOX_ID}`, `--regid=${SANDBOX_ID}`, '--clear-groups'],
          ...['--no-new-privs', '--inh-caps=-all', '--bounding-set=-all', '--'],
          ...[
            'env',
            '-i',
            '-C',
            tree,
            '--',
            ...Object.entries(env).map(([name, value]) => `${name}=${value}`),
          ],
          ...['sh', '-c', request.command],
        ],
        tree,
        request.timeoutMs,
      );
    } finally {
      await chownTree(privileged, owner, tree);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
