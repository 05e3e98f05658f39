// Test-only preload for the built CLI (`node --import` via NODE_OPTIONS; nothing in src/ knows it):
// the first bytes received from 127.0.0.1:MTLS_TEST_THROW_PORT make the socket's 'data' emission
// throw, i.e. an exception from inside a socket event handler that no promise can catch, as a bug in
// a handler or a library would raise. It reaches process 'uncaughtException' (the CLI's last line
// of defence, src/cli/main.ts). With MTLS_TEST_THROW_KIND=reject the handler instead leaves a
// rejected promise nobody handles ('unhandledRejection'). With MTLS_TEST_THROW_REQUEST=N instead, the
// Nth HTTP request a server of the harness receives (client-test's servers) throws in its 'request' emission.
import * as net from 'node:net';

const port = Number(process.env.MTLS_TEST_THROW_PORT);
const nthRequest = Number(process.env.MTLS_TEST_THROW_REQUEST);
let requests = 0;
let thrown = false;
if (nthRequest) {
  const serverEmit = net.Server.prototype.emit;
  net.Server.prototype.emit = function (event, ...args) {
    if (!thrown && event === 'request' && ++requests === nthRequest) {
      thrown = true;
      throw new Error('injected: a request handler threw');
    }
    return serverEmit.call(this, event, ...args);
  };
}
const emit = net.Socket.prototype.emit;
net.Socket.prototype.emit = function (event, ...args) {
  if (!thrown && port && event === 'data' && this.remotePort === port) {
    thrown = true;
    if (process.env.MTLS_TEST_THROW_KIND === 'reject') void Promise.reject(new Error('injected: a socket handler threw'));
    else throw new Error('injected: a socket handler threw');
  }
  return emit.call(this, event, ...args);
};
