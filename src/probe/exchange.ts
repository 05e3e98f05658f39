/**
 * What the probe does right after the handshake, whatever the protocol: wait for a TLS 1.3 server's
 * verdict on our certificate before speaking (`afterVerdict`). What is then said, and what the
 * answer means, is the protocol module's (`protocols/`).
 */
import type * as tls from 'node:tls';

/** TLS 1.3: how long to wait for the server's verdict on our certificate before sending the request. */
export const VERDICT_WINDOW_MS = 500;

/**
 * TLS 1.3: the server judges our certificate after our Finished and answers with a session
 * ticket (accepted) or an alert (refused). Anything sent before that verdict races it: a server
 * that refuses and closes with our request unread sends a TCP reset, and the reset can destroy
 * the alert before we read it. So wait for the ticket, the alert, or a short window.
 */
export function afterVerdict(sock: tls.TLSSocket, then: (ticket: boolean) => void): void {
  let done = false;
  const go = (ticket: boolean) => {
    if (done) return;
    done = true;
    clearTimeout(window);
    then(ticket);
  };
  const window = setTimeout(() => go(false), VERDICT_WINDOW_MS);
  // Not synchronously: 'session' fires inside OpenSSL's read of the ticket, and a write made
  // there is encrypted but never flushed to the socket (the request is lost and the probe waits
  // out its whole budget). Defer it to the next turn of the event loop.
  sock.once('session', () => setImmediate(() => go(true)));
  sock.once('close', () => clearTimeout(window));
}
