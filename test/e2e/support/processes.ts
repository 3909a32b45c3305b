/**
 * The processes an end-to-end run starts: each one's output goes to its own file in one log directory, and
 * `stopAll` ends exactly the processes this module started (their whole process groups), nothing else.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";

export interface Started {
  readonly name: string;
  readonly logFile: string;
  readonly child: ChildProcess;
}

interface Supervisor {
  readonly name: string;
  stop: boolean;
  /** Not started again before this time (ms since the epoch). */
  resumeAt: number;
  current?: Started;
}

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** The name the program sees as argv[0] (Argo CD picks its role by it). Defaults to the command. */
  readonly argv0?: string;
}

export class Processes {
  private readonly running = new Set<Started>();
  private readonly supervisors = new Set<Supervisor>();

  constructor(readonly logDir: string) {
    fs.mkdirSync(logDir, { recursive: true });
    // Whatever ends this process (a failed hook, Ctrl-C, a CI timeout) ends what it started, too.
    process.once("exit", () => this.killAll());
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
  }

  private killAll(): void {
    for (const s of this.supervisors) s.stop = true;
    for (const p of this.running) if (p.child.exitCode === null) signalGroup(p, "SIGKILL");
  }

  /** Starts `command` in a process group of its own, its stdout and stderr appended to `<logDir>/<name>.log`. */
  start(name: string, command: string, args: string[], opts: StartOptions = {}): Started {
    const logFile = path.join(this.logDir, `${name}.log`);
    const out = fs.openSync(logFile, "a");
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      argv0: opts.argv0,
      detached: true,
      stdio: ["ignore", out, out],
    });
    fs.closeSync(out);
    const started = { name, logFile, child };
    this.running.add(started);
    child.on("exit", () => this.running.delete(started));
    return started;
  }

  /**
   * Keeps `command` running as a kubelet keeps a container: started again two seconds after each exit, until
   * stopAll. Argo CD's controller exits until the chart has created argocd-cm, for instance.
   */
  supervise(name: string, command: string, args: string[], opts: StartOptions = {}): void {
    const supervisor: Supervisor = { name, stop: false, resumeAt: 0 };
    this.supervisors.add(supervisor);
    const run = () => {
      if (supervisor.stop) return;
      supervisor.current = this.start(name, command, args, opts);
      supervisor.current.child.on("exit", () => {
        if (!supervisor.stop) setTimeout(run, Math.max(2000, supervisor.resumeAt - Date.now())).unref();
      });
    };
    run();
  }

  /**
   * Kills a supervised process (SIGKILL to its group, as a node that loses a pod) and starts it again no sooner
   * than `downMs` later, as its supervisor would after a crash. Resolves once it has exited.
   */
  async kill(name: string, downMs: number): Promise<void> {
    const supervisor = [...this.supervisors].find((s) => s.name === name);
    const current = supervisor?.current;
    if (supervisor === undefined || current === undefined) throw new Error(`no supervised process ${name}`);
    supervisor.resumeAt = Date.now() + downMs;
    signalGroup(current, "SIGKILL");
    while (current.child.exitCode === null && current.child.signalCode === null) await sleep(50);
  }

  /** Whether a process of this name is running now. */
  isRunning(name: string): boolean {
    return [...this.running].some((p) => p.name === name && p.child.exitCode === null);
  }

  /**
   * Ends the processes of these names for good, supervised or not: SIGTERM to each group, SIGKILL after `graceMs`.
   * What scaling a workload to zero does to its pod.
   */
  async stop(names: readonly string[], graceMs = 5000): Promise<void> {
    for (const s of this.supervisors) if (names.includes(s.name)) s.stop = true;
    await this.end(
      [...this.running].filter((p) => names.includes(p.name)),
      graceMs,
    );
  }

  /** Ends every process started here: SIGTERM to each group, then SIGKILL to what is left after `graceMs`. */
  async stopAll(graceMs = 5000): Promise<void> {
    for (const s of this.supervisors) s.stop = true;
    await this.end([...this.running], graceMs);
  }

  private async end(processes: Started[], graceMs: number): Promise<void> {
    const left = processes.filter((p) => p.child.exitCode === null && p.child.pid !== undefined);
    for (const p of left) signalGroup(p, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (
      left.some((p) => p.child.exitCode === null && p.child.signalCode === null) &&
      Date.now() < deadline
    ) {
      await sleep(100);
    }
    for (const p of left) {
      if (p.child.exitCode === null && p.child.signalCode === null) signalGroup(p, "SIGKILL");
    }
  }

  /** The last lines of every log, for a failing test's report. */
  tails(lines = 40): string {
    return fs
      .readdirSync(this.logDir)
      .filter((f) => f.endsWith(".log"))
      .sort()
      .map((f) => {
        const text = fs.readFileSync(path.join(this.logDir, f), "utf8").trimEnd().split("\n");
        return `--- ${f} (last ${Math.min(lines, text.length)} of ${text.length} lines)\n${text.slice(-lines).join("\n")}`;
      })
      .join("\n");
  }
}

function signalGroup(p: Started, signal: NodeJS.Signals): void {
  try {
    process.kill(-(p.child.pid as number), signal);
  } catch {
    // Already gone.
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP port on 127.0.0.1 that nothing listens on now (the kernel picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` naming `what`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${String(last)}` : ""}`,
      );
    }
    await sleep(intervalMs);
  }
}
