// Test-only preload for the built CLI (`node --import` via NODE_OPTIONS; nothing in src/ knows it):
// the packages named in MTLS_TEST_HIDE_PACKAGES (comma-separated) resolve as if not installed, as on
// a plain `npm install mtls-harness` without the optional peer dependencies.
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
const hidden = new Set((process.env.MTLS_TEST_HIDE_PACKAGES ?? '').split(',').filter(Boolean));
export async function resolve(specifier, context, next) {
  const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
  if (hidden.has(pkg)) {
    const e = new Error("Cannot find package '" + pkg + "' imported from " + context.parentURL);
    e.code = 'ERR_MODULE_NOT_FOUND';
    throw e;
  }
  return next(specifier, context);
}`)}`,
);
