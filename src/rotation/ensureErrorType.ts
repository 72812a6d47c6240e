/** Normalises anything thrown into an Error, so callers can rely on `.message` and `.name`. */
export function ensureErrorType(thrown: unknown): Error {
  if (thrown instanceof Error) {
    return thrown;
  }
  let message: string;
  try {
    message = typeof thrown === 'string' ? thrown : JSON.stringify(thrown) ?? String(thrown);
  } catch {
    message = String(thrown);
  }
  return new Error(message);
}
