import { Registry } from 'prom-client';

/** The app's own prom-client registry: the consumer's metrics (the module's `metrics` option), served at /metrics. */
export const metricsRegistry = new Registry();
