import { setOwn } from './json.js';

/** ADK's state key prefixes: app-wide, user-wide, and never-persisted. */
export const APP_PREFIX = 'app:';
export const USER_PREFIX = 'user:';
export const TEMP_PREFIX = 'temp:';

export type StateMap = Record<string, unknown>;

export interface SplitState {
  app: StateMap;
  user: StateMap;
  session: StateMap;
}

/** Splits a state (or delta) into its scopes, prefixes removed; `temp:` keys are dropped. Every key is kept as an own property, `__proto__` too. */
export function splitState(state: StateMap | undefined): SplitState {
  const out: SplitState = { app: {}, user: {}, session: {} };
  for (const [key, value] of Object.entries(state ?? {})) {
    if (key.startsWith(TEMP_PREFIX)) continue;
    if (key.startsWith(APP_PREFIX)) setOwn(out.app, key.slice(APP_PREFIX.length), value);
    else if (key.startsWith(USER_PREFIX)) setOwn(out.user, key.slice(USER_PREFIX.length), value);
    else setOwn(out.session, key, value);
  }
  return out;
}

/** The merged view ADK expects: session keys plus prefixed app and user keys. */
export function mergeScopes(app: StateMap, user: StateMap, session: StateMap): StateMap {
  const merged: StateMap = { ...session };
  for (const [k, v] of Object.entries(app)) merged[APP_PREFIX + k] = v;
  for (const [k, v] of Object.entries(user)) merged[USER_PREFIX + k] = v;
  return merged;
}

export function isEmpty(state: StateMap): boolean {
  return Object.keys(state).length === 0;
}
