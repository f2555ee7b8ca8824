export const id = 616;
export const ids = [616];
export const modules = {

/***/ 616:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  RemoteWriteClient: () => (/* binding */ RemoteWriteClient)
});

// UNUSED EXPORTS: REMOTE_WRITE_HEADERS

// EXTERNAL MODULE: ./src/util/http.ts
var http = __webpack_require__(4098);
// EXTERNAL MODULE: ./src/delivery/sink.ts
var sink = __webpack_require__(7057);
// EXTERNAL MODULE: ./src/metrics/definitions.ts
var definitions = __webpack_require__(6511);
// EXTERNAL MODULE: ./src/model/stage-state.ts
var stage_state = __webpack_require__(3891);
// EXTERNAL MODULE: ./node_modules/protobufjs/light.js
var light = __webpack_require__(365);
var light_default = /*#__PURE__*/__webpack_require__.n(light);
// EXTERNAL MODULE: ./node_modules/snappyjs/index.js
var snappyjs = __webpack_require__(4528);
;// CONCATENATED MODULE: ./src/delivery/remote-write/wire.ts
/**
 * Prometheus remote write 1.0 on the wire: the `prometheus.WriteRequest`
 * protobuf (prompb/remote.proto and types.proto), Snappy block-compressed.
 * Encoding is protobufjs (reflection, no generated code) and snappyjs, both
 * pinned; nothing here is hand-rolled.
 * https://prometheus.io/docs/specs/prw/remote_write_spec/
 */


/** prompb MetricMetadata.MetricType. */
const METADATA_TYPE = { counter: 1, gauge: 2, histogram: 3 };
const root = light_default().Root.fromJSON({
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
function encodeWriteRequest(request) {
    const message = WriteRequestType.fromObject(request);
    return (0,snappyjs/* compress */.B)(WriteRequestType.encode(message).finish());
}
/**
 * The inverse of {@link encodeWriteRequest}. The action never decodes; it is here, beside the
 * encoder and its schema, so round-trip and fuzz tests check the real encoding.
 */
function decodeWriteRequest(body) {
    const message = WriteRequestType.decode(uncompress(body));
    const plain = WriteRequestType.toObject(message, { longs: Number, defaults: true, arrays: true });
    return { timeseries: plain.timeseries, metadata: plain.metadata };
}

;// CONCATENATED MODULE: ./src/delivery/remote-write/timeseries.ts
/**
 * What remote write sends and reads back, as pure functions: families of one
 * group become time series with the labels Prometheus would store after
 * scraping the Pushgateway (`job` and the grouping labels on every series),
 * and the backend's answer to the group's query becomes the same
 * {@link ExistingGroup} a Pushgateway read gives, so counters merge the same way.
 */




/**
 * How far back a sample may be timestamped. Receivers refuse samples older than
 * their head block allows (Prometheus: "out of bounds" past about an hour);
 * a deployment written later than this is written at now minus this.
 */
const MAX_SAMPLE_AGE_MS = 50 * 60 * 1000;
/**
 * How far back the group's last counter totals are looked up: 90 days, or 7
 * when the backend refuses that long a query (query-length limits). A group
 * quiet for longer starts its counters again from this deployment, which
 * `increase()` and `rate()` read as a counter reset.
 */
const TOTALS_LOOKBACK_DAYS = [90, 7];
function sortedLabels(labels) {
    return Object.keys(labels)
        .filter((name) => labels[name] !== '')
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((name) => ({ name, value: labels[name] }));
}
/**
 * One write request for a group's families. Every series once (a duplicate
 * keeps its last value), labels sorted by name, empty label values left out
 * (Prometheus treats them as absent), one sample each. A sample keeps its own
 * time (a stage's end) when it has one, else the group's write time; neither
 * goes further back than {@link MAX_SAMPLE_AGE_MS}.
 */
function toWriteRequest(key, families, times) {
    const oldest = times.now - MAX_SAMPLE_AGE_MS;
    const series = new Map();
    const metadata = [];
    for (const family of families) {
        if (family.samples.length === 0)
            continue;
        metadata.push({
            type: METADATA_TYPE[family.type],
            metricFamilyName: family.name,
            help: family.help,
            unit: '',
        });
        for (const sample of withStateZeros(family)) {
            const labels = { ...sample.labels };
            // The grouping key wins, as it does on the Pushgateway.
            for (const [name, value] of key)
                labels[name] = value;
            labels.__name__ = sample.name;
            const wireLabels = sortedLabels(labels);
            const id = wireLabels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(',');
            const timestamp = Math.round(Math.max(oldest, Math.min(sample.timestampMs ?? times.at, times.at)));
            series.set(id, { labels: wireLabels, samples: [{ value: sample.value, timestamp }] });
        }
    }
    return { timeseries: [...series.values()], metadata };
}
/**
 * `deployment_stage_state` is one series per stage on the Pushgateway (its
 * family is replaced whole). Remote-written series are never replaced: a
 * stage that went from running to success would keep its `running` series at
 * 1 until it goes stale. So each write also sets the stage's other states to
 * 0, and the latest sample of every state series is right.
 */
function withStateZeros(family) {
    if (family.name !== definitions/* METRICS */.Cb.stageState.name)
        return family.samples;
    const written = new Set(family.samples.map((s) => JSON.stringify(Object.entries(s.labels).sort())));
    const out = [...family.samples];
    for (const sample of family.samples) {
        if (sample.value !== 1)
            continue;
        for (const state of stage_state/* STAGE_STATES */.cP) {
            const labels = { ...sample.labels, state };
            const id = JSON.stringify(Object.entries(labels).sort());
            if (written.has(id))
                continue;
            written.add(id);
            out.push({ ...sample, labels, value: 0 });
        }
    }
    return out;
}
function promqlString(value) {
    // JSON string escapes are valid PromQL (Go) string escapes.
    return JSON.stringify(value);
}
/**
 * The query that reads back a group's counters, timestamps and marker: the
 * last value of each of its series that has no `deployment_id` (those are the
 * cumulative ones), over `days` days ({@link TOTALS_LOOKBACK_DAYS}).
 */
function groupTotalsQuery(key, rangeOnly = false, days = TOTALS_LOOKBACK_DAYS[0]) {
    const matchers = key.map(([name, value]) => `${name}=${promqlString(value)}`);
    const selector = `{${[...matchers, 'deployment_id=""'].join(',')}}[${days}d]`;
    return rangeOnly ? selector : `last_over_time(${selector})`;
}
/** The family a series belongs to: a table histogram's `_bucket`/`_sum`/`_count` are its family's. */
function familyOf(name) {
    const m = /^(.*)_(bucket|sum|count)$/.exec(name);
    if (m && (0,definitions/* metricByName */.tX)(m[1])?.type === 'histogram')
        return m[1];
    return name;
}
class QueryAnswerError extends Error {
}
/**
 * The group as the backend holds it, from an instant query's JSON answer
 * (a vector of last values, or a matrix whose last sample is used).
 * Throws {@link QueryAnswerError} when the answer is not a usable result, or
 * when series come back without their name (some engines drop it for
 * `last_over_time`; the caller then asks for the raw samples).
 */
function existingFromQuery(body) {
    const data = body?.data;
    if (body?.status !== 'success' || !data || !Array.isArray(data.result)) {
        throw new QueryAnswerError('the query API did not answer with a result');
    }
    const samples = new Map();
    for (const r of data.result) {
        const { __name__: name, ...labels } = r.metric ?? {};
        if (!name)
            throw new QueryAnswerError('the query API answered series without their metric name');
        const last = r.value ?? r.values?.[r.values.length - 1];
        if (!last)
            continue;
        const value = Number(last[1]);
        const family = familyOf(name);
        const list = samples.get(family) ?? [];
        list.push({ name, labels, value });
        samples.set(family, list);
    }
    return { samples, types: new Map() };
}

;// CONCATENATED MODULE: ./src/delivery/remote-write/writer.ts




/** The protocol's required headers (remote write 1.0). */
const REMOTE_WRITE_HEADERS = Object.freeze({
    'content-encoding': 'snappy',
    'content-type': 'application/x-protobuf',
    'x-prometheus-remote-write-version': '0.1.0',
});
/** The spec: retry 5xx and 429 (with backoff); any other 4xx is final. */
function worthRetrying(status) {
    return status >= 500 || status === 429;
}
const WRITE_TIMEOUT_MS = 5000;
const QUERY_TIMEOUT_MS = 5000;
class RemoteWriteClient {
    config;
    clock;
    fetchImpl;
    name = 'remote write';
    replacesGroups = false;
    carryPrefix = 'remote-write ';
    constructor(config, clock, fetchImpl = fetch) {
        this.config = config;
        this.clock = clock;
        this.fetchImpl = fetchImpl;
    }
    get target() {
        return this.config.url;
    }
    headers(extra) {
        return {
            'user-agent': 'deployment-observability-action',
            ...this.config.headers,
            ...(this.config.authorization ? { authorization: this.config.authorization } : {}),
            ...extra,
        };
    }
    /**
     * The group's counters, timestamps and marker as the backend last saw them.
     * Throws when no query API is known or it cannot answer: then counters are
     * not written (they would restart from this deployment's counts) but carried.
     */
    async readGroup(key, deadline) {
        const base = this.config.queryUrl;
        if (!base) {
            throw new Error(`no query API is known for ${this.config.url}, so the previous counter totals cannot be read; set remote-write-query-url`);
        }
        const what = `Reading the counter totals of {${(0,sink/* describeGroup */.N)(key)}} from ${base}`;
        /** A query the backend refused as such (400, 422: e.g. past its query-length limit). */
        class Refused extends Error {
        }
        const ask = async (query) => {
            const response = await (0,http/* request */.Em)({
                url: `${base}/api/v1/query`,
                method: 'POST',
                headers: this.headers({
                    accept: 'application/json',
                    'content-type': 'application/x-www-form-urlencoded',
                }),
                body: new URLSearchParams({ query }).toString(),
                deadline,
                timeoutMs: QUERY_TIMEOUT_MS,
                attempts: 3,
                what,
                retryOn: worthRetrying,
            }, this.clock, this.fetchImpl);
            if (response.status !== 200) {
                const message = `${what} failed: HTTP ${response.status} ${response.text.trim().slice(0, 300)}`;
                throw response.status === 400 || response.status === 422 ? new Refused(message) : new Error(message);
            }
            try {
                return JSON.parse(response.text);
            }
            catch {
                throw new Error(`${what} failed: the answer is not JSON`);
            }
        };
        const [longest, shorter] = TOTALS_LOOKBACK_DAYS;
        let answer;
        try {
            answer = await ask(groupTotalsQuery(key, false, longest));
        }
        catch (error) {
            if (!(error instanceof Refused))
                throw error;
            // A backend that limits how far a query reaches: look back less far.
            answer = await ask(groupTotalsQuery(key, false, shorter));
        }
        try {
            return existingFromQuery(answer);
        }
        catch (error) {
            if (!(error instanceof QueryAnswerError))
                throw error;
            // Engines that drop the metric name from last_over_time: read the raw samples instead.
            try {
                return existingFromQuery(await ask(groupTotalsQuery(key, true, shorter)));
            }
            catch (again) {
                if (again instanceof QueryAnswerError)
                    throw new Error(`${what} failed: ${again.message}`);
                throw again;
            }
        }
    }
    /** One snappy-compressed WriteRequest; retried only on 5xx/429 (the same bytes, so idempotent). */
    async write(key, families, deadline, options) {
        const body = encodeWriteRequest(toWriteRequest(key, families, { at: options.at, now: this.clock.now() }));
        const what = `Remote write of {${(0,sink/* describeGroup */.N)(key)}} to ${this.config.url}`;
        const response = await (0,http/* request */.Em)({
            url: this.config.url,
            method: 'POST',
            headers: this.headers({ ...REMOTE_WRITE_HEADERS }),
            body,
            deadline,
            timeoutMs: WRITE_TIMEOUT_MS,
            attempts: 3,
            what,
            retryOn: worthRetrying,
        }, this.clock, this.fetchImpl);
        if (response.status < 200 || response.status >= 300) {
            throw new Error(`${what} was refused: HTTP ${response.status} ${response.text.trim().slice(0, 300)} (not retried: the receiver refuses this data as sent)`);
        }
    }
}


/***/ })

};
