import { describe, expect, it } from 'vitest';
import { withStateOf } from '../../src/backends/ams-session-state.js';
import type { EventJson } from '../../src/codec/events.js';

const setting = (id: string, timestamp: number, step: number) => ({ id, timestamp, actions: { stateDelta: { step, 'user:u': step } } }) as unknown as EventJson;

describe("a journal writer's record of session state", () => {
  it('keeps settings in the order they were appended, whatever the events are dated', () => {
    const later = withStateOf({}, [setting('a', 5000, 1), setting('b', 1, 2)]);
    expect(later).toEqual({ step: { value: 2, at: 1 } });
  });

  it('does not let a copy carried forward from an expiring document undo a later setting', () => {
    const e3 = setting('e3', 3000, 3);
    const state = withStateOf(withStateOf({}, [e3]), [setting('e5', 5000, 5)]);
    // The writer's own copy: counted when it was made.
    expect(withStateOf(state, [e3], new Map([[e3, true]]))).toEqual({ step: { value: 5, at: 5000 } });
    // Another writer's copy counts as that writer's settings would, by time: older loses, newer wins.
    const theirs = setting('t', 4000, 4);
    expect(withStateOf(state, [theirs], new Map([[theirs, false]]))).toEqual({ step: { value: 5, at: 5000 } });
    const newer = setting('n', 6000, 6);
    expect(withStateOf(state, [newer], new Map([[newer, false]]))).toEqual({ step: { value: 6, at: 6000 } });
  });
});
