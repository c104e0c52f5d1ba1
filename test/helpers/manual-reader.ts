import { AggregationTemporality, MetricReader } from '@opentelemetry/sdk-metrics';

/** A metric reader that collects on demand: what the meter recorded so far, cumulatively. */
export class ManualReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}
