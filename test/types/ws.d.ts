// The part of the `ws` package the fake Kubernetes API server uses (the package ships no types and
// @types/ws is not installed): a WebSocket server that takes HTTP upgrades, and its sockets.
declare module 'ws' {
  import type { IncomingMessage } from 'node:http';
  import type { Duplex } from 'node:stream';
  export interface WebSocket {
    send(data: Buffer | string, cb?: (err?: Error) => void): void;
    close(code?: number, reason?: string): void;
    terminate(): void;
    readonly readyState: number;
    readonly OPEN: number;
    on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
    on(event: 'close' | 'error', listener: (...args: unknown[]) => void): this;
  }
  export class WebSocketServer {
    constructor(options: { noServer: boolean; handleProtocols?: (protocols: Set<string>, req: IncomingMessage) => string | false });
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WebSocket) => void): void;
    close(cb?: () => void): void;
  }
}
