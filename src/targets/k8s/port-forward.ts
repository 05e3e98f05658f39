// A local 127.0.0.1 listener whose every connection is one port-forward stream to a Pod's port
// (what `kubectl port-forward pod/x 0:PORT` does), so the probe and every check see a plain TCP
// endpoint. Text on the stream's error channel (the kubelet's "error forwarding port …") is kept
// for the target's results; the local connection is then reset.
import * as net from 'node:net';
import type { KubeApi } from './api.js';

export interface OpenForward {
  /** The local port on 127.0.0.1. */
  port: number;
  /** Error-channel messages seen so far (de-duplicated). */
  errors: string[];
  close(): Promise<void>;
}

export async function openForward(api: KubeApi, namespace: string, pod: string, podPort: number): Promise<OpenForward> {
  const sockets = new Set<net.Socket>();
  const streams = new Set<{ close(): void }>();
  const errors: string[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    api
      .portForward(namespace, pod, podPort, socket, (text) => {
        const t = text.trim();
        if (t && !errors.includes(t) && errors.length < 10) errors.push(t);
        socket.resetAndDestroy();
      })
      .then((stream) => {
        streams.add(stream);
        // The stream ends (the Pod closed, or the API server dropped it): so does the local connection.
        stream.onClose(() => {
          streams.delete(stream);
          socket.end();
        });
        socket.on('close', () => stream.close());
        if (socket.destroyed) stream.close();
      })
      .catch((e: unknown) => {
        const msg = (e as { message?: string }).message ?? String(e);
        if (errors.length < 10 && !errors.includes(msg)) errors.push(`the port-forward stream could not be opened: ${msg.split('\n')[0]}`);
        socket.resetAndDestroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    errors,
    async close() {
      for (const s of streams) s.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
