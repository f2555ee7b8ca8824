import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 7057:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   N: () => (/* binding */ describeGroup)
/* harmony export */ });
function describeGroup(key) {
    return key.map(([l, v]) => `${l}="${v}"`).join(',');
}


/***/ }),

/***/ 4790:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _hooks_pre_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3999);
/* harmony import */ var _hooks_runner_io_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(5664);


await (0,_hooks_pre_js__WEBPACK_IMPORTED_MODULE_0__/* .run */ .e)(_hooks_runner_io_js__WEBPACK_IMPORTED_MODULE_1__/* .runnerIO */ .$);
// Work a bounded call left behind (a timed-out request) must not stretch the step past its budget.
process.exit();

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 1438:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   u: () => (/* binding */ safeIO)
/* harmony export */ });
/* harmony import */ var _util_safe_text_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(4747);

function safeProperties(p) {
    return p?.title === undefined ? p : { ...p, title: (0,_util_safe_text_js__WEBPACK_IMPORTED_MODULE_0__/* .safeLogText */ .Ht)(p.title) };
}
/**
 * The edge every hook's text leaves through: log lines, annotations (message and title) and the
 * failure message pass `safeLogText` (one line, no workflow command, URLs redacted), outputs
 * `singleLine` (one line, no workflow command: a later `run:` that echoes an output must not print
 * a command either). Idempotent, so wrapping twice costs nothing but time.
 */
function safeIO(io) {
    return {
        getInput: (name) => io.getInput(name),
        getState: (name) => io.getState(name),
        saveState: (name, value) => io.saveState(name, value),
        setOutput: (name, value) => io.setOutput(name, (0,_util_safe_text_js__WEBPACK_IMPORTED_MODULE_0__/* .singleLine */ .pF)(value)),
        exportVariable: (name, value) => io.exportVariable(name, value),
        setSecret: (value) => io.setSecret(value),
        setFailed: (message) => io.setFailed((0,_util_safe_text_js__WEBPACK_IMPORTED_MODULE_0__/* .safeLogText */ .Ht)(message)),
        info: (message) => io.info((0,_util_safe_text_js__WEBPACK_IMPORTED_MODULE_0__/* .safeLogText */ .Ht)(message)),
        debug: (message) => io.debug((0,_util_safe_text_js__WEBPACK_IMPORTED_MODULE_0__/* .safeLogText */ .Ht)(message)),
        warning: (message, properties) => io.warning((0,_util_safe_text_js__WEBPACK_IMPORTED_MODULE_0__/* .safeLogText */ .Ht)(message), safeProperties(properties)),
        error: (message, properties) => io.error((0,_util_safe_text_js__WEBPACK_IMPORTED_MODULE_0__/* .safeLogText */ .Ht)(message), safeProperties(properties)),
        notice: (message, properties) => io.notice((0,_util_safe_text_js__WEBPACK_IMPORTED_MODULE_0__/* .safeLogText */ .Ht)(message), safeProperties(properties)),
        appendSummary: (markdown) => io.appendSummary(markdown),
    };
}


/***/ }),

/***/ 3999:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  e: () => (/* binding */ run)
});

// UNUSED EXPORTS: preHook

;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
// EXTERNAL MODULE: ./src/model/infer.ts
var infer = __nccwpck_require__(9033);
// EXTERNAL MODULE: ./src/model/stage-map.ts + 2 modules
var stage_map = __nccwpck_require__(2239);
// EXTERNAL MODULE: ./src/util/safe-text.ts
var safe_text = __nccwpck_require__(4747);
;// CONCATENATED MODULE: ./src/config/constants.ts
/**
 * Names the action shares with the runner: inputs, outputs, saved state and environment. Every
 * input and output of action.yml is here and nothing else (__tests__/unit/input-defaults.test.ts).
 */
const Inputs = {
    Mode: 'mode',
    GitHubToken: 'github-token',
    Environment: 'environment',
    Service: 'service',
    Stages: 'stages',
    Thresholds: 'thresholds',
    PushgatewayUrl: 'pushgateway-url',
    PushgatewayAuth: 'pushgateway-auth',
    PushgatewayJob: 'pushgateway-job',
    RemoteWriteUrl: 'remote-write-url',
    RemoteWriteAuth: 'remote-write-auth',
    RemoteWriteHeaders: 'remote-write-headers',
    RemoteWriteQueryUrl: 'remote-write-query-url',
    MetricsFile: 'metrics-file',
    JobStatus: 'job-status',
    CheckRunId: 'check-run-id',
    Summary: 'summary',
    Annotations: 'annotations',
    FailOnError: 'fail-on-error',
    Live: 'live',
    LiveIntervalSeconds: 'live-interval-seconds',
    // Summary mode
    RunId: 'run-id',
    History: 'history',
    HistoryDays: 'history-days',
    SloSuccessRate: 'slo-success-rate',
    SloTtdP95Seconds: 'slo-ttd-p95-seconds',
    // Verify mode
    HealthUrls: 'health-urls',
    PrometheusUrl: 'prometheus-url',
    ErrorRateQuery: 'error-rate-query',
    VerifyWindowSeconds: 'verify-window-seconds',
    FailOnUnhealthy: 'fail-on-unhealthy',
    DeploymentId: 'deployment-id',
};
/** Every output of action.yml. */
const Outputs = {
    DeploymentId: 'deployment-id',
    Status: 'status',
    FailedStage: 'failed-stage',
    ErrorType: 'error-type',
    DurationSeconds: 'duration-seconds',
    MetricsFile: 'metrics-file',
    StagesJson: 'stages-json',
    // Verify mode
    Healthy: 'healthy',
    RollbackRecommended: 'rollback-recommended',
};
/** Saved with core.saveState in pre/main, read back as STATE_<name> by the same instance's post. */
const State = {
    Role: 'role',
    StartedAt: 'started-at',
    DeploymentId: 'deployment-id',
    Service: 'service',
    /** The file steps report to (`DEPLOY_METRICS_FILE`), not the `metrics-file` the action writes. */
    ReportFile: 'report-file',
    /** The live reporter's pid, its bundle and its status file (post stops it and reads what it did). */
    LivePid: 'live-pid',
    LiveScript: 'live-script',
    LiveStatusFile: 'live-status-file',
    /** Pre saw another deployment of the group in progress: post checks its writes against it. */
    ConcurrentSeen: 'concurrent-seen',
};
/** Environment the action exports to later steps of the job (GITHUB_ENV). */
const ExportedEnv = {
    /** The file steps report their own metrics to; the action writes its own to `metrics-file`. */
    ReportFile: 'DEPLOY_METRICS_FILE',
    DeploymentId: 'DEPLOYMENT_ID',
    /**
     * Set by the first track instance of a job: later instances see it and stay
     * passive, so exactly one instance (the first one in the job, whose post runs
     * last) does the post work.
     */
    Owner: 'DEPLOYMENT_OBSERVABILITY_OWNER',
};
/** Where counts of a failed push wait for the next push (self-hosted runners, tests). */
const constants_STATE_DIR_ENV = 'DEPLOYMENT_OBSERVABILITY_STATE_DIR';
const TRACK_ROLE_OWNER = 'owner';
const TRACK_ROLE_PASSIVE = 'passive';

;// CONCATENATED MODULE: ./src/config/parse.ts
/**
 * The parsers every mode's reader shares: a bad value falls back to its default with a problem
 * that names the input and quotes the value (one line, bounded).
 */

const TRUE = ['true', 'yes', '1', 'on'];
const FALSE = ['false', 'no', '0', 'off'];
/** `true`/`yes`/`1`/`on` or `false`/`no`/`0`/`off`, any case; empty: the fallback. */
function parseBoolean(value, name, fallback, problems) {
    const v = value.trim().toLowerCase();
    if (v === '')
        return fallback;
    if (TRUE.includes(v))
        return true;
    if (FALSE.includes(v))
        return false;
    problems.push(`input ${name}: ${(0,safe_text/* quoteInput */.Zs)(value)} is not true or false; using ${fallback}`);
    return fallback;
}
/** A number `valid` accepts; empty: the fallback; anything else: the fallback and a problem saying what was `expected`. */
function parseNumber(value, name, fallback, valid, expected, problems) {
    const raw = value.trim();
    if (raw === '')
        return fallback;
    const n = Number(raw);
    if (Number.isFinite(n) && valid(n))
        return n;
    problems.push(`input ${name}: ${(0,safe_text/* quoteInput */.Zs)(raw)} is not ${expected}; using ${fallback}`);
    return fallback;
}
/**
 * A number of seconds: `30`, `30s`, `30 s`, `7.5`; empty: the fallback. Not a number (`ten`, `-5`,
 * `1e3`): the fallback. Out of range: the rule says which. Each fallback is a problem naming the input.
 */
function parseSeconds(value, name, rule, problems) {
    const text = value.trim();
    if (text === '')
        return rule.fallback;
    const match = /^(\d+(?:\.\d+)?)\s*s?$/.exec(text);
    if (!match) {
        problems.push(`input ${name}: ${(0,safe_text/* quoteInput */.Zs)(value)} is not a number of seconds; using ${rule.fallback}`);
        return rule.fallback;
    }
    const seconds = Number(match[1]);
    const max = rule.max ?? Infinity;
    if (seconds >= rule.min && seconds <= max)
        return seconds;
    const used = rule.outOfRange === 'fallback' ? rule.fallback : Math.min(max, Math.max(rule.min, seconds));
    const range = rule.max === undefined
        ? `below the minimum of ${rule.min} seconds`
        : `outside ${rule.min}–${rule.max} seconds`;
    problems.push(`input ${name}: ${seconds} is ${range}; using ${used}`);
    return used;
}

;// CONCATENATED MODULE: ./src/config/summary-inputs.ts
/**
 * Summary mode's own inputs (action.yml): read once into a frozen, typed
 * object built as one literal. A bad value falls back to its default with a
 * problem that names the input (the value quoted on one line, bounded, URLs redacted). Never throws.
 *
 * The inputs summary mode shares with track mode are read once for every mode by `readConfig`
 * (`inputs.ts`): `stages` (the stage map that names the failed stage as track mode names it,
 * `Config.stageRules`), `thresholds` (`total`: a slow job), `environment`, the sinks.
 */



const SUMMARY_DEFAULTS = Object.freeze({
    runId: '',
    history: true,
    historyDays: 90,
    sloSuccessRate: 0.995,
    sloTtdP95Seconds: 720,
});
/** The longest history kept: the Actions cache evicts after 7 days unused anyway, the API lists 400 days. */
const MAX_HISTORY_DAYS = 400;
/** Reads the summary inputs; `fallbackRunId` is GITHUB_RUN_ID. */
function readSummaryInputs(read, fallbackRunId) {
    const problems = [];
    const rawRunId = read(Inputs.RunId).trim();
    let runId = rawRunId || fallbackRunId;
    if (runId !== '' && !/^\d+$/.test(runId)) {
        problems.push(`input ${Inputs.RunId}: ${(0,safe_text/* quoteInput */.Zs)(rawRunId)} is not a workflow run id; using the current run ${fallbackRunId || '(none)'}`);
        runId = fallbackRunId;
    }
    const history = parseBoolean(read(Inputs.History), Inputs.History, SUMMARY_DEFAULTS.history, problems);
    const inputs = Object.freeze({
        runId,
        history,
        historyDays: parseNumber(read(Inputs.HistoryDays), Inputs.HistoryDays, SUMMARY_DEFAULTS.historyDays, (n) => Number.isInteger(n) && n >= 1 && n <= MAX_HISTORY_DAYS, `a whole number of days from 1 to ${MAX_HISTORY_DAYS}`, problems),
        sloSuccessRate: parseNumber(read(Inputs.SloSuccessRate), Inputs.SloSuccessRate, SUMMARY_DEFAULTS.sloSuccessRate, (n) => n > 0 && n < 1, 'a ratio between 0 and 1 (e.g. 0.995)', problems),
        sloTtdP95Seconds: parseNumber(read(Inputs.SloTtdP95Seconds), Inputs.SloTtdP95Seconds, SUMMARY_DEFAULTS.sloTtdP95Seconds, (n) => n > 0, 'a positive number of seconds', problems),
    });
    return { inputs, problems };
}

;// CONCATENATED MODULE: ./src/config/urls.ts
/**
 * The one parser for URL inputs that may hold credentials (`pushgateway-url`, `remote-write-url`,
 * `remote-write-query-url`, `health-urls`, `prometheus-url`). Never throws.
 *
 * - Credentials in the URL (`https://user:pass@host`) are moved out: fetch refuses such URLs with an
 *   error that prints the password (docs/platform.md, "Network and rendering"), so the caller sends
 *   them in an Authorization header.
 * - What may be secret is returned for masking before anything is printed: the password (decoded and
 *   as written), the Basic header's base64, and the values of query parameters whose name says
 *   secret (`?api_key=…`, `?token=…`). Even a URL that does not parse has its userinfo masked.
 * - A message about the URL only ever shows it redacted (`util/safe-text.ts` `redactUrl`).
 * - Percent-escapes that do not decode (`http://u:p%zz@host`) are kept as written, not thrown.
 */

/**
 * Values shorter than this are not registered as masks: the runner would replace every occurrence
 * of, say, `ab` in the whole log. The action never prints them anyway (messages redact userinfo and
 * query strings). One rule for every input.
 */
const MIN_MASK_LENGTH = 4;
/** Header or query parameter names whose value is a credential. */
const SECRET_NAME = /auth|token|key|secret|passw|pwd|cookie|sig|credential|session/i;
/** decodeURIComponent that keeps the text as written when an escape does not decode. */
function safeDecode(text) {
    try {
        return decodeURIComponent(text);
    }
    catch {
        return text;
    }
}
/** Keeps the values long enough to mask, each once. */
function maskable(values) {
    const out = [];
    for (const v of values)
        if (v.length >= MIN_MASK_LENGTH && !out.includes(v))
            out.push(v);
    return out;
}
/** The userinfo of something that looks like a URL but may not parse: between `//` and the last `@`. */
function rawUserinfo(raw) {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(raw)?.[0] ?? '';
    const rest = raw.slice(scheme.length);
    const at = rest.lastIndexOf('@');
    return at > 0 ? rest.slice(0, at) : undefined;
}
function passwordSecrets(user, password) {
    const decodedUser = safeDecode(user);
    const decoded = safeDecode(password);
    const out = [decoded, password];
    if (user !== '' || password !== '')
        out.push(Buffer.from(`${decodedUser}:${decoded}`).toString('base64'));
    return out;
}
function querySecrets(url) {
    const out = [];
    for (const [name, value] of url.searchParams) {
        if (!SECRET_NAME.test(name))
            continue;
        out.push(value, encodeURIComponent(value));
    }
    // The raw, still-encoded form as written in the URL.
    for (const pair of url.search.replace(/^\?/, '').split('&')) {
        const eq = pair.indexOf('=');
        if (eq > 0 && SECRET_NAME.test(safeDecode(pair.slice(0, eq))))
            out.push(pair.slice(eq + 1));
    }
    return out;
}
/** How a parsed URL is shown: origin and path (no lone `/`), redacted (`?…` for a query string). */
function displayUrl(url) {
    return (0,safe_text/* redactUrl */.BO)(`${url.origin}${url.pathname === '/' ? '' : url.pathname}${url.search}${url.hash}`);
}
/** What looks like a password in text that is not an http(s) URL: masked all the same. */
function looseSecrets(text) {
    const userinfo = rawUserinfo(text);
    if (userinfo === undefined)
        return [];
    const colon = userinfo.indexOf(':');
    return colon >= 0
        ? passwordSecrets(userinfo.slice(0, colon), userinfo.slice(colon + 1))
        : [userinfo, safeDecode(userinfo)];
}
/** Parses an http(s) URL input; credentials moved out and returned as secrets. Never throws. */
function parseCredentialUrl(raw) {
    const text = raw.trim();
    let url;
    try {
        url = new URL(text);
    }
    catch {
        // Not a URL: still mask what looks like a password in it, and never quote it whole.
        return {
            ok: false,
            problem: `${(0,safe_text/* quoteInput */.Zs)((0,safe_text/* redactUrl */.BO)(text))} is not a URL`,
            secrets: maskable(looseSecrets(text)),
        };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        return {
            ok: false,
            problem: `${(0,safe_text/* quoteInput */.Zs)((0,safe_text/* redactUrl */.BO)(text))} is not an http or https URL`,
            secrets: maskable([...looseSecrets(text), ...passwordSecrets(url.username, url.password)]),
        };
    }
    const secrets = [];
    let credentials;
    if (url.username || url.password) {
        secrets.push(...passwordSecrets(url.username, url.password));
        credentials = `${safeDecode(url.username)}:${safeDecode(url.password)}`;
        url.username = '';
        url.password = '';
    }
    secrets.push(...querySecrets(url));
    // `http://u:/pass@host` parses with host `u` and the password in the path: masked all the same.
    const beforeQuery = text.split(/[?#]/)[0];
    if (!credentials && beforeQuery.includes('@'))
        secrets.push(...looseSecrets(beforeQuery));
    return { ok: true, value: { url, credentials, display: displayUrl(url) }, secrets: maskable(secrets) };
}

;// CONCATENATED MODULE: ./src/config/verify-inputs.ts
/**
 * Verify mode's inputs, read into one frozen, typed object built as a single
 * literal. Every problem names its input (and, for health-urls, the line); a
 * bad entry is skipped or falls back to its default, nothing else is lost.
 * Credentials written into a URL are moved to an Authorization header and
 * returned as secrets to mask.
 */




const DEFAULT_WINDOW_SECONDS = 300;
const MIN_WINDOW_SECONDS = 10;
/** GitHub ends a job after 6 hours; an hour of watching is plenty. */
const MAX_WINDOW_SECONDS = 3600;
const MAX_HEALTH_URLS = 10;
/** An http(s) URL with its credentials moved out (the shared parser); a string saying what is wrong otherwise. */
function parseHttpUrl(raw, secrets) {
    const parsed = parseCredentialUrl(raw);
    secrets.push(...parsed.secrets);
    if (!parsed.ok)
        return parsed.problem;
    const { url, credentials, display } = parsed.value;
    const authorization = credentials === undefined ? undefined : `Basic ${Buffer.from(credentials).toString('base64')}`;
    return { url: url.toString(), display, authorization };
}
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
function parseTargets(text, problems, secrets) {
    const targets = [];
    const lines = text.split(/\r?\n/);
    lines.forEach((line, index) => {
        const entry = line.trim();
        if (entry === '' || entry.startsWith('#'))
            return;
        const where = `input ${Inputs.HealthUrls} line ${index + 1}`;
        // `name=url`: the part before the first `=` is a name only if it looks like one (a URL's query has `=` too).
        const eq = entry.indexOf('=');
        const maybeName = eq > 0 ? entry.slice(0, eq).trim() : '';
        const named = maybeName !== '' && NAME.test(maybeName);
        const rawUrl = named ? entry.slice(eq + 1).trim() : entry;
        const parsed = parseHttpUrl(rawUrl, secrets);
        if (typeof parsed === 'string') {
            problems.push(`${where}: ${parsed}; line skipped`);
            return;
        }
        if (targets.length >= MAX_HEALTH_URLS) {
            problems.push(`${where}: more than ${MAX_HEALTH_URLS} URLs; line skipped`);
            return;
        }
        let name = named ? maybeName : parsed.display.replace(/^https?:\/\//, '');
        if (targets.some((t) => t.name === name)) {
            const unique = `${name}#${targets.length + 1}`;
            problems.push(`${where}: the name "${name}" is used twice; this one is called "${unique}"`);
            name = unique;
        }
        targets.push(Object.freeze({ name, ...parsed }));
    });
    return targets;
}
/** At most this long: a run id with its attempt is ~15 characters. */
const MAX_DEPLOYMENT_ID = 128;
function parseDeploymentId(raw, problems) {
    const text = raw.trim();
    if (text === '')
        return undefined;
    if (text.length > MAX_DEPLOYMENT_ID ||
        [...text].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127)) {
        problems.push(`input ${Inputs.DeploymentId}: ${(0,safe_text/* quoteInput */.Zs)(raw)} is not a deployment id (one line of at most ${MAX_DEPLOYMENT_ID} characters); using the latest deployment track mode recorded`);
        return undefined;
    }
    return text;
}
/** Reads verify mode's inputs. Never throws. */
function readVerifyConfig(read) {
    const problems = [];
    const secrets = [];
    const targets = parseTargets(read(Inputs.HealthUrls), problems, secrets);
    let prometheus;
    const promRaw = read(Inputs.PrometheusUrl).trim();
    if (promRaw !== '') {
        const parsed = parseHttpUrl(promRaw, secrets);
        if (typeof parsed === 'string')
            problems.push(`input ${Inputs.PrometheusUrl}: ${parsed}; the error rate is not checked`);
        else
            prometheus = Object.freeze({
                url: parsed.url.replace(/\/+$/, ''),
                authorization: parsed.authorization,
            });
    }
    let errorRateQuery = read(Inputs.ErrorRateQuery).trim() || undefined;
    if (errorRateQuery && !promRaw) {
        problems.push(`input ${Inputs.ErrorRateQuery} is set but ${Inputs.PrometheusUrl} is empty; the error rate is not checked`);
    }
    if (promRaw && !errorRateQuery) {
        problems.push(`input ${Inputs.PrometheusUrl} is set but ${Inputs.ErrorRateQuery} is empty; the error rate is not checked`);
    }
    if (!prometheus)
        errorRateQuery = undefined;
    const config = Object.freeze({
        targets: Object.freeze(targets),
        prometheus: errorRateQuery ? prometheus : undefined,
        errorRateQuery,
        windowSeconds: parseSeconds(read(Inputs.VerifyWindowSeconds), Inputs.VerifyWindowSeconds, {
            fallback: DEFAULT_WINDOW_SECONDS,
            min: MIN_WINDOW_SECONDS,
            max: MAX_WINDOW_SECONDS,
            outOfRange: 'clamp',
        }, problems),
        failOnUnhealthy: parseBoolean(read(Inputs.FailOnUnhealthy), Inputs.FailOnUnhealthy, false, problems),
        deploymentId: parseDeploymentId(read(Inputs.DeploymentId), problems),
    });
    return { config, problems, secrets: maskable(secrets) };
}

;// CONCATENATED MODULE: ./src/config/inputs.ts
/**
 * The one place that reads inputs and the runner's environment. Returns one
 * frozen, typed config built as a single literal, plus problems that each
 * name the input; a bad input falls back to its default and nothing else is
 * lost (the hook turns problems into warnings).
 */









const MODES = ['track', 'summary', 'verify'];
/** What an unknown `mode` is told: the input, its value and the valid ones; nothing is done. */
function unknownModeProblem(value) {
    return `input ${Inputs.Mode}: ${(0,safe_text/* quoteInput */.Zs)(value.trim(), 40)} is not one of ${MODES.join(', ')}; the action does nothing in this step`;
}
const DEFAULT_THRESHOLDS = Object.freeze({
    build: 120,
    push: 60,
    deploy_railway: 180,
    health_check: 30,
    migration: 60,
    deploy_vercel: 180,
    smoke_test: 90,
    total: 900,
});
/** The live reporter looks at the job at most this often: GitHub's API lags the runner by seconds anyway. */
const MIN_LIVE_INTERVAL_SECONDS = 5;
const DEFAULT_LIVE_INTERVAL_SECONDS = 10;
/** `live-interval-seconds`: a number of seconds, at least the minimum; anything else falls back to the default. */
function parseLiveInterval(value, problems) {
    return parseSeconds(value, Inputs.LiveIntervalSeconds, { fallback: DEFAULT_LIVE_INTERVAL_SECONDS, min: MIN_LIVE_INTERVAL_SECONDS, outOfRange: 'fallback' }, problems);
}
/** `stage=seconds` entries separated by spaces, commas or new lines. */
function parseThresholds(text, problems, inputName = Inputs.Thresholds) {
    const thresholds = { ...DEFAULT_THRESHOLDS };
    for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
        const match = /^([a-zA-Z_][a-zA-Z0-9_]*)=(\d+(?:\.\d+)?)s?$/.exec(entry);
        if (!match) {
            problems.push(`input ${inputName}: ${(0,safe_text/* quoteInput */.Zs)(entry)} is not stage=seconds; entry skipped`);
            continue;
        }
        thresholds[match[1]] = Number(match[2]);
    }
    return Object.freeze(thresholds);
}
function parsePushgateway(read, problems, secrets) {
    const raw = read(Inputs.PushgatewayUrl).trim();
    if (raw === '')
        return undefined;
    const parsed = httpUrl(raw, Inputs.PushgatewayUrl, problems, secrets, 'nothing will be pushed');
    if (!parsed)
        return undefined;
    let auth = read(Inputs.PushgatewayAuth);
    if (parsed.credentials !== undefined) {
        // fetch refuses URLs with credentials (and would print them in its error): move them to a header.
        if (auth.trim() === '')
            auth = parsed.credentials;
        problems.push(`input ${Inputs.PushgatewayUrl}: credentials in the URL were moved to an Authorization header; put them in ${Inputs.PushgatewayAuth} (a secret) instead`);
    }
    const job = read(Inputs.PushgatewayJob).trim() || 'deployment';
    return Object.freeze({
        url: parsed.url.toString().replace(/\/+$/, ''),
        authorization: authorization(auth),
        job,
    });
}
/** Header names remote write sets itself (the protocol's, and what fetch owns). */
const RESERVED_HEADERS = new Set([
    'content-encoding',
    'content-type',
    'content-length',
    'x-prometheus-remote-write-version',
    'host',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** `remote-write-headers`: one `Name: value` a line; `#` lines and blank lines are skipped. */
function parseHeaders(text, input, problems, secrets) {
    const headers = {};
    text.split(/\r?\n/).forEach((raw, index) => {
        const line = raw.trim();
        if (line === '' || line.startsWith('#'))
            return;
        const colon = line.indexOf(':');
        const name = colon > 0 ? line.slice(0, colon).trim() : '';
        const value = colon > 0 ? line.slice(colon + 1).trim() : '';
        if (!HEADER_NAME.test(name) || value === '' || /[\0\r\n]/.test(value)) {
            problems.push(`input ${input}, line ${index + 1}: expected "Name: value"; the line is ignored`);
            return;
        }
        const lower = name.toLowerCase();
        if (RESERVED_HEADERS.has(lower)) {
            problems.push(`input ${input}, line ${index + 1}: ${name} is set by the remote-write protocol and cannot be changed; the line is ignored`);
            return;
        }
        if (SECRET_NAME.test(lower))
            secrets.push(value.replace(/^(Bearer|Basic)\s+/i, ''), value);
        headers[lower] = value;
    });
    return headers;
}
/**
 * The query API that holds what remote write wrote, for the well-known write
 * paths: Prometheus and VictoriaMetrics (`/api/v1/write`) answer queries on the
 * same base, Mimir and Cortex (`/api/v1/push`) under `/prometheus`, Grafana
 * Cloud and older Cortex (`/api/prom/push`) under `/api/prom`. Thanos Receive
 * and VictoriaMetrics cluster (vminsert) have no query API of their own.
 */
function deriveQueryUrl(writeUrl) {
    const url = new URL(writeUrl);
    const path = url.pathname.replace(/\/+$/, '');
    const base = (suffix, add) => {
        url.pathname = path.slice(0, path.length - suffix.length) + add;
        url.search = '';
        return url.toString().replace(/\/+$/, '');
    };
    if (path.startsWith('/insert/'))
        return undefined;
    if (path.endsWith('/api/v1/write'))
        return base('/api/v1/write', '');
    if (path.endsWith('/api/prom/push'))
        return base('/api/prom/push', '/api/prom');
    if (path.endsWith('/api/v1/push'))
        return base('/api/v1/push', '/prometheus');
    return undefined;
}
/** An http(s) URL input through the shared parser: its secrets kept for masking, a problem otherwise. */
function httpUrl(raw, input, problems, secrets, consequence) {
    const parsed = parseCredentialUrl(raw);
    secrets.push(...parsed.secrets);
    if (!parsed.ok) {
        problems.push(`input ${input}: ${parsed.problem}; ${consequence}`);
        return undefined;
    }
    return parsed.value;
}
function parseRemoteWrite(read, problems, secrets) {
    const raw = read(Inputs.RemoteWriteUrl).trim();
    if (raw === '')
        return undefined;
    const parsed = httpUrl(raw, Inputs.RemoteWriteUrl, problems, secrets, 'nothing will be remote-written');
    if (!parsed)
        return undefined;
    let auth = read(Inputs.RemoteWriteAuth);
    if (parsed.credentials !== undefined) {
        if (auth.trim() === '')
            auth = parsed.credentials;
        problems.push(`input ${Inputs.RemoteWriteUrl}: credentials in the URL were moved to an Authorization header; put them in ${Inputs.RemoteWriteAuth} (a secret) instead`);
    }
    const url = parsed.url.toString();
    const headers = parseHeaders(read(Inputs.RemoteWriteHeaders), Inputs.RemoteWriteHeaders, problems, secrets);
    const queryRaw = read(Inputs.RemoteWriteQueryUrl).trim();
    let queryUrl;
    if (queryRaw !== '') {
        const q = httpUrl(queryRaw, Inputs.RemoteWriteQueryUrl, problems, secrets, 'counter totals cannot be read, so counters are carried instead of written');
        if (q)
            queryUrl = q.url
                .toString()
                .replace(/\/+$/, '')
                .replace(/\/api\/v1\/query$/, '');
    }
    else {
        queryUrl = deriveQueryUrl(url);
        if (!queryUrl)
            problems.push(`input ${Inputs.RemoteWriteQueryUrl}: cannot tell where ${(0,safe_text/* redactUrl */.BO)(url)} is queried (e.g. Thanos Receive is queried through Thanos Query); set it, or counters are carried instead of written`);
    }
    return Object.freeze({
        url,
        authorization: authorization(auth),
        headers: Object.freeze(headers),
        queryUrl,
    });
}
function authorization(auth) {
    const value = auth.trim();
    if (value === '')
        return undefined;
    if (/^bearer\s+/i.test(value))
        return `Bearer ${value.replace(/^bearer\s+/i, '')}`;
    if (/^basic\s+/i.test(value))
        return value;
    if (value.includes(':'))
        return `Basic ${Buffer.from(value).toString('base64')}`;
    return `Bearer ${value}`;
}
/** Credentials in a proxy URL of the environment (`http://user:pass@proxy:3128`): masked like an input's. */
function proxySecrets(env) {
    const out = [];
    for (const name of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']) {
        const raw = env[name]?.trim();
        if (raw)
            out.push(...parseCredentialUrl(raw).secrets);
    }
    return out;
}
function secretsOf(read) {
    const secrets = [];
    const token = read(Inputs.GitHubToken).trim();
    if (token)
        secrets.push(token);
    for (const name of [Inputs.PushgatewayAuth, Inputs.RemoteWriteAuth]) {
        const auth = read(name).trim();
        if (!auth)
            continue;
        secrets.push(auth);
        const header = authorization(auth);
        if (header)
            secrets.push(header.replace(/^(Bearer|Basic)\s+/i, ''));
        if (!/^bearer\s+/i.test(auth) && auth.includes(':'))
            secrets.push(auth.slice(auth.indexOf(':') + 1));
    }
    return maskable(secrets);
}
/** Reads the runner's environment. */
function readRunnerContext(env) {
    const attempt = Number(env.GITHUB_RUN_ATTEMPT ?? '1');
    return Object.freeze({
        repository: env.GITHUB_REPOSITORY ?? '',
        runId: env.GITHUB_RUN_ID ?? '',
        runAttempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
        jobId: env.GITHUB_JOB ?? '',
        workflow: env.GITHUB_WORKFLOW ?? '',
        refName: env.GITHUB_REF_NAME ?? '',
        eventName: env.GITHUB_EVENT_NAME ?? '',
        apiUrl: (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
        serverUrl: (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, ''),
        runnerName: env.RUNNER_NAME ?? '',
        runnerTemp: env.RUNNER_TEMP ?? '',
        actionRepository: env.GITHUB_ACTION_REPOSITORY ?? '',
        actionRef: env.GITHUB_ACTION_REF ?? '',
    });
}
/**
 * The `service` input's default: the one service the stage map's rules name, when they all name the
 * same one (rules naming only a stage do not count), so a deployment is one group; else the service
 * the job id suggests (`api`, `web`, `database`); else the job id.
 */
function defaultService(rules, jobId) {
    const named = new Set(rules.map((r) => r.service).filter((s) => s !== undefined));
    if (named.size === 1)
        return [...named][0];
    return (0,infer/* inferServiceFromName */.Dl)(jobId) || jobId || 'deployment';
}
/** Reads every input into one frozen config. Never throws. */
function readConfig(read, env) {
    const problems = [];
    const runner = readRunnerContext(env);
    const modeRaw = read(Inputs.Mode).trim().toLowerCase() || 'track';
    let mode;
    if (MODES.includes(modeRaw))
        mode = modeRaw;
    else
        problems.push(unknownModeProblem(read(Inputs.Mode)));
    const serviceInput = read(Inputs.Service).trim();
    const { rules, problems: mapProblems } = (0,stage_map/* parseStageMap */.m)(read(Inputs.Stages), Inputs.Stages);
    problems.push(...mapProblems);
    const checkRunRaw = read(Inputs.CheckRunId).trim();
    let checkRunId;
    if (checkRunRaw !== '') {
        if (/^\d+$/.test(checkRunRaw) && Number.isSafeInteger(Number(checkRunRaw)))
            checkRunId = Number(checkRunRaw);
        else
            problems.push(`input ${Inputs.CheckRunId}: ${(0,safe_text/* quoteInput */.Zs)(checkRunRaw)} is not a job id; looking the job up instead`);
    }
    const secrets = [...secretsOf(read), ...proxySecrets(env)];
    const pushgateway = parsePushgateway(read, problems, secrets);
    const remoteWrite = parseRemoteWrite(read, problems, secrets);
    const metricsFileInput = read(Inputs.MetricsFile).trim();
    // A relative path is the workspace's, where the runner starts the action: fixed here, because
    // the Actions cache calls move the process's current directory for a while (persistence/).
    const metricsFile = metricsFileInput === ''
        ? `${runner.runnerTemp || (env.TMPDIR ?? '/tmp')}/deployment-metrics.prom`
        : (0,external_node_path_namespaceObject.isAbsolute)(metricsFileInput) || !env.GITHUB_WORKSPACE
            ? metricsFileInput
            : (0,external_node_path_namespaceObject.join)(env.GITHUB_WORKSPACE, metricsFileInput);
    let modeInputs;
    if (mode === 'summary') {
        const summary = readSummaryInputs(read, runner.runId);
        problems.push(...summary.problems);
        modeInputs = { mode, summary: summary.inputs };
    }
    else if (mode === 'verify') {
        const verify = readVerifyConfig(read);
        problems.push(...verify.problems);
        secrets.push(...verify.secrets);
        modeInputs = { mode, verify: verify.config };
    }
    else {
        modeInputs = { mode };
    }
    const config = Object.freeze({
        ...modeInputs,
        githubToken: read(Inputs.GitHubToken).trim(),
        environment: read(Inputs.Environment).trim() || 'production',
        service: serviceInput || defaultService(rules, runner.jobId),
        serviceGiven: serviceInput !== '',
        stageRules: Object.freeze(rules),
        thresholds: parseThresholds(read(Inputs.Thresholds), problems),
        pushgateway,
        remoteWrite,
        metricsJob: read(Inputs.PushgatewayJob).trim() || 'deployment',
        metricsFile,
        jobStatus: read(Inputs.JobStatus).trim().toLowerCase(),
        checkRunId,
        writeSummary: parseBoolean(read(Inputs.Summary), Inputs.Summary, true, problems),
        annotations: parseBoolean(read(Inputs.Annotations), Inputs.Annotations, true, problems),
        failOnError: parseBoolean(read(Inputs.FailOnError), Inputs.FailOnError, false, problems),
        live: mode === 'track' ? parseBoolean(read(Inputs.Live), Inputs.Live, true, problems) : false,
        liveIntervalSeconds: mode === 'track'
            ? parseLiveInterval(read(Inputs.LiveIntervalSeconds), problems)
            : DEFAULT_LIVE_INTERVAL_SECONDS,
        runner,
        secrets: Object.freeze(maskable(secrets)),
    });
    return { config, problems };
}
/** The deployment id: the run id, with `-<attempt>` for re-runs (action.yml, output `deployment-id`). */
function deploymentIdOf(runner) {
    const runId = runner.runId || 'local';
    return runner.runAttempt > 1 ? `${runId}-${runner.runAttempt}` : runId;
}

;// CONCATENATED MODULE: ./src/util/clock.ts
const systemClock = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

// EXTERNAL MODULE: ./src/util/proxy.ts
var proxy = __nccwpck_require__(796);
// EXTERNAL MODULE: ./src/hooks/io.ts
var hooks_io = __nccwpck_require__(1438);
;// CONCATENATED MODULE: ./src/hooks/run-wrapper.ts
/**
 * Every hook runs through here: inputs are read once, secrets masked before
 * anything is printed, and any thrown value (Error or not) becomes a warning —
 * or, with `fail-on-error: true`, a failed step. Telemetry never breaks a
 * deployment unless the user asks it to. Every text the hook gives the runner
 * goes through `safeIO` (one line, no workflow command, URLs redacted).
 */






/**
 * `io`, or when none is given `@actions/core` (`core-io.ts`), imported only then: a hook's `run()`
 * called with no argument is `@github/local-action` running it, which stubs that module. The entry
 * points pass `runnerIO`, so the bundles never load it.
 */
async function ioOrCore(io) {
    return io ?? (await Promise.all(/* import() */[__nccwpck_require__.e(752), __nccwpck_require__.e(421), __nccwpck_require__.e(506)]).then(__nccwpck_require__.bind(__nccwpck_require__, 3506))).coreIO;
}
const INPUTS_CHECKED_STATE = 'inputs-checked';
const DEFERRED_STATE = 'deferred-problems';
/** Collects telemetry problems: each is a warning now, and fails the step at the end with fail-on-error. */
class Problems {
    io;
    list = [];
    constructor(io) {
        this.io = io;
    }
    report(message) {
        // Kept as the runner will show it: the list also feeds the summary's notes and setFailed.
        const safe = (0,safe_text/* safeLogText */.Ht)(message);
        this.list.push(safe);
        this.io.warning(safe);
    }
}
/** A Logger whose warnings are telemetry problems (so fail-on-error counts them). */
function problemLogger(io, problems) {
    return {
        info: (m) => io.info(m),
        debug: (m) => io.debug(m),
        warning: (m) => problems.report(m),
        error: (m, p) => io.error(m, p),
        notice: (m, p) => io.notice(m, p),
    };
}
function messageOf(error) {
    if (error instanceof Error)
        return error.message;
    try {
        return typeof error === 'string' ? error : JSON.stringify(error);
    }
    catch {
        return String(error);
    }
}
/** Runs one hook; never rejects. */
async function runHook(name, body, rawIO, env = process.env, clock = systemClock, edges = {}) {
    const io = (0,hooks_io/* safeIO */.u)(rawIO);
    let failOnError = false;
    let trackMode = true;
    const problems = new Problems(io);
    try {
        const { config, problems: inputProblems } = readConfig((n) => io.getInput(n), env);
        failOnError = config.failOnError;
        trackMode = config.mode === 'track';
        for (const secret of config.secrets)
            io.setSecret(secret);
        await useProxy(env, io, problems);
        if (config.mode === undefined) {
            // A typo (`mode: sumary`) must not record a fake deployment in track mode: nothing is done,
            // and every phase says so (and fails with fail-on-error: nothing was tracked to protect).
            problems.report(unknownModeProblem(io.getInput(Inputs.Mode)));
        }
        else {
            // Inputs are read in every phase; their problems are said once per instance, not three
            // times: track mode's in pre (or main when pre did not run), the other modes' in main, the
            // step where they do their work.
            if (config.mode !== 'track') {
                if (name === 'main')
                    for (const p of inputProblems)
                        problems.report(p);
            }
            else if (io.getState(INPUTS_CHECKED_STATE) !== '1') {
                for (const p of inputProblems)
                    problems.report(p);
                if (name !== 'post')
                    io.saveState(INPUTS_CHECKED_STATE, '1');
            }
            await body({ config, io, clock, env, problems, ...edges });
        }
    }
    catch (error) {
        problems.report(`deployment-observability ${name}: ${messageOf(error)}`);
    }
    if (!failOnError)
        return;
    // Track mode's pre (and main for a local action) run before the deployment: failing
    // them would stop the deployment itself. Their problems wait for post, which fails.
    const deferred = readDeferred(io);
    if (name !== 'post' && trackMode) {
        if (problems.list.length > 0) {
            io.saveState(DEFERRED_STATE, JSON.stringify([...deferred, ...problems.list].slice(0, 20)));
            io.info('fail-on-error is true: these problems will fail the post step, after the deployment has run.');
        }
        return;
    }
    const all = name === 'post' ? [...deferred, ...problems.list] : problems.list;
    if (all.length > 0) {
        io.setFailed(`deployment-observability ${name}: ${all.length} telemetry problem(s) and fail-on-error is true. First: ${all[0]}`);
    }
}
/** HTTP(S)_PROXY set: every request goes through it (util/proxy.ts); undici is loaded only then. */
async function useProxy(env, io, problems) {
    try {
        const proxies = await (0,proxy/* configureProxy */.BU)(env);
        if (proxies)
            io.debug(`Requests go through the proxy ${proxies} (NO_PROXY: ${env.no_proxy ?? env.NO_PROXY ?? ''})`);
    }
    catch (error) {
        problems.report(`HTTP_PROXY/HTTPS_PROXY is set but the proxy support could not be loaded: ${messageOf(error)}`);
    }
}
function readDeferred(io) {
    try {
        const parsed = JSON.parse(io.getState(DEFERRED_STATE) || '[]');
        return Array.isArray(parsed) ? parsed.map(String) : [];
    }
    catch {
        return [];
    }
}

;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(7598);
// EXTERNAL MODULE: ./src/metrics/definitions.ts
var definitions = __nccwpck_require__(6511);
// EXTERNAL MODULE: ./src/model/error-types.ts
var error_types = __nccwpck_require__(6615);
;// CONCATENATED MODULE: ./src/metrics/reported.ts
/**
 * What steps append to DEPLOY_METRICS_FILE: Prometheus text-exposition lines,
 * validated one by one. A bad line is skipped with a message naming the file
 * and the line; every other line still counts (README, "Reporting from steps").
 *
 * The file is written by any step, so it is bounded: at most
 * {@link MAX_REPORT_LINES} lines and {@link MAX_REPORTED_SERIES} distinct
 * series; series only for the services the job may write; a counter may grow
 * by at most {@link MAX_COUNTER_INCREMENT} per deployment; every token echoed
 * in a message is cut to {@link MAX_ECHO} characters. Lines skipped for the
 * same reason in bulk (another service, past the series limit) make one
 * message, so a hostile file cannot flood the log.
 */



const MAX_REPORT_LINES = 10000;
/** Distinct series one job may report (repeated lines of a series count once). */
const MAX_REPORTED_SERIES = 1000;
/** The most a step may add to one counter series in one deployment. */
const MAX_COUNTER_INCREMENT = 1e6;
/** Tokens echoed in a message (names, values, a parser's complaint) are cut to this many characters. */
const MAX_ECHO = 80;
/** Line numbers listed in a message about many lines. */
const LISTED_LINES = 10;
const MAX_LABEL_VALUE = 1024;
const MAX_CUSTOM_LABELS = 10;
/** Set by the action on every reported series; a step's own value is replaced. */
const ACTION_LABELS = new Set(['environment', 'deployment_id']);
const RESERVED_LABELS = new Set(['job', 'instance', 'le', 'quantile']);
function reported_customDefinition(name, labels) {
    const counter = name.endsWith('_total');
    const definition = {
        name,
        type: counter ? 'counter' : 'gauge',
        help: counter
            ? 'Reported by a deploy step through DEPLOY_METRICS_FILE; cumulative across deployments.'
            : 'Reported by a deploy step through DEPLOY_METRICS_FILE; value of the latest deployment.',
        labels: counter
            ? ['environment', 'service', ...labels]
            : ['environment', 'deployment_id', 'service', ...labels],
        modes: ['track'],
        source: 'reported',
        merge: counter ? 'sum' : 'replace',
    };
    return Object.freeze(definition);
}
/** A token for a message: one line, at most {@link MAX_ECHO} characters (cut with …). */
function echo(text, max = MAX_ECHO) {
    // eslint-disable-next-line no-control-regex
    const oneLine = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
    return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
/** A parser's complaint with every long token in it cut (it may quote what the step wrote). */
function echoMessage(message) {
    return echo(message.replace(/[^\s"]{81,}/g, (token) => echo(token)), 4 * MAX_ECHO);
}
function count(n) {
    return n.toLocaleString('en-US');
}
/** Lines skipped for one reason in bulk: said once, at the first of them. */
class Bulk {
    lines = [];
    total = 0;
    /** Where the message goes in the problem list (in line order). */
    slot = -1;
    values = new Set();
    add(problems, line, value) {
        if (this.slot < 0) {
            this.slot = problems.length;
            problems.push('');
        }
        this.total++;
        if (this.lines.length < LISTED_LINES + 1)
            this.lines.push(line);
        if (value !== undefined && this.values.size < LISTED_LINES + 1)
            this.values.add(value);
    }
    /** Writes the message into its slot: `first` is its head, `more` names the other lines. */
    finish(problems, head, more) {
        if (this.slot < 0)
            return;
        const [first, ...rest] = this.lines;
        let text = `${head(first)}; line skipped`;
        if (this.total > 1) {
            const listed = rest.slice(0, LISTED_LINES - 1);
            const others = this.total - 1;
            text += `, and ${count(others)} more ${others === 1 ? 'line' : 'lines'} ${more} (lines ${listed.join(', ')}${others > listed.length ? ', …' : ''})`;
        }
        problems[this.slot] = text;
    }
}
/** Parses and validates the file's text. Never throws. */
function parseReportedMetrics(text, fileLabel, options = {}) {
    const problems = [];
    const merged = new Map();
    const errorTypesByStage = new Map();
    const lines = text.split(/\r?\n/);
    // A file that ends with a new line has no line after it.
    if (lines.length > 1 && lines[lines.length - 1] === '')
        lines.pop();
    if (lines.length > MAX_REPORT_LINES) {
        problems.push(`${fileLabel}: ${lines.length} lines; only the first ${MAX_REPORT_LINES} are read`);
    }
    const foreign = new Bulk();
    const overflow = new Bulk();
    lines.slice(0, MAX_REPORT_LINES).forEach((line, index) => {
        const where = `${fileLabel} line ${index + 1}`;
        const parsed = parseExpositionLine(line);
        if (parsed.kind === 'blank' || parsed.kind === 'comment')
            return;
        if (parsed.kind === 'error') {
            problems.push(`${where}: ${echoMessage(parsed.message)}; line skipped`);
            return;
        }
        const { value } = parsed.sample;
        const name = parsed.sample.name;
        const shownName = echo(name);
        const known = metricByName(name);
        if (known && known.source === 'action') {
            problems.push(`${where}: ${shownName} is computed by the action and cannot be reported; line skipped`);
            return;
        }
        if (!known &&
            (!METRIC_NAME_RE.test(name) || /_(bucket|sum|count)$/.test(name) || name.startsWith('__'))) {
            problems.push(`${where}: ${shownName} cannot be reported (histogram parts and reserved names are not accepted); line skipped`);
            return;
        }
        const labels = {};
        for (const [label, labelValue] of Object.entries(parsed.sample.labels)) {
            if (ACTION_LABELS.has(label))
                continue;
            if (RESERVED_LABELS.has(label)) {
                problems.push(`${where}: label ${label} is reserved; line skipped`);
                return;
            }
            if (labelValue.length > MAX_LABEL_VALUE) {
                problems.push(`${where}: label ${echo(label)} is longer than ${MAX_LABEL_VALUE} characters; line skipped`);
                return;
            }
            // error_type and service are read back into outputs, annotations and grouping keys.
            const refused = reportedLabelProblem(where, label, labelValue);
            if (refused) {
                problems.push(refused);
                return;
            }
            labels[label] = labelValue;
        }
        let definition;
        if (known) {
            const allowed = known.labels.filter((l) => !ACTION_LABELS.has(l));
            const unknown = Object.keys(labels).filter((l) => !allowed.includes(l));
            if (unknown.length > 0) {
                problems.push(`${where}: ${shownName} has no label ${echo(unknown.join(', '))} (it takes ${allowed.join(', ') || 'none'}); line skipped`);
                return;
            }
            definition = known;
        }
        else {
            const extra = Object.keys(labels).filter((l) => l !== 'service');
            if (extra.length > MAX_CUSTOM_LABELS) {
                problems.push(`${where}: more than ${MAX_CUSTOM_LABELS} labels; line skipped`);
                return;
            }
            definition = reported_customDefinition(name, extra.sort());
        }
        if (!Number.isFinite(value)) {
            problems.push(`${where}: value ${value} is not a finite number; line skipped`);
            return;
        }
        if (definition.type === 'counter' && value < 0) {
            problems.push(`${where}: ${shownName} is a counter and cannot go down (${value}); line skipped`);
            return;
        }
        if (definition.type === 'counter' && value > MAX_COUNTER_INCREMENT) {
            problems.push(`${where}: ${shownName} is a counter and a step may add at most ${count(MAX_COUNTER_INCREMENT)} to it in one deployment (${value}); line skipped`);
            return;
        }
        // Only the services this job may write: another service's group is another job's.
        const service = definition.labels.includes('service')
            ? (labels.service ?? options.service)
            : options.service;
        if (options.services && service !== undefined && !options.services.has(service)) {
            foreign.add(problems, index + 1, service);
            return;
        }
        const key = seriesKey(name, labels);
        const previous = merged.get(key);
        if (!previous && merged.size >= MAX_REPORTED_SERIES) {
            overflow.add(problems, index + 1);
            return;
        }
        if (previous && definition.type !== previous.definition.type) {
            problems.push(`${where}: ${shownName} was reported with another type before; line skipped`);
            return;
        }
        const total = previous && definition.merge === 'sum' ? previous.value + value : value;
        if (definition.type === 'counter' && total > MAX_COUNTER_INCREMENT) {
            problems.push(`${where}: ${shownName} would add up to ${total} in this deployment; a step may add at most ${count(MAX_COUNTER_INCREMENT)} to a counter; line skipped`);
            return;
        }
        if (name === 'deployment_errors_total' &&
            labels.stage &&
            labels.error_type &&
            !errorTypesByStage.has(labels.stage)) {
            errorTypesByStage.set(labels.stage, labels.error_type);
        }
        merged.set(key, {
            definition: previous?.definition ?? definition,
            custom: !known,
            labels,
            value: total,
        });
    });
    const allowed = [...(options.services ?? [])].sort();
    const allowedText = `${allowed.slice(0, LISTED_LINES).join(', ')}${allowed.length > LISTED_LINES ? `, … (${allowed.length} in all)` : ''}`;
    const firstForeign = [...foreign.values][0] ?? '';
    const otherServices = [...foreign.values].slice(1, LISTED_LINES);
    foreign.finish(problems, (line) => `${fileLabel} line ${line}: service "${echo(firstForeign)}" is not one this job writes (it may write ${allowedText}: its own service and those its stage map names)`, `for services it does not write${otherServices.length > 0 ? `, e.g. ${otherServices.map((s) => `"${echo(s, 40)}"`).join(', ')}` : ''}`);
    overflow.finish(problems, (line) => `${fileLabel} line ${line}: more than ${count(MAX_REPORTED_SERIES)} distinct series reported`, 'of new series');
    return {
        series: [...merged.values()],
        problems,
        errorTypesByStage,
        lineCount: Math.min(lines.length, MAX_REPORT_LINES),
    };
}

;// CONCATENATED MODULE: ./src/util/timeout.ts
/**
 * Bounds a promise we cannot cancel (e.g. a library call with its own long
 * timeouts). The entry points end the process when the hook is done, so work
 * left running after a timeout cannot stretch the step past its budget.
 */
class TimeoutError extends Error {
    constructor(message) {
        super(message);
        this.name = 'TimeoutError';
    }
}
async function timeout_withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(`${what}: no answer within ${ms} ms`)), Math.max(0, ms));
        timer.unref();
    });
    try {
        return await Promise.race([promise, timeout]);
    }
    finally {
        clearTimeout(timer);
    }
}

;// CONCATENATED MODULE: ./src/persistence/archive-root.ts
/**
 * Runs a cache call with the cache's paths anchored in one directory of ours.
 *
 * `@actions/cache` identifies an entry by its key and a version that hashes the path strings it
 * was given, and stores the files relative to `GITHUB_WORKSPACE` (else the current directory),
 * extracting them there again. An absolute path under `RUNNER_TEMP` therefore restores only on a
 * runner whose temp directory has the same absolute path, and lands elsewhere when the workspace
 * sits at another depth. Giving the module a relative path (`carry/<id>`) while both
 * `GITHUB_WORKSPACE` and the current directory point at our root makes the version and the
 * archive's layout the same on every runner (docs/platform.md, "The Actions cache").
 *
 * The two are process-wide, so calls run one at a time, and each call keeps them until the
 * module's promise settles — also after the caller stopped waiting for it — so an archive that
 * arrives late is still extracted into our root, never into the user's workspace.
 */

let queue = Promise.resolve();
/**
 * Runs `call` with `GITHUB_WORKSPACE` and the current directory set to `root`, after the calls
 * queued before it. `startBy` (ms, on `now`): a call whose turn comes later does not start.
 */
function archive_root_inArchiveRoot(root, call, startBy = Infinity, now = Date.now) {
    const run = async () => {
        if (now() >= startBy)
            throw new Error("no time left in this step's budget");
        await mkdir(root, { recursive: true });
        const savedCwd = process.cwd();
        const hadWorkspace = Object.prototype.hasOwnProperty.call(process.env, 'GITHUB_WORKSPACE');
        const savedWorkspace = process.env.GITHUB_WORKSPACE;
        process.env.GITHUB_WORKSPACE = root;
        process.chdir(root);
        try {
            return await call();
        }
        finally {
            process.chdir(savedCwd);
            if (hadWorkspace)
                process.env.GITHUB_WORKSPACE = savedWorkspace;
            else
                delete process.env.GITHUB_WORKSPACE;
        }
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
}

;// CONCATENATED MODULE: ./src/persistence/store.ts
/**
 * One stored item — the carried counts of one group, the history of one scope — as bytes, kept in
 * a directory or in the Actions cache. What the bytes mean is the caller's business
 * (`delivery/carry.ts`, `summary/history.ts`); here is only where they live and how long a call may take.
 */





async function readIfPresent(path) {
    try {
        return await readFile(path);
    }
    catch (error) {
        if (error.code === 'ENOENT')
            return undefined;
        throw error;
    }
}
/** Written beside the target, then renamed: a concurrent reader sees the old file or the new one. */
async function writeAtomically(path, bytes) {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
}
/** A file that outlives the job (a directory the user keeps, or the runner's tool cache). */
class store_FileStore {
    path;
    description;
    constructor(path) {
        this.path = path;
        this.description = `the directory ${dirname(path)}`;
    }
    load() {
        return readIfPresent(this.path);
    }
    save(bytes) {
        return writeAtomically(this.path, bytes);
    }
}
/** The Actions cache: keys are immutable, so every save writes a new key and a load restores the newest by prefix. */
class store_ActionsCacheStore {
    item;
    description = 'the Actions cache';
    constructor(item) {
        this.item = item;
    }
    /** The time a call may take: its own bound, and never past the deadline. */
    budget(what) {
        const left = this.item.deadline - this.item.now();
        if (left <= 0)
            throw new Error(`${what}: no time left in this step's budget`);
        return Math.min(this.item.timeoutMs, left);
    }
    get file() {
        return join(this.item.root, this.item.dir, this.item.fileName);
    }
    async load() {
        const item = this.item;
        const what = `Restoring ${item.what} from the Actions cache`;
        const ms = this.budget(what);
        const startBy = item.now() + ms;
        const restore = async () => {
            if (item.probe && (await item.probe(item.keyPrefix)) === false)
                return undefined;
            const cache = await item.cache();
            return inArchiveRoot(item.root, async () => {
                await mkdir(join(item.root, item.dir), { recursive: true });
                const left = Math.max(1, startBy - item.now());
                return cache.restoreCache([item.dir], `${item.keyPrefix}${item.keySuffix}`, [item.keyPrefix], {
                    timeoutInMs: left,
                    segmentTimeoutInMs: left,
                });
            }, startBy, item.now);
        };
        const hit = await withTimeout(restore(), ms, what);
        return hit === undefined ? undefined : readIfPresent(this.file);
    }
    async save(bytes) {
        const item = this.item;
        await writeAtomically(this.file, bytes);
        const what = `Saving ${item.what} to the Actions cache`;
        const ms = this.budget(what);
        const startBy = item.now() + ms;
        const save = async () => {
            const cache = await item.cache();
            return inArchiveRoot(item.root, () => cache.saveCache([item.dir], `${item.keyPrefix}${item.keySuffix}-${item.now()}`), startBy, item.now);
        };
        const id = await withTimeout(save(), ms, what);
        // The module answers -1 when the service refused or lost the entry (it has logged why).
        if (id === -1)
            throw new Error('the Actions cache did not keep the entry');
    }
}

;// CONCATENATED MODULE: ./src/persistence/stores.ts
/**
 * Where each kind of stored item lives, in order of preference:
 *
 * 1. `DEPLOYMENT_OBSERVABILITY_STATE_DIR`, a directory the user keeps (self-hosted runners, tests);
 * 2. the Actions cache, where the runner offers one (GitHub-hosted runners: nothing on disk outlives
 *    the job);
 * 3. for carried counts only, `RUNNER_TOOL_CACHE`, which persists on self-hosted runners.
 *
 * The file layout in a kept directory is the one earlier versions wrote, so an upgrade keeps what
 * was stored. In the cache, the key prefixes name a layout version (`-v2-`: paths relative to our
 * own root, the same on every runner).
 */





const sha = (id, length) => (0,external_node_crypto_.createHash)('sha256').update(id).digest('hex').slice(0, length);
const CACHE_KEY_PREFIXES = Object.freeze({
    carry: 'deployment-observability-carry-v2-',
    history: 'deployment-observability-history-v2-',
});
const LAYOUTS = {
    carry: {
        what: 'carried counts',
        digest: (id) => sha(id, 32),
        file: (root, digest) => (0,external_node_path_namespaceObject.join)(root, `carry-${digest}.json`),
        toolCacheFile: (toolCache, digest) => (0,external_node_path_namespaceObject.join)(toolCache, 'deployment-observability', `carry-${digest}.json`),
        cacheKeyPrefix: CACHE_KEY_PREFIXES.carry,
        cacheFileName: 'carry.json',
        timeoutMs: 5000,
    },
    history: {
        what: 'the deployment history',
        // A history's id is already a short digest of its scope (`historyScope`).
        digest: (id) => id,
        file: (root, digest) => (0,external_node_path_namespaceObject.join)(root, 'history', digest, 'history.json.gz'),
        cacheKeyPrefix: CACHE_KEY_PREFIXES.history,
        cacheFileName: 'history.json.gz',
        timeoutMs: 10_000,
    },
};
/** Whether items would be kept in the Actions cache here (no kept directory, a cache service offered). */
function keptInActionsCache(env) {
    return !env[STATE_DIR_ENV] && cacheServiceOffered(env);
}
/** The stores for this kind in this environment, or why there are none. Loads nothing. */
function stores_storesFor(kind, env, options) {
    const layout = LAYOUTS[kind];
    const kept = env[STATE_DIR_ENV];
    if (kept) {
        return {
            stores: {
                description: `the directory ${kept}`,
                item: (id) => new FileStore(layout.file(kept, layout.digest(id))),
            },
        };
    }
    if (cacheServiceOffered(env)) {
        const cache = options.cache ?? lazyCacheModule();
        const root = join(env.RUNNER_TEMP || '/tmp', 'deployment-observability-cache');
        const keySuffix = [env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT, env.GITHUB_JOB].filter(Boolean).join('-') || 'local';
        return {
            stores: {
                description: 'the Actions cache',
                item: (id) => {
                    const digest = layout.digest(id);
                    return new ActionsCacheStore({
                        cache,
                        root,
                        dir: `${kind}/${digest}`,
                        fileName: layout.cacheFileName,
                        keyPrefix: `${layout.cacheKeyPrefix}${digest}-`,
                        keySuffix,
                        timeoutMs: layout.timeoutMs,
                        deadline: options.deadline,
                        now: options.now ?? Date.now,
                        probe: options.probe,
                        what: layout.what,
                    });
                },
            },
        };
    }
    const toolCache = env.RUNNER_TOOL_CACHE;
    if (toolCache && layout.toolCacheFile) {
        const file = layout.toolCacheFile;
        return {
            stores: {
                description: `the directory ${join(toolCache, 'deployment-observability')}`,
                item: (id) => new FileStore(file(toolCache, layout.digest(id))),
            },
        };
    }
    return { stores: undefined, reason: 'the Actions cache service is not available to this job' };
}

;// CONCATENATED MODULE: ./src/delivery/carry.ts
/**
 * Counts a failed push could not deliver, kept until the next push of the
 * same group delivers them (README, "Carried counts of failed pushes"), and
 * how they are written down. Where they are kept is `persistence/`'s business.
 *
 * Entries are dropped once the group's `deployment_observability_counters_updated_timestamp_seconds`
 * is newer than them: a later push already included them, even if clearing
 * the store afterwards failed. So a carried count is added once.
 */



/** Keeping counts a failed push could not deliver may use this much past the push deadline (ms). */
const CARRY_GRACE_MS = 3000;
/** At most this many deployments wait in one group; older ones are dropped first. */
const MAX_CARRIED_ENTRIES = 200;
const carry_ACTION_LABELS = new Set(['environment', 'deployment_id', 'service']);
function toStored(entry) {
    return {
        deploymentId: entry.deploymentId,
        recordedAt: entry.recordedAt,
        updates: entry.updates.map((u) => ({
            name: u.name,
            family: u.definition.name,
            labels: { ...u.labels },
            value: u.value,
        })),
    };
}
function fromStored(stored) {
    if (typeof stored?.deploymentId !== 'string' ||
        typeof stored.recordedAt !== 'number' ||
        !Array.isArray(stored.updates)) {
        return undefined;
    }
    const updates = [];
    for (const u of stored.updates) {
        if (typeof u?.family !== 'string' ||
            typeof u.value !== 'number' ||
            typeof u.labels !== 'object' ||
            u.labels === null)
            continue;
        const definition = metricByName(u.family) ??
            customDefinition(u.family, Object.keys(u.labels)
                .filter((l) => !carry_ACTION_LABELS.has(l))
                .sort());
        updates.push({ definition, name: u.name, labels: u.labels, value: u.value });
    }
    return { deploymentId: stored.deploymentId, recordedAt: stored.recordedAt, updates };
}
/** Entries a group's counters-updated marker (seconds) already includes are dropped. */
function pendingAfter(entries, markerSeconds) {
    if (markerSeconds === undefined)
        return [...entries];
    return entries.filter((e) => e.recordedAt > markerSeconds * 1000);
}
/** A group's carried entries in the stores of carried counts (`persistence/stores.ts`). */
class PersistedCarryStore {
    stores;
    constructor(stores) {
        this.stores = stores;
    }
    get description() {
        return this.stores.description;
    }
    async load(groupId) {
        const bytes = await this.stores.item(groupId).load();
        if (bytes === undefined)
            return [];
        const parsed = JSON.parse(bytes.toString('utf8'));
        return (parsed.entries ?? []).map(fromStored).filter((e) => e !== undefined);
    }
    async save(groupId, entries) {
        const kept = entries.slice(-MAX_CARRIED_ENTRIES).map(toStored);
        await this.stores.item(groupId).save(JSON.stringify({ group: groupId, entries: kept }) + '\n');
    }
}
/** Where this job keeps carried counts, or undefined when nowhere (`persistence/stores.ts`). Loads nothing. */
function carryStoreOf(env, options) {
    const { stores } = storesFor('carry', env, options);
    return stores ? new PersistedCarryStore(stores) : undefined;
}

// EXTERNAL MODULE: ./src/delivery/sink.ts
var delivery_sink = __nccwpck_require__(7057);
;// CONCATENATED MODULE: ./src/metrics/exposition.ts
/** Metric names: https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels */
const exposition_METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
function escapeLabelValue(value) {
    return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
function escapeHelp(help) {
    return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
/** Formats a sample value the way Prometheus parses it back (`+Inf`, `-Inf`, `NaN`). */
function formatValue(value) {
    if (Number.isNaN(value))
        return 'NaN';
    if (value === Infinity)
        return '+Inf';
    if (value === -Infinity)
        return '-Inf';
    return String(value);
}
function formatLabels(labels) {
    const names = Object.keys(labels);
    if (names.length === 0)
        return '';
    return `{${names.map((n) => `${n}="${escapeLabelValue(labels[n] ?? '')}"`).join(',')}}`;
}
/** One family as exposition text: HELP, TYPE, then its samples. */
function renderFamily(family) {
    const lines = [`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`];
    for (const s of family.samples)
        lines.push(`${s.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
    return lines.join('\n') + '\n';
}
/** Several families as one exposition document (families without samples are left out). */
function exposition_renderExposition(families) {
    return families
        .filter((f) => f.samples.length > 0)
        .map(renderFamily)
        .join('');
}
const VALUE_RE = /^[+-]?(?:Inf|inf|NaN|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/;
function parseValue(text) {
    if (!VALUE_RE.test(text))
        return undefined;
    const t = text.toLowerCase();
    if (t === '+inf' || t === 'inf')
        return Infinity;
    if (t === '-inf')
        return -Infinity;
    if (t === 'nan' || t === '+nan' || t === '-nan')
        return NaN;
    return Number(text);
}
/**
 * Parses one line of text exposition. Never throws: a line it cannot read
 * comes back as `{kind:'error'}` with a message saying what is wrong.
 */
function exposition_parseExpositionLine(line) {
    const text = line.trim();
    if (text === '')
        return { kind: 'blank' };
    if (text.startsWith('#'))
        return { kind: 'comment' };
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(text);
    if (!nameMatch)
        return { kind: 'error', message: 'does not start with a metric name' };
    const name = nameMatch[0];
    let i = name.length;
    const labels = {};
    if (text[i] === '{') {
        i++;
        for (;;) {
            while (text[i] === ' ' || text[i] === '\t')
                i++;
            if (text[i] === '}') {
                i++;
                break;
            }
            const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
            if (!labelMatch)
                return { kind: 'error', message: `bad label name at column ${i + 1}` };
            const labelName = labelMatch[0];
            i += labelName.length;
            while (text[i] === ' ')
                i++;
            if (text[i] !== '=')
                return { kind: 'error', message: `expected = after label ${labelName}` };
            i++;
            while (text[i] === ' ')
                i++;
            if (text[i] !== '"')
                return { kind: 'error', message: `label ${labelName} value must be in double quotes` };
            i++;
            let value = '';
            for (;;) {
                const c = text[i];
                if (c === undefined)
                    return { kind: 'error', message: `label ${labelName} value is not closed` };
                if (c === '"') {
                    i++;
                    break;
                }
                if (c === '\\') {
                    const n = text[i + 1];
                    if (n === 'n')
                        value += '\n';
                    else if (n === '\\' || n === '"')
                        value += n;
                    else
                        return { kind: 'error', message: `bad escape \\${n ?? ''} in label ${labelName}` };
                    i += 2;
                    continue;
                }
                value += c;
                i++;
            }
            if (labelName.startsWith('__'))
                return { kind: 'error', message: `label ${labelName} is reserved` };
            if (Object.prototype.hasOwnProperty.call(labels, labelName))
                return { kind: 'error', message: `label ${labelName} appears twice` };
            labels[labelName] = value;
            while (text[i] === ' ')
                i++;
            if (text[i] === ',') {
                i++;
                continue;
            }
            if (text[i] === '}') {
                i++;
                break;
            }
            return { kind: 'error', message: `expected , or } after label ${labelName}` };
        }
    }
    if (text[i] !== ' ' && text[i] !== '\t')
        return { kind: 'error', message: 'expected a space and a value after the name' };
    const rest = text.slice(i).trim().split(/\s+/);
    const value = parseValue(rest[0] ?? '');
    if (value === undefined)
        return { kind: 'error', message: `"${(rest[0] ?? '').slice(0, 40)}" is not a number` };
    if (rest.length > 2)
        return { kind: 'error', message: 'unexpected text after the value' };
    if (rest[1] !== undefined && !/^-?\d+$/.test(rest[1]))
        return { kind: 'error', message: `"${rest[1]}" is not a timestamp in milliseconds` };
    return { kind: 'sample', sample: { name, labels, value } };
}
/** A stable key for a series: name plus labels sorted by name. */
function exposition_seriesKey(name, labels) {
    const names = Object.keys(labels).sort();
    return `${name}{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(',')}}`;
}

;// CONCATENATED MODULE: ./src/metrics/series.ts
/**
 * Series updates and how they merge with what a Pushgateway group already
 * holds: counters add (cumulative across deployments), `max` timestamps only
 * move forward, latest-deployment gauges replace. Pure.
 */


/** Families the Pushgateway keeps per group by itself. */
const PUSHGATEWAY_FAMILIES = new Set(['push_time_seconds', 'push_failure_time_seconds']);
const KEEPABLE_TYPES = new Set(['counter', 'gauge', 'histogram']);
/**
 * The whole group as it should be after this push: the updated families, every
 * other family as it was, except latest-deployment gauges (a `deployment_id`
 * other than this deployment's) that this deployment did not set — a value a
 * step reported last time, or stage durations of a deployment whose stages this
 * one could not read, must not pass for this deployment's. Undefined when the
 * group holds a family type that cannot be written back (then POST, no clean-up).
 */
function wholeGroup(updated, existing, deploymentId) {
    const names = new Set(updated.map((f) => f.name));
    const families = [...updated];
    const dropped = [];
    for (const [name, { type, help }] of existing.types) {
        if (names.has(name) || PUSHGATEWAY_FAMILIES.has(name))
            continue;
        const t = type.toLowerCase();
        if (!KEEPABLE_TYPES.has(t))
            return undefined;
        const samples = (existing.samples.get(name) ?? []).map((s) => ({
            ...s,
            labels: normalizeExistingLabels(s.labels, undefined),
        }));
        if (t === 'gauge' &&
            samples.some((s) => s.labels.deployment_id !== undefined && s.labels.deployment_id !== deploymentId)) {
            dropped.push(name);
            continue;
        }
        families.push({
            name,
            type: t,
            help: help || (0,definitions/* metricByName */.tX)(name)?.help || name,
            samples,
        });
    }
    return { families, dropped };
}
/** Family types whose samples are cumulative: a post adds to them. */
const CUMULATIVE_TYPES = new Set(['counter', 'histogram', 'summary']);
/**
 * Why the group's counters cannot be added to, if they cannot: a cumulative
 * sample holding NaN or ±Inf (a sum with it is NaN or Inf for good), or a
 * count past 2^53 (adding 1 to it is lost). `counters` names the families
 * this push adds to (a sink may not say which families are counters). The
 * group is then treated as unreadable for counters: gauges are pushed, the
 * counts carried, and nothing is pushed over the bad value.
 */
function unusableCounter(existing, counters) {
    for (const [name, samples] of existing.samples) {
        const type = existing.types.get(name)?.type.toLowerCase() ?? (0,definitions/* metricByName */.tX)(name)?.type;
        if (!counters.has(name) && !(type !== undefined && CUMULATIVE_TYPES.has(type)))
            continue;
        for (const s of samples) {
            const series = `${s.name}${formatLabels(normalizeExistingLabels(s.labels, undefined))}`;
            const shown = series.length > 120 ? `${series.slice(0, 119)}…` : series;
            if (!Number.isFinite(s.value))
                return `the group holds ${formatValue(s.value)} for ${shown}, a value no count can be added to (delete the group, or push a valid value, to resume counting)`;
            if (s.value > Number.MAX_SAFE_INTEGER)
                return `the group holds ${s.value} for ${shown}, past 2^53 where adding 1 is lost (delete the group, or push a valid value, to resume counting)`;
        }
    }
    return undefined;
}
/** Labels the Pushgateway adds to every sample of a group and that updates never carry. */
const PUSHGATEWAY_LABELS = new Set(['job', 'instance']);
/** Drops labels the Pushgateway added (job, instance, grouping labels the family does not have). */
function normalizeExistingLabels(labels, keep) {
    const out = {};
    for (const [name, value] of Object.entries(labels)) {
        if (PUSHGATEWAY_LABELS.has(name))
            continue;
        if (keep && !keep.has(name))
            continue;
        out[name] = value;
    }
    return out;
}
function orderLabels(labels, definition) {
    const out = {};
    for (const name of definition.labels)
        if (labels[name] !== undefined)
            out[name] = labels[name];
    for (const name of Object.keys(labels).sort())
        if (out[name] === undefined)
            out[name] = labels[name];
    return out;
}
/**
 * Merges updates with the group's existing samples into the families to push.
 * Only families that have an update are returned: a POST replaces just those,
 * so everything else in the group (a last success on a failed deployment, a
 * verify run's counters) stays as it was.
 */
function mergeUpdates(updates, existing) {
    const families = new Map();
    for (const update of updates) {
        const def = update.definition;
        let family = families.get(def.name);
        if (!family) {
            family = { definition: def, samples: new Map(), before: new Map() };
            families.set(def.name, family);
            if (def.merge === 'sum' && existing) {
                // Table metrics drop the grouping labels they do not have; custom ones keep all but job/instance.
                const keep = (0,definitions/* metricByName */.tX)(def.name) === def ? new Set([...def.labels, 'le']) : undefined;
                for (const sample of existing.get(def.name) ?? []) {
                    const labels = orderLabels(normalizeExistingLabels(sample.labels, keep), def);
                    family.samples.set(exposition_seriesKey(sample.name, labels), {
                        name: sample.name,
                        labels,
                        value: sample.value,
                    });
                }
                family.before = new Map(family.samples);
            }
        }
        const labels = orderLabels(update.labels, def);
        const key = exposition_seriesKey(update.name, labels);
        const current = family.samples.get(key) ?? seededBucket(family.before, update.name, labels);
        let value = update.value;
        if (def.merge === 'sum') {
            // A cumulative counter pushed as +Inf would stay +Inf for good: an overflowing add is left out.
            const sum = (current?.value ?? 0) + update.value;
            value = Number.isFinite(sum) ? sum : (current?.value ?? update.value);
        }
        else if (def.merge === 'max') {
            const before = existing
                ?.get(def.name)
                ?.find((s) => exposition_seriesKey(s.name, orderLabels(normalizeExistingLabels(s.labels, new Set(def.labels)), def)) ===
                key);
            value = Math.max(current?.value ?? -Infinity, before?.value ?? -Infinity, update.value);
        }
        family.samples.set(key, update.at !== undefined && def.merge === 'replace'
            ? { name: update.name, labels, value, timestampMs: update.at }
            : { name: update.name, labels, value });
    }
    return [...families.values()].map(({ definition, samples }) => ({
        name: definition.name,
        type: definition.type,
        help: definition.help,
        samples: sortSamples([...samples.values()]),
    }));
}
/**
 * A histogram bucket the group does not hold yet while it holds the series'
 * other buckets (buckets added in a later version, like 480 and 720 of
 * `time_to_deploy_seconds`): it starts from the next lower bucket's count, the
 * observations known to be below it, so the buckets stay cumulative and
 * quantiles stay sane; runs from the upgrade on are counted exactly.
 */
function seededBucket(samples, name, labels) {
    if (!name.endsWith('_bucket') || labels.le === undefined || labels.le === '+Inf')
        return undefined;
    const bound = Number(labels.le);
    const sameSeries = exposition_seriesKey('', { ...labels, le: '' });
    let below;
    let known = false;
    for (const sample of samples.values()) {
        if (sample.name !== name || sample.labels.le === undefined)
            continue;
        if (exposition_seriesKey('', { ...sample.labels, le: '' }) !== sameSeries)
            continue;
        known = true;
        const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
        if (le < bound && (below === undefined || le > Number(below.labels.le)))
            below = sample;
    }
    if (!known)
        return undefined;
    return { name, labels, value: below?.value ?? 0 };
}
function sortSamples(samples) {
    const le = (s) => s.labels.le === undefined ? Infinity : s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    return samples.sort((a, b) => {
        const ka = exposition_seriesKey('', { ...a.labels, le: '' });
        const kb = exposition_seriesKey('', { ...b.labels, le: '' });
        if (ka !== kb)
            return ka < kb ? -1 : 1;
        const rank = (s) => (s.name.endsWith('_bucket') ? 0 : s.name.endsWith('_sum') ? 1 : 2);
        return rank(a) - rank(b) || le(a) - le(b);
    });
}
/** Counter and timestamp updates only: what a failed push carries to the next one. */
function carriedUpdates(updates) {
    return updates.filter((u) => u.definition.merge === 'sum' || u.definition.merge === 'max');
}

;// CONCATENATED MODULE: ./src/delivery/publish.ts
/**
 * Delivers grouped updates: merges them with what each Pushgateway group holds
 * (cumulative counters), adds counts carried from earlier failed pushes, pushes,
 * and carries what could not be delivered. Also renders the same families as
 * one exposition document for `metrics-file`.
 */






function markerOf(existing) {
    const sample = existing.get(definitions/* METRICS */.Cb.countersUpdated.name)?.[0];
    return sample && Number.isFinite(sample.value) ? sample.value : undefined;
}
async function loadCarried(store, groupId, logger) {
    if (!store)
        return [];
    try {
        return await store.load(groupId);
    }
    catch (error) {
        logger.warning(`Could not read counts carried from earlier failed pushes in ${store.description}: ${error.message}`);
        return [];
    }
}
async function saveCarried(store, groupId, entries, logger) {
    if (!store)
        return false;
    try {
        await store.save(groupId, entries);
        return true;
    }
    catch (error) {
        logger.warning(`Could not keep counts for the next push in ${store.description}: ${error.message}`);
        return false;
    }
}
/** How many times a push is rebuilt on a newer read of its group (another writer intervened). */
const MAX_REAPPLY = 3;
/** How long after its write a push looks again when another deployment of the group is running. */
const SETTLE_MS = 1500;
/** A deployment still `in progress` after this long is taken for one whose runner died. */
const IN_PROGRESS_MAX_AGE_MS = 6 * 3600 * 1000;
/**
 * Other deployments the group shows running: `deployment_in_progress` 1 with another
 * `deployment_id`, started (its `deployment_start_timestamp_seconds`) less than 6 h before `now`.
 */
function othersInProgress(group, deploymentId, now) {
    const started = new Map((group.samples.get(definitions/* METRICS */.Cb.startTimestamp.name) ?? []).map((s) => [s.labels.deployment_id, s.value]));
    const ids = new Set();
    for (const s of group.samples.get(definitions/* METRICS */.Cb.inProgress.name) ?? []) {
        const id = s.labels.deployment_id;
        if (s.value !== 1 || id === undefined || id === deploymentId)
            continue;
        const at = started.get(id);
        if (at !== undefined && Number.isFinite(at) && now - at * 1000 < IN_PROGRESS_MAX_AGE_MS)
            ids.add(id);
    }
    return [...ids];
}
/** How many pushes' tokens a group keeps in `deployment_observability_applied`. */
const APPLIED_KEPT = 20;
/**
 * The action's bookkeeping of which pushes a group's counters include (Pushgateway only): one
 * series per push, `deployment_id` and a random `push` token, valued at the push's time. Not in
 * the metric table: nothing reads it but the action.
 */
const APPLIED = Object.freeze({
    name: 'deployment_observability_applied',
    type: 'gauge',
    help: 'Pushes whose counts this group\u2019s counters include (the last 20), by deployment and push token; value: when.',
    labels: Object.freeze(['deployment_id', 'push']),
    modes: Object.freeze(['track', 'verify', 'summary']),
    source: 'action',
    merge: 'replace',
});
function newPushToken() {
    return (0,external_node_crypto_.randomBytes)(6).toString('hex');
}
/** The push tokens a group's counters include. */
function appliedTokens(group) {
    return new Set((group.samples.get(APPLIED.name) ?? []).map((s) => s.labels.push).filter((t) => !!t));
}
/** What identifies the writes a group has seen: its applied tokens and its marker. */
function appliedSignature(group) {
    return `${[...appliedTokens(group)].sort().join(',')}|${markerOf(group.samples) ?? ''}`;
}
async function readQuietly(sink, key, deadline) {
    try {
        const group = await sink.readGroup(key, deadline);
        return unusableCounter(group, new Set()) ? undefined : group;
    }
    catch {
        return undefined;
    }
}
/**
 * `deployment_observability_applied` after this push: the newest {@link APPLIED_KEPT} - 1
 * entries the group holds, and this push's.
 */
function appliedUpdates(existing, deploymentId, token, nowSeconds) {
    const kept = [...(existing.get(APPLIED.name) ?? [])]
        .filter((s) => s.labels.push && s.labels.push !== token && Number.isFinite(s.value))
        .sort((a, b) => b.value - a.value)
        .slice(0, APPLIED_KEPT - 1);
    return [
        ...kept.map((s) => ({
            definition: APPLIED,
            name: APPLIED.name,
            labels: { deployment_id: s.labels.deployment_id ?? '', push: s.labels.push },
            value: s.value,
        })),
        {
            definition: APPLIED,
            name: APPLIED.name,
            labels: { deployment_id: deploymentId, push: token },
            value: nowSeconds,
        },
    ];
}
/** The write of this push on top of `existing`: its counts, carried counts the group lacks, the marker. */
function buildWrite(plan, o, existing, carriedAll, at, token, applied) {
    const marker = markerOf(existing.samples);
    const pending = pendingAfter([...carriedAll], marker);
    // Cumulative series must move forward in time: never at or before the group's last write.
    const writeAt = marker !== undefined ? Math.max(at, Math.floor(marker * 1000) + 1) : at;
    // Not before now: carried counts recorded up to this push are delivered by it.
    const stamp = Math.max(o.clock.now(), writeAt) / 1000;
    const updates = [
        ...plan.updates,
        ...pending.flatMap((e) => e.updates),
        { definition: definitions/* METRICS */.Cb.countersUpdated, name: definitions/* METRICS */.Cb.countersUpdated.name, labels: {}, value: stamp },
        ...(applied ? appliedUpdates(existing.samples, o.deploymentId, token, stamp) : []),
    ];
    const families = mergeUpdates(updates, existing.samples);
    // PUT the whole group so stale latest-deployment gauges go; POST when it cannot be written back whole.
    const whole = (plan.replaceGroup ?? o.replaceGroup) && o.client?.replacesGroups
        ? wholeGroup(families, existing, o.deploymentId)
        : undefined;
    return { families, whole, writeAt, pending };
}
/** Publishes every group; never throws — problems are in the outcomes. */
async function publishGroups(plans, options) {
    const outcomes = [];
    for (const plan of plans)
        outcomes.push(await publishGroup(plan, options));
    return outcomes;
}
async function publishGroup(plan, o) {
    const sink = o.client;
    const groupId = `${sink?.carryPrefix ?? ''}${(0,delivery_sink/* describeGroup */.N)(plan.key)}`;
    const at = o.at ?? o.clock.now();
    const carryOpen = () => o.clock.now() < (o.carryDeadline ?? Infinity);
    if (sink && o.clock.now() >= o.deadline) {
        // The time budget is spent: no request is started any more for this group.
        const families = mergeUpdates(plan.updates, undefined);
        let carriedOut = false;
        if (o.cumulative && carryOpen()) {
            const carriedAll = await loadCarried(o.store, groupId, o.logger);
            const mine = {
                deploymentId: o.deploymentId,
                recordedAt: o.clock.now(),
                updates: carriedUpdates(plan.updates),
            };
            carriedOut = carryOpen() && (await saveCarried(o.store, groupId, [...carriedAll, mine], o.logger));
        }
        return {
            key: plan.key,
            sink,
            families,
            pushed: false,
            cumulative: false,
            carriedIn: 0,
            carriedOut,
            problem: 'the time budget was spent before this group\u2019s turn',
        };
    }
    if (!sink) {
        return {
            key: plan.key,
            sink,
            families: mergeUpdates(plan.updates, undefined),
            pushed: false,
            cumulative: false,
            carriedIn: 0,
            carriedOut: false,
            problem: undefined,
        };
    }
    if (!o.cumulative) {
        const families = mergeUpdates(plan.updates, undefined);
        try {
            await sink.write(plan.key, families, o.deadline, { method: 'POST', at });
            return {
                key: plan.key,
                sink,
                families,
                pushed: true,
                cumulative: false,
                carriedIn: 0,
                carriedOut: false,
                problem: undefined,
            };
        }
        catch (error) {
            return {
                key: plan.key,
                sink,
                families,
                pushed: false,
                cumulative: false,
                carriedIn: 0,
                carriedOut: false,
                problem: error.message,
            };
        }
    }
    const carriedAll = await loadCarried(o.store, groupId, o.logger);
    let existing;
    let readProblem;
    try {
        existing = await sink.readGroup(plan.key, o.deadline);
    }
    catch (error) {
        readProblem = error.message;
    }
    // A counter holding NaN, ±Inf or a value past 2^53 cannot be added to: treat the group as
    // unreadable for counters (gauges only, counts carried), never push a sum made from it.
    const unusable = existing &&
        unusableCounter(existing, new Set(plan.updates.filter((u) => u.definition.merge === 'sum').map((u) => u.definition.name)));
    if (unusable) {
        readProblem = unusable;
        existing = undefined;
    }
    const mine = {
        deploymentId: o.deploymentId,
        recordedAt: o.clock.now(),
        updates: carriedUpdates(plan.updates),
    };
    if (!existing) {
        // Without the group's current values, pushing counters would reset them: push the
        // gauges only and keep the counts for the next push.
        const gauges = plan.updates.filter((u) => u.definition.merge === 'replace');
        const families = mergeUpdates(plan.updates, undefined);
        let pushProblem;
        if (gauges.length > 0) {
            try {
                await sink.write(plan.key, mergeUpdates(gauges, undefined), o.deadline, { method: 'POST', at });
            }
            catch (error) {
                pushProblem = error.message;
            }
        }
        const carriedOut = carryOpen() && (await saveCarried(o.store, groupId, [...carriedAll, mine], o.logger));
        return {
            key: plan.key,
            sink,
            families,
            pushed: false,
            cumulative: false,
            carriedIn: 0,
            carriedOut,
            problem: [readProblem, pushProblem].filter(Boolean).join('; '),
        };
    }
    // Two posts of one group can overlap (concurrent deploys of a service): each reads, adds and
    // writes back. A write built on a read that another writer has since overtaken would set the
    // other writer's counts back, so the group is read again just before writing, and after it: a
    // write that was overwritten is re-applied on top of what the group holds then. Each push leaves
    // its token in `deployment_observability_applied`, so its counts are added exactly once.
    const token = o.pushToken ?? newPushToken();
    const checked = sink.replacesGroups;
    // Another deployment of the group is running (the group shows it, or pre saw it): its post may
    // read before our write and write just after it, so the check after writing is repeated.
    const contested = o.contested === true || othersInProgress(existing, o.deploymentId, o.clock.now()).length > 0;
    let current = existing;
    let built;
    let attempts = 0;
    let writeProblem;
    let told = false;
    for (;;) {
        built = buildWrite(plan, o, current, carriedAll, at, token, checked);
        if (checked && o.clock.now() < o.deadline) {
            // Just before writing: has another writer written since our read?
            const fresh = await readQuietly(sink, plan.key, o.deadline);
            if (fresh && appliedSignature(fresh) !== appliedSignature(current) && attempts < MAX_REAPPLY) {
                attempts++;
                current = fresh;
                continue;
            }
        }
        if (built.whole && built.whole.dropped.length > 0 && !told) {
            told = true;
            o.logger.info(`Dropping gauges of an earlier deployment that this one did not set: ${built.whole.dropped.join(', ')}`);
        }
        try {
            await sink.write(plan.key, built.whole?.families ?? built.families, o.deadline, {
                method: built.whole ? 'PUT' : 'POST',
                at: built.writeAt,
            });
        }
        catch (error) {
            writeProblem = error.message;
            break;
        }
        if (!checked || attempts >= MAX_REAPPLY || o.clock.now() >= o.deadline)
            break;
        // After writing: did another writer's write, built on an older read, replace ours? Checked at
        // once, and again a moment later (the other post may have read before our write and write
        // just after it).
        let after = await readQuietly(sink, plan.key, o.deadline);
        if (after && appliedTokens(after).has(token) && contested && o.clock.now() + SETTLE_MS < o.deadline) {
            await o.clock.sleep(SETTLE_MS);
            after = await readQuietly(sink, plan.key, o.deadline);
        }
        // Our token is there: our counts are in. The group exactly as before our write: the write is
        // not visible to reads at all (nothing to build on); leave it.
        if (!after || appliedTokens(after).has(token))
            break;
        if (appliedSignature(after) === appliedSignature(current))
            break;
        attempts++;
        o.logger.info(`Another deployment wrote {${(0,delivery_sink/* describeGroup */.N)(plan.key)}} at the same time; adding this deployment\u2019s counts again on top of it (use concurrency: to serialise deploys of one service).`);
        current = after;
    }
    const { families, pending } = built;
    if (writeProblem !== undefined) {
        const carriedOut = carryOpen() && (await saveCarried(o.store, groupId, [...pending, mine], o.logger));
        return {
            key: plan.key,
            sink,
            families,
            pushed: false,
            cumulative: true,
            carriedIn: 0,
            carriedOut,
            problem: writeProblem,
        };
    }
    if (carriedAll.length > 0 && carryOpen())
        await saveCarried(o.store, groupId, [], o.logger);
    return {
        key: plan.key,
        sink,
        families,
        pushed: true,
        cumulative: true,
        carriedIn: pending.length,
        carriedOut: false,
        problem: undefined,
    };
}
/**
 * All groups' families as one valid exposition document: families of the same
 * name are joined, and each sample gets its group's `service` when it has none
 * (as Prometheus will see it after scraping the Pushgateway).
 */
function combinedExposition(outcomes) {
    const byName = new Map();
    for (const outcome of outcomes) {
        const service = outcome.key.find(([l]) => l === 'service')?.[1];
        for (const family of outcome.families) {
            // The action's own bookkeeping gauges are not part of this job's metrics.
            if (family.name === METRICS.countersUpdated.name ||
                family.name === METRICS.summaryCountedAttempt.name ||
                family.name === APPLIED.name)
                continue;
            let entry = byName.get(family.name);
            if (!entry) {
                entry = { family, samples: [] };
                byName.set(family.name, entry);
            }
            for (const s of family.samples) {
                const labels = service !== undefined && s.labels.service === undefined ? { ...s.labels, service } : s.labels;
                entry.samples.push({ ...s, labels });
            }
        }
    }
    return renderExposition([...byName.values()].map(({ family, samples }) => ({ ...family, samples })));
}

// EXTERNAL MODULE: ./src/util/http.ts
var http = __nccwpck_require__(4098);
;// CONCATENATED MODULE: ./src/delivery/pushgateway.ts



/** Ordered grouping labels: `job` first. */
const PLAIN_VALUE = /^[A-Za-z0-9._~-]+$/;
/**
 * `/metrics/job/<job>/<label>/<value>…`. Values that are empty or hold
 * anything but URL-safe characters use `<label>@base64/<base64url>` (empty:
 * `=`): `%2F` in a path gets HTTP 400 (docs/platform.md, "Prometheus and the Pushgateway").
 */
function groupPath(key) {
    return ('/metrics' +
        key
            .map(([label, value]) => {
            if (value === '')
                return `/${label}@base64/=`;
            // `.` and `..` are path segments URL parsing removes: they must be encoded too.
            if (PLAIN_VALUE.test(value) && value !== '.' && value !== '..')
                return `/${label}/${value}`;
            return `/${label}@base64/${Buffer.from(value, 'utf8').toString('base64url')}`;
        })
            .join(''));
}
function sameGroup(labels, key) {
    if (!labels)
        return false;
    if (Object.keys(labels).length !== key.length)
        return false;
    return key.every(([l, v]) => (labels[l] ?? '') === v);
}
/** Type and help of each family of one group out of `GET /api/v1/metrics`. */
function typesOfGroup(body, key) {
    const out = new Map();
    const data = body?.data;
    const group = Array.isArray(data) ? data.find((g) => sameGroup(g.labels, key)) : undefined;
    for (const [family, content] of Object.entries(group ?? {})) {
        if (family === 'labels' || typeof content !== 'object' || content === null)
            continue;
        const { type, help } = content;
        if (typeof type === 'string')
            out.set(family, { type, help: help ?? '' });
    }
    return out;
}
/** The samples of one group out of `GET /api/v1/metrics`. */
function samplesOfGroup(body, key) {
    const out = new Map();
    const data = body?.data;
    if (!Array.isArray(data))
        throw new Error('the Pushgateway answered /api/v1/metrics without a data array');
    const group = data.find((g) => sameGroup(g.labels, key));
    if (!group)
        return out;
    for (const [family, content] of Object.entries(group)) {
        if (family === 'labels' || typeof content !== 'object' || content === null)
            continue;
        const metrics = content.metrics;
        if (!Array.isArray(metrics))
            continue;
        const samples = [];
        for (const m of metrics) {
            const labels = m.labels ?? {};
            if (m.buckets) {
                for (const [le, v] of Object.entries(m.buckets))
                    samples.push({ name: `${family}_bucket`, labels: { ...labels, le }, value: Number(v) });
                samples.push({ name: `${family}_sum`, labels, value: Number(m.sum ?? 0) });
                samples.push({ name: `${family}_count`, labels, value: Number(m.count ?? 0) });
            }
            else if (m.value !== undefined) {
                samples.push({ name: family, labels, value: Number(m.value) });
            }
        }
        out.set(family, samples);
    }
    return out;
}
class PushgatewayClient {
    config;
    clock;
    fetchImpl;
    name = 'the Pushgateway';
    replacesGroups = true;
    // Carried counts of the Pushgateway keep the ids they had before remote write existed.
    carryPrefix = '';
    constructor(config, clock, fetchImpl = fetch) {
        this.config = config;
        this.clock = clock;
        this.fetchImpl = fetchImpl;
    }
    get target() {
        return this.config.url;
    }
    /** The families as exposition text (no timestamps: the Pushgateway refuses them). */
    async write(key, families, deadline, options) {
        await this.push(key, exposition_renderExposition(families), deadline, options.method);
    }
    headers(extra = {}) {
        return {
            'user-agent': 'deployment-observability-action',
            ...(this.config.authorization ? { authorization: this.config.authorization } : {}),
            ...extra,
        };
    }
    /** Everything one group holds; empty when the group does not exist yet. */
    async readGroup(key, deadline) {
        const response = await (0,http/* request */.Em)({
            url: `${this.config.url}/api/v1/metrics`,
            headers: this.headers({ accept: 'application/json' }),
            deadline,
            timeoutMs: 5000,
            attempts: 3,
            what: 'Reading the Pushgateway group',
        }, this.clock, this.fetchImpl);
        if (response.status !== 200) {
            throw new Error(`Reading the Pushgateway group failed: HTTP ${response.status} ${response.text.slice(0, 200)}`);
        }
        let body;
        try {
            body = JSON.parse(response.text);
        }
        catch {
            throw new Error('Reading the Pushgateway group failed: the answer is not JSON');
        }
        return { samples: samplesOfGroup(body, key), types: typesOfGroup(body, key) };
    }
    /**
     * Sends exposition text to a group: POST replaces the families it carries,
     * PUT the whole group. Throws with the Pushgateway's message on failure.
     */
    async push(key, text, deadline, method = 'POST') {
        const response = await (0,http/* request */.Em)({
            url: `${this.config.url}${groupPath(key)}`,
            method,
            headers: this.headers({ 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
            body: text,
            deadline,
            timeoutMs: 5000,
            attempts: 3,
            what: `Pushing to the Pushgateway group {${(0,delivery_sink/* describeGroup */.N)(key)}}`,
        }, this.clock, this.fetchImpl);
        if (response.status < 200 || response.status >= 300) {
            throw new Error(`Pushing to the Pushgateway group {${(0,delivery_sink/* describeGroup */.N)(key)}} failed: HTTP ${response.status} ${response.text.trim().slice(0, 300)}`);
        }
    }
}

;// CONCATENATED MODULE: ./src/delivery/sinks.ts



/**
 * The sinks the inputs ask for: the Pushgateway first, then remote write. The
 * remote-write client (protobuf, snappy) is loaded only when it is used: it
 * would grow every bundle, and start-up, by a third.
 */
async function metricsSinks(config, clock) {
    const sinks = [];
    if (config.pushgateway)
        sinks.push(new PushgatewayClient(config.pushgateway, clock));
    if (config.remoteWrite) {
        const { RemoteWriteClient } = await Promise.all(/* import() */[__nccwpck_require__.e(222), __nccwpck_require__.e(411)]).then(__nccwpck_require__.bind(__nccwpck_require__, 8792));
        sinks.push(new RemoteWriteClient(config.remoteWrite, clock));
    }
    return sinks;
}
/** Publishes to every sink at once (a hung one does not hold the other up). Never throws. */
async function deliverGroups(plans, sinks, options) {
    if (sinks.length === 0) {
        const primary = await publishGroups(plans, { ...options, client: undefined });
        return { all: [], primary };
    }
    const perSink = await Promise.all(sinks.map((sink) => publishGroups(plans, { ...options, client: sink })));
    return { all: perSink.flat(), primary: perSink[0] ?? [] };
}
/** One line per group and sink for the job summary and the log. */
function outcomeText(outcome, store) {
    const group = `{${describeGroup(outcome.key)}}`;
    const sink = outcome.sink;
    const remote = sink?.name === 'remote write';
    const verb = remote ? 'Remote-written' : 'Pushed';
    // "Pushed to the Pushgateway http://…", "Remote-written to https://…/api/v1/push".
    const where = sink ? (remote ? sink.target : `${sink.name} ${sink.target}`) : 'nowhere';
    if (outcome.pushed) {
        const carried = outcome.carriedIn > 0
            ? `, with the counts of ${outcome.carriedIn} earlier deployment(s) whose push had failed`
            : '';
        return { ok: true, text: `${verb} to ${where} group \`${group}\`${carried}` };
    }
    const kept = outcome.carriedOut
        ? `counts kept in ${store} for the next successful push`
        : 'counts of this deployment are lost (no place to keep them)';
    const target = remote ? `remote-written to ${where} group` : 'pushed to';
    return {
        ok: false,
        text: `Not ${target} \`${group}\`: ${outcome.problem ?? 'unknown problem'}; ${kept}`,
    };
}

;// CONCATENATED MODULE: ./src/metrics/track.ts

const MIGRATION_STAGES = new Set(['migration', 'migration_apply']);
/** The `status` values of `deployment_runs_total`. */
const RUN_STATUSES = Object.freeze(['success', 'failure', 'cancelled']);
function update(def, labels, value, at) {
    return at === undefined
        ? { definition: def, name: def.name, labels, value }
        : { definition: def, name: def.name, labels, value, at };
}
function push(groups, service, u) {
    const list = groups.get(service);
    if (list)
        list.push(u);
    else
        groups.set(service, [u]);
}
/** `triggered_by` as the design names it, from the event that started the run. */
function triggeredBy(eventName) {
    if (eventName === 'workflow_dispatch')
        return 'manual';
    if (eventName === 'repository_dispatch')
        return 'webhook';
    return 'github_actions';
}
/** The gauges pre pushes when the deployment starts: visible live, so a hung deployment shows. */
function startUpdates(ctx, startedAtMs, thresholds = {}) {
    const env = ctx.environment;
    return [
        ...thresholdUpdates(ctx, ctx.service, thresholds),
        update(definitions/* METRICS */.Cb.inProgress, {
            environment: env,
            deployment_id: ctx.deploymentId,
            service: ctx.service,
            branch: ctx.branch,
            triggered_by: ctx.triggeredBy,
        }, 1),
        update(definitions/* METRICS */.Cb.startTimestamp, { environment: env, deployment_id: ctx.deploymentId, service: ctx.service }, startedAtMs / 1000),
    ];
}
/** Everything post pushes for a finished deployment, grouped by service. */
function finishUpdates(ctx, deployment, reported, times) {
    const groups = new Map();
    const env = ctx.environment;
    const id = ctx.deploymentId;
    const primary = ctx.service;
    const add = (service, def, labels, value, at) => push(groups, service, update(def, labels, value, at));
    // Run-level metrics live in the primary group.
    // Every outcome's series exists from the first deployment on, the others at 0 (adding 0 keeps a
    // count the group holds): increase() then sees the first failure as 0 → 1, not a series
    // appearing at 1.
    for (const status of RUN_STATUSES)
        add(primary, METRICS.deploymentRunsTotal, { environment: env, service: primary, status }, status === deployment.status ? 1 : 0);
    add(primary, METRICS.inProgress, {
        environment: env,
        deployment_id: id,
        service: primary,
        branch: ctx.branch,
        triggered_by: ctx.triggeredBy,
    }, 0);
    add(primary, METRICS.startTimestamp, { environment: env, deployment_id: id, service: primary }, times.startedAt / 1000);
    // A cancelled deployment moves neither timestamp: it neither pages nor resolves DeploymentFailed.
    if (deployment.status !== 'cancelled')
        add(primary, deployment.status === 'success' ? METRICS.lastSuccessTimestamp : METRICS.lastFailureTimestamp, { environment: env, service: primary }, times.finishedAt / 1000);
    const reportedNames = new Set(reported.series.map((s) => s.definition.name));
    const reportedErrorStages = new Set(reported.series.filter((s) => s.definition === METRICS.deploymentErrorsTotal).map((s) => s.labels.stage));
    for (const stage of deployment.stages) {
        const s = stage.service;
        add(s, METRICS.deploymentTotal, { environment: env, service: s, stage: stage.stage, status: stage.status }, 1);
        add(s, METRICS.stageDuration, { environment: env, deployment_id: id, service: s, stage: stage.stage, status: stage.status }, Math.round(stage.durationSeconds * 1000) / 1000, 
        // Remote write puts the duration where the stage ended, not where post ran.
        stage.completedAt);
    }
    const failed = deployment.failedStage;
    if (failed && deployment.errorType && !reportedErrorStages.has(failed.stage)) {
        add(failed.service, METRICS.deploymentErrorsTotal, {
            environment: env,
            service: failed.service,
            stage: failed.stage,
            error_type: deployment.errorType,
        }, 1);
    }
    const rollback = deployment.rollback;
    if (rollback) {
        // A cancelled deployment counts no error, the rollback a cancel ran included.
        if (!reportedErrorStages.has('rollback') && failed !== rollback && deployment.status !== 'cancelled') {
            add(rollback.service, METRICS.deploymentErrorsTotal, {
                environment: env,
                service: rollback.service,
                stage: 'rollback',
                error_type: 'rollback_triggered',
            }, 1);
        }
        if (!reportedNames.has(METRICS.deploymentRollbackTotal.name)) {
            add(rollback.service, METRICS.deploymentRollbackTotal, {
                environment: env,
                service: rollback.service,
                reason: deployment.errorType && deployment.errorType !== 'rollback_triggered'
                    ? deployment.errorType
                    : 'manual',
                status: rollback.status,
            }, 1);
        }
    }
    // A stage a cancel interrupted neither passed nor failed: it counts in neither pair of counters.
    const migration = deployment.stages.find((st) => MIGRATION_STAGES.has(st.stage));
    if (migration &&
        migration.status !== 'cancelled' &&
        !reportedNames.has(METRICS.migrationSuccessTotal.name) &&
        !reportedNames.has(METRICS.migrationFailureTotal.name)) {
        add(migration.service, migration.status === 'success' ? METRICS.migrationSuccessTotal : METRICS.migrationFailureTotal, { environment: env }, 1);
    }
    const smoke = deployment.stages.find((st) => st.stage === 'smoke_test');
    if (smoke &&
        smoke.status !== 'cancelled' &&
        !reportedNames.has(METRICS.smokeTestTotal.name) &&
        !reportedNames.has(METRICS.smokeTestFailuresTotal.name)) {
        const labels = { environment: env, service: smoke.service, test_name: 'all' };
        add(smoke.service, METRICS.smokeTestTotal, labels, 1);
        if (smoke.status === 'failure')
            add(smoke.service, METRICS.smokeTestFailuresTotal, labels, 1);
    }
    addReported(groups, ctx, reported.series);
    for (const u of stageStateUpdates(ctx, times.stageStates ?? []))
        push(groups, u.service, u.update);
    // Every group of this deployment's own carries the thresholds its stages are judged by; a group it
    // only adds to (a step's series, a stage that never ran) keeps its own.
    const own = ownServices(ctx, deployment);
    for (const service of groups.keys())
        if (own.has(service))
            for (const u of thresholdUpdates(ctx, service, times.thresholds ?? {}))
                push(groups, service, u);
    return groups;
}
/**
 * The services whose groups belong to this deployment: the job's own and
 * those of the stages that ran. Post writes these whole (PUT); any other
 * group it writes — a service a step reported for, or whose mapped stages
 * never ran — it only adds to (POST), so another job's deployment of that
 * service keeps its gauges.
 */
function ownServices(ctx, deployment) {
    return new Set([ctx.service, ...deployment.stages.map((st) => st.service)]);
}
/**
 * What steps reported, with the standard labels set, into the group of the
 * series' own `service` (else the job's). `only` keeps the series for which it
 * returns true (the live reporter pushes gauges only).
 */
function addReported(groups, ctx, series, only = () => true) {
    for (const s of series) {
        if (!only(s))
            continue;
        const def = s.definition;
        const service = s.labels.service ?? ctx.service;
        const labels = { ...s.labels };
        if (def.labels.includes('environment'))
            labels.environment = ctx.environment;
        if (def.labels.includes('deployment_id'))
            labels.deployment_id = ctx.deploymentId;
        if (def.labels.includes('service'))
            labels.service = service;
        else
            delete labels.service;
        push(groups, def.labels.includes('service') ? service : ctx.service, update(def, labels, s.value));
    }
}
/**
 * `deployment_stage_state` (1 on the stage's current state) and
 * `deployment_stage_start_timestamp_seconds` of every stage, each for its
 * service's group.
 */
function stageStateUpdates(ctx, stages) {
    const out = [];
    for (const p of stages) {
        const base = { environment: ctx.environment, deployment_id: ctx.deploymentId, service: p.service };
        out.push({
            service: p.service,
            update: update(METRICS.stageState, { ...base, stage: p.stage, state: p.state }, 1),
        });
        if (p.startedAt !== undefined)
            out.push({
                service: p.service,
                update: update(METRICS.stageStartTimestamp, { ...base, stage: p.stage }, p.startedAt / 1000),
            });
    }
    return out;
}
/** `deployment_stage_threshold_seconds` of every stage in the `thresholds` input, for one group. */
function thresholdUpdates(ctx, service, thresholds) {
    return Object.entries(thresholds).map(([stage, seconds]) => update(definitions/* METRICS */.Cb.stageThreshold, { environment: ctx.environment, service, stage }, seconds));
}

;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
;// CONCATENATED MODULE: ./src/live/control.ts
/**
 * Starting and stopping the live reporter, a detached process of the
 * action's own `dist/live` bundle.
 *
 * Why detached with no stdio: the runner ends a step when its process exits,
 * but while a child still holds the step's stdout/stderr it waits up to 5 s
 * more and then drops what the child writes. So the reporter gets its own
 * process group and `stdio: 'ignore'`, and pre does not wait for it. It keeps
 * the step's environment, `RUNNER_TRACKING_ID` included: the runner kills
 * every process carrying that id when the job ends, so nothing outlives the
 * job even if post never runs.
 */



/** The environment variable that hands the reporter what pre knows. */
const LIVE_SETTINGS_ENV = 'DEPLOYMENT_OBSERVABILITY_LIVE';
/** The reporter bundle beside the running hook's bundle: dist/<hook>/index.js → dist/live/index.js. */
function liveScriptPath(hookScript = process.argv[1]) {
    if (!hookScript)
        return undefined;
    const script = (0,external_node_path_namespaceObject.join)((0,external_node_path_namespaceObject.dirname)(hookScript), '..', 'live', 'index.js');
    return (0,external_node_fs_.existsSync)(script) ? script : undefined;
}
/** Starts the reporter detached and returns its pid; pre does not wait for it. */
function launchLiveReporter(script, settings, env, spawnImpl = external_node_child_process_namespaceObject.spawn) {
    const child = spawnImpl(process.execPath, [script], {
        detached: true,
        stdio: 'ignore',
        env: { ...env, [LIVE_SETTINGS_ENV]: JSON.stringify(settings) },
    });
    // A spawn failure arrives as an event; post then finds no reporter and says so.
    child.on('error', () => undefined);
    child.unref();
    return child.pid;
}
/** The process's state letter from /proc (Linux), undefined elsewhere or when it is gone. */
function procState(pid) {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    }
    catch {
        return undefined;
    }
}
/** Whether the process runs (a zombie, dead but not yet reaped, does not). */
function processAlive(pid) {
    try {
        process.kill(pid, 0);
    }
    catch (error) {
        if (error.code !== 'EPERM')
            return false;
    }
    const state = procState(pid);
    return state !== 'Z' && state !== 'X';
}
/** Whether the pid is still our reporter (pids are reused): its command line names the live bundle. */
function isReporter(pid, script) {
    let cmdline;
    try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    }
    catch {
        return existsSync('/proc/self') ? false : true;
    }
    return script ? cmdline.includes(script) : /live[\\/]index\.js/.test(cmdline);
}
/** Writes the status atomically (a reader never sees half a file). */
function writeLiveStatus(file, status) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(status));
    renameSync(tmp, file);
}
function readLiveStatus(file) {
    try {
        return JSON.parse(readFileSync(file, 'utf8'));
    }
    catch {
        return undefined;
    }
}
/**
 * Stops the reporter before post reads the job, so no live push can land
 * after post's final one: SIGTERM (it saves its status and exits at once),
 * then SIGKILL if it is still there after `graceMs`. Bounded; never throws.
 */
async function stopLiveReporter(pid, statusFile, script, clock, graceMs = 3000) {
    const t0 = clock.now();
    const done = (how) => ({
        status: readLiveStatus(statusFile),
        how,
        waitedMs: clock.now() - t0,
    });
    if (!processAlive(pid) || !isReporter(pid, script)) {
        const status = readLiveStatus(statusFile);
        return { status, how: status?.stoppedBecause ? 'ended by itself' : 'not running', waitedMs: 0 };
    }
    const waitGone = async (ms) => {
        const until = clock.now() + ms;
        while (processAlive(pid)) {
            if (clock.now() >= until)
                return false;
            // Polling with a bound: it exits within milliseconds of the signal.
            await clock.sleep(20);
        }
        return true;
    };
    try {
        process.kill(pid, 'SIGTERM');
    }
    catch {
        return done('ended by itself');
    }
    if (await waitGone(graceMs))
        return done('stopped');
    try {
        process.kill(pid, 'SIGKILL');
    }
    catch {
        // gone meanwhile
    }
    await waitGone(1000);
    return done('killed');
}

;// CONCATENATED MODULE: ./src/hooks/track-start.ts
/**
 * Track mode's start (pre, or main when pre did not run because the action is
 * local): claim the job, record the start, export DEPLOY_METRICS_FILE and
 * DEPLOYMENT_ID, and push `deployment_in_progress=1` with the start timestamp
 * so a hung deployment is visible live.
 */









/** Pre's push must never hold up the deployment: a short budget. */
const START_BUDGET_MS = 8000;
function trackContext(config, service = config.service) {
    return {
        environment: config.environment,
        deploymentId: deploymentIdOf(config.runner),
        service,
        branch: config.runner.refName,
        triggeredBy: triggeredBy(config.runner.eventName),
    };
}
function groupingKey(config, service) {
    return [
        ['job', config.metricsJob],
        ['environment', config.environment],
        ['service', service],
    ];
}
/** Identity of this instance within the job: the step id the runner gives it. */
function instanceId(env) {
    return env.GITHUB_ACTION || 'deployment-observability';
}
/**
 * Starts the live reporter beside the job (live: true, a sink, a token). pre
 * does not wait for it; its pid goes to post, which stops it.
 */
function startLive(ctx, settings) {
    const { config, io, env } = ctx;
    if (!config.live) {
        io.info('Live tracking is off (live: false): post reports the deployment when the job ends.');
        return;
    }
    if (!config.githubToken)
        return; // post says the steps cannot be read
    const script = ctx.liveScript ?? liveScriptPath();
    if (!script) {
        ctx.problems.report('The live reporter (dist/live/index.js) is missing from the action; only post will report');
        return;
    }
    try {
        const pid = launchLiveReporter(script, settings, env, ctx.spawn);
        if (pid === undefined)
            throw new Error('no process id');
        io.saveState(State.LivePid, String(pid));
        io.saveState(State.LiveScript, script);
        io.saveState(State.LiveStatusFile, settings.statusFile);
        io.info(`Live tracking: a reporter (pid ${pid}) looks at this job every ${config.liveIntervalSeconds}s and pushes each stage as it ends.`);
    }
    catch (error) {
        ctx.problems.report(`The live reporter could not be started, so only post will report: ${error.message}`);
    }
}
/** Returns the role this instance took: `owner` (tracks the job) or `passive`. */
async function startTrack(ctx) {
    const { config, io, env, clock } = ctx;
    const owner = env[ExportedEnv.Owner];
    if (owner && owner !== instanceId(env)) {
        io.saveState(State.Role, TRACK_ROLE_PASSIVE);
        io.info(`Another instance (step ${owner}) tracks this job already; this one stays passive.`);
        return TRACK_ROLE_PASSIVE;
    }
    const startedAt = clock.now();
    const deploymentId = deploymentIdOf(config.runner);
    io.exportVariable(ExportedEnv.Owner, instanceId(env));
    io.saveState(State.Role, TRACK_ROLE_OWNER);
    io.saveState(State.StartedAt, String(startedAt));
    io.saveState(State.DeploymentId, deploymentId);
    io.saveState(State.Service, config.service);
    const base = config.runner.runnerTemp || env.TMPDIR || '/tmp';
    const safeJob = (config.runner.jobId || 'job').replace(/[^A-Za-z0-9_.-]/g, '_');
    const reportFile = (0,external_node_path_namespaceObject.join)(base, 'deployment-observability', `${safeJob}-${deploymentId}.prom`);
    let reportFileMade;
    try {
        await (0,promises_namespaceObject.mkdir)((0,external_node_path_namespaceObject.dirname)(reportFile), { recursive: true });
        await (0,promises_namespaceObject.writeFile)(reportFile, '', { flag: 'a' });
        io.exportVariable(ExportedEnv.ReportFile, reportFile);
        io.saveState(State.ReportFile, reportFile);
        reportFileMade = reportFile;
    }
    catch (error) {
        ctx.problems.report(`Could not create DEPLOY_METRICS_FILE at ${reportFile}: ${error.message}; steps cannot report metrics`);
    }
    io.exportVariable(ExportedEnv.DeploymentId, deploymentId);
    io.info(`Tracking deployment ${deploymentId} of ${config.service} to ${config.environment}.`);
    const sinks = await metricsSinks(config, clock);
    if (sinks.length === 0) {
        if (config.live)
            io.info('Live tracking is off: there is no pushgateway-url or remote-write-url to push to.');
        return TRACK_ROLE_OWNER;
    }
    startLive(ctx, {
        deploymentId,
        service: config.service,
        startedAt,
        reportFile: reportFileMade,
        statusFile: (0,external_node_path_namespaceObject.join)(base, 'deployment-observability', `live-${safeJob}-${deploymentId}.json`),
        runnerPid: process.ppid > 1 ? process.ppid : undefined,
    });
    const key = groupingKey(config, config.service);
    const { all } = await deliverGroups([{ key, updates: startUpdates(trackContext(config), startedAt, config.thresholds) }], sinks, {
        store: undefined,
        deploymentId,
        deadline: startedAt + START_BUDGET_MS,
        clock,
        logger: io,
        cumulative: false,
        at: startedAt,
    });
    for (const outcome of all) {
        const via = outcome.sink?.name === 'remote write' ? ' by remote write' : '';
        if (outcome.pushed)
            io.info(`Pushed deployment_in_progress=1 to {${(0,delivery_sink/* describeGroup */.N)(key)}}${via}.`);
        else
            ctx.problems.report(`deployment_in_progress was not pushed${via}, so this deployment is not visible live: ${outcome.problem ?? 'unknown problem'}`);
    }
    await warnIfConcurrent(ctx, sinks, key, deploymentId, startedAt + START_BUDGET_MS);
    return TRACK_ROLE_OWNER;
}
/**
 * Warns when the group shows another deployment of the same environment and service running
 * (`deployment_in_progress` 1, started less than 6 h ago): both posts write the group, and a
 * moment's overlap can show a counter lower than it was. Never fails anything.
 */
async function warnIfConcurrent(ctx, sinks, key, deploymentId, deadline) {
    const sink = sinks.find((s) => s.replacesGroups);
    if (!sink || ctx.clock.now() >= deadline)
        return;
    let others;
    try {
        others = othersInProgress(await sink.readGroup(key, deadline), deploymentId, ctx.clock.now());
    }
    catch {
        return; // the push above already said what is wrong with the sink
    }
    if (others.length === 0)
        return;
    ctx.io.saveState(State.ConcurrentSeen, '1');
    ctx.io.warning(`Another deployment of ${ctx.config.service} to ${ctx.config.environment} is in progress (deployment ${others.join(', ')}). ` +
        'Concurrent deploys of one service write the same metrics group; add concurrency: to the deploy job to serialise them (docs/reliability.md).', { title: 'Concurrent deployment' });
}

;// CONCATENATED MODULE: ./src/hooks/pre.ts


async function preHook(ctx) {
    if (ctx.config.mode === 'track')
        await startTrack(ctx);
}
/**
 * The pre phase without ending the process. The entry point (`src/entrypoints/pre.ts`) passes the
 * runner's protocol; GitHub's `@github/local-action` calls it with no argument, and then it goes
 * through `@actions/core`, which local-action stubs (docs/development.md, "Running a hook under
 * local-action").
 */
async function run(io) {
    await runHook('pre', preHook, await ioOrCore(io));
}


/***/ }),

/***/ 5664:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  $: () => (/* binding */ runnerIO)
});

// UNUSED EXPORTS: rawRunnerIO

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(7598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");
// EXTERNAL MODULE: ./src/hooks/io.ts
var io = __nccwpck_require__(1438);
;// CONCATENATED MODULE: ./src/hooks/runner-io.ts
/**
 * The runner's protocol, written directly: what the bundles in `dist/` talk to the runner with.
 *
 * The runner reads a step's inputs and saved state from `INPUT_<NAME>` and `STATE_<name>`, and
 * takes what a step sends back in two ways:
 * - file commands: `GITHUB_OUTPUT`, `GITHUB_STATE` and `GITHUB_ENV` receive `name<<delimiter`,
 *   the value, and the delimiter again (a fresh random delimiter each time, so no value can end
 *   the block early); `GITHUB_STEP_SUMMARY` receives Markdown appended as is;
 * - workflow commands on stdout: `::add-mask::value`, `::debug::…`, `::warning title=…::…`, with
 *   `%`, CR and LF escaped in the message and also `:` and `,` in a property.
 *
 * This is what `@actions/core` writes, byte for byte (`__tests__/unit/runner-io.test.ts` compares
 * the two on hostile values). We do not import `@actions/core` here: its module graph loads an
 * HTTP client, `https`, `tls` and `tunnel` for its OIDC helper, which we never call; that is
 * about 29 ms of every hook's start (docs/performance.md). `core-io.ts` still uses
 * `@actions/core`, for `@github/local-action`, which replaces that module with its own.
 */




function escapeData(s) {
    return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeProperty(s) {
    return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
/**
 * `::name key=value,…::message` on stdout. A property with no value is left out; the space after
 * the name comes with any property object that has keys, even if none has a value (`::warning ::…`),
 * as `@actions/core` writes it: the runner reads both forms.
 */
function command(name, properties, message) {
    const props = Object.entries(properties)
        .filter(([, v]) => v !== undefined && v !== '' && v !== 0)
        .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
        .join(',');
    const space = Object.keys(properties).length > 0 ? ' ' : '';
    process.stdout.write(`::${name}${space}${props}::${escapeData(message)}${external_node_os_namespaceObject.EOL}`);
}
function annotationProperties(p) {
    return p === undefined || Object.keys(p).length === 0
        ? {}
        : { title: p.title, file: p.file, line: p.startLine };
}
/** `name<<delimiter`, the value, the delimiter: appended to the file `GITHUB_<kind>` names. */
function fileCommand(kind, name, value) {
    const file = process.env[`GITHUB_${kind}`];
    if (file === undefined || file === '')
        throw new Error(`Unable to find environment variable for file command ${kind}`);
    if (!(0,external_node_fs_.existsSync)(file))
        throw new Error(`Missing file at path: ${file}`);
    const delimiter = `ghadelimiter_${(0,external_node_crypto_.randomUUID)()}`;
    if (name.includes(delimiter) || value.includes(delimiter)) {
        throw new Error(`Unexpected input: the ${kind} ${name} contains the delimiter "${delimiter}"`);
    }
    (0,external_node_fs_.appendFileSync)(file, `${name}<<${delimiter}${external_node_os_namespaceObject.EOL}${value}${external_node_os_namespaceObject.EOL}${delimiter}${external_node_os_namespaceObject.EOL}`, { encoding: 'utf8' });
}
/** Whether the runner gave this step the file for `kind` (runners before 2.297 did not). */
function hasFile(kind) {
    const file = process.env[`GITHUB_${kind}`];
    return file !== undefined && file !== '';
}
async function appendStepSummary(markdown) {
    const file = process.env['GITHUB_STEP_SUMMARY'];
    if (file === undefined || file === '') {
        throw new Error('Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.');
    }
    try {
        await external_node_fs_.promises.access(file, external_node_fs_.constants.R_OK | external_node_fs_.constants.W_OK);
    }
    catch {
        throw new Error(`Unable to access summary file: '${file}'. Check if the file has correct read/write permissions.`);
    }
    await external_node_fs_.promises.appendFile(file, `${markdown}${external_node_os_namespaceObject.EOL}`, { encoding: 'utf8' });
}
/** The unwrapped protocol (exported for the equivalence test); hooks use {@link runnerIO}. */
const rawRunnerIO = {
    getInput: (name) => (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim(),
    getState: (name) => process.env[`STATE_${name}`] ?? '',
    saveState: (name, value) => {
        if (hasFile('STATE'))
            fileCommand('STATE', name, value);
        else
            command('save-state', { name }, value);
    },
    setOutput: (name, value) => {
        if (hasFile('OUTPUT')) {
            fileCommand('OUTPUT', name, value);
            return;
        }
        process.stdout.write(external_node_os_namespaceObject.EOL);
        command('set-output', { name }, value);
    },
    exportVariable: (name, value) => {
        process.env[name] = value;
        if (hasFile('ENV'))
            fileCommand('ENV', name, value);
        else
            command('set-env', { name }, value);
    },
    setSecret: (value) => command('add-mask', {}, value),
    setFailed: (message) => {
        process.exitCode = 1;
        command('error', {}, message);
    },
    info: (message) => process.stdout.write(`${message}${external_node_os_namespaceObject.EOL}`),
    debug: (message) => command('debug', {}, message),
    warning: (message, properties) => command('warning', annotationProperties(properties), message),
    error: (message, properties) => command('error', annotationProperties(properties), message),
    notice: (message, properties) => command('notice', annotationProperties(properties), message),
    appendSummary: appendStepSummary,
};
/** The real runner, behind {@link safeIO}: what the entry points in `src/entrypoints/` pass. */
const runnerIO = (0,io/* safeIO */.u)(rawRunnerIO);


/***/ }),

/***/ 6511:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Cb: () => (/* binding */ METRICS),
/* harmony export */   tX: () => (/* binding */ metricByName)
/* harmony export */ });
/* unused harmony exports TIME_TO_DEPLOY_BUCKETS, ALL_METRICS */
/**
 * The one table of metric definitions. Code (building, validation of what steps
 * report), docs and dashboards read names, types and labels from here; nothing
 * else spells a metric name.
 *
 * Semantics (README, "Metrics and their semantics, and why"): every job is a short-lived process
 * pushing to a Pushgateway, so counters are cumulative across deployments (the
 * action adds this deployment's counts to what the group already holds) and
 * carry no `deployment_id`; per-deployment values are gauges of the latest
 * deployment with `deployment_id`.
 */
function def(d) {
    return Object.freeze({ ...d, labels: Object.freeze([...d.labels]) });
}
/** Buckets of `time_to_deploy_seconds` (README, "The metric table"). */
const TIME_TO_DEPLOY_BUCKETS = Object.freeze([60, 300, 480, 600, 720, 900, 1200, 1500, 1800]);
const METRICS = Object.freeze({
    deploymentTotal: def({
        name: 'deployment_total',
        type: 'counter',
        help: 'Deployment stage completions, cumulative across deployments (one per stage that ran).',
        labels: ['environment', 'service', 'stage', 'status'],
        modes: ['track'],
        source: 'action',
        merge: 'sum',
    }),
    deploymentRunsTotal: def({
        name: 'deployment_runs_total',
        type: 'counter',
        help: 'Whole deployments (one per tracked deploy job) by outcome (success, failure, cancelled), cumulative across deployments.',
        labels: ['environment', 'service', 'status'],
        modes: ['track'],
        source: 'action',
        merge: 'sum',
    }),
    deploymentErrorsTotal: def({
        name: 'deployment_errors_total',
        type: 'counter',
        help: 'Failed deployment stages by error type, cumulative across deployments.',
        labels: ['environment', 'service', 'stage', 'error_type'],
        modes: ['track'],
        source: 'both',
        merge: 'sum',
    }),
    deploymentRollbackTotal: def({
        name: 'deployment_rollback_total',
        type: 'counter',
        help: 'Rollbacks by reason and outcome, cumulative across deployments.',
        labels: ['environment', 'service', 'reason', 'status'],
        modes: ['track'],
        source: 'both',
        merge: 'sum',
    }),
    stageDuration: def({
        name: 'deployment_stage_duration_seconds',
        type: 'gauge',
        help: 'Duration of each stage of the latest deployment, in seconds.',
        labels: ['environment', 'deployment_id', 'service', 'stage', 'status'],
        modes: ['track'],
        source: 'action',
        merge: 'replace',
    }),
    stageState: def({
        name: 'deployment_stage_state',
        type: 'gauge',
        help: 'Current state of each stage of the latest deployment: 1 on the series whose state label is waiting, running, success, failure, cancelled or skipped.',
        labels: ['environment', 'deployment_id', 'service', 'stage', 'state'],
        modes: ['track'],
        source: 'action',
        merge: 'replace',
    }),
    stageStartTimestamp: def({
        name: 'deployment_stage_start_timestamp_seconds',
        type: 'gauge',
        help: 'Unix time each started stage of the latest deployment began (elapsed of a running stage: time() minus it).',
        labels: ['environment', 'deployment_id', 'service', 'stage'],
        modes: ['track'],
        source: 'action',
        merge: 'replace',
    }),
    stageThreshold: def({
        name: 'deployment_stage_threshold_seconds',
        type: 'gauge',
        help: 'The thresholds input in force: seconds a stage may take before it is slow (stage="total": the whole deployment).',
        labels: ['environment', 'service', 'stage'],
        modes: ['track'],
        source: 'action',
        merge: 'replace',
    }),
    inProgress: def({
        name: 'deployment_in_progress',
        type: 'gauge',
        help: '1 while the latest deployment runs, 0 once its job has finished.',
        labels: ['environment', 'deployment_id', 'service', 'branch', 'triggered_by'],
        modes: ['track'],
        source: 'action',
        merge: 'replace',
    }),
    startTimestamp: def({
        name: 'deployment_start_timestamp_seconds',
        type: 'gauge',
        help: 'Unix time the latest deployment started.',
        labels: ['environment', 'deployment_id', 'service'],
        modes: ['track'],
        source: 'action',
        merge: 'replace',
    }),
    lastSuccessTimestamp: def({
        name: 'deployment_last_success_timestamp_seconds',
        type: 'gauge',
        help: 'Unix time the last successful deployment finished; a failure never overwrites it.',
        labels: ['environment', 'service'],
        modes: ['track'],
        source: 'action',
        merge: 'max',
    }),
    lastFailureTimestamp: def({
        name: 'deployment_last_failure_timestamp_seconds',
        type: 'gauge',
        help: 'Unix time the last failed deployment finished (a cancelled one never moves it); alert on time() - x < window and changes(x[w]) > 0.',
        labels: ['environment', 'service'],
        modes: ['track'],
        source: 'action',
        merge: 'max',
    }),
    healthCheckLatency: def({
        name: 'api_health_check_latency_ms',
        type: 'gauge',
        help: 'Health endpoint response time of the latest deployment, in milliseconds.',
        labels: ['environment', 'deployment_id', 'status'],
        modes: ['track', 'verify'],
        source: 'both',
        merge: 'replace',
    }),
    healthCheckTotal: def({
        name: 'api_health_check_total',
        type: 'counter',
        help: 'Health checks made after deployments, cumulative.',
        labels: ['environment', 'service'],
        modes: ['track', 'verify'],
        source: 'both',
        merge: 'sum',
    }),
    healthCheckFailuresTotal: def({
        name: 'api_health_check_failures_total',
        type: 'counter',
        help: 'Health checks that failed after deployments, cumulative.',
        labels: ['environment', 'service'],
        modes: ['track', 'verify'],
        source: 'both',
        merge: 'sum',
    }),
    postDeploymentErrorRate: def({
        name: 'post_deployment_error_rate',
        type: 'gauge',
        help: 'Error ratio of the service in the window after the latest deployment.',
        labels: ['environment', 'deployment_id', 'service'],
        modes: ['track', 'verify'],
        source: 'both',
        merge: 'replace',
    }),
    migrationLag: def({
        name: 'database_migration_lag_seconds',
        type: 'gauge',
        help: 'How long the latest deployment migrations took, in seconds.',
        labels: ['environment', 'deployment_id', 'migration_count'],
        modes: ['track'],
        source: 'reported',
        merge: 'replace',
    }),
    migrationSuccessTotal: def({
        name: 'migration_success_total',
        type: 'counter',
        help: 'Successful database migration runs, cumulative.',
        labels: ['environment'],
        modes: ['track'],
        source: 'both',
        merge: 'sum',
    }),
    migrationFailureTotal: def({
        name: 'migration_failure_total',
        type: 'counter',
        help: 'Failed database migration runs, cumulative.',
        labels: ['environment'],
        modes: ['track'],
        source: 'both',
        merge: 'sum',
    }),
    smokeTestTotal: def({
        name: 'smoke_test_total',
        type: 'counter',
        help: 'Smoke tests run after deployments, cumulative.',
        labels: ['environment', 'service', 'test_name'],
        modes: ['track'],
        source: 'both',
        merge: 'sum',
    }),
    smokeTestFailuresTotal: def({
        name: 'smoke_test_failures_total',
        type: 'counter',
        help: 'Smoke tests that failed after deployments, cumulative.',
        labels: ['environment', 'service', 'test_name'],
        modes: ['track'],
        source: 'both',
        merge: 'sum',
    }),
    timeToDeploy: def({
        name: 'time_to_deploy_seconds',
        type: 'histogram',
        help: 'Time to deploy: workflow run trigger to its last deploy job finished, in seconds; cumulative.',
        labels: ['environment'],
        buckets: TIME_TO_DEPLOY_BUCKETS,
        modes: ['summary'],
        source: 'action',
        merge: 'sum',
    }),
    actionDuration: def({
        name: 'github_action_duration_seconds',
        type: 'gauge',
        help: 'Duration of the latest workflow run per workflow, branch and conclusion, in seconds.',
        labels: ['workflow', 'repository', 'branch', 'conclusion'],
        modes: ['summary'],
        source: 'action',
        merge: 'replace',
    }),
    workflowRunsTotal: def({
        name: 'github_workflow_runs_total',
        type: 'counter',
        help: 'Workflow run attempts, cumulative; each attempt counted once.',
        labels: ['workflow', 'repository', 'branch', 'conclusion'],
        modes: ['summary'],
        source: 'action',
        merge: 'sum',
    }),
    deploymentFrequency: def({
        name: 'deployment_frequency',
        type: 'gauge',
        help: 'Successful deployment runs completed within the period (DORA deployment frequency).',
        labels: ['environment', 'service', 'period'],
        modes: ['summary'],
        source: 'action',
        merge: 'replace',
    }),
    infrastructureCost: def({
        name: 'deployment_infrastructure_cost',
        type: 'gauge',
        help: 'Cost incurred by the latest deployment per resource.',
        labels: ['environment', 'deployment_id', 'resource'],
        modes: ['track'],
        source: 'reported',
        merge: 'replace',
    }),
    railwayMemory: def({
        name: 'railway_deployment_memory_mb',
        type: 'gauge',
        help: 'Peak memory of the latest deployment, in MB.',
        labels: ['environment', 'deployment_id'],
        modes: ['track'],
        source: 'reported',
        merge: 'replace',
    }),
    railwayCpu: def({
        name: 'railway_deployment_cpu_percent',
        type: 'gauge',
        help: 'Peak CPU of the latest deployment, in percent.',
        labels: ['environment', 'deployment_id'],
        modes: ['track'],
        source: 'reported',
        merge: 'replace',
    }),
    countersUpdated: def({
        name: 'deployment_observability_counters_updated_timestamp_seconds',
        type: 'gauge',
        help: 'Unix time this group\u2019s cumulative counters were last brought up to date by the action; ' +
            'counts carried from an earlier failed push and recorded before it are included.',
        labels: [],
        modes: ['track', 'verify', 'summary'],
        source: 'action',
        merge: 'replace',
    }),
    summaryCountedAttempt: def({
        name: 'deployment_observability_summary_counted_attempt',
        type: 'gauge',
        help: 'The last run attempt (run id * 1000 + attempt) whose counts summary mode added to this group.',
        labels: [],
        modes: ['summary'],
        source: 'action',
        merge: 'max',
    }),
});
/** Every definition, in table order. */
const ALL_METRICS = Object.freeze(Object.values(METRICS));
const byName = new Map(ALL_METRICS.map((m) => [m.name, m]));
/** The definition of a metric by its exposition name, if the table has it. */
function metricByName(name) {
    return byName.get(name);
}


/***/ }),

/***/ 6615:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   K1: () => (/* binding */ SERVICE_NAME_RE)
/* harmony export */ });
/* unused harmony exports KNOWN_ERROR_TYPES, isErrorType, knownErrorType, isServiceName, reportedLabelProblem */
/* harmony import */ var _infer_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(9033);
/**
 * What a step may report in the labels the action itself reads back and shows (outputs,
 * annotations, the job summary, grouping keys): `error_type` must be one of the error types
 * (README, "Error types") and `service` must be a service name by the stage map's rule. Anything
 * else is skipped with a message naming the file and line (`metrics/reported.ts`).
 */

/** Every error type a deployment can have: the design's taxonomy, and `unknown`. */
const KNOWN_ERROR_TYPES = Object.freeze([..._infer_js__WEBPACK_IMPORTED_MODULE_0__/* .ERROR_TYPES */ .LY, 'unknown']);
/**
 * A service name: letters, digits, `_`, `.` and `-`, not starting with `.` or `-` (the rule of
 * the stage map's `<service>/<stage>` targets; `model/stage-map.ts` should use this one).
 */
const SERVICE_NAME_RE = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$/;
function isErrorType(value) {
    return KNOWN_ERROR_TYPES.includes(value);
}
/** An error type as reports show it: a known one as it is, anything else `unknown`. */
function knownErrorType(value) {
    if (value === undefined || value === '')
        return undefined;
    return isErrorType(value) ? value : 'unknown';
}
function isServiceName(value) {
    return SERVICE_NAME_RE.test(value);
}
/** Bounded and on one line, for a message that quotes a refused value. */
function shown(value) {
    // eslint-disable-next-line no-control-regex -- control characters are what is removed
    const oneLine = value.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ');
    return JSON.stringify(oneLine.length > 40 ? `${oneLine.slice(0, 39)}…` : oneLine);
}
/**
 * Why a reported label value is refused, or undefined when it is fine. Only `error_type` and
 * `service` are checked; `where` names the file and line (`DEPLOY_METRICS_FILE /tmp/x line 3`).
 */
function reportedLabelProblem(where, label, value) {
    if (label === 'error_type' && !isErrorType(value))
        return `${where}: error_type ${shown(value)} is not one of ${KNOWN_ERROR_TYPES.join(', ')}; line skipped`;
    if (label === 'service' && !isServiceName(value))
        return `${where}: service ${shown(value)} is not a service name (letters, digits, _ . - and not starting with . or -, as in the stage map); line skipped`;
    return undefined;
}


/***/ }),

/***/ 9033:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Dl: () => (/* binding */ inferServiceFromName),
/* harmony export */   LY: () => (/* binding */ ERROR_TYPES)
/* harmony export */ });
/* unused harmony exports KNOWN_STAGES, inferStageFromStep, errorTypeForStage */
/**
 * Stage and service inference for jobs that give no stage map: keywords in
 * step and job names, mapped onto the known stages and services (README, "Stages").
 */
const KNOWN_STAGES = Object.freeze({
    api: ['build', 'push', 'deploy_railway', 'health_check', 'migration', 'smoke_test', 'rollback'],
    web: ['install', 'build', 'deploy_vercel', 'verification'],
    database: ['migration_check', 'migration_apply', 'verification'],
});
/** Error types of the action's taxonomy (README, "Error types"). */
const ERROR_TYPES = Object.freeze([
    'timeout',
    'health_check_failed',
    'migration_failed',
    'test_failed',
    'rollback_triggered',
    'api_unreachable',
    'database_connection_error',
]);
function tokens(name) {
    return name
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter(Boolean);
}
const SERVICE_WORDS = [
    [
        'database',
        ['db', 'database', 'databases', 'migrate', 'migrations', 'migration', 'schema', 'postgres', 'alembic'],
    ],
    ['web', ['web', 'frontend', 'front', 'vercel', 'nextjs', 'next', 'site', 'ui']],
    ['api', ['api', 'backend', 'server', 'railway']],
];
/** `api`, `web` or `database` when a name says so, else undefined. */
function inferServiceFromName(name) {
    const words = new Set(tokens(name));
    for (const [service, keywords] of SERVICE_WORDS) {
        if (keywords.some((k) => words.has(k)))
            return service;
    }
    return undefined;
}
/**
 * The stage a step's name suggests, or undefined for steps that are not
 * deployment stages (checkout, setup, the action itself).
 */
function inferStageFromStep(stepName, service) {
    const name = stepName.toLowerCase();
    // Tooling around a deployment, not a stage of it: setting up builders and CLIs,
    // logins, caches, artifacts, notifications.
    if (/^(set\s*up|setup)\b|buildx|\blogin\b|\bcache\b|artifact|notif|\bslack\b|install .*\bcli\b/.test(name))
        return undefined;
    if (/roll\s*-?\s*back|revert deploy/.test(name))
        return 'rollback';
    if (/migrat|alembic|flyway|liquibase/.test(name)) {
        if (service === 'database')
            return /check|validat|pending|status|plan|dry|lint|verify/.test(name)
                ? 'migration_check'
                : 'migration_apply';
        return 'migration';
    }
    if (/smoke/.test(name))
        return 'smoke_test';
    if (/health/.test(name))
        return 'health_check';
    if (/verif|schema check|validate schema/.test(name))
        return 'verification';
    if (/vercel/.test(name))
        return 'deploy_vercel';
    if (/railway/.test(name))
        return 'deploy_railway';
    if (/\bdeploy/.test(name))
        return service === 'web' ? 'deploy_vercel' : 'deploy_railway';
    if (/\bbuild|compile|bundle/.test(name))
        return 'build';
    if (/\bpush|publish image|upload image/.test(name))
        return 'push';
    if (/\binstall|npm ci|pnpm i\b|yarn install|dependencies/.test(name))
        return 'install';
    return undefined;
}
/** The error type a failed stage implies when no step reported one. */
function errorTypeForStage(stage) {
    switch (stage) {
        case 'health_check':
            return 'health_check_failed';
        case 'migration':
        case 'migration_check':
        case 'migration_apply':
            return 'migration_failed';
        case 'smoke_test':
        case 'verification':
            return 'test_failed';
        case 'rollback':
            return 'rollback_triggered';
        default:
            return 'unknown';
    }
}


/***/ }),

/***/ 2239:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  m: () => (/* binding */ parseStageMap)
});

// UNUSED EXPORTS: MAX_MATCHED_NAME, matchStage, prepareStageRules, writableServices

;// CONCATENATED MODULE: ./src/model/regex-safety.ts
/**
 * A conservative static check of a user's regular expression (a stage-map
 * rule) for the shapes that make a backtracking engine take exponential time:
 *
 * - **nested quantifiers**: a group repeated more than once (`*`, `+`, `{n,}`,
 *   `{n,m}` with m > 1) that itself holds a quantifier of variable count
 *   (`*`, `+`, `?`, `{n,m}` with n ≠ m), at any depth: `(a+)+`, `(\w+\s?)+`,
 *   `(a*b?){2,}`, `((x+)y)*`;
 * - **repeated alternations that can match the same text**: a group repeated
 *   more than once holding an alternation whose branches do not all start with
 *   distinct literal characters: `(a|a)*`, `(a|ab)+`, `(\w|\d)*`, `(x|)+`.
 *   `(foo|bar)+` is accepted: every branch starts with its own literal.
 *
 * Everything else is accepted, including shapes that are only polynomial
 * (`.*a.*b`, `\s*\s*x`): the matching itself is time-bounded
 * (`regex-sandbox.ts`) for those. The check runs on a pattern the RegExp
 * constructor has already accepted, in one pass over its text. Pure.
 */
const QUANTIFIER_RE = /^\{(\d+)(?:(,)(\d*))?\}/;
function newFrame(start) {
    return {
        start,
        variable: false,
        ambiguous: false,
        firsts: [],
        branchStarted: false,
        branchFirst: undefined,
        alternation: false,
    };
}
function shortSource(text) {
    return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
/** The index just past a character class starting at `i` (`[`), nested classes with `v`. */
function skipClass(source, i, nested) {
    let depth = 0;
    for (let j = i; j < source.length; j++) {
        const c = source[j];
        if (c === '\\') {
            j++;
            continue;
        }
        if (c === '[' && (depth === 0 || nested))
            depth++;
        else if (c === ']') {
            depth--;
            if (depth === 0)
                return j + 1;
        }
    }
    return source.length;
}
/** The index just past an escape starting at `i` (`\`), and the atom it is. */
function readEscape(source, i, unicode) {
    const c = source[i + 1] ?? '';
    if (/[1-9]/.test(c)) {
        let j = i + 2;
        while (/\d/.test(source[j] ?? ''))
            j++;
        return { end: j, atom: { kind: 'backref' } };
    }
    if (c === 'k' && source[i + 2] === '<') {
        const close = source.indexOf('>', i + 3);
        return { end: close < 0 ? source.length : close + 1, atom: { kind: 'backref' } };
    }
    if ((c === 'p' || c === 'P') && source[i + 2] === '{') {
        const close = source.indexOf('}', i + 3);
        return { end: close < 0 ? source.length : close + 1, atom: { kind: 'class' } };
    }
    if (c === 'u' && unicode && source[i + 2] === '{') {
        const close = source.indexOf('}', i + 3);
        return { end: close < 0 ? source.length : close + 1, atom: { kind: 'class' } };
    }
    if (c === 'u' && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6)))
        return { end: i + 6, atom: { kind: 'class' } };
    if (c === 'x' && /^[0-9a-fA-F]{2}$/.test(source.slice(i + 2, i + 4)))
        return { end: i + 4, atom: { kind: 'class' } };
    if (c === 'c' && /[a-zA-Z]/.test(source[i + 2] ?? ''))
        return { end: i + 3, atom: { kind: 'class' } };
    if (c === 'b' || c === 'B')
        return { end: i + 2, atom: { kind: 'assertion' } };
    if ('dDwWsS0'.includes(c) || c === '')
        return { end: i + 2, atom: { kind: 'class' } };
    if ('fnrtv'.includes(c))
        return { end: i + 2, atom: { kind: 'class' } };
    return { end: i + 2, atom: { kind: 'char', char: c } };
}
/**
 * The quantifier at `i`, if there is one: `*`, `+`, `?`, `{n}`, `{n,}`,
 * `{n,m}`, each optionally lazy (`?`).
 */
function readQuantifier(source, i) {
    const c = source[i];
    let q;
    let end = i + 1;
    if (c === '*')
        q = { min: 0, max: Infinity, text: '*' };
    else if (c === '+')
        q = { min: 1, max: Infinity, text: '+' };
    else if (c === '?')
        q = { min: 0, max: 1, text: '?' };
    else if (c === '{') {
        const m = QUANTIFIER_RE.exec(source.slice(i, i + 40));
        if (!m)
            return undefined;
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : m[3] === '' || m[3] === undefined ? Infinity : Number(m[3]);
        q = { min, max, text: m[0] };
        end = i + m[0].length;
    }
    if (!q)
        return undefined;
    if (source[end] === '?')
        end++;
    return { end, q };
}
/**
 * Checks a pattern (the text between the slashes) compiled with `flags`.
 * Never throws; a pattern it cannot follow is refused.
 */
function checkPattern(source, flags) {
    const unicode = flags.includes('u') || flags.includes('v');
    const ignoreCase = flags.includes('i');
    const stack = [newFrame(0)];
    let simple = true;
    let refused;
    const top = () => stack[stack.length - 1];
    const endBranch = (frame) => {
        frame.firsts.push(frame.branchStarted ? frame.branchFirst : undefined);
    };
    const closeAlternation = (frame) => {
        endBranch(frame);
        if (!frame.alternation)
            return;
        const seen = new Set();
        for (const first of frame.firsts) {
            if (first === undefined || seen.has(first)) {
                frame.ambiguous = true;
                return;
            }
            seen.add(first);
        }
    };
    let i = 0;
    while (i < source.length && refused === undefined) {
        const c = source[i];
        let atom;
        let end;
        if (c === '\\') {
            ({ end, atom } = readEscape(source, i, unicode));
            if (atom.kind === 'char' && ignoreCase)
                atom = { ...atom, char: atom.char?.toLowerCase() };
        }
        else if (c === '[') {
            end = skipClass(source, i, flags.includes('v'));
            atom = { kind: 'class' };
        }
        else if (c === '(') {
            let j = i + 1;
            if (source[j] === '?') {
                // (?: (?= (?! (?<= (?<! (?<name>
                j++;
                if (source[j] === '<' && source[j + 1] !== '=' && source[j + 1] !== '!') {
                    const close = source.indexOf('>', j);
                    j = close < 0 ? source.length : close + 1;
                }
                else if (source[j] === '<')
                    j += 2;
                else
                    j++;
            }
            stack.push(newFrame(i));
            i = j;
            continue;
        }
        else if (c === ')') {
            const frame = stack.pop();
            if (!frame || stack.length === 0)
                return { refused: 'unbalanced parentheses', simple: false };
            closeAlternation(frame);
            end = i + 1;
            atom = {
                kind: 'group',
                variable: frame.variable,
                ambiguous: frame.ambiguous,
                source: source.slice(frame.start, end),
            };
        }
        else if (c === '|') {
            simple = false;
            const frame = top();
            endBranch(frame);
            frame.alternation = true;
            frame.branchStarted = false;
            frame.branchFirst = undefined;
            i++;
            continue;
        }
        else if (c === '^' || c === '$') {
            end = i + 1;
            atom = { kind: 'assertion' };
        }
        else if (c === '.') {
            end = i + 1;
            atom = { kind: 'class' };
        }
        else {
            end = i + 1;
            atom = { kind: 'char', char: ignoreCase ? c.toLowerCase() : c };
        }
        if (atom.kind === 'backref')
            simple = false;
        const quantified = readQuantifier(source, end);
        const q = quantified?.q;
        if (q) {
            simple = false;
            if (atom.kind === 'group' && q.max > 1) {
                const group = shortSource(atom.source ?? '');
                if (atom.variable)
                    refused = `the group "${group}" is repeated by "${q.text}" and holds a quantifier itself (nested quantifiers, like (a+)+)`;
                else if (atom.ambiguous)
                    refused = `the group "${group}" is repeated by "${q.text}" and its alternatives can match the same text (like (a|a)*)`;
            }
        }
        const frame = top();
        if (!frame.branchStarted) {
            frame.branchStarted = true;
            // A branch starts with a known literal only if that literal must be there.
            frame.branchFirst = atom.kind === 'char' && (!q || q.min >= 1) ? atom.char : undefined;
        }
        if (atom.kind === 'group') {
            frame.variable ||= atom.variable === true;
            frame.ambiguous ||= atom.ambiguous === true;
        }
        if (q && q.min !== q.max)
            frame.variable = true;
        i = quantified?.end ?? end;
    }
    if (refused !== undefined)
        return { refused, simple: false };
    if (stack.length !== 1)
        return { refused: 'unbalanced parentheses', simple: false };
    return { refused: undefined, simple };
}

// EXTERNAL MODULE: external "node:worker_threads"
var external_node_worker_threads_ = __nccwpck_require__(5919);
;// CONCATENATED MODULE: ./src/model/regex-sandbox.ts
/**
 * Runs a user's regular expression with a hard time bound. JavaScript cannot
 * interrupt a regex match on its own thread, so the match runs in a worker
 * thread while the caller waits on a shared-memory flag (`Atomics.wait`) with
 * a timeout; a match that runs past it is abandoned and its worker terminated
 * (V8 interrupts the match). The answer stays synchronous, so the pure model
 * (`buildDeployment`, `stageProgress`) calls rules as before.
 *
 * The one deviation from `model/` being free of side effects: a worker thread,
 * started lazily on the first match that needs it (never for a map without
 * such patterns), unref'd so it never keeps a process alive. It does no I/O.
 *
 * Budgets (all in ms): a match may take {@link MatchBudget.matchTimeoutMs};
 * a pattern that runs past it is dropped for good. Time spent waiting for the
 * worker to start and on matches that ran out adds up, and once it passes
 * {@link MatchBudget.totalMs} no pattern is sent to a worker any more: post's
 * budget (~25 s) cannot be spent on the stage map.
 */

const DEFAULT_MATCH_BUDGET = Object.freeze({
    matchTimeoutMs: 500,
    startupTimeoutMs: 2000,
    totalMs: 3000,
});
// Shared ints: [0] the number of the last request answered, [1] the worker is ready.
const ANSWERED = 0;
const READY = 1;
/**
 * The worker: compiles each pattern once and answers `test()` requests. Plain
 * CommonJS run with `eval`, so the bundles need no extra file.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const shared = new Int32Array(workerData.buffer);
const port = workerData.port;
const compiled = new Map();
workerData.requests.on('message', (m) => {
  const answers = [];
  let re = compiled.get(m.id);
  try {
    if (!re) { re = new RegExp(m.source, m.flags); compiled.set(m.id, re); }
    for (const text of m.texts) { re.lastIndex = 0; answers.push(re.test(text)); }
  } catch { while (answers.length < m.texts.length) answers.push(false); }
  port.postMessage({ seq: m.seq, answers });
  Atomics.store(shared, ${ANSWERED}, m.seq);
  Atomics.notify(shared, ${ANSWERED});
});
Atomics.store(shared, ${READY}, 1);
Atomics.notify(shared, ${READY});
`;
/** Milliseconds from a monotonic clock (never the wall clock: the model does not read it). */
function monotonicMs() {
    return Number(process.hrtime.bigint() / 1000000n);
}
class RegexSandbox {
    budget;
    thread;
    seq = 0;
    spentMs = 0;
    unavailable;
    nextId = 1;
    constructor(budget = DEFAULT_MATCH_BUDGET) {
        this.budget = budget;
    }
    /** An id for a pattern, under which the worker keeps it compiled. */
    register() {
        return this.nextId++;
    }
    /** True once the budget is spent or no worker could start: nothing more is sandboxed. */
    get exhausted() {
        return this.unavailable !== undefined;
    }
    /** Milliseconds spent waiting on starts and abandoned matches so far. */
    get spent() {
        return this.spentMs;
    }
    /**
     * `new RegExp(source, flags).test(text)` for each text, within one match
     * timeout for all of them. Never throws.
     */
    test(id, source, flags, texts) {
        if (this.unavailable !== undefined)
            return {
                ok: false,
                reason: this.spentMs >= this.budget.totalMs ? 'budget' : 'unavailable',
                detail: this.unavailable,
            };
        const thread = this.thread ?? this.start();
        if (!thread)
            return { ok: false, reason: 'unavailable', detail: this.unavailable ?? 'no thread' };
        const seq = ++this.seq;
        const t0 = monotonicMs();
        try {
            thread.requests.postMessage({ seq, id, source, flags, texts });
        }
        catch (error) {
            return this.giveUp('unavailable', `the matching thread failed: ${error.message}`);
        }
        const deadline = t0 + this.budget.matchTimeoutMs;
        for (;;) {
            if (Atomics.load(thread.shared, ANSWERED) === seq) {
                for (;;) {
                    const message = (0,external_node_worker_threads_.receiveMessageOnPort)(thread.answers)?.message;
                    if (!message)
                        break;
                    if (message.seq === seq)
                        return { ok: true, matched: message.answers };
                }
                return this.giveUp('unavailable', 'the matching thread gave no answer');
            }
            const left = deadline - monotonicMs();
            if (left <= 0)
                break;
            Atomics.wait(thread.shared, ANSWERED, seq - 1, left);
        }
        // The match ran out: stop it (V8 interrupts a running regex); the next one starts afresh.
        this.spentMs += monotonicMs() - t0;
        this.stop();
        if (this.spentMs >= this.budget.totalMs)
            return this.giveUp('budget', `matching took more than ${this.budget.totalMs} ms in all`);
        return { ok: false, reason: 'timeout', detail: `longer than ${this.budget.matchTimeoutMs} ms` };
    }
    /** Ends the worker, if any (a later match starts another). */
    stop() {
        const thread = this.thread;
        this.thread = undefined;
        if (!thread)
            return;
        thread.requests.close();
        thread.answers.close();
        thread.worker.terminate().catch(() => undefined);
    }
    giveUp(reason, detail) {
        this.unavailable = detail;
        this.stop();
        return { ok: false, reason, detail };
    }
    start() {
        const t0 = monotonicMs();
        try {
            const buffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
            const shared = new Int32Array(buffer);
            const toWorker = new external_node_worker_threads_.MessageChannel();
            const fromWorker = new external_node_worker_threads_.MessageChannel();
            const worker = new external_node_worker_threads_.Worker(WORKER_SOURCE, {
                eval: true,
                workerData: { buffer, requests: toWorker.port2, port: fromWorker.port2 },
                transferList: [toWorker.port2, fromWorker.port2],
                // It needs no environment.
                env: {},
            });
            worker.unref();
            worker.on('error', () => undefined);
            toWorker.port1.unref();
            fromWorker.port1.unref();
            const wait = Math.min(this.budget.startupTimeoutMs, Math.max(0, this.budget.totalMs - this.spentMs));
            Atomics.wait(shared, READY, 0, wait);
            this.spentMs += monotonicMs() - t0;
            this.thread = { worker, shared, requests: toWorker.port1, answers: fromWorker.port1 };
            if (Atomics.load(shared, READY) !== 1) {
                this.giveUp('unavailable', `the matching thread did not start within ${wait} ms`);
                return undefined;
            }
            this.seq = 0;
            return this.thread;
        }
        catch (error) {
            this.spentMs += monotonicMs() - t0;
            this.giveUp('unavailable', `no thread to match in: ${error.message}`);
            return undefined;
        }
    }
}

// EXTERNAL MODULE: ./src/model/error-types.ts
var error_types = __nccwpck_require__(6615);
;// CONCATENATED MODULE: ./src/model/stage-map.ts
/**
 * The `stages` input: one rule a line, `<step name> => <service>/<stage>` or
 * `/<regex>/<flags> => <service>/<stage>`; first match wins; a line starting
 * with `#` is a comment, and `#` after the target starts one. A bad line is
 * reported by number and skipped; the other rules still apply.
 *
 * Regex rules are user code run on every step name, by post, main's snapshot
 * and the live reporter, so they are bounded twice (docs/reliability.md, "Bad
 * inputs tried"):
 * a pattern that can backtrack catastrophically is refused when the map is
 * parsed (`regex-safety.ts`), and a pattern with quantifiers, alternations or
 * back-references is matched in a worker with a time bound
 * (`regex-sandbox.ts`); a pattern that runs out is no longer used, and the
 * steps it would have matched fall to later rules or inference. Only the first
 * {@link MAX_MATCHED_NAME} characters of a step name are matched by a regex.
 */



const NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** One rule for service names, shared with what steps may report (model/error-types.ts). */
const SERVICE_RE = error_types/* SERVICE_NAME_RE */.K1;
/** A `/pattern/flags` rule; unknown flags reach the RegExp constructor, which names them. */
const REGEX_RULE_RE = /^\/(.+)\/([a-zA-Z]*)$/;
const TARGET_RE = /^\s*(?:[a-zA-Z0-9_][a-zA-Z0-9_.-]*\/)?[a-zA-Z_][a-zA-Z0-9_]*\s*$/;
/**
 * The rule without a trailing ` # comment`. A `#` that follows a complete
 * `=> target` starts a comment (which may itself contain `=>`); a `#` in a step
 * name (`Deploy #2 => api/deploy_railway`) does not.
 */
function withoutComment(line) {
    for (const match of line.matchAll(/\s#/g)) {
        const candidate = line.slice(0, match.index);
        const arrow = candidate.lastIndexOf('=>');
        if (arrow < 0)
            continue;
        const target = candidate.slice(arrow + 2);
        if (TARGET_RE.test(target) || target.trim() === '')
            return candidate;
    }
    return line;
}
const MAX_PATTERN = 1000;
/** Longer lines are refused before anything else is done with them. */
const MAX_LINE = 4000;
/** A regex rule sees at most this many characters of a step name. */
const MAX_MATCHED_NAME = 512;
/** Answers a sandboxed rule remembers (the live reporter asks about the same steps every look). */
const MAX_CACHED = 2000;
const sandboxed = new WeakMap();
function shorten(text, max = 80) {
    const oneLine = text.replace(/[\r\n]+/g, ' ');
    return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
/** Parses the stage map. Never throws. */
function parseStageMap(text, inputName = 'stages', options = {}) {
    const rules = [];
    // One worker for the map's sandboxed patterns, started on the first match that needs it.
    let sandbox;
    const problems = [];
    const lines = text.split(/\r?\n/);
    lines.forEach((raw, index) => {
        const line = index + 1;
        const trimmed = raw.trim();
        if (trimmed === '' || trimmed.startsWith('#'))
            return;
        const where = `input ${inputName}, line ${line} ("${shorten(trimmed)}")`;
        if (trimmed.length > MAX_LINE) {
            problems.push(`${where}: line longer than ${MAX_LINE} characters; rule skipped`);
            return;
        }
        const rule = withoutComment(trimmed);
        const arrow = rule.lastIndexOf('=>');
        if (arrow < 0) {
            problems.push(`${where}: expected "<step name> => <service>/<stage>"; rule skipped`);
            return;
        }
        const pattern = rule.slice(0, arrow).trim();
        const target = rule.slice(arrow + 2).trim();
        if (pattern === '') {
            problems.push(`${where}: no step name before "=>"; rule skipped`);
            return;
        }
        if (pattern.length > MAX_PATTERN) {
            problems.push(`${where}: step name longer than ${MAX_PATTERN} characters; rule skipped`);
            return;
        }
        const parts = target.split('/');
        if (parts.length > 2 || target === '') {
            problems.push(`${where}: target "${shorten(target)}" is not "<service>/<stage>"; rule skipped`);
            return;
        }
        const [first, second] = parts;
        const service = second === undefined ? undefined : first.trim();
        const stage = (second ?? first).trim();
        if (service !== undefined && !SERVICE_RE.test(service)) {
            problems.push(`${where}: service "${shorten(service)}" may hold only letters, digits, _ . -; rule skipped`);
            return;
        }
        if (!NAME_RE.test(stage)) {
            problems.push(`${where}: stage "${shorten(stage)}" must be a name like deploy_railway; rule skipped`);
            return;
        }
        const regex = REGEX_RULE_RE.exec(pattern);
        let matches;
        let state;
        if (regex) {
            const source = regex[1] ?? '';
            // `g` and `y` make test() stateful; a rule must answer the same for every step.
            const flags = (regex[2] ?? '').replace(/[gy]/g, '');
            let compiled;
            try {
                compiled = new RegExp(source, flags);
            }
            catch (error) {
                problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}; rule skipped`);
                return;
            }
            const verdict = checkPattern(source, flags);
            if (verdict.refused !== undefined) {
                problems.push(`${where}: the pattern can backtrack catastrophically: ${verdict.refused}; rule skipped`);
                return;
            }
            if (verdict.simple) {
                // No quantifier, alternation or back-reference: linear in the name, run here.
                matches = (stepName) => compiled.test(stepName.slice(0, MAX_MATCHED_NAME));
            }
            else {
                sandbox ??= new RegexSandbox(options.budget ?? DEFAULT_MATCH_BUDGET);
                const s = {
                    line,
                    where,
                    sandbox,
                    id: sandbox.register(),
                    source,
                    flags,
                    cache: new Map(),
                    dropped: undefined,
                    droppedForBudget: false,
                    reported: false,
                };
                state = s;
                matches = (stepName) => sandboxedMatches(s, [stepName])[0] ?? false;
            }
        }
        else {
            const wanted = pattern.toLowerCase();
            matches = (stepName) => stepName.trim().toLowerCase() === wanted;
        }
        const made = Object.freeze({ line, source: pattern, service, stage, matches });
        if (state)
            sandboxed.set(made, state);
        rules.push(made);
    });
    return { rules, problems };
}
/**
 * A sandboxed rule's answers for some step names: from its cache, else from
 * the worker in one request. A rule that ran out of time (or found no time
 * left) is dropped: false for every name from then on.
 */
function sandboxedMatches(state, stepNames) {
    if (state.dropped !== undefined)
        return stepNames.map(() => false);
    const texts = stepNames.map((n) => n.slice(0, MAX_MATCHED_NAME));
    const unknown = [...new Set(texts.filter((t) => !state.cache.has(t)))];
    if (unknown.length > 0) {
        const answer = state.sandbox.test(state.id, state.source, state.flags, unknown);
        if (!answer.ok) {
            const shown = unknown.length === 1
                ? ` on the step "${shorten(unknown[0] ?? '')}"`
                : ` on the job's ${unknown.length} step names`;
            state.droppedForBudget = answer.reason === 'budget';
            state.dropped =
                answer.reason === 'timeout'
                    ? `${state.where}: matching the pattern took ${answer.detail}${shown}; rule no longer used (its steps fall to later rules or inferred stages)`
                    : answer.reason === 'budget'
                        ? `${state.where}: the stage map's patterns used up their time (${answer.detail}); rule no longer used (its steps fall to later rules or inferred stages)`
                        : `${state.where}: ${answer.detail}; rule not used (its steps fall to later rules or inferred stages)`;
            state.cache.clear();
            return stepNames.map(() => false);
        }
        if (state.cache.size + unknown.length > MAX_CACHED)
            state.cache.clear();
        unknown.forEach((t, i) => state.cache.set(t, answer.matched[i] === true));
    }
    return texts.map((t) => state.cache.get(t) === true);
}
/**
 * Asks every sandboxed rule about all of a job's step names at once (one
 * request per rule), so that a rule that runs out of time is dropped for the
 * whole job before the model reads any answer: the stages and their states
 * then agree. Returns the problems not returned before, naming the input and
 * line of each rule dropped. Cheap when there is no sandboxed rule.
 */
function prepareStageRules(rules, stepNames) {
    const out = [];
    const forBudget = [];
    for (const rule of rules) {
        const state = sandboxed.get(rule);
        if (!state)
            continue;
        if (stepNames.length > 0)
            sandboxedMatches(state, stepNames);
        if (state.dropped !== undefined && !state.reported) {
            state.reported = true;
            if (state.droppedForBudget)
                forBudget.push(state);
            else
                out.push(state.dropped);
        }
    }
    // Once the map's time is used up every later pattern goes the same way: one message for all.
    const [firstDropped] = forBudget;
    if (firstDropped?.dropped !== undefined)
        out.push(forBudget.length === 1
            ? firstDropped.dropped
            : `${firstDropped.dropped}; so were ${forBudget.length - 1} later rule(s) (lines ${forBudget
                .slice(1, 11)
                .map((r) => r.line)
                .join(', ')}${forBudget.length > 11 ? ', …' : ''})`);
    return out;
}
/** The services a job may write: its own and those its stage map names. */
function writableServices(service, rules) {
    return new Set([service, ...rules.map((r) => r.service).filter((s) => !!s)]);
}
/** The first rule that matches a step name. */
function matchStage(rules, stepName) {
    return rules.find((rule) => rule.matches(stepName));
}


/***/ }),

/***/ 4098:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Em: () => (/* binding */ request)
/* harmony export */ });
/* unused harmony exports HttpError, describeNetworkError, requestedWaitMs, redirectTarget */
/* harmony import */ var _proxy_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(796);

class HttpError extends Error {
    status;
    body;
    constructor(message, status, body) {
        super(message);
        this.status = status;
        this.body = body;
        this.name = 'HttpError';
    }
}
const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_ATTEMPTS = 3;
const BASE_BACKOFF_MS = 250;
const MAX_BODY_IN_MESSAGE = 300;
function retryable(status, headers) {
    if (status >= 500 || status === 429)
        return true;
    // GitHub answers 403 for both "no permission" and "rate limited"; only the latter is worth a retry.
    return status === 403 && (headers.get('x-ratelimit-remaining') === '0' || headers.has('retry-after'));
}
const NETWORK_ERRORS = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    UND_ERR_SOCKET: 'connection closed by the server',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
};
/** "connection refused (ECONNREFUSED)": what a fetch failure's code means, keeping the code. */
function describeNetworkError(code) {
    if (!code)
        return undefined;
    const meaning = NETWORK_ERRORS[code];
    return meaning ? `${meaning} (${code})` : code;
}
/** How long the server asked us to wait, in ms, if it said so. */
function requestedWaitMs(headers, now) {
    const retryAfter = headers.get('retry-after');
    if (retryAfter !== null) {
        const seconds = Number(retryAfter);
        if (Number.isFinite(seconds))
            return Math.max(0, seconds * 1000);
        const date = Date.parse(retryAfter);
        if (Number.isFinite(date))
            return Math.max(0, date - now);
    }
    const reset = headers.get('x-ratelimit-reset');
    if (reset !== null && headers.get('x-ratelimit-remaining') === '0') {
        const epoch = Number(reset);
        if (Number.isFinite(epoch))
            return Math.max(0, epoch * 1000 - now);
    }
    return undefined;
}
/** Where a redirect points, as its origin only (a path or query could hold a token). */
function redirectTarget(location, base) {
    if (!location)
        return 'no Location';
    try {
        return new URL(location, base).origin;
    }
    catch {
        return 'an unreadable Location';
    }
}
/** 3xx answers that send the client elsewhere (304 Not Modified is an answer, not a redirect). */
function isRedirect(status) {
    return status >= 300 && status < 400 && status !== 304;
}
function snippet(text) {
    const oneLine = text.replace(/\s+/g, ' ').trim();
    return oneLine.length > MAX_BODY_IN_MESSAGE ? `${oneLine.slice(0, MAX_BODY_IN_MESSAGE)}…` : oneLine;
}
/**
 * Sends a request with timeout and bounded retries. Resolves with the final
 * response for any status that is not retried (callers check `status`);
 * rejects with an HttpError when every attempt failed or time ran out.
 */
async function request(req, clock, fetchImpl = fetch) {
    const attempts = Math.max(1, req.attempts ?? DEFAULT_ATTEMPTS);
    const deadline = req.deadline ?? Infinity;
    let lastProblem = 'no attempt was made';
    let lastStatus;
    let lastBody;
    for (let attempt = 1; attempt <= attempts; attempt++) {
        const remaining = deadline - clock.now();
        if (remaining <= 0) {
            lastProblem = `${lastProblem}; out of time`;
            break;
        }
        const timeoutMs = Math.min(req.timeoutMs ?? DEFAULT_TIMEOUT_MS, remaining);
        let waitMs = BASE_BACKOFF_MS * 2 ** (attempt - 1);
        try {
            const response = await fetchImpl(req.url, {
                method: req.method ?? 'GET',
                headers: req.headers,
                body: req.body,
                signal: AbortSignal.timeout(timeoutMs),
                redirect: 'manual',
            });
            if (isRedirect(response.status)) {
                // Not retried: the next attempt would be redirected the same way.
                await response.body?.cancel().catch(() => undefined);
                throw new HttpError(`${req.what} failed: HTTP ${response.status} redirect to ${redirectTarget(response.headers.get('location'), req.url)}, not followed (a redirect would carry the request's credentials and body there); configure the final URL`, response.status, undefined);
            }
            const text = await response.text();
            if (!(req.retryOn ?? retryable)(response.status, response.headers)) {
                return { status: response.status, headers: response.headers, text };
            }
            lastStatus = response.status;
            lastBody = text;
            lastProblem = `HTTP ${response.status}${text ? `: ${snippet(text)}` : ''}`;
            const asked = requestedWaitMs(response.headers, clock.now());
            if (asked !== undefined) {
                if (clock.now() + asked > deadline) {
                    const until = new Date(clock.now() + asked).toISOString();
                    lastProblem = `${lastProblem} (asked to wait until ${until}, past this step's time budget)`;
                    break;
                }
                waitMs = Math.max(asked, 0);
            }
        }
        catch (error) {
            if (error instanceof HttpError)
                throw error; // a redirect: final
            const e = error;
            if (e.name === 'TimeoutError' || e.name === 'AbortError')
                lastProblem = `no answer within ${timeoutMs} ms`;
            else
                lastProblem = describeNetworkError(e.cause?.code) ?? e.cause?.message ?? e.message;
            lastProblem += (0,_proxy_js__WEBPACK_IMPORTED_MODULE_0__/* .proxyNote */ .d1)(req.url);
            lastStatus = undefined;
            lastBody = undefined;
        }
        if (attempt < attempts) {
            if (clock.now() + waitMs >= deadline) {
                lastProblem = `${lastProblem}; out of time`;
                break;
            }
            await clock.sleep(waitMs);
        }
    }
    throw new HttpError(`${req.what} failed: ${lastProblem}`, lastStatus, lastBody);
}


/***/ }),

/***/ 796:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   BU: () => (/* binding */ configureProxy),
/* harmony export */   d1: () => (/* binding */ proxyNote)
/* harmony export */ });
/* unused harmony exports proxySettings, proxyFor, resetProxyForTests */
/* harmony import */ var _safe_text_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(4747);
/**
 * Corporate proxies: Node's global `fetch` ignores `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`
 * (docs/platform.md, "Network and rendering"), so when one of them is set the action installs
 * undici's `EnvHttpProxyAgent` as the global dispatcher, which every `fetch` of the process uses
 * (util/http.ts `request()`, verify's probes). undici is loaded with a dynamic `import()` only then:
 * with no proxy set nothing is loaded and nothing changes.
 *
 * `proxyFor` applies the same rules as `EnvHttpProxyAgent` (lower-case names first; `NO_PROXY`
 * entries split on commas and spaces: `*`, an exact host, `.domain` or `*.domain` as a suffix, each
 * with an optional `:port`; loopback is not bypassed by itself), so a failed request can name the
 * proxy it went through — always redacted (`util/safe-text.ts` `redactUrl`).
 */

const DEFAULT_PORTS = { 'http:': 80, 'https:': 443 };
function nonEmpty(value) {
    return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
/** The proxy settings of an environment, or undefined when no proxy is set. */
function proxySettings(env) {
    const httpProxy = nonEmpty(env.http_proxy) ?? nonEmpty(env.HTTP_PROXY);
    const httpsProxy = nonEmpty(env.https_proxy) ?? nonEmpty(env.HTTPS_PROXY) ?? httpProxy;
    if (httpProxy === undefined && httpsProxy === undefined)
        return undefined;
    return { httpProxy, httpsProxy, noProxy: env.no_proxy ?? env.NO_PROXY ?? '' };
}
function bypassed(noProxy, hostname, port) {
    if (noProxy.trim() === '*')
        return true;
    for (const raw of noProxy.split(/[,\s]/)) {
        if (!raw)
            continue;
        const parsed = /^(.+):(\d+)$/.exec(raw);
        const host = (parsed?.[1] ?? raw).toLowerCase();
        const entryPort = parsed?.[2] ? Number.parseInt(parsed[2], 10) : 0;
        if (entryPort && entryPort !== port)
            continue;
        if (/^[.*]/.test(host) ? hostname.endsWith(host.replace(/^\*/, '')) : hostname === host)
            return true;
    }
    return false;
}
/** The proxy a request to `url` goes through under `settings` (as configured, not redacted), if any. */
function proxyFor(url, settings) {
    if (!settings)
        return undefined;
    let parsed;
    try {
        parsed = new URL(url);
    }
    catch {
        return undefined;
    }
    const hostname = parsed.host.replace(/:\d*$/, '').toLowerCase();
    const port = Number.parseInt(parsed.port, 10) || DEFAULT_PORTS[parsed.protocol] || 0;
    if (bypassed(settings.noProxy, hostname, port))
        return undefined;
    return parsed.protocol === 'https:' ? settings.httpsProxy : settings.httpProxy;
}
let active;
/** " through proxy http://…@proxy:3128" for a request to `url` when the process uses a proxy for it. */
function proxyNote(url) {
    const proxy = proxyFor(url, active);
    return proxy ? ` through proxy ${(0,_safe_text_js__WEBPACK_IMPORTED_MODULE_0__/* .redactUrl */ .BO)(proxy)}` : '';
}
/**
 * Routes every `fetch` of this process through the proxy the environment names, if any: one
 * dispatcher that sends each request to a `ProxyAgent` or straight out by {@link proxyFor}, so the
 * route taken and the proxy named in an error are the same. Returns the redacted proxies in use (for
 * a debug line), or undefined when none is set (then undici is not loaded). Throws when undici cannot
 * be loaded; the caller reports it.
 */
async function configureProxy(env, load = () => __nccwpck_require__.e(/* import() */ 752).then(__nccwpck_require__.t.bind(__nccwpck_require__, 6752, 19))) {
    const settings = proxySettings(env);
    if (!settings)
        return undefined;
    const undici = await load();
    const direct = new undici.Agent();
    const agents = new Map();
    const agentFor = (proxy) => {
        let agent = agents.get(proxy);
        if (!agent)
            agents.set(proxy, (agent = new undici.ProxyAgent({ uri: proxy })));
        return agent;
    };
    class ProxyRouter extends undici.Dispatcher {
        dispatch(opts, handler) {
            const proxy = proxyFor(String(opts.origin ?? ''), settings);
            return (proxy ? agentFor(proxy) : direct).dispatch(opts, handler);
        }
        async close() {
            await Promise.all([direct, ...agents.values()].map((a) => a.close()));
        }
    }
    undici.setGlobalDispatcher(new ProxyRouter());
    active = settings;
    const shown = [...new Set([settings.httpProxy, settings.httpsProxy].filter((p) => p !== undefined))];
    return shown.map(_safe_text_js__WEBPACK_IMPORTED_MODULE_0__/* .redactUrl */ .BO).join(', ');
}
/** Forgets the proxy (tests). */
function resetProxyForTests() {
    active = undefined;
}


/***/ }),

/***/ 4747:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   BO: () => (/* binding */ redactUrl),
/* harmony export */   Ht: () => (/* binding */ safeLogText),
/* harmony export */   Zs: () => (/* binding */ quoteInput),
/* harmony export */   pF: () => (/* binding */ singleLine)
/* harmony export */ });
/* unused harmony export redactUrls */
/**
 * Text that leaves the action through the runner: log lines, annotations, outputs, failure messages.
 *
 * The runner reads workflow commands from the action's stdout: a line that starts with `::`
 * (after leading white space: `::add-mask::`, `::notice title=…::`, `::stop-commands::`) and, in
 * its legacy form, `##[command]` anywhere in a line. Text from outside the action (step, job and
 * branch names, label values a step reported, a server's error body) therefore never reaches the
 * runner with a line break, a `::` at the start or a `##[` (actions/runner, `ActionCommand`).
 *
 * Every message that names a URL shows it without its userinfo and with its query string and
 * fragment cut to `?…` / `#…`: they are where credentials hide (`https://user:pass@host`,
 * `?api_key=…`).
 */
/** Line breaks and other control characters (tab excepted), turned into one space each run. */
// eslint-disable-next-line no-control-regex -- control characters are what is removed
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f\u0085\u2028\u2029]+/g;
/**
 * One line that can never be a workflow command: control characters become spaces, a leading
 * `::` becomes `: :` and every `##[` becomes `# #[`. Idempotent.
 */
function singleLine(text) {
    return text
        .replace(CONTROL, ' ')
        .replace(/^(\s*):(?=:)/, '$1: ')
        .replace(/##\[/g, '# #[');
}
/**
 * `scheme://` followed by anything up to white space or a quote, not ending in punctuation that
 * ends the sentence around it: a URL as it appears in a message.
 */
const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)((?:[^\s"'<>`]*[^\s"'<>`.,;:!?)\]])?)/gi;
/** Query and fragment cut to `?…` / `#…`. */
function withoutQuery(text) {
    const q = text.search(/[?#]/);
    return q < 0 ? text : `${text.slice(0, q)}${text[q] === '?' ? '?…' : '#…'}`;
}
/**
 * A URL without its `scheme://`, userinfo, query and fragment redacted, whether it parses or not:
 * whatever comes before the last `@` goes (userinfo; or a password whose unencoded `/` made the URL
 * standard read it as a path: `http://u:/pass@host` parses with host `u`), and the query and
 * fragment become `?…` / `#…`. An `@` after a `?` or `#` may end a password that holds a `?` or
 * `#`, or sit in a query secret: then nothing but the scheme is shown.
 */
function redactRest(rest) {
    const q = rest.search(/[?#]/);
    if (q >= 0 && rest.includes('@', q))
        return '…';
    const at = rest.lastIndexOf('@');
    return at < 0 ? withoutQuery(rest) : `…@${withoutQuery(rest.slice(at + 1))}`;
}
/**
 * One URL input (parseable or not) as a message may show it: `https://…@host/path?…`. Without a
 * `scheme://`, the same rules as for a URL that does not parse.
 */
function redactUrl(raw) {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(raw)?.[0];
    if (scheme)
        return `${scheme}${redactRest(raw.slice(scheme.length))}`;
    return redactRest(raw);
}
/** Every URL in a message, redacted like {@link redactUrl}; the rest of the text is kept. */
function redactUrls(text) {
    return text.replace(URL_IN_TEXT, (_all, scheme, rest) => `${scheme}${redactRest(rest)}`);
}
/**
 * The one sanitiser for text the runner prints or records (log lines, annotation messages and
 * titles, failure messages): URLs redacted, then one line that cannot be a workflow command.
 */
function safeLogText(text) {
    return singleLine(redactUrls(text));
}
/** A value quoted in a message about an input: one line, URLs redacted, at most `max` characters. */
function quoteInput(value, max = 80) {
    const safe = safeLogText(value);
    return `"${safe.length > max ? `${safe.slice(0, max - 1)}…` : safe}"`;
}


/***/ }),

/***/ 2613:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("assert");

/***/ }),

/***/ 5317:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("child_process");

/***/ }),

/***/ 6982:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("crypto");

/***/ }),

/***/ 4434:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("events");

/***/ }),

/***/ 9896:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("fs");

/***/ }),

/***/ 8611:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("http");

/***/ }),

/***/ 5692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("https");

/***/ }),

/***/ 9278:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("net");

/***/ }),

/***/ 4589:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:assert");

/***/ }),

/***/ 6698:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:async_hooks");

/***/ }),

/***/ 4573:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:buffer");

/***/ }),

/***/ 7540:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:console");

/***/ }),

/***/ 7598:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");

/***/ }),

/***/ 3053:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:diagnostics_channel");

/***/ }),

/***/ 610:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:dns");

/***/ }),

/***/ 8474:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:events");

/***/ }),

/***/ 3024:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");

/***/ }),

/***/ 7067:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");

/***/ }),

/***/ 2467:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http2");

/***/ }),

/***/ 7030:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");

/***/ }),

/***/ 643:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:perf_hooks");

/***/ }),

/***/ 1792:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:querystring");

/***/ }),

/***/ 7075:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream");

/***/ }),

/***/ 1692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:tls");

/***/ }),

/***/ 3136:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:url");

/***/ }),

/***/ 7975:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util");

/***/ }),

/***/ 3429:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util/types");

/***/ }),

/***/ 5919:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:worker_threads");

/***/ }),

/***/ 8522:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:zlib");

/***/ }),

/***/ 857:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("os");

/***/ }),

/***/ 6928:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("path");

/***/ }),

/***/ 3193:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("string_decoder");

/***/ }),

/***/ 3557:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("timers");

/***/ }),

/***/ 4756:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("tls");

/***/ }),

/***/ 9023:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("util");

/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId].call(module.exports, module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/******/ // expose the modules object (__webpack_modules__)
/******/ __nccwpck_require__.m = __webpack_modules__;
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/create fake namespace object */
/******/ (() => {
/******/ 	var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 	var leafPrototypes;
/******/ 	// create a fake namespace object
/******/ 	// mode & 1: value is a module id, require it
/******/ 	// mode & 2: merge all properties of value into the ns
/******/ 	// mode & 4: return value when already ns object
/******/ 	// mode & 16: return value when it's Promise-like
/******/ 	// mode & 8|1: behave like require
/******/ 	__nccwpck_require__.t = function(value, mode) {
/******/ 		if(mode & 1) value = this(value);
/******/ 		if(mode & 8) return value;
/******/ 		if(typeof value === 'object' && value) {
/******/ 			if((mode & 4) && value.__esModule) return value;
/******/ 			if((mode & 16) && typeof value.then === 'function') return value;
/******/ 		}
/******/ 		var ns = Object.create(null);
/******/ 		__nccwpck_require__.r(ns);
/******/ 		var def = {};
/******/ 		leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 		for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 			Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 		}
/******/ 		def['default'] = () => (value);
/******/ 		__nccwpck_require__.d(ns, def);
/******/ 		return ns;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/ensure chunk */
/******/ (() => {
/******/ 	__nccwpck_require__.f = {};
/******/ 	// This file contains only the entry chunk.
/******/ 	// The chunk loading function for additional chunks
/******/ 	__nccwpck_require__.e = (chunkId) => {
/******/ 		return Promise.all(Object.keys(__nccwpck_require__.f).reduce((promises, key) => {
/******/ 			__nccwpck_require__.f[key](chunkId, promises);
/******/ 			return promises;
/******/ 		}, []));
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/get javascript chunk filename */
/******/ (() => {
/******/ 	// This function allow to reference async chunks
/******/ 	__nccwpck_require__.u = (chunkId) => {
/******/ 		// return url for filenames based on template
/******/ 		return "" + chunkId + ".index.js";
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/******/ /* webpack/runtime/make namespace object */
/******/ (() => {
/******/ 	// define __esModule on exports
/******/ 	__nccwpck_require__.r = (exports) => {
/******/ 		if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 			Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 		}
/******/ 		Object.defineProperty(exports, '__esModule', { value: true });
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/compat */
/******/ 
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = new URL('.', import.meta.url).pathname.slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/import chunk loading */
/******/ (() => {
/******/ 	// no baseURI
/******/ 	
/******/ 	// object to store loaded and loading chunks
/******/ 	// undefined = chunk not loaded, null = chunk preloaded/prefetched
/******/ 	// [resolve, Promise] = chunk loading, 0 = chunk loaded
/******/ 	var installedChunks = {
/******/ 		792: 0
/******/ 	};
/******/ 	
/******/ 	var installChunk = (data) => {
/******/ 		var {ids, modules, runtime} = data;
/******/ 		// add "modules" to the modules object,
/******/ 		// then flag all "ids" as loaded and fire callback
/******/ 		var moduleId, chunkId, i = 0;
/******/ 		for(moduleId in modules) {
/******/ 			if(__nccwpck_require__.o(modules, moduleId)) {
/******/ 				__nccwpck_require__.m[moduleId] = modules[moduleId];
/******/ 			}
/******/ 		}
/******/ 		if(runtime) runtime(__nccwpck_require__);
/******/ 		for(;i < ids.length; i++) {
/******/ 			chunkId = ids[i];
/******/ 			if(__nccwpck_require__.o(installedChunks, chunkId) && installedChunks[chunkId]) {
/******/ 				installedChunks[chunkId][0]();
/******/ 			}
/******/ 			installedChunks[ids[i]] = 0;
/******/ 		}
/******/ 	
/******/ 	}
/******/ 	
/******/ 	__nccwpck_require__.f.j = (chunkId, promises) => {
/******/ 			// import() chunk loading for javascript
/******/ 			var installedChunkData = __nccwpck_require__.o(installedChunks, chunkId) ? installedChunks[chunkId] : undefined;
/******/ 			if(installedChunkData !== 0) { // 0 means "already installed".
/******/ 	
/******/ 				// a Promise means "currently loading".
/******/ 				if(installedChunkData) {
/******/ 					promises.push(installedChunkData[1]);
/******/ 				} else {
/******/ 					if(true) { // all chunks have JS
/******/ 						// setup Promise in chunk cache
/******/ 						var promise = import("./" + __nccwpck_require__.u(chunkId)).then(installChunk, (e) => {
/******/ 							if(installedChunks[chunkId] !== 0) installedChunks[chunkId] = undefined;
/******/ 							throw e;
/******/ 						});
/******/ 						var promise = Promise.race([promise, new Promise((resolve) => (installedChunkData = installedChunks[chunkId] = [resolve]))])
/******/ 						promises.push(installedChunkData[1] = promise);
/******/ 					}
/******/ 				}
/******/ 			}
/******/ 	};
/******/ 	
/******/ 	// no prefetching
/******/ 	
/******/ 	// no preloaded
/******/ 	
/******/ 	// no external install chunk
/******/ 	
/******/ 	// no on chunks loaded
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(4790);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
