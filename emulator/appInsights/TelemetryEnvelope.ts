/** One telemetry item as the ingestion endpoint receives it (the Breeze `TelemetryEnvelope`). */
export interface TelemetryEnvelope {
  readonly ver?: number;
  readonly name: string;
  readonly time: string;
  readonly sampleRate?: number;
  readonly seq?: string;
  readonly iKey: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly data?: {
    readonly baseType?: string;
    readonly baseData?: {
      readonly ver?: number;
      readonly name?: string;
      readonly properties?: Readonly<Record<string, string>>;
      readonly measurements?: Readonly<Record<string, number>>;
      readonly [field: string]: unknown;
    };
  };
}
