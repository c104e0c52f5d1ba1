/** A one-line progress bar on a terminal's stderr; silent when stderr is not a terminal. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): { update(label: string, done: number, total: number): void; end(): void } {
  let shown = false;
  return {
    update(label, done, total) {
      if (!stream.isTTY) return;
      const width = 30;
      const filled = total ? Math.round((done / total) * width) : 0;
      stream.write(`\r${label.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
      shown = true;
    },
    end() {
      if (shown) stream.write('\n');
    },
  };
}
