// A scripted server for the unit tests of the line-based STARTTLS modules (smtp, imap, pop3): a fake
// raw socket that sends the recorded greeting, answers each command written with the recorded reply,
// and closes when the script has none (or after a reply cut mid-line). The module's real `startTls` (lineExchange) runs on it.
import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import type { StartTlsResult } from '../../src/probe/protocols/types.js';

export interface Conversation {
  result: StartTlsResult;
  /** What the client wrote, in order. */
  sent: string[];
  /** Whether the socket was left paused. */
  paused: boolean;
}

/** Runs `startTls` against a server that greets with `greeting` (undefined: closes; a list: each in turn) and answers with `answer(command)` (undefined: closes). */
export async function converse(
  startTls: (raw: net.Socket) => Promise<StartTlsResult>,
  greeting: string | Buffer | undefined | (string | undefined)[],
  answer: (command: string) => string | Buffer | undefined,
): Promise<Conversation> {
  const sent: string[] = [];
  let paused = false;
  const raw = new EventEmitter() as EventEmitter & { write(d: Buffer | string): boolean; pause(): void };
  const say = (d: string | Buffer | undefined) =>
    setImmediate(() => {
      if (d === undefined) raw.emit('end');
      else raw.emit('data', Buffer.isBuffer(d) ? d : Buffer.from(d, 'utf8'));
    });
  raw.write = (d) => {
    const cmd = Buffer.isBuffer(d) ? d.toString('latin1') : d;
    sent.push(cmd);
    const a = answer(cmd);
    say(a);
    if (a !== undefined && !a.toString('latin1').endsWith('\n')) say(undefined); // cut in the middle of a line: then closes
    return true;
  };
  raw.pause = () => {
    paused = true;
  };
  const done = startTls(raw as unknown as net.Socket);
  for (const g of Array.isArray(greeting) ? greeting : [greeting]) say(g);
  return { result: await done, sent, paused };
}

/** A script: each command (as sent, with its CRLF) and the reply to it. */
export function script(replies: Record<string, string>): (command: string) => string | undefined {
  return (command) => replies[command];
}
