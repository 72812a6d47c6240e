/** The error `action` throws, checked to be a `type`; fails the test when `action` throws nothing. */
export function errorThrownBy<E>(type: abstract new (...args: never[]) => E, action: () => unknown): E {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected a ${type.name}`);
}
