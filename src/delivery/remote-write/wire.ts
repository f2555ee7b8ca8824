/**
 * Prometheus remote write 1.0 on the wire: the `prometheus.WriteRequest`
 * protobuf (prompb/remote.proto and types.proto), Snappy block-compressed.
 * Encoding is protobufjs (reflection, no generated code) and snappyjs, both
 * pinned; nothing here is hand-rolled.
 * https://prometheus.io/docs/specs/prw/remote_write_spec/
 */
import protobuf from 'protobufjs/light.js';
import { compress, uncompress } from 'snappyjs';

/** prompb MetricMetadata.MetricType. */
export const METADATA_TYPE = { counter: 1, gauge: 2, histogram: 3 } as const;

export interface WireLabel {
  readonly name: string;
  readonly value: string;
}

export interface WireSample {
  readonly value: number;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
}

export interface WireSeries {
  readonly labels: readonly WireLabel[];
  readonly samples: readonly WireSample[];
}

export interface WireMetadata {
  readonly type: number;
  readonly metricFamilyName: string;
  readonly help: string;
  readonly unit: string;
}

export interface WriteRequest {
  readonly timeseries: readonly WireSeries[];
  readonly metadata: readonly WireMetadata[];
}

const root = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: {
          fields: {
            timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 },
            metadata: { rule: 'repeated', type: 'MetricMetadata', id: 3 },
          },
          reserved: [[2, 2]],
        },
        TimeSeries: {
          fields: {
            labels: { rule: 'repeated', type: 'Label', id: 1 },
            samples: { rule: 'repeated', type: 'Sample', id: 2 },
          },
        },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
        MetricMetadata: {
          fields: {
            type: { type: 'int32', id: 1 },
            metricFamilyName: { type: 'string', id: 2 },
            help: { type: 'string', id: 4 },
            unit: { type: 'string', id: 5 },
          },
        },
      },
    },
  },
});

const WriteRequestType = root.lookupType('prometheus.WriteRequest');

/** The snappy-compressed protobuf body of a remote-write request. */
export function encodeWriteRequest(request: WriteRequest): Uint8Array {
  const message = WriteRequestType.fromObject(request);
  return compress(WriteRequestType.encode(message).finish());
}

/**
 * The inverse of {@link encodeWriteRequest}. The action never decodes; it is here, beside the
 * encoder and its schema, so round-trip and fuzz tests check the real encoding.
 */
export function decodeWriteRequest(body: Uint8Array): WriteRequest {
  const message = WriteRequestType.decode(uncompress(body));
  const plain = WriteRequestType.toObject(message, { longs: Number, defaults: true, arrays: true }) as {
    timeseries: { labels: WireLabel[]; samples: WireSample[] }[];
    metadata: WireMetadata[];
  };
  return { timeseries: plain.timeseries, metadata: plain.metadata };
}
