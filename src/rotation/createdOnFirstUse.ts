/**
 * `create(key)` once per key, on first use, then the same value: the routing gateways create an
 * adapter only when a target needs it, so an estate never loads the SDKs it does not use (cold start).
 */
export function createdOnFirstUse<K, V>(create: (key: K) => V): (key: K) => V {
  const created = new Map<K, V>();
  return (key) => {
    let value = created.get(key);
    if (value === undefined) {
      value = create(key);
      created.set(key, value);
    }
    return value;
  };
}
