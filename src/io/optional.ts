/**
 * Optional packages (issue 17, "optional weight stays optional"): what one command alone needs — the
 * Kubernetes client for `k8s scan`, testcontainers for `--provider container`, playwright-core for
 * PDF reports — is an optional peer dependency, not installed with the harness. Loaded when that
 * command runs; when missing, one line says what to install (exit 2: nothing ran).
 */
import { HarnessError } from '../core/errors.js';

/** The optional packages, the version the harness is tested with, and what needs each. */
export const OPTIONAL_PACKAGES = {
  '@kubernetes/client-node': { version: '1.4.0', neededBy: 'k8s scan' },
  testcontainers: { version: '11.14.0', neededBy: 'reference servers in containers (--provider container)' },
  'playwright-core': { version: '1.64.1', neededBy: 'PDF reports (--pdf)' },
} as const;
export type OptionalPackage = keyof typeof OPTIONAL_PACKAGES;

/** Whether `e` says the package itself could not be found (not a module inside it failing). */
function isMissing(e: unknown, name: string): boolean {
  const err = e as NodeJS.ErrnoException;
  return (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && new RegExp(`['"]${name.replace(/[/.]/g, '\\$&')}['"/]`).test(err.message);
}

/** The error for a missing optional package: what needs it and the command that installs it. */
export function missingPackage(name: OptionalPackage): HarnessError {
  const p = OPTIONAL_PACKAGES[name];
  return new HarnessError(
    'usage.missing-dependency',
    `${p.neededBy} needs the optional package ${name}, which is not installed: npm install ${name}@${p.version}`,
  );
}

/** Throws the missing-package error unless `name` resolves from here (checked before anything runs). */
export function requireInstalled(name: OptionalPackage): void {
  try {
    import.meta.resolve(name);
  } catch {
    throw missingPackage(name);
  }
}

/** `await import(name)` of an optional package, or a usage error saying how to install it. */
export async function importOptional<T>(name: OptionalPackage, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (isMissing(e, name)) throw missingPackage(name);
    throw e;
  }
}
