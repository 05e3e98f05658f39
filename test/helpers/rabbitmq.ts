// A real RabbitMQ (Debian's rabbitmq-server, Erlang/OTP) for the amqp protocol tests: one TLS
// listener on 127.0.0.1 and a free port, no plain listener, no plugins, its node name, Mnesia
// directory, logs and Erlang cookie ($HOME) in a temp dir removed on stop. Its own epmd runs as our
// child on 127.0.0.1 and another free port (ERL_EPMD_PORT), so no system epmd is used or left behind.
// RabbitMQ runs as root when the tests do (it does not refuse root).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { FixturePki } from '../../src/pki/generate.js';
import { findBinary, freePort, stopProcess, waitForTls } from '../../src/targets/reference/process.js';
import { run, tempDir, whenReady } from './app-servers.js';
import { writeServerFiles, type StartedServer } from './servers.js';

/** The broker's own start script (the one in /usr/sbin switches to the rabbitmq user through su). */
export const RABBITMQ = findBinary('/usr/lib/rabbitmq/bin/rabbitmq-server');
const EPMD = findBinary('epmd');

export interface RabbitmqOptions {
  pki: FixturePki;
  /** `ssl_options.fail_if_no_peer_cert` (with `verify_peer`): true refuses a client without a certificate. */
  failIfNoPeerCert: boolean;
}

/** rabbitmq-server 3.10 with one TLS listener (verify_peer). Its boot takes several seconds. */
export async function startRabbitmq(o: RabbitmqOptions): Promise<StartedServer> {
  if (!RABBITMQ || !EPMD) throw new Error('rabbitmq-server is not installed: apt-get install rabbitmq-server');
  const dir = await tempDir('mtls-rabbitmq-');
  const f = await writeServerFiles(dir, o.pki);
  const [port, epmdPort, distPort] = [await freePort(), await freePort(), await freePort()];
  const epmd = run(EPMD, ['-address', '127.0.0.1', '-port', String(epmdPort)]);
  const conf = path.join(dir, 'rabbitmq.conf');
  await fs.writeFile(
    conf,
    [
      'listeners.tcp = none',
      `listeners.ssl.1 = 127.0.0.1:${port}`,
      `ssl_options.cacertfile = ${f.ca}`,
      `ssl_options.certfile = ${f.chain}`,
      `ssl_options.keyfile = ${f.key}`,
      'ssl_options.verify = verify_peer',
      `ssl_options.fail_if_no_peer_cert = ${o.failIfNoPeerCert}`,
      '',
    ].join('\n'),
  );
  await fs.writeFile(path.join(dir, 'enabled_plugins'), '[].\n');
  await fs.writeFile(path.join(dir, 'rabbitmq-env.conf'), '');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    RABBITMQ_CONFIG_FILE: conf,
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_LOGS: '-',
    RABBITMQ_PID_FILE: path.join(dir, 'rabbitmq.pid'),
    RABBITMQ_NODENAME: `mtls-harness-${port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_EPMD_PORT: String(epmdPort),
    // The script then execs the Erlang VM (no shell in between): SIGTERM reaches the broker itself.
    RUNNING_UNDER_SYSTEMD: 'true',
  };
  const s = run(RABBITMQ, [], { env, cwd: dir });
  let server: StartedServer;
  try {
    server = await whenReady(port, s, dir, waitForTls('127.0.0.1', port, s.dead, 60_000));
  } catch (e) {
    await stopProcess(epmd.proc);
    await fs.rm(dir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}\nepmd: ${epmd.logs()}`);
  }
  return {
    ...server,
    stop: async () => {
      await server.stop();
      await stopProcess(epmd.proc);
    },
  };
}
