/** The two access keys of a Logic Apps workflow; every callback URL is signed with one of them. */
export type KeyType = 'Primary' | 'Secondary';

export const keyTypes: readonly KeyType[] = ['Primary', 'Secondary'];

export function isKeyType(value: unknown): value is KeyType {
  return value === 'Primary' || value === 'Secondary';
}

export function otherKey(keyType: KeyType): KeyType {
  return keyType === 'Primary' ? 'Secondary' : 'Primary';
}
