/** A source of "now". Injected into PKI and expiry logic so tests can pin time. */
export type Clock = () => Date;

/** The real clock. */
export const systemClock: Clock = () => new Date();

/** A clock frozen at `at`. */
export function fixedClock(at: Date | string | number): Clock {
  const t = new Date(at).getTime();
  return () => new Date(t);
}

export const DAY_MS = 86_400_000;

/** Adds a (possibly negative, fractional) number of days to a date. */
export function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * DAY_MS);
}
