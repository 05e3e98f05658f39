/**
 * The names of the protocols the probe speaks, in one list (core/target.ts, beside the target
 * configuration that names one): `Protocol` is its type, and the registry (`index.ts`) must have
 * exactly one module per name (the compiler holds it to that).
 */
export { PROTOCOLS, isProtocol, type Protocol } from '../../core/target.js';
