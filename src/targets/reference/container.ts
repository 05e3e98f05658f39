import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HarnessError, isHarnessError } from '../../core/errors.js';
import type { FixturePki } from '../../pki/generate.js';
import { checksClientOcsp, clientPolicyFor, type ProfileName } from '../profiles.js';
import type { ApplyMode } from '../../core/target.js';
import type { ReferenceChange, StartedReference } from '../target.js';
import { changedFiles, fileMode, freePort, pkiFiles, SECRET_FILES, tail, waitForTls, writeFiles } from './process.js';
import { OCSP_IN_CONTAINER, type ProcessImplementation, type StartTls } from './types.js';
import { importOptional } from '../../io/optional.js';

/** The reference image (fixtures/images): override with MTLS_REFERENCE_IMAGE. */
export function referenceImage(): string {
  return process.env.MTLS_REFERENCE_IMAGE || 'mtls-harness-reference:2';
}

/** Every container we start carries this label, so leftovers can always be found and removed. */
export const CONTAINER_LABEL = 'org.mtls-harness.reference';
const CONTAINER_DIR = '/mtls';
const CONTAINER_PORT = 8443;

const running = new Set<StartedContainerReference>();

/** Stops every container this process started (Ctrl-C handlers, test teardown). */
export async function stopAllContainers(): Promise<void> {
  await Promise.all([...running].map((c) => c.stop().catch(() => undefined)));
}

type Testcontainers = typeof import('testcontainers');
let tc: Promise<Testcontainers> | undefined;

/** testcontainers, loaded only when a container is asked for; Ryuk (the reaper image) cannot be pulled here. */
async function loadTestcontainers(): Promise<Testcontainers> {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  // Ports are published on 127.0.0.1 only, so that is where the engine's host is reached. Without
  // this, testcontainers running inside a container guesses the bridge gateway (172.17.0.1) and
  // waits for a port that is (deliberately) not bound there.
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
  tc ??= importOptional('testcontainers', () => import('testcontainers'));
  return tc;
}

/** Is a Docker engine reachable, and is the reference image there? A reason when not. */
export async function containerProviderUnavailable(): Promise<string | undefined> {
  try {
    const { getContainerRuntimeClient } = await loadTestcontainers();
    const client = await getContainerRuntimeClient();
    const images = await client.image.exists(new (await loadTestcontainers()).ImageName(...splitImage(referenceImage())));
    if (!images) return `the reference image ${referenceImage()} is not built (npm run image:build)`;
    return undefined;
  } catch (e) {
    if (isHarnessError(e)) return e.message;
    return `Docker engine not reachable (${(e as Error).message.split('\n')[0]})`;
  }
}

function splitImage(image: string): [string | undefined, string, string] {
  const at = image.lastIndexOf(':');
  const hasTag = at > image.lastIndexOf('/');
  return [undefined, hasTag ? image.slice(0, at) : image, hasTag ? image.slice(at + 1) : 'latest'];
}

/**
 * Starts a reference implementation in a container of the reference image: the same rendered
 * config and PKI as the process provider, copied to /mtls; the port published on 127.0.0.1 only.
 */
export async function startContainerReference(impl: ProcessImplementation, o: { profile: ProfileName; pki: FixturePki }): Promise<StartedReference> {
  const why = impl.unsupported(o.profile) ?? (checksClientOcsp(o.profile) ? OCSP_IN_CONTAINER : undefined);
  if (why) throw new HarnessError('target.unsupported-profile', `${impl.name} cannot express profile "${o.profile}" (unsupported): ${why}`);
  const { GenericContainer, Wait } = await loadTestcontainers();

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `mtls-container-${impl.name}-`));
  await fs.chmod(dir, 0o700);
  const { files, sendChain, secret } = pkiFiles(o.pki, o.profile);
  const rendered = impl.render({
    profile: o.profile,
    policy: clientPolicyFor(o.profile),
    dir: CONTAINER_DIR,
    bind: '0.0.0.0',
    port: CONTAINER_PORT,
    sendChain,
  });
  await writeFiles(dir, { ...files, ...rendered.files }, secret);
  const command = asServerUser(impl.runAs, rendered.command[0] === impl.binary ? [impl.binary, ...rendered.command.slice(1)] : rendered.command);

  /**
   * Publishes the port on 127.0.0.1 only (testcontainers binds every interface by default), on a
   * host port chosen here: an engine-chosen port can change when the container restarts (rotation).
   */
  const hostPort = await freePort();
  class LoopbackContainer extends GenericContainer {
    bindLoopback(): this {
      this.hostConfig.PortBindings = { [`${CONTAINER_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] };
      return this;
    }
  }
  const container = new LoopbackContainer(referenceImage())
    .withLabels({ [CONTAINER_LABEL]: 'true', [`${CONTAINER_LABEL}.implementation`]: impl.name, [`${CONTAINER_LABEL}.profile`]: o.profile })
    .withCopyDirectoriesToContainer([{ source: dir, target: CONTAINER_DIR }])
    .withWorkingDir(CONTAINER_DIR)
    .withExposedPorts(CONTAINER_PORT)
    .bindLoopback()
    .withCommand(command)
    .withEnvironment(rendered.env ?? {})
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(30_000);
  let started: Awaited<ReturnType<typeof container.start>>;
  try {
    started = await container.start();
  } catch (e) {
    await fs.rm(dir, { recursive: true, force: true });
    throw new HarnessError('target.start-failed', `${impl.name} container (profile ${o.profile}) did not start: ${(e as Error).message.split('\n')[0]}`);
  }
  const port = started.getMappedPort(CONTAINER_PORT);
  const ref = new StartedContainerReference(
    impl.name,
    o.profile,
    { host: '127.0.0.1', port },
    o.pki,
    dir,
    started,
    rendered.reloadSignal,
    sendChain,
    rendered.reloadCommand,
    { runAs: impl.runAs, starttls: impl.starttls },
  );
  running.add(ref);
  try {
    await waitForTls('127.0.0.1', port, () => undefined, 20_000, impl.starttls);
  } catch (e) {
    const log = await ref.fetchLogs();
    await ref.stop();
    throw new HarnessError('target.start-failed', `${impl.name} container (profile ${o.profile}) is not answering TLS: ${(e as Error).message}`, {
      details: `last lines of the container log:\n${tail(log)}`,
    });
  }
  return ref;
}

/**
 * A server that must not run as root (ProcessImplementation.runAs: PostgreSQL refuses it, mariadbd's
 * reload authenticates by OS user, mosquitto drops to its user before it reads its key): the files
 * copied in (owned by root) are given to that user, then the command runs as it (setpriv, util-linux).
 */
function asServerUser(runAs: string | undefined, command: string[]): string[] {
  if (!runAs) return command;
  return ['/bin/sh', '-c', `chown -R "$0" ${CONTAINER_DIR} && exec setpriv --reuid="$0" --regid="$0" --init-groups "$@"`, runAs, ...command];
}

type StartedTc = Awaited<ReturnType<InstanceType<Testcontainers['GenericContainer']>['start']>>;

export class StartedContainerReference implements StartedReference {
  readonly url: string;
  private stopped = false;
  private logLines: string[] = [];
  constructor(
    readonly implementation: string,
    readonly profile: ProfileName,
    readonly endpoint: { host: string; port: number },
    readonly pki: FixturePki,
    private readonly dir: string,
    private readonly container: StartedTc,
    private readonly reloadSignal: NodeJS.Signals | undefined,
    private readonly sendChain: boolean,
    /** Reload by a command run in the container (caddy reload), instead of a signal to PID 1. */
    private readonly reloadCommand?: string[],
    /** The server's own user (files and reload command), and how TLS starts on its port (readiness). */
    private readonly run: { runAs?: string | undefined; starttls?: StartTls | undefined } = {},
  ) {
    this.url = `https://${endpoint.host}:${endpoint.port}/`;
  }
  get containerId(): string {
    return this.container.getId();
  }
  logs(): string[] {
    return [...this.logLines];
  }
  async fetchLogs(): Promise<string> {
    try {
      const stream = await this.container.logs({ tail: 200 });
      const text = await new Promise<string>((resolve) => {
        let out = '';
        stream.on('data', (d: Buffer | string) => (out += d.toString()));
        stream.on('end', () => resolve(out));
        setTimeout(() => resolve(out), 1000);
      });
      this.logLines = text.split('\n').filter(Boolean);
      return text;
    } catch {
      return '';
    }
  }
  /** The implementation's graceful reload inside the container (signal to its main process, PID 1). */
  async reload(): Promise<void> {
    if (this.reloadCommand) {
      const r = await this.container.exec(this.reloadCommand, this.run.runAs ? { user: this.run.runAs } : {});
      if (r.exitCode !== 0)
        throw new HarnessError(
          'target.start-failed',
          `${this.implementation} reload (${this.reloadCommand.join(' ')}) failed in the container: exit ${r.exitCode}`,
          { details: tail(r.output) },
        );
      return;
    }
    if (!this.reloadSignal) throw new HarnessError('target.unsupported-profile', `${this.implementation} has no graceful reload`);
    await this.container.exec(['kill', `-${this.reloadSignal.replace(/^SIG/, '')}`, '1']);
  }
  /** Copies the changed files into the container, then reloads its server or restarts the container. */
  async apply(change: ReferenceChange, mode: ApplyMode, mark?: (label: string) => void): Promise<void> {
    if (mode === 'graceful' && !this.reloadSignal && !this.reloadCommand)
      throw new HarnessError('target.unsupported-profile', `${this.implementation} has no graceful reload`);
    const files = changedFiles(change, this.sendChain);
    await this.container.copyContentToContainer(
      Object.entries(files).map(([name, content]) => ({ content, target: `${CONTAINER_DIR}/${name}`, mode: fileMode(name, SECRET_FILES) })),
    );
    // Copied in as root: the server's own user must read them (its key included) on reload or restart.
    if (this.run.runAs) await this.container.exec(['chown', '-R', this.run.runAs, CONTAINER_DIR]);
    mark?.('new files copied into the container');
    if (mode === 'graceful') {
      await this.reload();
      mark?.(
        this.reloadCommand
          ? `${this.reloadCommand.slice(0, 2).join(' ')} done in the container`
          : `${this.reloadSignal} sent to ${this.implementation} (container PID 1)`,
      );
      return;
    }
    await this.container.restart({ timeout: 1000 });
    mark?.('container restarted');
    await waitForTls(this.endpoint.host, this.endpoint.port, () => undefined, 20_000, this.run.starttls);
    mark?.(`${this.implementation} answering again`);
  }
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    running.delete(this);
    await this.fetchLogs();
    await this.container.stop({ remove: true, timeout: 2000 }).catch(() => undefined);
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
