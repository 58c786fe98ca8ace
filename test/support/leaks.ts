import { inspect } from 'node:util';

/** Every text form an error can reach a log or a terminal in, the cause chain included. */
export function errorTexts(error: unknown): string[] {
  const texts: string[] = [
    String(error),
    JSON.stringify(error) ?? '',
    inspect(error, { depth: 10 }),
    inspect(error, { depth: 10, showHidden: true }),
  ];
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) texts.push(current.message, current.stack ?? '', String(current), JSON.stringify(current) ?? '');
    else texts.push(String(current));
    current = (current as { cause?: unknown }).cause;
  }
  return texts;
}

/** Fails naming the canary (never printing the whole text, which would itself leak in CI). */
export function expectNoLeak(error: unknown, canaries: readonly string[]): void {
  const texts = errorTexts(error);
  for (const canary of canaries) {
    const leaked = texts.findIndex((text) => text.includes(canary));
    if (leaked >= 0) throw new Error(`canary ${canary.slice(0, 12)}… leaked in error text #${leaked}`);
  }
}

export function captureError(promise: Promise<unknown> | (() => unknown)): Promise<unknown> {
  const run = typeof promise === 'function' ? Promise.resolve().then(promise) : promise;
  return run.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** The error `fn` throws, checked to be an instance of `type` (fails the test when nothing is thrown). */
export function thrownBy<E extends Error>(fn: () => unknown, type: abstract new (...args: never[]) => E): E {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected ${type.name} to be thrown`);
}
