const dayInMs = 24 * 60 * 60 * 1000;

/** True when the last rotation, at `rotatedAt`, is at least `intervalDays` old. */
export function isIntervalElapsed(rotatedAt: Date, intervalDays: number, now: Date): boolean {
  return now.getTime() - rotatedAt.getTime() >= intervalDays * dayInMs;
}

/** The moment a rotation at `rotatedAt` with `intervalDays` makes the target due again. */
export function nextDueAt(rotatedAt: Date, intervalDays: number): Date {
  return new Date(rotatedAt.getTime() + intervalDays * dayInMs);
}

/**
 * When a freshly published URL stops being safe to hold: its key is regenerated two rotations
 * later, because alternation leaves it valid for one extra interval.
 */
export function publicationExpiresOn(rotatedAt: Date, intervalDays: number): Date {
  return new Date(rotatedAt.getTime() + 2 * intervalDays * dayInMs);
}
