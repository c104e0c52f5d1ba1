/**
 * Stores a value in a map used as a bounded cache: the key becomes the most recent, and the
 * least recently stored entry is dropped once the map holds more than `limit`.
 */
export function remember<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > limit) map.delete(map.keys().next().value as K);
}
