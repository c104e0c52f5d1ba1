/**
 * A one-way signal between a test and the transport it wraps: `reached` settles once `open` is
 * called. Tests hold a request at a chosen point, or learn that it got there, without timing it.
 */
export function latch(): { reached: Promise<void>; open: () => void } {
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (open = resolve));
  return { reached, open };
}
