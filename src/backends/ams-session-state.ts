import type { EventJson } from '../codec/events.js';
import { isRecord, setOwn, type JsonValue } from '../codec/json.js';
import { splitState, type StateMap } from '../codec/state.js';
import type { WorkingMemory } from './ams-view.js';

/**
 * A session's own state on Agent Memory Server. It is not stored as one document: its initial
 * value is the creation record's (or the working memory's data, for a session another client
 * created), and every key set since travels in the events of each writer's journal, with each
 * writer's newest document keeping a running record of what its events set (`StateEntry`s).
 */

/** A session-state key as a writer's events last set it: the value, and the time of the event that set it. */
export interface StateEntry {
  value: JsonValue;
  at: number;
}

/**
 * A writer's state entries after these events, in the order it appends them (the same object when
 * they set no session key). Copies carried forward from documents about to expire (`copies`: true
 * for this writer's own) are not new settings: the writer's own were counted when it made them, and
 * another writer's count as that writer's would, by time.
 */
export function withStateOf(state: Record<string, StateEntry>, events: EventJson[], copies?: ReadonlyMap<EventJson, boolean>): Record<string, StateEntry> {
  let out = state;
  for (const e of events) {
    const ownCopy = copies?.get(e);
    if (ownCopy) continue;
    const actions = e.actions;
    const delta = isRecord(actions) && isRecord(actions.stateDelta) ? splitState(actions.stateDelta).session : {};
    const at = typeof e.timestamp === 'number' ? e.timestamp : 0;
    for (const [k, value] of Object.entries(delta)) {
      if (ownCopy === false && Object.hasOwn(out, k) && out[k]!.at > at) continue;
      if (out === state) out = { ...state };
      setOwn(out, k, { value: value as JsonValue, at });
    }
  }
  return out;
}

/**
 * The session state: the initial state, then every key at its last setting. As ADK's database
 * service applies each append's changes when it is made, a writer's settings count in the order it
 * appended them, whatever the events' times (its entries say so); across writers the latest by time
 * wins (a later writer first at equal times, as a merge of their events by time applies them).
 */
export function foldSessionState(initial: StateMap, writers: Record<string, StateEntry>[]): StateMap {
  const state: StateMap = { ...initial };
  const latest = new Map<string, StateEntry>();
  for (const settings of writers) {
    for (const [k, entry] of Object.entries(settings)) {
      const seen = latest.get(k);
      if (!seen || entry.at >= seen.at) latest.set(k, entry);
    }
  }
  for (const [k, entry] of latest) setOwn(state, k, entry.value);
  return state;
}

/** The state another client keeps in a working memory's `data` (everything but this package's marker and its exact numbers). */
export function foreignState(native: WorkingMemory | undefined): StateMap {
  if (!native || !isRecord(native.data)) return {};
  const { adk: _marker, adkExact: _exact, ...rest } = native.data;
  return rest;
}
