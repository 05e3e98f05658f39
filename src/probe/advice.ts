/**
 * Remediation advice that names the right stack.
 *
 * "Advice starts stack-neutral, then names the line for the stack in use": every piece of advice is
 * one stack-neutral sentence (what to achieve), then one sentence with the setting of the stack the
 * harness recognised (from the reference implementation, the HTTP `Server` header, the gRPC
 * `server` header), or, when nothing was recognised, the lines of at most four common stacks.
 *
 * Pure functions, no I/O. Typical use:
 *
 * ```ts
 * const found = recognizeStack({ reference: target.reference, httpServer: outcome.httpServer, protocol: target.protocol });
 * const remediation = advise('require-client-cert', found?.stack);
 * const evidence = { advice: advisedStackNote(found) };
 * ```
 *
 * Where a stack has no knob for something, the line says so instead of inventing one (Go checks
 * dates and EKU by default: a Go server that accepts an expired client runs custom verification).
 *
 * The parts live in `advice/`: `stacks.ts` (the stacks and their recognition), `topics.ts` (the
 * topics, their sentences and how advice is put together), `profile.ts` (what a stack's settings
 * are), `servers.ts` and `libraries.ts` (the settings of each stack).
 */
export { advisedStackNote, recognizeStack, STACK_LABELS, STACKS, type RecognizedStack, type Stack, type StackHints } from './advice/stacks.js';
export { adviceParts, advise, TOPICS, type AdviceParams, type Topic } from './advice/topics.js';
