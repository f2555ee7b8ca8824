import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 3251:
/***/ (function(module) {

/**
  * This file contains the Bottleneck library (MIT), compiled to ES2017, and without Clustering support.
  * https://github.com/SGrondin/bottleneck
  */
(function (global, factory) {
	 true ? module.exports = factory() :
	0;
}(this, (function () { 'use strict';

	var commonjsGlobal = typeof globalThis !== 'undefined' ? globalThis : typeof window !== 'undefined' ? window : typeof global !== 'undefined' ? global : typeof self !== 'undefined' ? self : {};

	function getCjsExportFromNamespace (n) {
		return n && n['default'] || n;
	}

	var load = function(received, defaults, onto = {}) {
	  var k, ref, v;
	  for (k in defaults) {
	    v = defaults[k];
	    onto[k] = (ref = received[k]) != null ? ref : v;
	  }
	  return onto;
	};

	var overwrite = function(received, defaults, onto = {}) {
	  var k, v;
	  for (k in received) {
	    v = received[k];
	    if (defaults[k] !== void 0) {
	      onto[k] = v;
	    }
	  }
	  return onto;
	};

	var parser = {
		load: load,
		overwrite: overwrite
	};

	var DLList;

	DLList = class DLList {
	  constructor(incr, decr) {
	    this.incr = incr;
	    this.decr = decr;
	    this._first = null;
	    this._last = null;
	    this.length = 0;
	  }

	  push(value) {
	    var node;
	    this.length++;
	    if (typeof this.incr === "function") {
	      this.incr();
	    }
	    node = {
	      value,
	      prev: this._last,
	      next: null
	    };
	    if (this._last != null) {
	      this._last.next = node;
	      this._last = node;
	    } else {
	      this._first = this._last = node;
	    }
	    return void 0;
	  }

	  shift() {
	    var value;
	    if (this._first == null) {
	      return;
	    } else {
	      this.length--;
	      if (typeof this.decr === "function") {
	        this.decr();
	      }
	    }
	    value = this._first.value;
	    if ((this._first = this._first.next) != null) {
	      this._first.prev = null;
	    } else {
	      this._last = null;
	    }
	    return value;
	  }

	  first() {
	    if (this._first != null) {
	      return this._first.value;
	    }
	  }

	  getArray() {
	    var node, ref, results;
	    node = this._first;
	    results = [];
	    while (node != null) {
	      results.push((ref = node, node = node.next, ref.value));
	    }
	    return results;
	  }

	  forEachShift(cb) {
	    var node;
	    node = this.shift();
	    while (node != null) {
	      (cb(node), node = this.shift());
	    }
	    return void 0;
	  }

	  debug() {
	    var node, ref, ref1, ref2, results;
	    node = this._first;
	    results = [];
	    while (node != null) {
	      results.push((ref = node, node = node.next, {
	        value: ref.value,
	        prev: (ref1 = ref.prev) != null ? ref1.value : void 0,
	        next: (ref2 = ref.next) != null ? ref2.value : void 0
	      }));
	    }
	    return results;
	  }

	};

	var DLList_1 = DLList;

	var Events;

	Events = class Events {
	  constructor(instance) {
	    this.instance = instance;
	    this._events = {};
	    if ((this.instance.on != null) || (this.instance.once != null) || (this.instance.removeAllListeners != null)) {
	      throw new Error("An Emitter already exists for this object");
	    }
	    this.instance.on = (name, cb) => {
	      return this._addListener(name, "many", cb);
	    };
	    this.instance.once = (name, cb) => {
	      return this._addListener(name, "once", cb);
	    };
	    this.instance.removeAllListeners = (name = null) => {
	      if (name != null) {
	        return delete this._events[name];
	      } else {
	        return this._events = {};
	      }
	    };
	  }

	  _addListener(name, status, cb) {
	    var base;
	    if ((base = this._events)[name] == null) {
	      base[name] = [];
	    }
	    this._events[name].push({cb, status});
	    return this.instance;
	  }

	  listenerCount(name) {
	    if (this._events[name] != null) {
	      return this._events[name].length;
	    } else {
	      return 0;
	    }
	  }

	  async trigger(name, ...args) {
	    var e, promises;
	    try {
	      if (name !== "debug") {
	        this.trigger("debug", `Event triggered: ${name}`, args);
	      }
	      if (this._events[name] == null) {
	        return;
	      }
	      this._events[name] = this._events[name].filter(function(listener) {
	        return listener.status !== "none";
	      });
	      promises = this._events[name].map(async(listener) => {
	        var e, returned;
	        if (listener.status === "none") {
	          return;
	        }
	        if (listener.status === "once") {
	          listener.status = "none";
	        }
	        try {
	          returned = typeof listener.cb === "function" ? listener.cb(...args) : void 0;
	          if (typeof (returned != null ? returned.then : void 0) === "function") {
	            return (await returned);
	          } else {
	            return returned;
	          }
	        } catch (error) {
	          e = error;
	          {
	            this.trigger("error", e);
	          }
	          return null;
	        }
	      });
	      return ((await Promise.all(promises))).find(function(x) {
	        return x != null;
	      });
	    } catch (error) {
	      e = error;
	      {
	        this.trigger("error", e);
	      }
	      return null;
	    }
	  }

	};

	var Events_1 = Events;

	var DLList$1, Events$1, Queues;

	DLList$1 = DLList_1;

	Events$1 = Events_1;

	Queues = class Queues {
	  constructor(num_priorities) {
	    var i;
	    this.Events = new Events$1(this);
	    this._length = 0;
	    this._lists = (function() {
	      var j, ref, results;
	      results = [];
	      for (i = j = 1, ref = num_priorities; (1 <= ref ? j <= ref : j >= ref); i = 1 <= ref ? ++j : --j) {
	        results.push(new DLList$1((() => {
	          return this.incr();
	        }), (() => {
	          return this.decr();
	        })));
	      }
	      return results;
	    }).call(this);
	  }

	  incr() {
	    if (this._length++ === 0) {
	      return this.Events.trigger("leftzero");
	    }
	  }

	  decr() {
	    if (--this._length === 0) {
	      return this.Events.trigger("zero");
	    }
	  }

	  push(job) {
	    return this._lists[job.options.priority].push(job);
	  }

	  queued(priority) {
	    if (priority != null) {
	      return this._lists[priority].length;
	    } else {
	      return this._length;
	    }
	  }

	  shiftAll(fn) {
	    return this._lists.forEach(function(list) {
	      return list.forEachShift(fn);
	    });
	  }

	  getFirst(arr = this._lists) {
	    var j, len, list;
	    for (j = 0, len = arr.length; j < len; j++) {
	      list = arr[j];
	      if (list.length > 0) {
	        return list;
	      }
	    }
	    return [];
	  }

	  shiftLastFrom(priority) {
	    return this.getFirst(this._lists.slice(priority).reverse()).shift();
	  }

	};

	var Queues_1 = Queues;

	var BottleneckError;

	BottleneckError = class BottleneckError extends Error {};

	var BottleneckError_1 = BottleneckError;

	var BottleneckError$1, DEFAULT_PRIORITY, Job, NUM_PRIORITIES, parser$1;

	NUM_PRIORITIES = 10;

	DEFAULT_PRIORITY = 5;

	parser$1 = parser;

	BottleneckError$1 = BottleneckError_1;

	Job = class Job {
	  constructor(task, args, options, jobDefaults, rejectOnDrop, Events, _states, Promise) {
	    this.task = task;
	    this.args = args;
	    this.rejectOnDrop = rejectOnDrop;
	    this.Events = Events;
	    this._states = _states;
	    this.Promise = Promise;
	    this.options = parser$1.load(options, jobDefaults);
	    this.options.priority = this._sanitizePriority(this.options.priority);
	    if (this.options.id === jobDefaults.id) {
	      this.options.id = `${this.options.id}-${this._randomIndex()}`;
	    }
	    this.promise = new this.Promise((_resolve, _reject) => {
	      this._resolve = _resolve;
	      this._reject = _reject;
	    });
	    this.retryCount = 0;
	  }

	  _sanitizePriority(priority) {
	    var sProperty;
	    sProperty = ~~priority !== priority ? DEFAULT_PRIORITY : priority;
	    if (sProperty < 0) {
	      return 0;
	    } else if (sProperty > NUM_PRIORITIES - 1) {
	      return NUM_PRIORITIES - 1;
	    } else {
	      return sProperty;
	    }
	  }

	  _randomIndex() {
	    return Math.random().toString(36).slice(2);
	  }

	  doDrop({error, message = "This job has been dropped by Bottleneck"} = {}) {
	    if (this._states.remove(this.options.id)) {
	      if (this.rejectOnDrop) {
	        this._reject(error != null ? error : new BottleneckError$1(message));
	      }
	      this.Events.trigger("dropped", {args: this.args, options: this.options, task: this.task, promise: this.promise});
	      return true;
	    } else {
	      return false;
	    }
	  }

	  _assertStatus(expected) {
	    var status;
	    status = this._states.jobStatus(this.options.id);
	    if (!(status === expected || (expected === "DONE" && status === null))) {
	      throw new BottleneckError$1(`Invalid job status ${status}, expected ${expected}. Please open an issue at https://github.com/SGrondin/bottleneck/issues`);
	    }
	  }

	  doReceive() {
	    this._states.start(this.options.id);
	    return this.Events.trigger("received", {args: this.args, options: this.options});
	  }

	  doQueue(reachedHWM, blocked) {
	    this._assertStatus("RECEIVED");
	    this._states.next(this.options.id);
	    return this.Events.trigger("queued", {args: this.args, options: this.options, reachedHWM, blocked});
	  }

	  doRun() {
	    if (this.retryCount === 0) {
	      this._assertStatus("QUEUED");
	      this._states.next(this.options.id);
	    } else {
	      this._assertStatus("EXECUTING");
	    }
	    return this.Events.trigger("scheduled", {args: this.args, options: this.options});
	  }

	  async doExecute(chained, clearGlobalState, run, free) {
	    var error, eventInfo, passed;
	    if (this.retryCount === 0) {
	      this._assertStatus("RUNNING");
	      this._states.next(this.options.id);
	    } else {
	      this._assertStatus("EXECUTING");
	    }
	    eventInfo = {args: this.args, options: this.options, retryCount: this.retryCount};
	    this.Events.trigger("executing", eventInfo);
	    try {
	      passed = (await (chained != null ? chained.schedule(this.options, this.task, ...this.args) : this.task(...this.args)));
	      if (clearGlobalState()) {
	        this.doDone(eventInfo);
	        await free(this.options, eventInfo);
	        this._assertStatus("DONE");
	        return this._resolve(passed);
	      }
	    } catch (error1) {
	      error = error1;
	      return this._onFailure(error, eventInfo, clearGlobalState, run, free);
	    }
	  }

	  doExpire(clearGlobalState, run, free) {
	    var error, eventInfo;
	    if (this._states.jobStatus(this.options.id === "RUNNING")) {
	      this._states.next(this.options.id);
	    }
	    this._assertStatus("EXECUTING");
	    eventInfo = {args: this.args, options: this.options, retryCount: this.retryCount};
	    error = new BottleneckError$1(`This job timed out after ${this.options.expiration} ms.`);
	    return this._onFailure(error, eventInfo, clearGlobalState, run, free);
	  }

	  async _onFailure(error, eventInfo, clearGlobalState, run, free) {
	    var retry, retryAfter;
	    if (clearGlobalState()) {
	      retry = (await this.Events.trigger("failed", error, eventInfo));
	      if (retry != null) {
	        retryAfter = ~~retry;
	        this.Events.trigger("retry", `Retrying ${this.options.id} after ${retryAfter} ms`, eventInfo);
	        this.retryCount++;
	        return run(retryAfter);
	      } else {
	        this.doDone(eventInfo);
	        await free(this.options, eventInfo);
	        this._assertStatus("DONE");
	        return this._reject(error);
	      }
	    }
	  }

	  doDone(eventInfo) {
	    this._assertStatus("EXECUTING");
	    this._states.next(this.options.id);
	    return this.Events.trigger("done", eventInfo);
	  }

	};

	var Job_1 = Job;

	var BottleneckError$2, LocalDatastore, parser$2;

	parser$2 = parser;

	BottleneckError$2 = BottleneckError_1;

	LocalDatastore = class LocalDatastore {
	  constructor(instance, storeOptions, storeInstanceOptions) {
	    this.instance = instance;
	    this.storeOptions = storeOptions;
	    this.clientId = this.instance._randomIndex();
	    parser$2.load(storeInstanceOptions, storeInstanceOptions, this);
	    this._nextRequest = this._lastReservoirRefresh = this._lastReservoirIncrease = Date.now();
	    this._running = 0;
	    this._done = 0;
	    this._unblockTime = 0;
	    this.ready = this.Promise.resolve();
	    this.clients = {};
	    this._startHeartbeat();
	  }

	  _startHeartbeat() {
	    var base;
	    if ((this.heartbeat == null) && (((this.storeOptions.reservoirRefreshInterval != null) && (this.storeOptions.reservoirRefreshAmount != null)) || ((this.storeOptions.reservoirIncreaseInterval != null) && (this.storeOptions.reservoirIncreaseAmount != null)))) {
	      return typeof (base = (this.heartbeat = setInterval(() => {
	        var amount, incr, maximum, now, reservoir;
	        now = Date.now();
	        if ((this.storeOptions.reservoirRefreshInterval != null) && now >= this._lastReservoirRefresh + this.storeOptions.reservoirRefreshInterval) {
	          this._lastReservoirRefresh = now;
	          this.storeOptions.reservoir = this.storeOptions.reservoirRefreshAmount;
	          this.instance._drainAll(this.computeCapacity());
	        }
	        if ((this.storeOptions.reservoirIncreaseInterval != null) && now >= this._lastReservoirIncrease + this.storeOptions.reservoirIncreaseInterval) {
	          ({
	            reservoirIncreaseAmount: amount,
	            reservoirIncreaseMaximum: maximum,
	            reservoir
	          } = this.storeOptions);
	          this._lastReservoirIncrease = now;
	          incr = maximum != null ? Math.min(amount, maximum - reservoir) : amount;
	          if (incr > 0) {
	            this.storeOptions.reservoir += incr;
	            return this.instance._drainAll(this.computeCapacity());
	          }
	        }
	      }, this.heartbeatInterval))).unref === "function" ? base.unref() : void 0;
	    } else {
	      return clearInterval(this.heartbeat);
	    }
	  }

	  async __publish__(message) {
	    await this.yieldLoop();
	    return this.instance.Events.trigger("message", message.toString());
	  }

	  async __disconnect__(flush) {
	    await this.yieldLoop();
	    clearInterval(this.heartbeat);
	    return this.Promise.resolve();
	  }

	  yieldLoop(t = 0) {
	    return new this.Promise(function(resolve, reject) {
	      return setTimeout(resolve, t);
	    });
	  }

	  computePenalty() {
	    var ref;
	    return (ref = this.storeOptions.penalty) != null ? ref : (15 * this.storeOptions.minTime) || 5000;
	  }

	  async __updateSettings__(options) {
	    await this.yieldLoop();
	    parser$2.overwrite(options, options, this.storeOptions);
	    this._startHeartbeat();
	    this.instance._drainAll(this.computeCapacity());
	    return true;
	  }

	  async __running__() {
	    await this.yieldLoop();
	    return this._running;
	  }

	  async __queued__() {
	    await this.yieldLoop();
	    return this.instance.queued();
	  }

	  async __done__() {
	    await this.yieldLoop();
	    return this._done;
	  }

	  async __groupCheck__(time) {
	    await this.yieldLoop();
	    return (this._nextRequest + this.timeout) < time;
	  }

	  computeCapacity() {
	    var maxConcurrent, reservoir;
	    ({maxConcurrent, reservoir} = this.storeOptions);
	    if ((maxConcurrent != null) && (reservoir != null)) {
	      return Math.min(maxConcurrent - this._running, reservoir);
	    } else if (maxConcurrent != null) {
	      return maxConcurrent - this._running;
	    } else if (reservoir != null) {
	      return reservoir;
	    } else {
	      return null;
	    }
	  }

	  conditionsCheck(weight) {
	    var capacity;
	    capacity = this.computeCapacity();
	    return (capacity == null) || weight <= capacity;
	  }

	  async __incrementReservoir__(incr) {
	    var reservoir;
	    await this.yieldLoop();
	    reservoir = this.storeOptions.reservoir += incr;
	    this.instance._drainAll(this.computeCapacity());
	    return reservoir;
	  }

	  async __currentReservoir__() {
	    await this.yieldLoop();
	    return this.storeOptions.reservoir;
	  }

	  isBlocked(now) {
	    return this._unblockTime >= now;
	  }

	  check(weight, now) {
	    return this.conditionsCheck(weight) && (this._nextRequest - now) <= 0;
	  }

	  async __check__(weight) {
	    var now;
	    await this.yieldLoop();
	    now = Date.now();
	    return this.check(weight, now);
	  }

	  async __register__(index, weight, expiration) {
	    var now, wait;
	    await this.yieldLoop();
	    now = Date.now();
	    if (this.conditionsCheck(weight)) {
	      this._running += weight;
	      if (this.storeOptions.reservoir != null) {
	        this.storeOptions.reservoir -= weight;
	      }
	      wait = Math.max(this._nextRequest - now, 0);
	      this._nextRequest = now + wait + this.storeOptions.minTime;
	      return {
	        success: true,
	        wait,
	        reservoir: this.storeOptions.reservoir
	      };
	    } else {
	      return {
	        success: false
	      };
	    }
	  }

	  strategyIsBlock() {
	    return this.storeOptions.strategy === 3;
	  }

	  async __submit__(queueLength, weight) {
	    var blocked, now, reachedHWM;
	    await this.yieldLoop();
	    if ((this.storeOptions.maxConcurrent != null) && weight > this.storeOptions.maxConcurrent) {
	      throw new BottleneckError$2(`Impossible to add a job having a weight of ${weight} to a limiter having a maxConcurrent setting of ${this.storeOptions.maxConcurrent}`);
	    }
	    now = Date.now();
	    reachedHWM = (this.storeOptions.highWater != null) && queueLength === this.storeOptions.highWater && !this.check(weight, now);
	    blocked = this.strategyIsBlock() && (reachedHWM || this.isBlocked(now));
	    if (blocked) {
	      this._unblockTime = now + this.computePenalty();
	      this._nextRequest = this._unblockTime + this.storeOptions.minTime;
	      this.instance._dropAllQueued();
	    }
	    return {
	      reachedHWM,
	      blocked,
	      strategy: this.storeOptions.strategy
	    };
	  }

	  async __free__(index, weight) {
	    await this.yieldLoop();
	    this._running -= weight;
	    this._done += weight;
	    this.instance._drainAll(this.computeCapacity());
	    return {
	      running: this._running
	    };
	  }

	};

	var LocalDatastore_1 = LocalDatastore;

	var BottleneckError$3, States;

	BottleneckError$3 = BottleneckError_1;

	States = class States {
	  constructor(status1) {
	    this.status = status1;
	    this._jobs = {};
	    this.counts = this.status.map(function() {
	      return 0;
	    });
	  }

	  next(id) {
	    var current, next;
	    current = this._jobs[id];
	    next = current + 1;
	    if ((current != null) && next < this.status.length) {
	      this.counts[current]--;
	      this.counts[next]++;
	      return this._jobs[id]++;
	    } else if (current != null) {
	      this.counts[current]--;
	      return delete this._jobs[id];
	    }
	  }

	  start(id) {
	    var initial;
	    initial = 0;
	    this._jobs[id] = initial;
	    return this.counts[initial]++;
	  }

	  remove(id) {
	    var current;
	    current = this._jobs[id];
	    if (current != null) {
	      this.counts[current]--;
	      delete this._jobs[id];
	    }
	    return current != null;
	  }

	  jobStatus(id) {
	    var ref;
	    return (ref = this.status[this._jobs[id]]) != null ? ref : null;
	  }

	  statusJobs(status) {
	    var k, pos, ref, results, v;
	    if (status != null) {
	      pos = this.status.indexOf(status);
	      if (pos < 0) {
	        throw new BottleneckError$3(`status must be one of ${this.status.join(', ')}`);
	      }
	      ref = this._jobs;
	      results = [];
	      for (k in ref) {
	        v = ref[k];
	        if (v === pos) {
	          results.push(k);
	        }
	      }
	      return results;
	    } else {
	      return Object.keys(this._jobs);
	    }
	  }

	  statusCounts() {
	    return this.counts.reduce(((acc, v, i) => {
	      acc[this.status[i]] = v;
	      return acc;
	    }), {});
	  }

	};

	var States_1 = States;

	var DLList$2, Sync;

	DLList$2 = DLList_1;

	Sync = class Sync {
	  constructor(name, Promise) {
	    this.schedule = this.schedule.bind(this);
	    this.name = name;
	    this.Promise = Promise;
	    this._running = 0;
	    this._queue = new DLList$2();
	  }

	  isEmpty() {
	    return this._queue.length === 0;
	  }

	  async _tryToRun() {
	    var args, cb, error, reject, resolve, returned, task;
	    if ((this._running < 1) && this._queue.length > 0) {
	      this._running++;
	      ({task, args, resolve, reject} = this._queue.shift());
	      cb = (await (async function() {
	        try {
	          returned = (await task(...args));
	          return function() {
	            return resolve(returned);
	          };
	        } catch (error1) {
	          error = error1;
	          return function() {
	            return reject(error);
	          };
	        }
	      })());
	      this._running--;
	      this._tryToRun();
	      return cb();
	    }
	  }

	  schedule(task, ...args) {
	    var promise, reject, resolve;
	    resolve = reject = null;
	    promise = new this.Promise(function(_resolve, _reject) {
	      resolve = _resolve;
	      return reject = _reject;
	    });
	    this._queue.push({task, args, resolve, reject});
	    this._tryToRun();
	    return promise;
	  }

	};

	var Sync_1 = Sync;

	var version = "2.19.5";
	var version$1 = {
		version: version
	};

	var version$2 = /*#__PURE__*/Object.freeze({
		version: version,
		default: version$1
	});

	var require$$2 = () => console.log('You must import the full version of Bottleneck in order to use this feature.');

	var require$$3 = () => console.log('You must import the full version of Bottleneck in order to use this feature.');

	var require$$4 = () => console.log('You must import the full version of Bottleneck in order to use this feature.');

	var Events$2, Group, IORedisConnection$1, RedisConnection$1, Scripts$1, parser$3;

	parser$3 = parser;

	Events$2 = Events_1;

	RedisConnection$1 = require$$2;

	IORedisConnection$1 = require$$3;

	Scripts$1 = require$$4;

	Group = (function() {
	  class Group {
	    constructor(limiterOptions = {}) {
	      this.deleteKey = this.deleteKey.bind(this);
	      this.limiterOptions = limiterOptions;
	      parser$3.load(this.limiterOptions, this.defaults, this);
	      this.Events = new Events$2(this);
	      this.instances = {};
	      this.Bottleneck = Bottleneck_1;
	      this._startAutoCleanup();
	      this.sharedConnection = this.connection != null;
	      if (this.connection == null) {
	        if (this.limiterOptions.datastore === "redis") {
	          this.connection = new RedisConnection$1(Object.assign({}, this.limiterOptions, {Events: this.Events}));
	        } else if (this.limiterOptions.datastore === "ioredis") {
	          this.connection = new IORedisConnection$1(Object.assign({}, this.limiterOptions, {Events: this.Events}));
	        }
	      }
	    }

	    key(key = "") {
	      var ref;
	      return (ref = this.instances[key]) != null ? ref : (() => {
	        var limiter;
	        limiter = this.instances[key] = new this.Bottleneck(Object.assign(this.limiterOptions, {
	          id: `${this.id}-${key}`,
	          timeout: this.timeout,
	          connection: this.connection
	        }));
	        this.Events.trigger("created", limiter, key);
	        return limiter;
	      })();
	    }

	    async deleteKey(key = "") {
	      var deleted, instance;
	      instance = this.instances[key];
	      if (this.connection) {
	        deleted = (await this.connection.__runCommand__(['del', ...Scripts$1.allKeys(`${this.id}-${key}`)]));
	      }
	      if (instance != null) {
	        delete this.instances[key];
	        await instance.disconnect();
	      }
	      return (instance != null) || deleted > 0;
	    }

	    limiters() {
	      var k, ref, results, v;
	      ref = this.instances;
	      results = [];
	      for (k in ref) {
	        v = ref[k];
	        results.push({
	          key: k,
	          limiter: v
	        });
	      }
	      return results;
	    }

	    keys() {
	      return Object.keys(this.instances);
	    }

	    async clusterKeys() {
	      var cursor, end, found, i, k, keys, len, next, start;
	      if (this.connection == null) {
	        return this.Promise.resolve(this.keys());
	      }
	      keys = [];
	      cursor = null;
	      start = `b_${this.id}-`.length;
	      end = "_settings".length;
	      while (cursor !== 0) {
	        [next, found] = (await this.connection.__runCommand__(["scan", cursor != null ? cursor : 0, "match", `b_${this.id}-*_settings`, "count", 10000]));
	        cursor = ~~next;
	        for (i = 0, len = found.length; i < len; i++) {
	          k = found[i];
	          keys.push(k.slice(start, -end));
	        }
	      }
	      return keys;
	    }

	    _startAutoCleanup() {
	      var base;
	      clearInterval(this.interval);
	      return typeof (base = (this.interval = setInterval(async() => {
	        var e, k, ref, results, time, v;
	        time = Date.now();
	        ref = this.instances;
	        results = [];
	        for (k in ref) {
	          v = ref[k];
	          try {
	            if ((await v._store.__groupCheck__(time))) {
	              results.push(this.deleteKey(k));
	            } else {
	              results.push(void 0);
	            }
	          } catch (error) {
	            e = error;
	            results.push(v.Events.trigger("error", e));
	          }
	        }
	        return results;
	      }, this.timeout / 2))).unref === "function" ? base.unref() : void 0;
	    }

	    updateSettings(options = {}) {
	      parser$3.overwrite(options, this.defaults, this);
	      parser$3.overwrite(options, options, this.limiterOptions);
	      if (options.timeout != null) {
	        return this._startAutoCleanup();
	      }
	    }

	    disconnect(flush = true) {
	      var ref;
	      if (!this.sharedConnection) {
	        return (ref = this.connection) != null ? ref.disconnect(flush) : void 0;
	      }
	    }

	  }
	  Group.prototype.defaults = {
	    timeout: 1000 * 60 * 5,
	    connection: null,
	    Promise: Promise,
	    id: "group-key"
	  };

	  return Group;

	}).call(commonjsGlobal);

	var Group_1 = Group;

	var Batcher, Events$3, parser$4;

	parser$4 = parser;

	Events$3 = Events_1;

	Batcher = (function() {
	  class Batcher {
	    constructor(options = {}) {
	      this.options = options;
	      parser$4.load(this.options, this.defaults, this);
	      this.Events = new Events$3(this);
	      this._arr = [];
	      this._resetPromise();
	      this._lastFlush = Date.now();
	    }

	    _resetPromise() {
	      return this._promise = new this.Promise((res, rej) => {
	        return this._resolve = res;
	      });
	    }

	    _flush() {
	      clearTimeout(this._timeout);
	      this._lastFlush = Date.now();
	      this._resolve();
	      this.Events.trigger("batch", this._arr);
	      this._arr = [];
	      return this._resetPromise();
	    }

	    add(data) {
	      var ret;
	      this._arr.push(data);
	      ret = this._promise;
	      if (this._arr.length === this.maxSize) {
	        this._flush();
	      } else if ((this.maxTime != null) && this._arr.length === 1) {
	        this._timeout = setTimeout(() => {
	          return this._flush();
	        }, this.maxTime);
	      }
	      return ret;
	    }

	  }
	  Batcher.prototype.defaults = {
	    maxTime: null,
	    maxSize: null,
	    Promise: Promise
	  };

	  return Batcher;

	}).call(commonjsGlobal);

	var Batcher_1 = Batcher;

	var require$$4$1 = () => console.log('You must import the full version of Bottleneck in order to use this feature.');

	var require$$8 = getCjsExportFromNamespace(version$2);

	var Bottleneck, DEFAULT_PRIORITY$1, Events$4, Job$1, LocalDatastore$1, NUM_PRIORITIES$1, Queues$1, RedisDatastore$1, States$1, Sync$1, parser$5,
	  splice = [].splice;

	NUM_PRIORITIES$1 = 10;

	DEFAULT_PRIORITY$1 = 5;

	parser$5 = parser;

	Queues$1 = Queues_1;

	Job$1 = Job_1;

	LocalDatastore$1 = LocalDatastore_1;

	RedisDatastore$1 = require$$4$1;

	Events$4 = Events_1;

	States$1 = States_1;

	Sync$1 = Sync_1;

	Bottleneck = (function() {
	  class Bottleneck {
	    constructor(options = {}, ...invalid) {
	      var storeInstanceOptions, storeOptions;
	      this._addToQueue = this._addToQueue.bind(this);
	      this._validateOptions(options, invalid);
	      parser$5.load(options, this.instanceDefaults, this);
	      this._queues = new Queues$1(NUM_PRIORITIES$1);
	      this._scheduled = {};
	      this._states = new States$1(["RECEIVED", "QUEUED", "RUNNING", "EXECUTING"].concat(this.trackDoneStatus ? ["DONE"] : []));
	      this._limiter = null;
	      this.Events = new Events$4(this);
	      this._submitLock = new Sync$1("submit", this.Promise);
	      this._registerLock = new Sync$1("register", this.Promise);
	      storeOptions = parser$5.load(options, this.storeDefaults, {});
	      this._store = (function() {
	        if (this.datastore === "redis" || this.datastore === "ioredis" || (this.connection != null)) {
	          storeInstanceOptions = parser$5.load(options, this.redisStoreDefaults, {});
	          return new RedisDatastore$1(this, storeOptions, storeInstanceOptions);
	        } else if (this.datastore === "local") {
	          storeInstanceOptions = parser$5.load(options, this.localStoreDefaults, {});
	          return new LocalDatastore$1(this, storeOptions, storeInstanceOptions);
	        } else {
	          throw new Bottleneck.prototype.BottleneckError(`Invalid datastore type: ${this.datastore}`);
	        }
	      }).call(this);
	      this._queues.on("leftzero", () => {
	        var ref;
	        return (ref = this._store.heartbeat) != null ? typeof ref.ref === "function" ? ref.ref() : void 0 : void 0;
	      });
	      this._queues.on("zero", () => {
	        var ref;
	        return (ref = this._store.heartbeat) != null ? typeof ref.unref === "function" ? ref.unref() : void 0 : void 0;
	      });
	    }

	    _validateOptions(options, invalid) {
	      if (!((options != null) && typeof options === "object" && invalid.length === 0)) {
	        throw new Bottleneck.prototype.BottleneckError("Bottleneck v2 takes a single object argument. Refer to https://github.com/SGrondin/bottleneck#upgrading-to-v2 if you're upgrading from Bottleneck v1.");
	      }
	    }

	    ready() {
	      return this._store.ready;
	    }

	    clients() {
	      return this._store.clients;
	    }

	    channel() {
	      return `b_${this.id}`;
	    }

	    channel_client() {
	      return `b_${this.id}_${this._store.clientId}`;
	    }

	    publish(message) {
	      return this._store.__publish__(message);
	    }

	    disconnect(flush = true) {
	      return this._store.__disconnect__(flush);
	    }

	    chain(_limiter) {
	      this._limiter = _limiter;
	      return this;
	    }

	    queued(priority) {
	      return this._queues.queued(priority);
	    }

	    clusterQueued() {
	      return this._store.__queued__();
	    }

	    empty() {
	      return this.queued() === 0 && this._submitLock.isEmpty();
	    }

	    running() {
	      return this._store.__running__();
	    }

	    done() {
	      return this._store.__done__();
	    }

	    jobStatus(id) {
	      return this._states.jobStatus(id);
	    }

	    jobs(status) {
	      return this._states.statusJobs(status);
	    }

	    counts() {
	      return this._states.statusCounts();
	    }

	    _randomIndex() {
	      return Math.random().toString(36).slice(2);
	    }

	    check(weight = 1) {
	      return this._store.__check__(weight);
	    }

	    _clearGlobalState(index) {
	      if (this._scheduled[index] != null) {
	        clearTimeout(this._scheduled[index].expiration);
	        delete this._scheduled[index];
	        return true;
	      } else {
	        return false;
	      }
	    }

	    async _free(index, job, options, eventInfo) {
	      var e, running;
	      try {
	        ({running} = (await this._store.__free__(index, options.weight)));
	        this.Events.trigger("debug", `Freed ${options.id}`, eventInfo);
	        if (running === 0 && this.empty()) {
	          return this.Events.trigger("idle");
	        }
	      } catch (error1) {
	        e = error1;
	        return this.Events.trigger("error", e);
	      }
	    }

	    _run(index, job, wait) {
	      var clearGlobalState, free, run;
	      job.doRun();
	      clearGlobalState = this._clearGlobalState.bind(this, index);
	      run = this._run.bind(this, index, job);
	      free = this._free.bind(this, index, job);
	      return this._scheduled[index] = {
	        timeout: setTimeout(() => {
	          return job.doExecute(this._limiter, clearGlobalState, run, free);
	        }, wait),
	        expiration: job.options.expiration != null ? setTimeout(function() {
	          return job.doExpire(clearGlobalState, run, free);
	        }, wait + job.options.expiration) : void 0,
	        job: job
	      };
	    }

	    _drainOne(capacity) {
	      return this._registerLock.schedule(() => {
	        var args, index, next, options, queue;
	        if (this.queued() === 0) {
	          return this.Promise.resolve(null);
	        }
	        queue = this._queues.getFirst();
	        ({options, args} = next = queue.first());
	        if ((capacity != null) && options.weight > capacity) {
	          return this.Promise.resolve(null);
	        }
	        this.Events.trigger("debug", `Draining ${options.id}`, {args, options});
	        index = this._randomIndex();
	        return this._store.__register__(index, options.weight, options.expiration).then(({success, wait, reservoir}) => {
	          var empty;
	          this.Events.trigger("debug", `Drained ${options.id}`, {success, args, options});
	          if (success) {
	            queue.shift();
	            empty = this.empty();
	            if (empty) {
	              this.Events.trigger("empty");
	            }
	            if (reservoir === 0) {
	              this.Events.trigger("depleted", empty);
	            }
	            this._run(index, next, wait);
	            return this.Promise.resolve(options.weight);
	          } else {
	            return this.Promise.resolve(null);
	          }
	        });
	      });
	    }

	    _drainAll(capacity, total = 0) {
	      return this._drainOne(capacity).then((drained) => {
	        var newCapacity;
	        if (drained != null) {
	          newCapacity = capacity != null ? capacity - drained : capacity;
	          return this._drainAll(newCapacity, total + drained);
	        } else {
	          return this.Promise.resolve(total);
	        }
	      }).catch((e) => {
	        return this.Events.trigger("error", e);
	      });
	    }

	    _dropAllQueued(message) {
	      return this._queues.shiftAll(function(job) {
	        return job.doDrop({message});
	      });
	    }

	    stop(options = {}) {
	      var done, waitForExecuting;
	      options = parser$5.load(options, this.stopDefaults);
	      waitForExecuting = (at) => {
	        var finished;
	        finished = () => {
	          var counts;
	          counts = this._states.counts;
	          return (counts[0] + counts[1] + counts[2] + counts[3]) === at;
	        };
	        return new this.Promise((resolve, reject) => {
	          if (finished()) {
	            return resolve();
	          } else {
	            return this.on("done", () => {
	              if (finished()) {
	                this.removeAllListeners("done");
	                return resolve();
	              }
	            });
	          }
	        });
	      };
	      done = options.dropWaitingJobs ? (this._run = function(index, next) {
	        return next.doDrop({
	          message: options.dropErrorMessage
	        });
	      }, this._drainOne = () => {
	        return this.Promise.resolve(null);
	      }, this._registerLock.schedule(() => {
	        return this._submitLock.schedule(() => {
	          var k, ref, v;
	          ref = this._scheduled;
	          for (k in ref) {
	            v = ref[k];
	            if (this.jobStatus(v.job.options.id) === "RUNNING") {
	              clearTimeout(v.timeout);
	              clearTimeout(v.expiration);
	              v.job.doDrop({
	                message: options.dropErrorMessage
	              });
	            }
	          }
	          this._dropAllQueued(options.dropErrorMessage);
	          return waitForExecuting(0);
	        });
	      })) : this.schedule({
	        priority: NUM_PRIORITIES$1 - 1,
	        weight: 0
	      }, () => {
	        return waitForExecuting(1);
	      });
	      this._receive = function(job) {
	        return job._reject(new Bottleneck.prototype.BottleneckError(options.enqueueErrorMessage));
	      };
	      this.stop = () => {
	        return this.Promise.reject(new Bottleneck.prototype.BottleneckError("stop() has already been called"));
	      };
	      return done;
	    }

	    async _addToQueue(job) {
	      var args, blocked, error, options, reachedHWM, shifted, strategy;
	      ({args, options} = job);
	      try {
	        ({reachedHWM, blocked, strategy} = (await this._store.__submit__(this.queued(), options.weight)));
	      } catch (error1) {
	        error = error1;
	        this.Events.trigger("debug", `Could not queue ${options.id}`, {args, options, error});
	        job.doDrop({error});
	        return false;
	      }
	      if (blocked) {
	        job.doDrop();
	        return true;
	      } else if (reachedHWM) {
	        shifted = strategy === Bottleneck.prototype.strategy.LEAK ? this._queues.shiftLastFrom(options.priority) : strategy === Bottleneck.prototype.strategy.OVERFLOW_PRIORITY ? this._queues.shiftLastFrom(options.priority + 1) : strategy === Bottleneck.prototype.strategy.OVERFLOW ? job : void 0;
	        if (shifted != null) {
	          shifted.doDrop();
	        }
	        if ((shifted == null) || strategy === Bottleneck.prototype.strategy.OVERFLOW) {
	          if (shifted == null) {
	            job.doDrop();
	          }
	          return reachedHWM;
	        }
	      }
	      job.doQueue(reachedHWM, blocked);
	      this._queues.push(job);
	      await this._drainAll();
	      return reachedHWM;
	    }

	    _receive(job) {
	      if (this._states.jobStatus(job.options.id) != null) {
	        job._reject(new Bottleneck.prototype.BottleneckError(`A job with the same id already exists (id=${job.options.id})`));
	        return false;
	      } else {
	        job.doReceive();
	        return this._submitLock.schedule(this._addToQueue, job);
	      }
	    }

	    submit(...args) {
	      var cb, fn, job, options, ref, ref1, task;
	      if (typeof args[0] === "function") {
	        ref = args, [fn, ...args] = ref, [cb] = splice.call(args, -1);
	        options = parser$5.load({}, this.jobDefaults);
	      } else {
	        ref1 = args, [options, fn, ...args] = ref1, [cb] = splice.call(args, -1);
	        options = parser$5.load(options, this.jobDefaults);
	      }
	      task = (...args) => {
	        return new this.Promise(function(resolve, reject) {
	          return fn(...args, function(...args) {
	            return (args[0] != null ? reject : resolve)(args);
	          });
	        });
	      };
	      job = new Job$1(task, args, options, this.jobDefaults, this.rejectOnDrop, this.Events, this._states, this.Promise);
	      job.promise.then(function(args) {
	        return typeof cb === "function" ? cb(...args) : void 0;
	      }).catch(function(args) {
	        if (Array.isArray(args)) {
	          return typeof cb === "function" ? cb(...args) : void 0;
	        } else {
	          return typeof cb === "function" ? cb(args) : void 0;
	        }
	      });
	      return this._receive(job);
	    }

	    schedule(...args) {
	      var job, options, task;
	      if (typeof args[0] === "function") {
	        [task, ...args] = args;
	        options = {};
	      } else {
	        [options, task, ...args] = args;
	      }
	      job = new Job$1(task, args, options, this.jobDefaults, this.rejectOnDrop, this.Events, this._states, this.Promise);
	      this._receive(job);
	      return job.promise;
	    }

	    wrap(fn) {
	      var schedule, wrapped;
	      schedule = this.schedule.bind(this);
	      wrapped = function(...args) {
	        return schedule(fn.bind(this), ...args);
	      };
	      wrapped.withOptions = function(options, ...args) {
	        return schedule(options, fn, ...args);
	      };
	      return wrapped;
	    }

	    async updateSettings(options = {}) {
	      await this._store.__updateSettings__(parser$5.overwrite(options, this.storeDefaults));
	      parser$5.overwrite(options, this.instanceDefaults, this);
	      return this;
	    }

	    currentReservoir() {
	      return this._store.__currentReservoir__();
	    }

	    incrementReservoir(incr = 0) {
	      return this._store.__incrementReservoir__(incr);
	    }

	  }
	  Bottleneck.default = Bottleneck;

	  Bottleneck.Events = Events$4;

	  Bottleneck.version = Bottleneck.prototype.version = require$$8.version;

	  Bottleneck.strategy = Bottleneck.prototype.strategy = {
	    LEAK: 1,
	    OVERFLOW: 2,
	    OVERFLOW_PRIORITY: 4,
	    BLOCK: 3
	  };

	  Bottleneck.BottleneckError = Bottleneck.prototype.BottleneckError = BottleneckError_1;

	  Bottleneck.Group = Bottleneck.prototype.Group = Group_1;

	  Bottleneck.RedisConnection = Bottleneck.prototype.RedisConnection = require$$2;

	  Bottleneck.IORedisConnection = Bottleneck.prototype.IORedisConnection = require$$3;

	  Bottleneck.Batcher = Bottleneck.prototype.Batcher = Batcher_1;

	  Bottleneck.prototype.jobDefaults = {
	    priority: DEFAULT_PRIORITY$1,
	    weight: 1,
	    expiration: null,
	    id: "<no-id>"
	  };

	  Bottleneck.prototype.storeDefaults = {
	    maxConcurrent: null,
	    minTime: 0,
	    highWater: null,
	    strategy: Bottleneck.prototype.strategy.LEAK,
	    penalty: null,
	    reservoir: null,
	    reservoirRefreshInterval: null,
	    reservoirRefreshAmount: null,
	    reservoirIncreaseInterval: null,
	    reservoirIncreaseAmount: null,
	    reservoirIncreaseMaximum: null
	  };

	  Bottleneck.prototype.localStoreDefaults = {
	    Promise: Promise,
	    timeout: null,
	    heartbeatInterval: 250
	  };

	  Bottleneck.prototype.redisStoreDefaults = {
	    Promise: Promise,
	    timeout: null,
	    heartbeatInterval: 5000,
	    clientTimeout: 10000,
	    Redis: null,
	    clientOptions: {},
	    clusterNodes: null,
	    clearDatastore: false,
	    connection: null
	  };

	  Bottleneck.prototype.instanceDefaults = {
	    datastore: "local",
	    connection: null,
	    id: "<no-id>",
	    rejectOnDrop: true,
	    trackDoneStatus: false,
	    Promise: Promise
	  };

	  Bottleneck.prototype.stopDefaults = {
	    enqueueErrorMessage: "This limiter has been stopped and cannot accept new jobs.",
	    dropWaitingJobs: true,
	    dropErrorMessage: "This limiter has been stopped."
	  };

	  return Bottleneck;

	}).call(commonjsGlobal);

	var Bottleneck_1 = Bottleneck;

	var lib = Bottleneck_1;

	return lib;

})));


/***/ }),

/***/ 7057:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   N: () => (/* binding */ describeGroup)
/* harmony export */ });
function describeGroup(key) {
    return key.map(([l, v]) => `${l}="${v}"`).join(',');
}


/***/ }),

/***/ 1622:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _hooks_main_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(2982);
/* harmony import */ var _hooks_runner_io_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(4101);


await (0,_hooks_main_js__WEBPACK_IMPORTED_MODULE_0__/* .run */ .e)(_hooks_runner_io_js__WEBPACK_IMPORTED_MODULE_1__/* .runnerIO */ .$);
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

/***/ 2982:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  e: () => (/* binding */ run)
});

// UNUSED EXPORTS: mainHook

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

;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
// EXTERNAL MODULE: ./src/model/infer.ts
var infer = __nccwpck_require__(9033);
// EXTERNAL MODULE: ./src/model/stage-map.ts + 2 modules
var stage_map = __nccwpck_require__(2239);
// EXTERNAL MODULE: ./src/util/safe-text.ts
var safe_text = __nccwpck_require__(4747);
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
    return io ?? (await Promise.all(/* import() */[__nccwpck_require__.e(752), __nccwpck_require__.e(838), __nccwpck_require__.e(506)]).then(__nccwpck_require__.bind(__nccwpck_require__, 3506))).coreIO;
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

;// CONCATENATED MODULE: ./node_modules/universal-user-agent/index.js
function getUserAgent() {
  if (typeof navigator === "object" && "userAgent" in navigator) {
    return navigator.userAgent;
  }

  if (typeof process === "object" && process.version !== undefined) {
    return `Node.js/${process.version.substr(1)} (${process.platform}; ${
      process.arch
    })`;
  }

  return "<environment undetectable>";
}

;// CONCATENATED MODULE: ./node_modules/before-after-hook/lib/register.js
// @ts-check

function register(state, name, method, options) {
  if (typeof method !== "function") {
    throw new Error("method for before hook must be a function");
  }

  if (!options) {
    options = {};
  }

  if (Array.isArray(name)) {
    return name.reverse().reduce((callback, name) => {
      return register.bind(null, state, name, callback, options);
    }, method)();
  }

  return Promise.resolve().then(() => {
    if (!state.registry[name]) {
      return method(options);
    }

    return state.registry[name].reduce((method, registered) => {
      return registered.hook.bind(null, method, options);
    }, method)();
  });
}

;// CONCATENATED MODULE: ./node_modules/before-after-hook/lib/add.js
// @ts-check

function addHook(state, kind, name, hook) {
  const orig = hook;
  if (!state.registry[name]) {
    state.registry[name] = [];
  }

  if (kind === "before") {
    hook = (method, options) => {
      return Promise.resolve()
        .then(orig.bind(null, options))
        .then(method.bind(null, options));
    };
  }

  if (kind === "after") {
    hook = (method, options) => {
      let result;
      return Promise.resolve()
        .then(method.bind(null, options))
        .then((result_) => {
          result = result_;
          return orig(result, options);
        })
        .then(() => {
          return result;
        });
    };
  }

  if (kind === "error") {
    hook = (method, options) => {
      return Promise.resolve()
        .then(method.bind(null, options))
        .catch((error) => {
          return orig(error, options);
        });
    };
  }

  state.registry[name].push({
    hook: hook,
    orig: orig,
  });
}

;// CONCATENATED MODULE: ./node_modules/before-after-hook/lib/remove.js
// @ts-check

function removeHook(state, name, method) {
  if (!state.registry[name]) {
    return;
  }

  const index = state.registry[name]
    .map((registered) => {
      return registered.orig;
    })
    .indexOf(method);

  if (index === -1) {
    return;
  }

  state.registry[name].splice(index, 1);
}

;// CONCATENATED MODULE: ./node_modules/before-after-hook/index.js
// @ts-check





// bind with array of arguments: https://stackoverflow.com/a/21792913
const bind = Function.bind;
const bindable = bind.bind(bind);

function bindApi(hook, state, name) {
  const removeHookRef = bindable(removeHook, null).apply(
    null,
    name ? [state, name] : [state]
  );
  hook.api = { remove: removeHookRef };
  hook.remove = removeHookRef;
  ["before", "error", "after", "wrap"].forEach((kind) => {
    const args = name ? [state, kind, name] : [state, kind];
    hook[kind] = hook.api[kind] = bindable(addHook, null).apply(null, args);
  });
}

function Singular() {
  const singularHookName = Symbol("Singular");
  const singularHookState = {
    registry: {},
  };
  const singularHook = register.bind(null, singularHookState, singularHookName);
  bindApi(singularHook, singularHookState, singularHookName);
  return singularHook;
}

function Collection() {
  const state = {
    registry: {},
  };

  const hook = register.bind(null, state);
  bindApi(hook, state);

  return hook;
}

/* harmony default export */ const before_after_hook = ({ Singular, Collection });

;// CONCATENATED MODULE: ./node_modules/@octokit/endpoint/dist-bundle/index.js
// pkg/dist-src/defaults.js


// pkg/dist-src/version.js
var VERSION = "0.0.0-development";

// pkg/dist-src/defaults.js
var userAgent = `octokit-endpoint.js/${VERSION} ${getUserAgent()}`;
var DEFAULTS = {
  method: "GET",
  baseUrl: "https://api.github.com",
  headers: {
    accept: "application/vnd.github.v3+json",
    "user-agent": userAgent
  },
  mediaType: {
    format: ""
  }
};

// pkg/dist-src/util/lowercase-keys.js
function lowercaseKeys(object) {
  if (!object) {
    return {};
  }
  return Object.keys(object).reduce((newObj, key) => {
    newObj[key.toLowerCase()] = object[key];
    return newObj;
  }, {});
}

// pkg/dist-src/util/is-plain-object.js
function isPlainObject(value) {
  if (typeof value !== "object" || value === null) return false;
  if (Object.prototype.toString.call(value) !== "[object Object]") return false;
  const proto = Object.getPrototypeOf(value);
  if (proto === null) return true;
  const Ctor = Object.prototype.hasOwnProperty.call(proto, "constructor") && proto.constructor;
  return typeof Ctor === "function" && Ctor instanceof Ctor && Function.prototype.call(Ctor) === Function.prototype.call(value);
}

// pkg/dist-src/util/merge-deep.js
function mergeDeep(defaults, options) {
  const result = Object.assign({}, defaults);
  Object.keys(options).forEach((key) => {
    if (isPlainObject(options[key])) {
      if (!(key in defaults)) Object.assign(result, { [key]: options[key] });
      else result[key] = mergeDeep(defaults[key], options[key]);
    } else {
      Object.assign(result, { [key]: options[key] });
    }
  });
  return result;
}

// pkg/dist-src/util/remove-undefined-properties.js
function removeUndefinedProperties(obj) {
  for (const key in obj) {
    if (obj[key] === void 0) {
      delete obj[key];
    }
  }
  return obj;
}

// pkg/dist-src/merge.js
function merge(defaults, route, options) {
  if (typeof route === "string") {
    let [method, url] = route.split(" ");
    options = Object.assign(url ? { method, url } : { url: method }, options);
  } else {
    options = Object.assign({}, route);
  }
  options.headers = lowercaseKeys(options.headers);
  removeUndefinedProperties(options);
  removeUndefinedProperties(options.headers);
  const mergedOptions = mergeDeep(defaults || {}, options);
  if (options.url === "/graphql") {
    if (defaults && defaults.mediaType.previews?.length) {
      mergedOptions.mediaType.previews = defaults.mediaType.previews.filter(
        (preview) => !mergedOptions.mediaType.previews.includes(preview)
      ).concat(mergedOptions.mediaType.previews);
    }
    mergedOptions.mediaType.previews = (mergedOptions.mediaType.previews || []).map((preview) => preview.replace(/-preview/, ""));
  }
  return mergedOptions;
}

// pkg/dist-src/util/add-query-parameters.js
function addQueryParameters(url, parameters) {
  const separator = /\?/.test(url) ? "&" : "?";
  const names = Object.keys(parameters);
  if (names.length === 0) {
    return url;
  }
  return url + separator + names.map((name) => {
    if (name === "q") {
      return "q=" + parameters.q.split("+").map(encodeURIComponent).join("+");
    }
    return `${name}=${encodeURIComponent(parameters[name])}`;
  }).join("&");
}

// pkg/dist-src/util/extract-url-variable-names.js
var urlVariableRegex = /\{[^{}}]+\}/g;
function removeNonChars(variableName) {
  return variableName.replace(/(?:^\W+)|(?:(?<!\W)\W+$)/g, "").split(/,/);
}
function extractUrlVariableNames(url) {
  const matches = url.match(urlVariableRegex);
  if (!matches) {
    return [];
  }
  return matches.map(removeNonChars).reduce((a, b) => a.concat(b), []);
}

// pkg/dist-src/util/omit.js
function omit(object, keysToOmit) {
  const result = { __proto__: null };
  for (const key of Object.keys(object)) {
    if (keysToOmit.indexOf(key) === -1) {
      result[key] = object[key];
    }
  }
  return result;
}

// pkg/dist-src/util/url-template.js
function encodeReserved(str) {
  return str.split(/(%[0-9A-Fa-f]{2})/g).map(function(part) {
    if (!/%[0-9A-Fa-f]/.test(part)) {
      part = encodeURI(part).replace(/%5B/g, "[").replace(/%5D/g, "]");
    }
    return part;
  }).join("");
}
function encodeUnreserved(str) {
  return encodeURIComponent(str).replace(/[!'()*]/g, function(c) {
    return "%" + c.charCodeAt(0).toString(16).toUpperCase();
  });
}
function encodeValue(operator, value, key) {
  value = operator === "+" || operator === "#" ? encodeReserved(value) : encodeUnreserved(value);
  if (key) {
    return encodeUnreserved(key) + "=" + value;
  } else {
    return value;
  }
}
function isDefined(value) {
  return value !== void 0 && value !== null;
}
function isKeyOperator(operator) {
  return operator === ";" || operator === "&" || operator === "?";
}
function getValues(context, operator, key, modifier) {
  var value = context[key], result = [];
  if (isDefined(value) && value !== "") {
    if (typeof value === "string" || typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
      value = value.toString();
      if (modifier && modifier !== "*") {
        value = value.substring(0, parseInt(modifier, 10));
      }
      result.push(
        encodeValue(operator, value, isKeyOperator(operator) ? key : "")
      );
    } else {
      if (modifier === "*") {
        if (Array.isArray(value)) {
          value.filter(isDefined).forEach(function(value2) {
            result.push(
              encodeValue(operator, value2, isKeyOperator(operator) ? key : "")
            );
          });
        } else {
          Object.keys(value).forEach(function(k) {
            if (isDefined(value[k])) {
              result.push(encodeValue(operator, value[k], k));
            }
          });
        }
      } else {
        const tmp = [];
        if (Array.isArray(value)) {
          value.filter(isDefined).forEach(function(value2) {
            tmp.push(encodeValue(operator, value2));
          });
        } else {
          Object.keys(value).forEach(function(k) {
            if (isDefined(value[k])) {
              tmp.push(encodeUnreserved(k));
              tmp.push(encodeValue(operator, value[k].toString()));
            }
          });
        }
        if (isKeyOperator(operator)) {
          result.push(encodeUnreserved(key) + "=" + tmp.join(","));
        } else if (tmp.length !== 0) {
          result.push(tmp.join(","));
        }
      }
    }
  } else {
    if (operator === ";") {
      if (isDefined(value)) {
        result.push(encodeUnreserved(key));
      }
    } else if (value === "" && (operator === "&" || operator === "?")) {
      result.push(encodeUnreserved(key) + "=");
    } else if (value === "") {
      result.push("");
    }
  }
  return result;
}
function parseUrl(template) {
  return {
    expand: expand.bind(null, template)
  };
}
function expand(template, context) {
  var operators = ["+", "#", ".", "/", ";", "?", "&"];
  template = template.replace(
    /\{([^\{\}]+)\}|([^\{\}]+)/g,
    function(_, expression, literal) {
      if (expression) {
        let operator = "";
        const values = [];
        if (operators.indexOf(expression.charAt(0)) !== -1) {
          operator = expression.charAt(0);
          expression = expression.substr(1);
        }
        expression.split(/,/g).forEach(function(variable) {
          var tmp = /([^:\*]*)(?::(\d+)|(\*))?/.exec(variable);
          values.push(getValues(context, operator, tmp[1], tmp[2] || tmp[3]));
        });
        if (operator && operator !== "+") {
          var separator = ",";
          if (operator === "?") {
            separator = "&";
          } else if (operator !== "#") {
            separator = operator;
          }
          return (values.length !== 0 ? operator : "") + values.join(separator);
        } else {
          return values.join(",");
        }
      } else {
        return encodeReserved(literal);
      }
    }
  );
  if (template === "/") {
    return template;
  } else {
    return template.replace(/\/$/, "");
  }
}

// pkg/dist-src/parse.js
function parse(options) {
  let method = options.method.toUpperCase();
  let url = (options.url || "/").replace(/:([a-z]\w+)/g, "{$1}");
  let headers = Object.assign({}, options.headers);
  let body;
  let parameters = omit(options, [
    "method",
    "baseUrl",
    "url",
    "headers",
    "request",
    "mediaType"
  ]);
  const urlVariableNames = extractUrlVariableNames(url);
  url = parseUrl(url).expand(parameters);
  if (!/^http/.test(url)) {
    url = options.baseUrl + url;
  }
  const omittedParameters = Object.keys(options).filter((option) => urlVariableNames.includes(option)).concat("baseUrl");
  const remainingParameters = omit(parameters, omittedParameters);
  const isBinaryRequest = /application\/octet-stream/i.test(headers.accept);
  if (!isBinaryRequest) {
    if (options.mediaType.format) {
      headers.accept = headers.accept.split(/,/).map(
        (format) => format.replace(
          /application\/vnd(\.\w+)(\.v3)?(\.\w+)?(\+json)?$/,
          `application/vnd$1$2.${options.mediaType.format}`
        )
      ).join(",");
    }
    if (url.endsWith("/graphql")) {
      if (options.mediaType.previews?.length) {
        const previewsFromAcceptHeader = headers.accept.match(/(?<![\w-])[\w-]+(?=-preview)/g) || [];
        headers.accept = previewsFromAcceptHeader.concat(options.mediaType.previews).map((preview) => {
          const format = options.mediaType.format ? `.${options.mediaType.format}` : "+json";
          return `application/vnd.github.${preview}-preview${format}`;
        }).join(",");
      }
    }
  }
  if (["GET", "HEAD"].includes(method)) {
    url = addQueryParameters(url, remainingParameters);
  } else {
    if ("data" in remainingParameters) {
      body = remainingParameters.data;
    } else {
      if (Object.keys(remainingParameters).length) {
        body = remainingParameters;
      }
    }
  }
  if (!headers["content-type"] && typeof body !== "undefined") {
    headers["content-type"] = "application/json; charset=utf-8";
  }
  if (["PATCH", "PUT"].includes(method) && typeof body === "undefined") {
    body = "";
  }
  return Object.assign(
    { method, url, headers },
    typeof body !== "undefined" ? { body } : null,
    options.request ? { request: options.request } : null
  );
}

// pkg/dist-src/endpoint-with-defaults.js
function endpointWithDefaults(defaults, route, options) {
  return parse(merge(defaults, route, options));
}

// pkg/dist-src/with-defaults.js
function withDefaults(oldDefaults, newDefaults) {
  const DEFAULTS2 = merge(oldDefaults, newDefaults);
  const endpoint2 = endpointWithDefaults.bind(null, DEFAULTS2);
  return Object.assign(endpoint2, {
    DEFAULTS: DEFAULTS2,
    defaults: withDefaults.bind(null, DEFAULTS2),
    merge: merge.bind(null, DEFAULTS2),
    parse
  });
}

// pkg/dist-src/index.js
var endpoint = withDefaults(null, DEFAULTS);


;// CONCATENATED MODULE: ./node_modules/content-type/dist/index.js
/*!
 * content-type
 * Copyright(c) 2015 Douglas Christopher Wilson
 * MIT Licensed
 */
const SP = 32; // " "
const HTAB = 9; // "\t"
const SEMI = 59; // ";"
const EQ = 61; // "="
const DQUOTE = 34; // '"'
const BSLASH = 92; // "\\"
const COMMA = 44; // ","
const LOWER_CASE = 1;
const OWS = 2;
const SEMI_FLAG = 4;
const COMMA_FLAG = 8;
const TOKEN_FLAG = 16;
const NON_ASCII = 0xff00;
const CASE_FLAGS = LOWER_CASE | NON_ASCII;
/**
 * Character flags used to normalize HTTP field values while scanning.
 * Out-of-range reads intentionally coerce to zero in bitwise expressions.
 */
const CHAR_MAP = new Uint8Array(0x100);
CHAR_MAP[HTAB] |= OWS;
CHAR_MAP[SP] |= OWS;
CHAR_MAP[SEMI] |= SEMI_FLAG;
CHAR_MAP[COMMA] |= COMMA_FLAG;
for (let code = 0x80 /* non-ASCII */; code <= 0xff; code++) {
    CHAR_MAP[code] |= LOWER_CASE;
}
for (const char of "!#$%&'*+-.^_`|~") {
    CHAR_MAP[char.charCodeAt(0)] |= TOKEN_FLAG;
}
for (let code = 0x30 /* 0 */; code <= 0x39 /* 9 */; code++) {
    CHAR_MAP[code] |= TOKEN_FLAG;
}
for (let code = 0x41 /* A */; code <= 0x5a /* Z */; code++) {
    CHAR_MAP[code] |= LOWER_CASE | TOKEN_FLAG;
}
for (let code = 0x61 /* a */; code <= 0x7a /* z */; code++) {
    CHAR_MAP[code] |= TOKEN_FLAG;
}
/**
 * Null object perf optimization. Faster than `Object.create(null)` and `{ __proto__: null }`.
 */
const NullObject = /* @__PURE__ */ (() => {
    const C = function () { };
    C.prototype = Object.create(null);
    return C;
})();
/**
 * Validate a type string against RFC 9110.
 */
function isTypeValid(type, start = 0, end = type.length) {
    let hasSlash = false;
    for (let index = start; index < end; index++) {
        const code = type.charCodeAt(index);
        if (code === 47 /* / */) {
            if (hasSlash || index === start || index >= end - 1)
                return false;
            hasSlash = true;
        }
        else if (!isTokenCode(code)) {
            return false;
        }
    }
    return hasSlash;
}
/**
 * Validate a token against RFC 9110.
 */
function isTokenValid(token, start = 0, end = token.length) {
    if (start >= end)
        return false;
    for (let index = start; index < end; index++) {
        if (!isTokenCode(token.charCodeAt(index)))
            return false;
    }
    return true;
}
/**
 * Check whether a character code belongs to the token production in RFC 9110.
 */
function isTokenCode(code) {
    return (CHAR_MAP[code] & TOKEN_FLAG) !== 0;
}
/**
 * Serialize a parameter value.
 */
function parameterValue(str) {
    const len = str.length;
    if (len === 0)
        return '""';
    let index = 0;
    while (index < len && isTokenCode(str.charCodeAt(index)))
        index++;
    if (index === len)
        return str;
    let result = '"';
    let start = 0;
    while (index < len) {
        const code = str.charCodeAt(index);
        if (code !== HTAB && (code < SP || code === 127 || code > 255)) {
            throw new TypeError(`Invalid parameter value: ${str}`);
        }
        if (code === 34 /* " */ || code === 92 /* \\ */) {
            result += `${str.slice(start, index)}\\`;
            start = index;
        }
        index++;
    }
    return `${result}${str.slice(start)}"`;
}
/**
 * Format an object into a `Content-Type` header.
 */
function format(obj) {
    const { type, parameters } = obj;
    if (!type || !isTypeValid(type)) {
        throw new TypeError(`Invalid type: ${type}`);
    }
    let result = type;
    if (parameters) {
        for (const param of Object.keys(parameters)) {
            if (!isTokenValid(param)) {
                throw new TypeError(`Invalid parameter name: ${param}`);
            }
            result += `; ${param}=${parameterValue(parameters[param])}`;
        }
    }
    return result;
}
/**
 * Parse a `Content-Type` header.
 */
function dist_parse(header, options) {
    const stopFlags = SEMI_FLAG | (options?.comma === true ? COMMA_FLAG : 0);
    const len = header.length;
    let valueStart = options?.start ?? 0;
    while ((CHAR_MAP[header.charCodeAt(valueStart)] & OWS) !== 0) {
        valueStart++;
    }
    let index = valueStart;
    let typeFlags = 0;
    let whitespace = -1;
    let stop = options?.parameters === false ? COMMA_FLAG : 0;
    while (index < len) {
        const code = header.charCodeAt(index);
        const flags = CHAR_MAP[code];
        if ((flags & stopFlags) !== 0) {
            stop |= flags & COMMA_FLAG;
            break;
        }
        if ((flags & OWS) !== 0) {
            if (whitespace === -1)
                whitespace = index;
        }
        else {
            whitespace = -1;
        }
        typeFlags |= (code & NON_ASCII) | flags;
        index++;
    }
    const valueEnd = whitespace === -1 ? index : whitespace;
    const value = header.slice(valueStart, valueEnd);
    const type = (typeFlags & CASE_FLAGS) === 0 ? value : value.toLowerCase();
    if (index === len || stop !== 0) {
        return { type, index, parameters: new NullObject() };
    }
    return parseParameters(header, type, index, len, stopFlags);
}
/**
 * Parses the parameters of a `Content-Type` header starting at the given index.
 */
function parseParameters(header, type, index, len, stopFlags) {
    const parameters = new NullObject();
    parameter: while (index < len) {
        index++; // Skip over ;
        while ((CHAR_MAP[header.charCodeAt(index)] & OWS) !== 0) {
            index++;
        }
        const keyStart = index;
        let keyFlags = 0;
        let keyWhitespace = -1;
        while (index < len) {
            const code = header.charCodeAt(index);
            const flags = CHAR_MAP[code];
            if ((flags & stopFlags) !== 0) {
                if ((flags & COMMA_FLAG) !== 0)
                    break parameter;
                continue parameter;
            }
            if (code === EQ) {
                const keyEnd = keyWhitespace === -1 ? index : keyWhitespace;
                const value = header.slice(keyStart, keyEnd);
                const key = (keyFlags & CASE_FLAGS) === 0 ? value : value.toLowerCase();
                index++;
                while ((CHAR_MAP[header.charCodeAt(index)] & OWS) !== 0) {
                    index++;
                }
                if (index < len && header.charCodeAt(index) === DQUOTE) {
                    const quotedStart = ++index;
                    let escaped = false;
                    while (index < len) {
                        const code = header.charCodeAt(index);
                        if (code === DQUOTE) {
                            if (parameters[key] === undefined) {
                                parameters[key] = escaped
                                    ? unescapeQuotedPairs(header, quotedStart, index)
                                    : header.slice(quotedStart, index);
                            }
                            index++;
                            let stop = 0;
                            // Discard characters between quote and delimiter.
                            while (index < len) {
                                const code = header.charCodeAt(index);
                                const flags = CHAR_MAP[code];
                                if ((flags & stopFlags) !== 0) {
                                    stop = flags & COMMA_FLAG;
                                    break;
                                }
                                index++;
                            }
                            if (stop !== 0)
                                break parameter;
                            continue parameter;
                        }
                        if (code === BSLASH && index + 1 < len) {
                            escaped = true;
                            index += 2;
                            continue;
                        }
                        index++;
                    }
                    continue parameter;
                }
                const valueStart = index;
                let stop = 0;
                let valueWhitespace = -1;
                while (index < len) {
                    const code = header.charCodeAt(index);
                    const flags = CHAR_MAP[code];
                    if ((flags & stopFlags) !== 0) {
                        stop = flags & COMMA_FLAG;
                        break;
                    }
                    if ((flags & OWS) !== 0) {
                        if (valueWhitespace === -1)
                            valueWhitespace = index;
                    }
                    else {
                        valueWhitespace = -1;
                    }
                    index++;
                }
                if (parameters[key] === undefined) {
                    const valueEnd = valueWhitespace === -1 ? index : valueWhitespace;
                    parameters[key] = header.slice(valueStart, valueEnd);
                }
                if (stop !== 0)
                    break parameter;
                continue parameter;
            }
            if ((flags & OWS) !== 0) {
                if (keyWhitespace === -1)
                    keyWhitespace = index;
            }
            else {
                keyWhitespace = -1;
            }
            keyFlags |= (code & NON_ASCII) | flags;
            index++;
        }
    }
    return { type, index, parameters };
}
/**
 * Remove backslashes from quoted pairs in a known-terminated quoted string body.
 */
function unescapeQuotedPairs(str, start, end) {
    let result = "";
    for (let index = start; index < end; index++) {
        if (str.charCodeAt(index) === BSLASH) {
            result += str.slice(start, index);
            start = ++index;
        }
    }
    return result + str.slice(start, end);
}
//# sourceMappingURL=index.js.map
;// CONCATENATED MODULE: ./node_modules/json-with-bigint/json-with-bigint.js
const intRegex = /^-?\d+$/;
const noiseValue = /^-?\d+n+$/; // Noise - strings that match the custom format before being converted to it
const originalStringify = JSON.stringify;
const originalParse = JSON.parse;
const customFormat = /^-?\d+n$/;

const bigIntsStringify = /([\[:])?"(-?\d+)n"($|\s*[,\}\]])/g;
const noiseStringify = /([\[:])?("-?\d+n+)n("$|"\s*[,\}\]])/g;

/**
 * @typedef {(this: any, key: string | number | undefined, value: any) => any} Replacer
 * @typedef {(key: string | number | undefined, value: any, context?: { source: string }) => any} Reviver
 */

/**
 * Checks if a value is unstringifiable according to native JSON.stringify rules.
 *
 * @param {any} val The value to check.
 * @returns {boolean} True if the value is undefined, a function, or a symbol.
 */
const isUnstringifiable = (val) =>
  val === undefined || typeof val === "function" || typeof val === "symbol";

/**
 * Checks if a value is a native JSON.rawJSON object (Node.js 22+).
 *
 * @param {any} val The value to check.
 * @returns {boolean} True if the value is a RawJSON instance.
 */
const isRawJSON = (val) =>
  val !== null &&
  typeof val === "object" &&
  val.constructor &&
  val.constructor.name === "RawJSON";

/**
 * Iteratively converts a JS value to a JSON string.
 * Used as a fallback when the native JSON.stringify hits the Maximum Call Stack size.
 * Fully compliant with JSON formatting (space), replacers, and toJSON behaviors.
 *
 * @param {any} rootValue The value to stringify.
 * @param {Replacer | Array<string | number> | null} [replacer] User's custom replacer function.
 * @param {string | number} [spaceParam] Indentation for pretty-printing.
 * @returns {string | undefined} The generated JSON string.
 */
const stringifyIteratively = (rootValue, replacer, spaceParam) => {
  let space = "";

  if (typeof spaceParam === "number") {
    space = " ".repeat(Math.min(10, Math.max(0, Math.floor(spaceParam))));
  } else if (typeof spaceParam === "string") {
    space = spaceParam.slice(0, 10);
  }

  const isFunctionReplacer = typeof replacer === "function";
  const propertyList = Array.isArray(replacer)
    ? new Set(replacer.map(String))
    : null;

  /**
   * Prepares a value for stringification by resolving toJSON, handling BigInts,
   * applying custom replacers, and unwrapping primitive objects.
   *
   * @param {object|Array} parent The parent object or array holding the value.
   * @param {string} key The key associated with the value.
   * @param {any} val The raw value to process.
   * @returns {any} The processed value ready for stringification.
   */
  const prepareVal = (parent, key, val) => {
    const isObject = val !== null && typeof val === "object";
    const hasToJSON = isObject && typeof val.toJSON === "function";

    if (hasToJSON) {
      val = val.toJSON(key);
    }

    const isNoise = typeof val === "string" && noiseValue.test(val);

    if (isNoise) return val + "n";

    const isBigInt = typeof val === "bigint";

    if (isBigInt) {
      const supportsRawJSON = "rawJSON" in JSON;

      if (supportsRawJSON) return JSON.rawJSON(val.toString());

      return val.toString() + "n";
    }

    if (isFunctionReplacer) {
      val = replacer.call(parent, key, val);
    }

    const isPostReplacerObject = val !== null && typeof val === "object";

    if (isPostReplacerObject) {
      const isPrimitiveWrapper =
        val instanceof Number ||
        val instanceof String ||
        val instanceof Boolean;

      if (isPrimitiveWrapper) {
        val = val.valueOf();
      }
    }

    return val;
  };

  const rootProcessed = prepareVal({ "": rootValue }, "", rootValue);

  if (isUnstringifiable(rootProcessed)) {
    return undefined;
  }

  const isRootPrimitive =
    rootProcessed === null || typeof rootProcessed !== "object";
  const isRootNativeRawJSON = isRawJSON(rootProcessed);

  if (isRootPrimitive || isRootNativeRawJSON) {
    return originalStringify(rootProcessed);
  }

  const chunks = [];
  let level = 0;

  const stack = [
    {
      parent: { "": rootProcessed },
      key: "",
      val: rootProcessed,
      isArray: Array.isArray(rootProcessed),
      keys: Array.isArray(rootProcessed) ? null : Object.keys(rootProcessed),
      index: 0,
      first: true,
    },
  ];

  const visited = new WeakSet([rootProcessed]);

  while (stack.length > 0) {
    const node = stack[stack.length - 1];

    if (node.index === 0) {
      chunks.push(node.isArray ? "[" : "{");
      level++;
    }

    let isDone = false;

    if (node.isArray) {
      if (node.index < node.val.length) {
        if (!node.first) chunks.push(",");

        if (space) chunks.push("\n" + space.repeat(level));

        const childRaw = node.val[node.index];
        const childVal = prepareVal(node.val, String(node.index), childRaw);

        if (isUnstringifiable(childVal)) {
          chunks.push("null");
          node.first = false;
          node.index++;
        } else {
          const isComplexObject =
            childVal !== null && typeof childVal === "object";
          const isNativeRaw = isRawJSON(childVal);

          if (isComplexObject && !isNativeRaw) {
            if (visited.has(childVal)) {
              throw new TypeError("Converting circular structure to JSON");
            }

            visited.add(childVal);

            stack.push({
              parent: node.val,
              key: String(node.index),
              val: childVal,
              isArray: Array.isArray(childVal),
              keys: Array.isArray(childVal) ? null : Object.keys(childVal),
              index: 0,
              first: true,
            });

            node.first = false;
            node.index++;
          } else {
            chunks.push(originalStringify(childVal));
            node.first = false;
            node.index++;
          }
        }
      } else {
        isDone = true;
      }
    } else {
      while (node.index < node.keys.length) {
        const k = node.keys[node.index++];

        const isFilteredOutByArray = propertyList && !propertyList.has(k);

        if (isFilteredOutByArray) continue;

        const childRaw = node.val[k];
        const childVal = prepareVal(node.val, k, childRaw);

        if (isUnstringifiable(childVal)) continue;

        if (!node.first) chunks.push(",");

        if (space) {
          chunks.push("\n" + space.repeat(level) + originalStringify(k) + ": ");
        } else {
          chunks.push(originalStringify(k) + ":");
        }

        const isComplexObject =
          childVal !== null && typeof childVal === "object";
        const isNativeRaw = isRawJSON(childVal);

        if (isComplexObject && !isNativeRaw) {
          if (visited.has(childVal)) {
            throw new TypeError("Converting circular structure to JSON");
          }

          visited.add(childVal);

          stack.push({
            parent: node.val,
            key: k,
            val: childVal,
            isArray: Array.isArray(childVal),
            keys: Array.isArray(childVal) ? null : Object.keys(childVal),
            index: 0,
            first: true,
          });

          node.first = false;

          break; // Stop current loop level to process the newly pushed stack node
        } else {
          chunks.push(originalStringify(childVal));
          node.first = false;
        }
      }

      const isNodeFullyProcessed =
        node.index >= node.keys.length && stack[stack.length - 1] === node;

      if (isNodeFullyProcessed) {
        isDone = true;
      }
    }

    if (isDone) {
      level--;

      if (!node.first && space) chunks.push("\n" + space.repeat(level));

      chunks.push(node.isArray ? "]" : "}");
      visited.delete(node.val);
      stack.pop();
    }
  }

  return chunks.join("");
};

/**
 * Converts a JavaScript value to a JSON string.
 *
 * Supports serialization of BigInt values using two strategies:
 * 1. Custom format "123n" → "123" (universal fallback)
 * 2. Native JSON.rawJSON() (Node.js 22+, fastest) when available
 *
 * All other values are serialized exactly like native JSON.stringify().
 *
 * @param {*} value The value to convert to a JSON string.
 * @param {Replacer | Array<string | number> | null} [replacer]
 * A function that alters the behavior of the stringification process,
 * or an array of strings/numbers to indicate properties to exclude.
 * @param {string | number} [space]
 * A string or number to specify indentation or pretty-printing.
 * @returns {string} The JSON string representation.
 */
const JSONStringify = (value, replacer, space) => {
  try {
    const supportsRawJSON = "rawJSON" in JSON;

    if (supportsRawJSON) {
      return originalStringify(
        value,
        (key, val) => {
          if (typeof val === "bigint") return JSON.rawJSON(val.toString());

          const hasFunctionReplacer = typeof replacer === "function";

          if (hasFunctionReplacer) return replacer(key, val);

          const isKeyInArrayReplacer =
            Array.isArray(replacer) && replacer.includes(key);

          if (isKeyInArrayReplacer) return val;

          return val;
        },
        space,
      );
    }

    if (!value) return originalStringify(value, replacer, space);

    const convertedToCustomJSON = originalStringify(
      value,
      (key, val) => {
        const isNoise = typeof val === "string" && noiseValue.test(val);

        if (isNoise) return val.toString() + "n"; // Mark noise values with additional "n" to offset the deletion of one "n" during the processing

        if (typeof val === "bigint") return val.toString() + "n";

        const hasFunctionReplacer = typeof replacer === "function";

        if (hasFunctionReplacer) return replacer(key, val);

        const isKeyInArrayReplacer =
          Array.isArray(replacer) && replacer.includes(key);

        if (isKeyInArrayReplacer) return val;

        return val;
      },
      space,
    );

    const processedJSON = convertedToCustomJSON.replace(
      bigIntsStringify,
      "$1$2$3",
    ); // Delete one "n" off the end of every BigInt value

    const denoisedJSON = processedJSON.replace(noiseStringify, "$1$2$3"); // Remove one "n" off the end of every noisy string

    return denoisedJSON;
  } catch (error) {
    if (error instanceof RangeError) {
      const convertedJSON = stringifyIteratively(value, replacer, space);

      if (convertedJSON === undefined) return undefined;

      const supportsRawJSON = "rawJSON" in JSON;

      if (supportsRawJSON) return convertedJSON;

      const processedJSON = convertedJSON.replace(bigIntsStringify, "$1$2$3");

      return processedJSON.replace(noiseStringify, "$1$2$3");
    }

    throw error;
  }
};

const featureCache = new Map();

/**
 * Detects if the current JSON.parse implementation supports the context.source feature.
 *
 * Uses toString() fingerprinting to cache results and automatically detect runtime
 * replacements of JSON.parse (polyfills, mocks, etc.).
 *
 * @returns {boolean} true if context.source is supported, false otherwise.
 */
const isContextSourceSupported = () => {
  const parseFingerprint = JSON.parse.toString();

  if (featureCache.has(parseFingerprint)) {
    return featureCache.get(parseFingerprint);
  }

  try {
    const result = JSON.parse(
      "1",
      (_, __, context) => !!context?.source && context.source === "1",
    );
    featureCache.set(parseFingerprint, result);

    return result;
  } catch {
    featureCache.set(parseFingerprint, false);

    return false;
  }
};

/**
 * Reviver function that converts custom-format BigInt strings back to BigInt values.
 * Also handles "noise" strings that accidentally match the BigInt format.
 *
 * @param {string | number | undefined} key The object key.
 * @param {*} value The value being parsed.
 * @param {object} [context] Parse context (if supported by JSON.parse).
 * @param {Reviver} [userReviver] User's custom reviver function.
 * @returns {any} The transformed value.
 */
const convertMarkedBigIntsReviver = (key, value, context, userReviver) => {
  const isCustomFormatBigInt =
    typeof value === "string" && customFormat.test(value);

  if (isCustomFormatBigInt) return BigInt(value.slice(0, -1));

  const isNoiseValue = typeof value === "string" && noiseValue.test(value);
  if (isNoiseValue) return value.slice(0, -1);

  const hasUserReviver = typeof userReviver === "function";

  if (!hasUserReviver) return value;

  return userReviver(key, value, context);
};

/**
 * Fast JSON.parse implementation (~2x faster than classic fallback).
 * Uses JSON.parse's context.source feature to detect integers and convert
 * large numbers directly to BigInt without string manipulation.
 *
 * Does not support legacy custom format from v1 of this library.
 *
 * @param {string} text JSON string to parse.
 * @param {Reviver} [reviver] Transform function to apply to each value.
 * @returns {any} Parsed JavaScript value.
 */
const JSONParseV2 = (text, reviver) => {
  return JSON.parse(text, (key, value, context) => {
    const isNumber = typeof value === "number";
    const isOutOfBounds =
      value > Number.MAX_SAFE_INTEGER || value < Number.MIN_SAFE_INTEGER;
    const isBigNumber = isNumber && isOutOfBounds;
    const isInt = context && intRegex.test(context.source);
    const isBigInt = isBigNumber && isInt;

    if (isBigInt) return BigInt(context.source);

    const hasCustomReviver = typeof reviver === "function";

    if (!hasCustomReviver) return value;

    return reviver(key, value, context);
  });
};

const MAX_INT = Number.MAX_SAFE_INTEGER.toString();
const MAX_DIGITS = MAX_INT.length;
const stringsOrLargeNumbers =
  /"(?:[^"\\]|\\.)*"|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/g;
const noiseValueWithQuotes = /^"-?\d+n+"$/; // Noise - strings that match the custom format before being converted to it

/**
 * Iteratively traverses the parsed object bottom-up (post-order),
 * emulating the native JSON.parse reviver behavior.
 * This avoids Call Stack overflows (RangeError) on deeply nested structures.
 *
 * @param {any} parsed The natively parsed JSON object.
 * @param {Reviver} [userReviver] User's custom reviver function.
 * @returns {any} The fully processed object.
 */
const applyReviverIteratively = (parsed, userReviver) => {
  const rootHolder = { "": parsed };
  const stack = [{ parent: rootHolder, key: "", visited: false }];

  while (stack.length > 0) {
    const node = stack[stack.length - 1];

    if (!node.visited) {
      node.visited = true;

      const value = node.parent[node.key];
      const isComplexObject = value !== null && typeof value === "object";

      if (isComplexObject) {
        const keys = Object.keys(value);

        for (let i = keys.length - 1; i >= 0; i--) {
          stack.push({ parent: value, key: keys[i], visited: false });
        }
      }
    } else {
      const { parent, key } = node;
      let value = parent[key];

      if (typeof value === "string") {
        const isCustomFormatBigInt = customFormat.test(value);

        if (isCustomFormatBigInt) {
          value = BigInt(value.slice(0, -1));
        } else {
          const isNoise = noiseValue.test(value);

          if (isNoise) value = value.slice(0, -1);
        }
      }

      const hasUserReviver = typeof userReviver === "function";

      if (hasUserReviver) {
        value = userReviver.call(parent, key, value);
      }

      const isDeleted = value === undefined;

      if (isDeleted) {
        delete parent[key];
      } else {
        parent[key] = value;
      }

      stack.pop();
    }
  }

  return rootHolder[""];
};

/**
 * Pre-processes the JSON string to mark large numbers with an 'n' suffix.
 *
 * @param {string} text The raw JSON string.
 * @returns {string} The serialized string with marked BigInts.
 */
const serializeBigInts = (text) => {
  return text.replace(
    stringsOrLargeNumbers,
    (match, digits, fractional, exponential) => {
      const isString = match[0] === '"';
      const isNoise = isString && noiseValueWithQuotes.test(match);

      if (isNoise) return match.substring(0, match.length - 1) + 'n"'; // Mark noise values with additional "n" to offset the deletion of one "n" during the processing

      const hasFractionalOrExponential = fractional || exponential;

      // With a fixed number of digits, we can correctly use lexicographical comparison to do a numeric comparison
      const isLessThanMaxSafeInt =
        digits &&
        (digits.length < MAX_DIGITS ||
          (digits.length === MAX_DIGITS && digits <= MAX_INT));

      const isStandardValue =
        isString || hasFractionalOrExponential || isLessThanMaxSafeInt;

      if (isStandardValue) return match;

      return '"' + match + 'n"';
    },
  );
};

/**
 * Converts a JSON string into a JavaScript value.
 *
 * Supports parsing of large integers using two strategies:
 * 1. Classic fallback: Marks large numbers with "123n" format, then converts to BigInt
 * 2. Fast path (JSONParseV2): Uses context.source feature (~2x faster) when available
 *
 * All other JSON values are parsed exactly like native JSON.parse().
 *
 * @param {string} text A valid JSON string.
 * @param {Reviver} [reviver]
 * A function that transforms the results. This function is called for each member
 * of the object. If a member contains nested objects, the nested objects are
 * transformed before the parent object is.
 * @returns {any} The parsed JavaScript value.
 * @throws {SyntaxError} If text is not valid JSON.
 */
const JSONParse = (text, reviver) => {
  if (!text) return originalParse(text, reviver);

  try {
    if (isContextSourceSupported()) return JSONParseV2(text, reviver); // Shortcut to a faster (2x) and simpler version

    // Find and mark big numbers with "n"
    const serializedData = serializeBigInts(text);

    return originalParse(serializedData, (key, value, context) =>
      convertMarkedBigIntsReviver(key, value, context, reviver),
    );
  } catch (error) {
    if (error instanceof RangeError) {
      const serializedData = serializeBigInts(text);
      const parsed = originalParse(serializedData);

      return applyReviverIteratively(parsed, reviver);
    }

    throw error;
  }
};



;// CONCATENATED MODULE: ./node_modules/@octokit/request-error/dist-src/index.js
class RequestError extends Error {
  name;
  /**
   * http status code
   */
  status;
  /**
   * Request options that lead to the error.
   */
  request;
  /**
   * Response object if a response was received
   */
  response;
  constructor(message, statusCode, options) {
    super(message, { cause: options.cause });
    this.name = "HttpError";
    this.status = Number.parseInt(statusCode);
    if (Number.isNaN(this.status)) {
      this.status = 0;
    }
    /* v8 ignore else -- @preserve -- Bug with vitest coverage where it sees an else branch that doesn't exist */
    if ("response" in options) {
      this.response = options.response;
    }
    const requestCopy = Object.assign({}, options.request);
    if (options.request.headers.authorization) {
      requestCopy.headers = Object.assign({}, options.request.headers, {
        authorization: options.request.headers.authorization.replace(
          /(?<! ) .*$/,
          " [REDACTED]"
        )
      });
    }
    requestCopy.url = requestCopy.url.replace(/\bclient_secret=\w+/g, "client_secret=[REDACTED]").replace(/\baccess_token=\w+/g, "access_token=[REDACTED]");
    this.request = requestCopy;
  }
}


;// CONCATENATED MODULE: ./node_modules/@octokit/request/dist-bundle/index.js
// pkg/dist-src/index.js


// pkg/dist-src/defaults.js


// pkg/dist-src/version.js
var dist_bundle_VERSION = "10.0.16";

// pkg/dist-src/defaults.js
var defaults_default = {
  headers: {
    "user-agent": `octokit-request.js/${dist_bundle_VERSION} ${getUserAgent()}`
  }
};

// pkg/dist-src/fetch-wrapper.js



// pkg/dist-src/is-plain-object.js
function dist_bundle_isPlainObject(value) {
  if (typeof value !== "object" || value === null) return false;
  if (Object.prototype.toString.call(value) !== "[object Object]") return false;
  const proto = Object.getPrototypeOf(value);
  if (proto === null) return true;
  const Ctor = Object.prototype.hasOwnProperty.call(proto, "constructor") && proto.constructor;
  return typeof Ctor === "function" && Ctor instanceof Ctor && Function.prototype.call(Ctor) === Function.prototype.call(value);
}

// pkg/dist-src/fetch-wrapper.js

var noop = () => "";
async function fetchWrapper(requestOptions) {
  const fetch = requestOptions.request?.fetch || globalThis.fetch;
  if (!fetch) {
    throw new Error(
      "fetch is not set. Please pass a fetch implementation as new Octokit({ request: { fetch }}). Learn more at https://github.com/octokit/octokit.js/#fetch-missing"
    );
  }
  const log = requestOptions.request?.log || console;
  const parseSuccessResponseBody = requestOptions.request?.parseSuccessResponseBody !== false;
  const body = dist_bundle_isPlainObject(requestOptions.body) || Array.isArray(requestOptions.body) ? JSONStringify(requestOptions.body) : requestOptions.body;
  const requestHeaders = Object.fromEntries(
    Object.entries(requestOptions.headers).map(([name, value]) => [
      name,
      String(value)
    ])
  );
  let fetchResponse;
  try {
    fetchResponse = await fetch(requestOptions.url, {
      method: requestOptions.method,
      body,
      redirect: requestOptions.request?.redirect,
      headers: requestHeaders,
      signal: requestOptions.request?.signal,
      // duplex must be set if request.body is ReadableStream or Async Iterables.
      // See https://fetch.spec.whatwg.org/#dom-requestinit-duplex.
      ...requestOptions.body && { duplex: "half" }
    });
  } catch (error) {
    let message = "Unknown Error";
    if (error instanceof Error) {
      if (error.name === "AbortError") {
        error.status = 500;
        throw error;
      }
      message = error.message;
      if (error.name === "TypeError" && "cause" in error) {
        if (error.cause instanceof Error) {
          message = error.cause.message;
        } else if (typeof error.cause === "string") {
          message = error.cause;
        }
      }
    }
    const requestError = new RequestError(message, 500, {
      request: requestOptions
    });
    requestError.cause = error;
    throw requestError;
  }
  const status = fetchResponse.status;
  const url = fetchResponse.url;
  const responseHeaders = {};
  for (const [key, value] of fetchResponse.headers) {
    responseHeaders[key] = value;
  }
  const octokitResponse = {
    url,
    status,
    headers: responseHeaders,
    data: ""
  };
  if ("deprecation" in responseHeaders) {
    const matches = responseHeaders.link && responseHeaders.link.match(/<([^<>]+)>; rel="deprecation"/);
    const deprecationLink = matches && matches.pop();
    log.warn(
      `[@octokit/request] "${requestOptions.method} ${requestOptions.url}" is deprecated. It is scheduled to be removed on ${responseHeaders.sunset}${deprecationLink ? `. See ${deprecationLink}` : ""}`
    );
  }
  if (status === 204 || status === 205) {
    return octokitResponse;
  }
  if (requestOptions.method === "HEAD") {
    if (status < 400) {
      return octokitResponse;
    }
    throw new RequestError(fetchResponse.statusText, status, {
      response: octokitResponse,
      request: requestOptions
    });
  }
  if (status === 304) {
    octokitResponse.data = await getResponseData(fetchResponse);
    throw new RequestError("Not modified", status, {
      response: octokitResponse,
      request: requestOptions
    });
  }
  if (status >= 400) {
    octokitResponse.data = await getResponseData(fetchResponse);
    throw new RequestError(toErrorMessage(octokitResponse.data), status, {
      response: octokitResponse,
      request: requestOptions
    });
  }
  octokitResponse.data = parseSuccessResponseBody ? await getResponseData(fetchResponse) : fetchResponse.body;
  return octokitResponse;
}
async function getResponseData(response) {
  const contentType = response.headers.get("content-type");
  if (!contentType) {
    return response.text().catch(noop);
  }
  const mimetype = dist_parse(contentType);
  if (isJSONResponse(mimetype)) {
    let text = "";
    try {
      text = await response.text();
      return JSONParse(text);
    } catch (err) {
      return text;
    }
  } else if (mimetype.type.startsWith("text/") || // `application/octet-stream` is the canonical "arbitrary binary" type
  // (RFC 2046) and must never be decoded as text, even when the response
  // carries a (misleading) `charset=utf-8` parameter — see #751.
  mimetype.parameters.charset?.toLowerCase() === "utf-8" && mimetype.type !== "application/octet-stream") {
    return response.text().catch(noop);
  } else {
    return response.arrayBuffer().catch(
      /* v8 ignore next -- @preserve */
      () => new ArrayBuffer(0)
    );
  }
}
function isJSONResponse(mimetype) {
  return mimetype.type === "application/json" || mimetype.type === "application/scim+json";
}
function toErrorMessage(data) {
  if (typeof data === "string") {
    return data;
  }
  if (data instanceof ArrayBuffer) {
    return "Unknown error";
  }
  if (typeof data === "object" && data !== null && "message" in data) {
    const objectData = data;
    const suffix = "documentation_url" in objectData ? ` - ${objectData.documentation_url}` : "";
    return Array.isArray(objectData.errors) ? `${objectData.message}: ${objectData.errors.map((v) => JSON.stringify(v)).join(", ")}${suffix}` : `${objectData.message}${suffix}`;
  }
  return `Unknown error: ${JSON.stringify(data)}`;
}

// pkg/dist-src/with-defaults.js
function dist_bundle_withDefaults(oldEndpoint, newDefaults) {
  const endpoint2 = oldEndpoint.defaults(newDefaults);
  const newApi = function(route, parameters) {
    const endpointOptions = endpoint2.merge(route, parameters);
    if (!endpointOptions.request || !endpointOptions.request.hook) {
      return fetchWrapper(endpoint2.parse(endpointOptions));
    }
    const request2 = (route2, parameters2) => {
      return fetchWrapper(
        endpoint2.parse(endpoint2.merge(route2, parameters2))
      );
    };
    Object.assign(request2, {
      endpoint: endpoint2,
      defaults: dist_bundle_withDefaults.bind(null, endpoint2)
    });
    return endpointOptions.request.hook(request2, endpointOptions);
  };
  return Object.assign(newApi, {
    endpoint: endpoint2,
    defaults: dist_bundle_withDefaults.bind(null, endpoint2)
  });
}

// pkg/dist-src/index.js
var request = dist_bundle_withDefaults(endpoint, defaults_default);

/* v8 ignore next -- @preserve */
/* v8 ignore else -- @preserve */

;// CONCATENATED MODULE: ./node_modules/@octokit/graphql/dist-bundle/index.js
// pkg/dist-src/index.js



// pkg/dist-src/version.js
var graphql_dist_bundle_VERSION = "0.0.0-development";

// pkg/dist-src/with-defaults.js


// pkg/dist-src/graphql.js


// pkg/dist-src/error.js
function _buildMessageForResponseErrors(data) {
  return `Request failed due to following response errors:
` + data.errors.map((e) => ` - ${e.message}`).join("\n");
}
var GraphqlResponseError = class extends Error {
  constructor(request2, headers, response) {
    super(_buildMessageForResponseErrors(response));
    this.request = request2;
    this.headers = headers;
    this.response = response;
    this.errors = response.errors;
    this.data = response.data;
    if (Error.captureStackTrace) {
      Error.captureStackTrace(this, this.constructor);
    }
  }
  request;
  headers;
  response;
  name = "GraphqlResponseError";
  errors;
  data;
};

// pkg/dist-src/graphql.js
var NON_VARIABLE_OPTIONS = [
  "method",
  "baseUrl",
  "url",
  "headers",
  "request",
  "query",
  "mediaType",
  "operationName"
];
var FORBIDDEN_VARIABLE_OPTIONS = ["query", "method", "url"];
var GHES_V3_SUFFIX_REGEX = /\/api\/v3\/?$/;
function graphql(request2, query, options) {
  if (options) {
    if (typeof query === "string" && "query" in options) {
      return Promise.reject(
        new Error(`[@octokit/graphql] "query" cannot be used as variable name`)
      );
    }
    for (const key in options) {
      if (!FORBIDDEN_VARIABLE_OPTIONS.includes(key)) continue;
      return Promise.reject(
        new Error(
          `[@octokit/graphql] "${key}" cannot be used as variable name`
        )
      );
    }
  }
  const parsedOptions = typeof query === "string" ? Object.assign({ query }, options) : query;
  const requestOptions = Object.keys(
    parsedOptions
  ).reduce((result, key) => {
    if (NON_VARIABLE_OPTIONS.includes(key)) {
      result[key] = parsedOptions[key];
      return result;
    }
    if (!result.variables) {
      result.variables = {};
    }
    result.variables[key] = parsedOptions[key];
    return result;
  }, {});
  const baseUrl = parsedOptions.baseUrl || request2.endpoint.DEFAULTS.baseUrl;
  if (GHES_V3_SUFFIX_REGEX.test(baseUrl)) {
    requestOptions.url = baseUrl.replace(GHES_V3_SUFFIX_REGEX, "/api/graphql");
  }
  return request2(requestOptions).then((response) => {
    if (response.data.errors) {
      const headers = {};
      for (const key of Object.keys(response.headers)) {
        headers[key] = response.headers[key];
      }
      throw new GraphqlResponseError(
        requestOptions,
        headers,
        response.data
      );
    }
    return response.data.data;
  });
}

// pkg/dist-src/with-defaults.js
function graphql_dist_bundle_withDefaults(request2, newDefaults) {
  const newRequest = request2.defaults(newDefaults);
  const newApi = (query, options) => {
    return graphql(newRequest, query, options);
  };
  return Object.assign(newApi, {
    defaults: graphql_dist_bundle_withDefaults.bind(null, newRequest),
    endpoint: newRequest.endpoint
  });
}

// pkg/dist-src/index.js
var graphql2 = graphql_dist_bundle_withDefaults(request, {
  headers: {
    "user-agent": `octokit-graphql.js/${graphql_dist_bundle_VERSION} ${getUserAgent()}`
  },
  method: "POST",
  url: "/graphql"
});
function withCustomRequest(customRequest) {
  return graphql_dist_bundle_withDefaults(customRequest, {
    method: "POST",
    url: "/graphql"
  });
}

/* v8 ignore if -- @preserve */

;// CONCATENATED MODULE: ./node_modules/@octokit/auth-token/dist-bundle/index.js
// pkg/dist-src/is-jwt.js
var b64url = "(?:[a-zA-Z0-9_-]+)";
var sep = "\\.";
var jwtRE = new RegExp(`^${b64url}${sep}${b64url}${sep}${b64url}$`);
var isJWT = jwtRE.test.bind(jwtRE);

// pkg/dist-src/auth.js
async function auth(token) {
  const isApp = isJWT(token);
  const isInstallation = token.startsWith("v1.") || token.startsWith("ghs_");
  const isUserToServer = token.startsWith("ghu_");
  const tokenType = isApp ? "app" : isInstallation ? "installation" : isUserToServer ? "user-to-server" : "oauth";
  return {
    type: "token",
    token,
    tokenType
  };
}

// pkg/dist-src/with-authorization-prefix.js
function withAuthorizationPrefix(token) {
  if (token.split(/\./).length === 3) {
    return `bearer ${token}`;
  }
  return `token ${token}`;
}

// pkg/dist-src/hook.js
async function hook(token, request, route, parameters) {
  const endpoint = request.endpoint.merge(
    route,
    parameters
  );
  endpoint.headers.authorization = withAuthorizationPrefix(token);
  return request(endpoint);
}

// pkg/dist-src/index.js
var createTokenAuth = function createTokenAuth2(token) {
  if (!token) {
    throw new Error("[@octokit/auth-token] No token passed to createTokenAuth");
  }
  if (typeof token !== "string") {
    throw new Error(
      "[@octokit/auth-token] Token passed to createTokenAuth is not a string"
    );
  }
  token = token.replace(/^(token|bearer) +/i, "");
  return Object.assign(auth.bind(null, token), {
    hook: hook.bind(null, token)
  });
};


;// CONCATENATED MODULE: ./node_modules/@octokit/core/dist-src/version.js
const version_VERSION = "7.0.8";


;// CONCATENATED MODULE: ./node_modules/@octokit/core/dist-src/index.js






const dist_src_noop = () => {
};
const consoleWarn = console.warn.bind(console);
const consoleError = console.error.bind(console);
function createLogger(logger = {}) {
  if (typeof logger.debug !== "function") {
    logger.debug = dist_src_noop;
  }
  if (typeof logger.info !== "function") {
    logger.info = dist_src_noop;
  }
  if (typeof logger.warn !== "function") {
    logger.warn = consoleWarn;
  }
  if (typeof logger.error !== "function") {
    logger.error = consoleError;
  }
  return logger;
}
const userAgentTrail = `octokit-core.js/${version_VERSION} ${getUserAgent()}`;
class Octokit {
  static VERSION = version_VERSION;
  static defaults(defaults) {
    const OctokitWithDefaults = class extends this {
      constructor(...args) {
        const options = args[0] || {};
        if (typeof defaults === "function") {
          super(defaults(options));
          return;
        }
        super(
          Object.assign(
            {},
            defaults,
            options,
            options.userAgent && defaults.userAgent ? {
              userAgent: `${options.userAgent} ${defaults.userAgent}`
            } : null
          )
        );
      }
    };
    return OctokitWithDefaults;
  }
  static plugins = [];
  /**
   * Attach a plugin (or many) to your Octokit instance.
   *
   * @example
   * const API = Octokit.plugin(plugin1, plugin2, plugin3, ...)
   */
  static plugin(...newPlugins) {
    const currentPlugins = this.plugins;
    const NewOctokit = class extends this {
      static plugins = currentPlugins.concat(
        newPlugins.filter((plugin) => !currentPlugins.includes(plugin))
      );
    };
    return NewOctokit;
  }
  constructor(options = {}) {
    const hook = new before_after_hook.Collection();
    const requestDefaults = {
      baseUrl: request.endpoint.DEFAULTS.baseUrl,
      headers: {},
      request: Object.assign({}, options.request, {
        // @ts-ignore internal usage only, no need to type
        hook: hook.bind(null, "request")
      }),
      mediaType: {
        previews: [],
        format: ""
      }
    };
    requestDefaults.headers["user-agent"] = options.userAgent ? `${options.userAgent} ${userAgentTrail}` : userAgentTrail;
    if (options.baseUrl) {
      requestDefaults.baseUrl = options.baseUrl;
    }
    if (options.previews) {
      requestDefaults.mediaType.previews = options.previews;
    }
    if (options.timeZone) {
      requestDefaults.headers["time-zone"] = options.timeZone;
    }
    this.request = request.defaults(requestDefaults);
    this.graphql = withCustomRequest(this.request).defaults(requestDefaults);
    this.log = createLogger(options.log);
    this.hook = hook;
    if (!options.authStrategy) {
      if (!options.auth) {
        this.auth = async () => ({
          type: "unauthenticated"
        });
      } else {
        const auth = createTokenAuth(options.auth);
        hook.wrap("request", auth.hook);
        this.auth = auth;
      }
    } else {
      const { authStrategy, ...otherOptions } = options;
      const auth = authStrategy(
        Object.assign(
          {
            request: this.request,
            log: this.log,
            // we pass the current octokit instance as well as its constructor options
            // to allow for authentication strategies that return a new octokit instance
            // that shares the same internal state as the current one. The original
            // requirement for this was the "event-octokit" authentication strategy
            // of https://github.com/probot/octokit-auth-probot.
            octokit: this,
            octokitOptions: otherOptions
          },
          options.auth
        )
      );
      hook.wrap("request", auth.hook);
      this.auth = auth;
    }
    const classConstructor = this.constructor;
    for (let i = 0; i < classConstructor.plugins.length; ++i) {
      Object.assign(this, classConstructor.plugins[i](this, options));
    }
  }
  // assigned during constructor
  request;
  graphql;
  log;
  hook;
  // TODO: type `octokit.auth` based on passed options.authStrategy
  auth;
}


;// CONCATENATED MODULE: ./node_modules/@octokit/plugin-paginate-rest/dist-bundle/index.js
// pkg/dist-src/version.js
var plugin_paginate_rest_dist_bundle_VERSION = "0.0.0-development";

// pkg/dist-src/normalize-paginated-list-response.js
function normalizePaginatedListResponse(response) {
  if (!response.data) {
    return {
      ...response,
      data: []
    };
  }
  const responseNeedsNormalization = ("total_count" in response.data || "total_commits" in response.data) && !("url" in response.data);
  if (!responseNeedsNormalization) return response;
  const incompleteResults = response.data.incomplete_results;
  const repositorySelection = response.data.repository_selection;
  const totalCount = response.data.total_count;
  const totalCommits = response.data.total_commits;
  delete response.data.incomplete_results;
  delete response.data.repository_selection;
  delete response.data.total_count;
  delete response.data.total_commits;
  const namespaceKey = Object.keys(response.data)[0];
  const data = response.data[namespaceKey];
  response.data = data;
  if (typeof incompleteResults !== "undefined") {
    response.data.incomplete_results = incompleteResults;
  }
  if (typeof repositorySelection !== "undefined") {
    response.data.repository_selection = repositorySelection;
  }
  response.data.total_count = totalCount;
  response.data.total_commits = totalCommits;
  return response;
}

// pkg/dist-src/iterator.js
function iterator(octokit, route, parameters) {
  const options = typeof route === "function" ? route.endpoint(parameters) : octokit.request.endpoint(route, parameters);
  const requestMethod = typeof route === "function" ? route : octokit.request;
  const method = options.method;
  const headers = options.headers;
  let url = options.url;
  return {
    [Symbol.asyncIterator]: () => ({
      async next() {
        if (!url) return { done: true };
        try {
          const response = await requestMethod({ method, url, headers });
          const normalizedResponse = normalizePaginatedListResponse(response);
          url = ((normalizedResponse.headers.link || "").match(
            /<([^<>]+)>;\s*rel="next"/
          ) || [])[1];
          if (!url && "total_commits" in normalizedResponse.data) {
            const parsedUrl = new URL(normalizedResponse.url);
            const params = parsedUrl.searchParams;
            const page = parseInt(params.get("page") || "1", 10);
            const per_page = parseInt(params.get("per_page") || "250", 10);
            if (page * per_page < normalizedResponse.data.total_commits) {
              params.set("page", String(page + 1));
              url = parsedUrl.toString();
            }
          }
          return { value: normalizedResponse };
        } catch (error) {
          if (error.status !== 409) throw error;
          url = "";
          return {
            value: {
              status: 200,
              headers: {},
              data: []
            }
          };
        }
      }
    })
  };
}

// pkg/dist-src/paginate.js
function paginate(octokit, route, parameters, mapFn) {
  if (typeof parameters === "function") {
    mapFn = parameters;
    parameters = void 0;
  }
  return gather(
    octokit,
    [],
    iterator(octokit, route, parameters)[Symbol.asyncIterator](),
    mapFn
  );
}
function gather(octokit, results, iterator2, mapFn) {
  return iterator2.next().then((result) => {
    if (result.done) {
      return results;
    }
    let earlyExit = false;
    function done() {
      earlyExit = true;
    }
    results = results.concat(
      mapFn ? mapFn(result.value, done) : result.value.data
    );
    if (earlyExit) {
      return results;
    }
    return gather(octokit, results, iterator2, mapFn);
  });
}

// pkg/dist-src/compose-paginate.js
var composePaginateRest = Object.assign(paginate, {
  iterator
});

// pkg/dist-src/generated/paginating-endpoints.js
var paginatingEndpoints = (/* unused pure expression or super */ null && ([
  "GET /advisories",
  "GET /agents/repos/{owner}/{repo}/tasks",
  "GET /agents/tasks",
  "GET /app/hook/deliveries",
  "GET /app/installation-requests",
  "GET /app/installations",
  "GET /assignments/{assignment_id}/accepted_assignments",
  "GET /classrooms",
  "GET /classrooms/{classroom_id}/assignments",
  "GET /enterprises/{enterprise}/code-security/configurations",
  "GET /enterprises/{enterprise}/code-security/configurations/{configuration_id}/repositories",
  "GET /enterprises/{enterprise}/dependabot/alerts",
  "GET /enterprises/{enterprise}/dependabot/repository-access",
  "GET /enterprises/{enterprise}/teams",
  "GET /enterprises/{enterprise}/teams/{enterprise-team}/memberships",
  "GET /enterprises/{enterprise}/teams/{enterprise-team}/organizations",
  "GET /events",
  "GET /gists",
  "GET /gists/public",
  "GET /gists/starred",
  "GET /gists/{gist_id}/comments",
  "GET /gists/{gist_id}/commits",
  "GET /gists/{gist_id}/forks",
  "GET /installation/repositories",
  "GET /issues",
  "GET /licenses",
  "GET /marketplace_listing/plans",
  "GET /marketplace_listing/plans/{plan_id}/accounts",
  "GET /marketplace_listing/stubbed/plans",
  "GET /marketplace_listing/stubbed/plans/{plan_id}/accounts",
  "GET /networks/{owner}/{repo}/events",
  "GET /notifications",
  "GET /organizations",
  "GET /organizations/{org}/settings/billing/budgets",
  "GET /orgs/{org}/actions/cache/usage-by-repository",
  "GET /orgs/{org}/actions/hosted-runners",
  "GET /orgs/{org}/actions/permissions/repositories",
  "GET /orgs/{org}/actions/permissions/self-hosted-runners/repositories",
  "GET /orgs/{org}/actions/runner-groups",
  "GET /orgs/{org}/actions/runner-groups/{runner_group_id}/hosted-runners",
  "GET /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories",
  "GET /orgs/{org}/actions/runner-groups/{runner_group_id}/runners",
  "GET /orgs/{org}/actions/runners",
  "GET /orgs/{org}/actions/secrets",
  "GET /orgs/{org}/actions/secrets/{secret_name}/repositories",
  "GET /orgs/{org}/actions/variables",
  "GET /orgs/{org}/actions/variables/{name}/repositories",
  "GET /orgs/{org}/agents/secrets",
  "GET /orgs/{org}/agents/secrets/{secret_name}/repositories",
  "GET /orgs/{org}/agents/variables",
  "GET /orgs/{org}/agents/variables/{name}/repositories",
  "GET /orgs/{org}/attestations/repositories",
  "GET /orgs/{org}/attestations/{subject_digest}",
  "GET /orgs/{org}/blocks",
  "GET /orgs/{org}/campaigns",
  "GET /orgs/{org}/code-scanning/alerts",
  "GET /orgs/{org}/code-security/configurations",
  "GET /orgs/{org}/code-security/configurations/{configuration_id}/repositories",
  "GET /orgs/{org}/codespaces",
  "GET /orgs/{org}/codespaces/secrets",
  "GET /orgs/{org}/codespaces/secrets/{secret_name}/repositories",
  "GET /orgs/{org}/copilot-spaces",
  "GET /orgs/{org}/copilot/billing/seats",
  "GET /orgs/{org}/copilot/coding-agent/permissions/repositories",
  "GET /orgs/{org}/dependabot/alerts",
  "GET /orgs/{org}/dependabot/repository-access",
  "GET /orgs/{org}/dependabot/secrets",
  "GET /orgs/{org}/dependabot/secrets/{secret_name}/repositories",
  "GET /orgs/{org}/events",
  "GET /orgs/{org}/failed_invitations",
  "GET /orgs/{org}/hooks",
  "GET /orgs/{org}/hooks/{hook_id}/deliveries",
  "GET /orgs/{org}/insights/api/route-stats/{actor_type}/{actor_id}",
  "GET /orgs/{org}/insights/api/subject-stats",
  "GET /orgs/{org}/insights/api/user-stats/{user_id}",
  "GET /orgs/{org}/installations",
  "GET /orgs/{org}/invitations",
  "GET /orgs/{org}/invitations/{invitation_id}/teams",
  "GET /orgs/{org}/issues",
  "GET /orgs/{org}/members",
  "GET /orgs/{org}/members/{username}/codespaces",
  "GET /orgs/{org}/migrations",
  "GET /orgs/{org}/migrations/{migration_id}/repositories",
  "GET /orgs/{org}/organization-roles/{role_id}/teams",
  "GET /orgs/{org}/organization-roles/{role_id}/users",
  "GET /orgs/{org}/outside_collaborators",
  "GET /orgs/{org}/packages",
  "GET /orgs/{org}/packages/{package_type}/{package_name}/versions",
  "GET /orgs/{org}/personal-access-token-requests",
  "GET /orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories",
  "GET /orgs/{org}/personal-access-tokens",
  "GET /orgs/{org}/personal-access-tokens/{pat_id}/repositories",
  "GET /orgs/{org}/private-registries",
  "GET /orgs/{org}/projectsV2",
  "GET /orgs/{org}/projectsV2/{project_number}/fields",
  "GET /orgs/{org}/projectsV2/{project_number}/items",
  "GET /orgs/{org}/projectsV2/{project_number}/views/{view_number}/items",
  "GET /orgs/{org}/properties/values",
  "GET /orgs/{org}/public_members",
  "GET /orgs/{org}/repos",
  "GET /orgs/{org}/rulesets",
  "GET /orgs/{org}/rulesets/rule-suites",
  "GET /orgs/{org}/rulesets/{ruleset_id}/history",
  "GET /orgs/{org}/secret-scanning/alerts",
  "GET /orgs/{org}/secret-scanning/custom-patterns",
  "GET /orgs/{org}/security-advisories",
  "GET /orgs/{org}/settings/immutable-releases/repositories",
  "GET /orgs/{org}/settings/network-configurations",
  "GET /orgs/{org}/teams",
  "GET /orgs/{org}/teams/{team_slug}/invitations",
  "GET /orgs/{org}/teams/{team_slug}/members",
  "GET /orgs/{org}/teams/{team_slug}/repos",
  "GET /orgs/{org}/teams/{team_slug}/teams",
  "GET /repos/{owner}/{repo}/actions/artifacts",
  "GET /repos/{owner}/{repo}/actions/caches",
  "GET /repos/{owner}/{repo}/actions/concurrency_groups",
  "GET /repos/{owner}/{repo}/actions/organization-secrets",
  "GET /repos/{owner}/{repo}/actions/organization-variables",
  "GET /repos/{owner}/{repo}/actions/runners",
  "GET /repos/{owner}/{repo}/actions/runs",
  "GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts",
  "GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs",
  "GET /repos/{owner}/{repo}/actions/runs/{run_id}/concurrency_groups",
  "GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs",
  "GET /repos/{owner}/{repo}/actions/secrets",
  "GET /repos/{owner}/{repo}/actions/variables",
  "GET /repos/{owner}/{repo}/actions/workflows",
  "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
  "GET /repos/{owner}/{repo}/activity",
  "GET /repos/{owner}/{repo}/agents/organization-secrets",
  "GET /repos/{owner}/{repo}/agents/organization-variables",
  "GET /repos/{owner}/{repo}/agents/secrets",
  "GET /repos/{owner}/{repo}/agents/variables",
  "GET /repos/{owner}/{repo}/assignees",
  "GET /repos/{owner}/{repo}/attestations/{subject_digest}",
  "GET /repos/{owner}/{repo}/branches",
  "GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations",
  "GET /repos/{owner}/{repo}/check-suites/{check_suite_id}/check-runs",
  "GET /repos/{owner}/{repo}/code-quality/findings",
  "GET /repos/{owner}/{repo}/code-scanning/alerts",
  "GET /repos/{owner}/{repo}/code-scanning/alerts/{alert_number}/instances",
  "GET /repos/{owner}/{repo}/code-scanning/analyses",
  "GET /repos/{owner}/{repo}/codespaces",
  "GET /repos/{owner}/{repo}/codespaces/devcontainers",
  "GET /repos/{owner}/{repo}/codespaces/secrets",
  "GET /repos/{owner}/{repo}/collaborators",
  "GET /repos/{owner}/{repo}/comments",
  "GET /repos/{owner}/{repo}/comments/{comment_id}/reactions",
  "GET /repos/{owner}/{repo}/commits",
  "GET /repos/{owner}/{repo}/commits/{commit_sha}/comments",
  "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls",
  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
  "GET /repos/{owner}/{repo}/commits/{ref}/check-suites",
  "GET /repos/{owner}/{repo}/commits/{ref}/status",
  "GET /repos/{owner}/{repo}/commits/{ref}/statuses",
  "GET /repos/{owner}/{repo}/compare/{basehead}",
  "GET /repos/{owner}/{repo}/compare/{base}...{head}",
  "GET /repos/{owner}/{repo}/contributors",
  "GET /repos/{owner}/{repo}/dependabot/alerts",
  "GET /repos/{owner}/{repo}/dependabot/secrets",
  "GET /repos/{owner}/{repo}/deployments",
  "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
  "GET /repos/{owner}/{repo}/environments",
  "GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies",
  "GET /repos/{owner}/{repo}/environments/{environment_name}/deployment_protection_rules/apps",
  "GET /repos/{owner}/{repo}/environments/{environment_name}/secrets",
  "GET /repos/{owner}/{repo}/environments/{environment_name}/variables",
  "GET /repos/{owner}/{repo}/events",
  "GET /repos/{owner}/{repo}/forks",
  "GET /repos/{owner}/{repo}/hooks",
  "GET /repos/{owner}/{repo}/hooks/{hook_id}/deliveries",
  "GET /repos/{owner}/{repo}/invitations",
  "GET /repos/{owner}/{repo}/issues",
  "GET /repos/{owner}/{repo}/issues/comments",
  "GET /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
  "GET /repos/{owner}/{repo}/issues/events",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocking",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/events",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/issue-field-values",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/labels",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/reactions",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/sub_issues",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/suggestions",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/timeline",
  "GET /repos/{owner}/{repo}/keys",
  "GET /repos/{owner}/{repo}/labels",
  "GET /repos/{owner}/{repo}/milestones",
  "GET /repos/{owner}/{repo}/milestones/{milestone_number}/labels",
  "GET /repos/{owner}/{repo}/notifications",
  "GET /repos/{owner}/{repo}/pages/builds",
  "GET /repos/{owner}/{repo}/pulls",
  "GET /repos/{owner}/{repo}/pulls/comments",
  "GET /repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/comments",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments",
  "GET /repos/{owner}/{repo}/releases",
  "GET /repos/{owner}/{repo}/releases/{release_id}/assets",
  "GET /repos/{owner}/{repo}/releases/{release_id}/reactions",
  "GET /repos/{owner}/{repo}/rules/branches/{branch}",
  "GET /repos/{owner}/{repo}/rulesets",
  "GET /repos/{owner}/{repo}/rulesets/rule-suites",
  "GET /repos/{owner}/{repo}/rulesets/{ruleset_id}/history",
  "GET /repos/{owner}/{repo}/secret-scanning/alerts",
  "GET /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}/locations",
  "GET /repos/{owner}/{repo}/secret-scanning/custom-patterns",
  "GET /repos/{owner}/{repo}/security-advisories",
  "GET /repos/{owner}/{repo}/stacks",
  "GET /repos/{owner}/{repo}/stargazers",
  "GET /repos/{owner}/{repo}/subscribers",
  "GET /repos/{owner}/{repo}/tags",
  "GET /repos/{owner}/{repo}/teams",
  "GET /repos/{owner}/{repo}/topics",
  "GET /repositories",
  "GET /search/code",
  "GET /search/commits",
  "GET /search/issues",
  "GET /search/labels",
  "GET /search/repositories",
  "GET /search/topics",
  "GET /search/users",
  "GET /teams/{team_id}/invitations",
  "GET /teams/{team_id}/members",
  "GET /teams/{team_id}/repos",
  "GET /teams/{team_id}/teams",
  "GET /user/blocks",
  "GET /user/codespaces",
  "GET /user/codespaces/secrets",
  "GET /user/emails",
  "GET /user/followers",
  "GET /user/following",
  "GET /user/gpg_keys",
  "GET /user/installations",
  "GET /user/installations/{installation_id}/repositories",
  "GET /user/issues",
  "GET /user/keys",
  "GET /user/marketplace_purchases",
  "GET /user/marketplace_purchases/stubbed",
  "GET /user/memberships/orgs",
  "GET /user/migrations",
  "GET /user/migrations/{migration_id}/repositories",
  "GET /user/orgs",
  "GET /user/packages",
  "GET /user/packages/{package_type}/{package_name}/versions",
  "GET /user/public_emails",
  "GET /user/repos",
  "GET /user/repository_invitations",
  "GET /user/social_accounts",
  "GET /user/ssh_signing_keys",
  "GET /user/starred",
  "GET /user/subscriptions",
  "GET /user/teams",
  "GET /users",
  "GET /users/{username}/attestations/{subject_digest}",
  "GET /users/{username}/copilot-spaces",
  "GET /users/{username}/events",
  "GET /users/{username}/events/orgs/{org}",
  "GET /users/{username}/events/public",
  "GET /users/{username}/followers",
  "GET /users/{username}/following",
  "GET /users/{username}/gists",
  "GET /users/{username}/gpg_keys",
  "GET /users/{username}/keys",
  "GET /users/{username}/orgs",
  "GET /users/{username}/packages",
  "GET /users/{username}/projectsV2",
  "GET /users/{username}/projectsV2/{project_number}/fields",
  "GET /users/{username}/projectsV2/{project_number}/items",
  "GET /users/{username}/projectsV2/{project_number}/views/{view_number}/items",
  "GET /users/{username}/received_events",
  "GET /users/{username}/received_events/public",
  "GET /users/{username}/repos",
  "GET /users/{username}/social_accounts",
  "GET /users/{username}/ssh_signing_keys",
  "GET /users/{username}/starred",
  "GET /users/{username}/subscriptions"
]));

// pkg/dist-src/paginating-endpoints.js
function isPaginatingEndpoint(arg) {
  if (typeof arg === "string") {
    return paginatingEndpoints.includes(arg);
  } else {
    return false;
  }
}

// pkg/dist-src/index.js
function paginateRest(octokit) {
  return {
    paginate: Object.assign(paginate.bind(null, octokit), {
      iterator: iterator.bind(null, octokit)
    })
  };
}
paginateRest.VERSION = plugin_paginate_rest_dist_bundle_VERSION;

/* v8 ignore next -- @preserve */

// EXTERNAL MODULE: ./node_modules/bottleneck/light.js
var light = __nccwpck_require__(3251);
;// CONCATENATED MODULE: ./node_modules/@octokit/plugin-retry/dist-bundle/index.js
// pkg/dist-src/version.js
var plugin_retry_dist_bundle_VERSION = "0.0.0-development";

// pkg/dist-src/error-request.js
function isRequestError(error) {
  return error.request !== void 0;
}
async function errorRequest(state, octokit, error, options) {
  if (!isRequestError(error) || !error?.request.request) {
    throw error;
  }
  if (error.status >= 400 && !state.doNotRetry.includes(error.status)) {
    const retries = options.request.retries != null ? options.request.retries : state.retries;
    const retryAfter = Math.pow((options.request.retryCount || 0) + 1, 2);
    throw octokit.retry.retryRequest(error, retries, retryAfter);
  }
  throw error;
}

// pkg/dist-src/wrap-request.js


async function wrapRequest(state, octokit, request, options) {
  const limiter = new light();
  limiter.on("failed", function(error, info) {
    const maxRetries = ~~error.request.request?.retries;
    const after = ~~error.request.request?.retryAfter;
    options.request.retryCount = info.retryCount + 1;
    if (maxRetries > info.retryCount) {
      return after * state.retryAfterBaseValue;
    }
  });
  return limiter.schedule(
    requestWithGraphqlErrorHandling.bind(null, state, octokit, request),
    options
  );
}
async function requestWithGraphqlErrorHandling(state, octokit, request, options) {
  const response = await request(options);
  if (response.data && response.data.errors && response.data.errors.length > 0 && /Something went wrong while executing your query/.test(
    response.data.errors[0].message
  )) {
    const error = new RequestError(response.data.errors[0].message, 500, {
      request: options,
      response
    });
    return errorRequest(state, octokit, error, options);
  }
  return response;
}

// pkg/dist-src/index.js
function retry(octokit, octokitOptions) {
  const state = Object.assign(
    {
      enabled: true,
      retryAfterBaseValue: 1e3,
      doNotRetry: [400, 401, 403, 404, 410, 422, 451],
      retries: 3
    },
    octokitOptions.retry
  );
  const retryPlugin = {
    retry: {
      retryRequest: (error, retries, retryAfter) => {
        error.request.request = Object.assign({}, error.request.request, {
          retries,
          retryAfter
        });
        return error;
      }
    }
  };
  if (state.enabled) {
    octokit.hook.error("request", errorRequest.bind(null, state, retryPlugin));
    octokit.hook.wrap("request", wrapRequest.bind(null, state, retryPlugin));
  }
  return retryPlugin;
}
retry.VERSION = plugin_retry_dist_bundle_VERSION;


;// CONCATENATED MODULE: ./node_modules/@octokit/plugin-throttling/dist-bundle/index.js
// pkg/dist-src/index.js


// pkg/dist-src/version.js
var plugin_throttling_dist_bundle_VERSION = "0.0.0-development";

// pkg/dist-src/wrap-request.js
var dist_bundle_noop = () => Promise.resolve();
function dist_bundle_wrapRequest(state, request, options) {
  return state.retryLimiter.schedule(doRequest, state, request, options);
}
async function doRequest(state, request, options) {
  const { pathname } = new URL(options.url, "http://github.test");
  const isAuth = isAuthRequest(options.method, pathname);
  const isWrite = !isAuth && options.method !== "GET" && options.method !== "HEAD";
  const isSearch = options.method === "GET" && pathname.startsWith("/search/");
  const isGraphQL = pathname.startsWith("/graphql");
  const retryCount = ~~request.retryCount;
  const jobOptions = retryCount > 0 ? { priority: 0, weight: 0 } : {};
  if (state.clustering) {
    jobOptions.expiration = 1e3 * 60;
  }
  if (isWrite || isGraphQL) {
    await state.write.key(state.id).schedule(jobOptions, dist_bundle_noop);
  }
  if (isWrite && state.triggersNotification(pathname)) {
    await state.notifications.key(state.id).schedule(jobOptions, dist_bundle_noop);
  }
  if (isSearch) {
    await state.search.key(state.id).schedule(jobOptions, dist_bundle_noop);
  }
  const req = (isAuth ? state.auth : state.global).key(state.id).schedule(jobOptions, request, options);
  if (isGraphQL) {
    const res = await req;
    if (res.data.errors != null && res.data.errors.some((error) => error.type === "RATE_LIMITED")) {
      const error = Object.assign(new Error("GraphQL Rate Limit Exceeded"), {
        response: res,
        data: res.data
      });
      throw error;
    }
  }
  return req;
}
function isAuthRequest(method, pathname) {
  return method === "PATCH" && // https://docs.github.com/en/rest/apps/apps?apiVersion=2022-11-28#create-a-scoped-access-token
  /^\/applications\/[^/]+\/token\/scoped$/.test(pathname) || method === "POST" && // https://docs.github.com/en/rest/apps/oauth-applications?apiVersion=2022-11-28#reset-a-token
  (/^\/applications\/[^/]+\/token$/.test(pathname) || // https://docs.github.com/en/rest/apps/apps?apiVersion=2022-11-28#create-an-installation-access-token-for-an-app
  /^\/app\/installations\/[^/]+\/access_tokens$/.test(pathname) || // https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
  pathname === "/login/oauth/access_token");
}

// pkg/dist-src/generated/triggers-notification-paths.js
var triggers_notification_paths_default = [
  "/orgs/{org}/invitations",
  "/orgs/{org}/invitations/{invitation_id}",
  "/orgs/{org}/teams/{team_slug}/discussions",
  "/orgs/{org}/teams/{team_slug}/discussions/{discussion_number}/comments",
  "/repos/{owner}/{repo}/collaborators/{username}",
  "/repos/{owner}/{repo}/commits/{commit_sha}/comments",
  "/repos/{owner}/{repo}/issues",
  "/repos/{owner}/{repo}/issues/{issue_number}/comments",
  "/repos/{owner}/{repo}/issues/{issue_number}/sub_issue",
  "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues/priority",
  "/repos/{owner}/{repo}/pulls",
  "/repos/{owner}/{repo}/pulls/{pull_number}/comments",
  "/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies",
  "/repos/{owner}/{repo}/pulls/{pull_number}/merge",
  "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
  "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
  "/repos/{owner}/{repo}/releases",
  "/teams/{team_id}/discussions",
  "/teams/{team_id}/discussions/{discussion_number}/comments"
];

// pkg/dist-src/route-matcher.js
function routeMatcher(paths) {
  const regexes = paths.map(
    (path) => path.split("/").map((c) => c.startsWith("{") ? "(?:.+?)" : c).join("/")
  );
  const regex2 = `^(?:${regexes.map((r) => `(?:${r})`).join("|")})[^/]*$`;
  return new RegExp(regex2, "i");
}

// pkg/dist-src/index.js
var regex = routeMatcher(triggers_notification_paths_default);
var triggersNotification = regex.test.bind(regex);
var groups = {};
var createGroups = function(Bottleneck, common) {
  groups.global = new Bottleneck.Group({
    id: "octokit-global",
    maxConcurrent: 10,
    ...common
  });
  groups.auth = new Bottleneck.Group({
    id: "octokit-auth",
    maxConcurrent: 1,
    ...common
  });
  groups.search = new Bottleneck.Group({
    id: "octokit-search",
    maxConcurrent: 1,
    minTime: 2e3,
    ...common
  });
  groups.write = new Bottleneck.Group({
    id: "octokit-write",
    maxConcurrent: 1,
    minTime: 1e3,
    ...common
  });
  groups.notifications = new Bottleneck.Group({
    id: "octokit-notifications",
    maxConcurrent: 1,
    minTime: 3e3,
    ...common
  });
};
function throttling(octokit, octokitOptions) {
  const {
    enabled = true,
    Bottleneck = light,
    id = "no-id",
    timeout = 1e3 * 60 * 2,
    // Redis TTL: 2 minutes
    connection
  } = octokitOptions.throttle || {};
  if (!enabled) {
    return {};
  }
  const common = { timeout };
  if (typeof connection !== "undefined") {
    common.connection = connection;
  }
  const state = Object.assign(
    {
      clustering: connection != null,
      triggersNotification,
      fallbackSecondaryRateRetryAfter: 60,
      retryAfterBaseValue: 1e3,
      id
    },
    octokitOptions.throttle
  );
  if (typeof state.onSecondaryRateLimit !== "function" || typeof state.onRateLimit !== "function") {
    throw new Error(`octokit/plugin-throttling error:
        You must pass the onSecondaryRateLimit and onRateLimit error handlers.
        See https://octokit.github.io/rest.js/#throttling

        const octokit = new Octokit({
          throttle: {
            onSecondaryRateLimit: (retryAfter, options) => {/* ... */},
            onRateLimit: (retryAfter, options) => {/* ... */}
          }
        })
    `);
  }
  let initialized = false;
  const initializeBottleneck = () => {
    if (initialized) {
      return;
    }
    initialized = true;
    if (groups.global == null) {
      createGroups(Bottleneck, common);
    }
    state.global = state.global ?? groups.global;
    state.auth = state.auth ?? groups.auth;
    state.search = state.search ?? groups.search;
    state.write = state.write ?? groups.write;
    state.notifications = state.notifications ?? groups.notifications;
    state.retryLimiter = state.retryLimiter ?? new Bottleneck();
    const events = {};
    const emitter = new Bottleneck.Events(events);
    events.on("secondary-limit", state.onSecondaryRateLimit);
    events.on("rate-limit", state.onRateLimit);
    events.on(
      "error",
      (e) => octokit.log.warn("Error in throttling-plugin limit handler", e)
    );
    state.retryLimiter.on("failed", async function(error, info) {
      const [state2, request, options] = info.args;
      const { pathname } = new URL(options.url, "http://github.test");
      const shouldRetryGraphQL = pathname.startsWith("/graphql") && error.status !== 401;
      if (!(shouldRetryGraphQL || error.status === 403 || error.status === 429)) {
        return;
      }
      const retryCount = ~~request.retryCount;
      request.retryCount = retryCount;
      options.request.retryCount = retryCount;
      const { wantRetry, retryAfter = 0 } = await (async function() {
        if (/\bsecondary rate\b/i.test(error.message)) {
          const retryAfter2 = Number(error.response.headers["retry-after"]) || state2.fallbackSecondaryRateRetryAfter;
          const wantRetry2 = await emitter.trigger(
            "secondary-limit",
            retryAfter2,
            options,
            octokit,
            retryCount
          );
          return { wantRetry: wantRetry2, retryAfter: retryAfter2 };
        }
        if (error.response.headers != null && error.response.headers["x-ratelimit-remaining"] === "0" || (error.response.data?.errors ?? []).some(
          (error2) => error2.type === "RATE_LIMITED"
        )) {
          const rateLimitReset = new Date(
            ~~error.response.headers["x-ratelimit-reset"] * 1e3
          ).getTime();
          const retryAfter2 = Math.max(
            // Add one second so we retry _after_ the reset time
            // https://docs.github.com/en/rest/overview/resources-in-the-rest-api?apiVersion=2022-11-28#exceeding-the-rate-limit
            Math.ceil((rateLimitReset - Date.now()) / 1e3) + 1,
            0
          );
          const wantRetry2 = await emitter.trigger(
            "rate-limit",
            retryAfter2,
            options,
            octokit,
            retryCount
          );
          return { wantRetry: wantRetry2, retryAfter: retryAfter2 };
        }
        return {};
      })();
      if (wantRetry) {
        request.retryCount++;
        return retryAfter * state2.retryAfterBaseValue;
      }
    });
  };
  octokit.hook.wrap("request", (request, options) => {
    initializeBottleneck();
    return dist_bundle_wrapRequest(state, request, options);
  });
  return {};
}
throttling.VERSION = plugin_throttling_dist_bundle_VERSION;
throttling.triggersNotification = triggersNotification;


// EXTERNAL MODULE: ./src/util/http.ts
var http = __nccwpck_require__(4098);
;// CONCATENATED MODULE: ./src/github/client.ts
/**
 * The GitHub REST client: Octokit (`@octokit/core`) with the retry, throttling and pagination
 * plugins, for the few endpoints the action uses, with the response types of GitHub's OpenAPI
 * description (`@octokit/openapi-types`). Built explicitly from the runner context instead of
 * reading `GITHUB_API_URL` at import time (`@actions/github` does that: docs/platform.md,
 * "Toolchain").
 *
 * What is added around Octokit, per call (docs/platform.md, "The REST API"):
 *
 * - **a deadline** (absolute, on the client's clock): every attempt gets the time left, at most
 *   5 s, as its timeout (an `AbortSignal`), no attempt starts after it and no wait ends after it,
 *   whatever retries are left;
 * - **waits on the client's clock**: plugin-retry and plugin-throttling decide whether to try again
 *   (statuses, rate-limit headers, their counts); the wait itself is made by the hook below or the
 *   throttling handlers with `clock.sleep` (the plugins' own delays are set to 0), so the deadline
 *   and the waits use one clock and tests drive them with a fake one;
 * - **no redirect followed** and no request to another origin (a `link` header's URL included): the
 *   token and everything else would go there (docs/platform.md, "Network and rendering");
 * - **error messages** that say what failed and what to do, never the token.
 */






class GitHubApiError extends Error {
    status;
    headers;
    constructor(message, 
    /** The answer's status; undefined when there was no answer (timeout, connection error). */
    status, headers) {
        super(message);
        this.status = status;
        this.headers = headers;
        this.name = 'GitHubApiError';
    }
}
/** Per-attempt timeout (cut to the time left before the deadline). */
const ATTEMPT_TIMEOUT_MS = 5000;
/** Backoff before retry n (1-based): 250 ms, 500 ms, … */
const BASE_BACKOFF_MS = 250;
/** Retries of a GET after a 5xx, a 429 or no answer (3 attempts in all). */
const GET_RETRIES = 2;
/** Waits for a rate limit (primary or secondary) in one call, at most. */
const RATE_LIMIT_RETRIES = 2;
/**
 * Statuses plugin-retry never retries: every 4xx but 429. A 403 is also GitHub's primary or
 * secondary rate limit, which plugin-throttling recognises by its headers and message.
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 405, 409, 410, 422, 451];
const MAX_MESSAGE = 300;
/** Sent with every request (GitHub's recommended media type and the API version read). */
const HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
/** Stops a call for good: a redirect, another origin, or no time left before an attempt. */
class Refused extends Error {
    status;
    constructor(message, status) {
        super(message);
        this.status = status;
        this.name = 'Refused';
    }
}
function isOctokitError(error) {
    return (typeof error === 'object' && error !== null && typeof error.status === 'number');
}
function headersOf(raw) {
    const headers = new Headers();
    for (const [name, value] of Object.entries(raw ?? {}))
        if (value !== undefined)
            headers.set(name, String(value));
    return headers;
}
function oneLine(text) {
    const line = text.replace(/\s+/g, ' ').trim();
    return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE)}…` : line;
}
/** GitHub's `message` from an error body, else the body's text. */
function client_messageOf(data) {
    if (typeof data === 'object' &&
        data !== null &&
        typeof data.message === 'string')
        return oneLine(data.message);
    if (typeof data === 'string')
        return oneLine(data);
    return '';
}
/**
 * A primary or secondary rate limit, recognised as plugin-throttling does (`x-ratelimit-remaining: 0`,
 * or GitHub's "secondary rate limit" message): the throttling handlers decide whether to wait.
 */
function rateLimited(error) {
    if (error.status !== 403 && error.status !== 429)
        return false;
    return (String(error.response?.headers['x-ratelimit-remaining']) === '0' ||
        /\bsecondary rate\b/i.test(error.message));
}
/** What one call of the client carries through Octokit's hooks (`options.request.call`). */
class Call {
    client;
    base;
    what;
    deadline;
    retries;
    /** Retries made so far (reset by an answer, so each page of a listing gets its own). */
    retried = 0;
    /** The timeout of the last attempt. */
    timeoutMs = ATTEMPT_TIMEOUT_MS;
    /** The last URL asked (for the proxy's name in a connection error). */
    url = '';
    /** Why the call gave up early, appended to the error message. */
    note = '';
    constructor(client, base, what, deadline, 
    /** plugin-retry's retries for this call (0: never sent twice). */
    retries) {
        this.client = client;
        this.base = base;
        this.what = what;
        this.deadline = deadline;
        this.retries = retries;
    }
    get clock() {
        return this.base.clock;
    }
    /** Waits for rate limits this call may make (none when it may not be sent twice). */
    get rateLimitRetries() {
        return this.retries > 0 ? RATE_LIMIT_RETRIES : 0;
    }
    /** Octokit's per-request options for this call. */
    requestOptions() {
        const left = Math.max(0, this.deadline - this.clock.now());
        return {
            call: this,
            fetch: this.fetch,
            signal: AbortSignal.timeout(left),
            redirect: 'manual',
            retries: 0, // granted attempt by attempt (see `deadlines`)
        };
    }
    /** Every attempt goes through here: the deadline, the attempt's timeout, origin and redirects. */
    fetch = async (input, init) => {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        this.url = url;
        let origin;
        try {
            origin = new URL(url).origin;
        }
        catch {
            // refused below
        }
        if (origin !== this.base.origin)
            throw new Refused(`not sent to ${(0,http/* redirectTarget */.ET)(url, this.base.apiUrl)}, which is not the API's origin`);
        const left = this.deadline - this.clock.now();
        if (left <= 0)
            throw new Refused(`out of time${this.note}`);
        this.timeoutMs = Math.min(ATTEMPT_TIMEOUT_MS, left);
        const timeout = AbortSignal.timeout(this.timeoutMs);
        const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
        this.client.requestCount++;
        const response = await (this.base.fetchImpl ?? fetch)(url, { ...init, signal, redirect: 'manual' });
        if (response.status >= 300 && response.status < 400 && response.status !== 304) {
            // Not followed, not retried: the next attempt would be redirected the same way.
            await response.body?.cancel().catch(() => undefined);
            throw new Refused(`HTTP ${response.status} redirect to ${(0,http/* redirectTarget */.ET)(response.headers.get('location'), url)}, not followed (a redirect would carry the request's credentials there); set GITHUB_API_URL to the final URL`, response.status);
        }
        return response;
    };
}
function callOf(options) {
    const call = options?.request?.call;
    return call instanceof Call ? call : undefined;
}
/**
 * Innermost hook (around each attempt): after a failed attempt, decides with the deadline whether
 * plugin-retry may send it again, and makes the wait on the call's clock.
 */
function deadlines(octokit) {
    octokit.hook.wrap('request', async (request, options) => {
        const call = callOf(options);
        if (!call)
            return request(options);
        const req = options.request;
        // plugin-retry reads `request.retries` twice: from these options when it judges an error worth
        // another attempt, and from the copy each attempt takes of them for any failure. So it is 0
        // while an attempt runs, and set only below, when this hook grants one more.
        req.retries = 0;
        try {
            const response = await request(options);
            call.retried = 0;
            return response;
        }
        catch (error) {
            // Not Octokit's RequestError (plugin-retry leaves those alone), or refused for good.
            if (!isOctokitError(error) || error.request === undefined || error.cause instanceof Refused)
                throw error;
            if (error.status < 400 || DO_NOT_RETRY.includes(error.status) || rateLimited(error))
                throw error;
            // A 5xx, a 429 or no answer (Octokit gives those status 500).
            if (call.retried >= call.retries)
                throw error;
            const now = call.clock.now();
            const asked = error.response ? (0,http/* requestedWaitMs */.yL)(headersOf(error.response.headers), now) : undefined;
            if (asked !== undefined && now + asked > call.deadline) {
                call.note = ` (asked to wait until ${new Date(now + asked).toISOString()}, past this step's time budget)`;
                throw error;
            }
            const wait = asked ?? BASE_BACKOFF_MS * 2 ** call.retried;
            if (now + wait >= call.deadline) {
                call.note = '; out of time';
                throw error;
            }
            call.retried++;
            req.retries = call.retries;
            await call.clock.sleep(wait);
            throw error;
        }
    });
}
/** plugin-throttling's handler for both rate limits: wait when it fits before the deadline. */
async function onRateLimit(retryAfterSeconds, options, _octokit, retryCount) {
    const call = callOf(options);
    if (!call || retryCount >= call.rateLimitRetries) {
        if (call && call.rateLimitRetries > 0)
            call.note = `; still rate limited after ${retryCount} wait(s)`;
        return false;
    }
    const now = call.clock.now();
    const wait = Math.max(0, retryAfterSeconds * 1000);
    if (now + wait >= call.deadline) {
        call.note = ` (asked to wait until ${new Date(now + wait).toISOString()}, past this step's time budget)`;
        return false;
    }
    await call.clock.sleep(wait);
    return true;
}
const GitHubOctokit = Octokit.plugin(deadlines, retry, throttling, paginateRest);
const silentLog = { debug() { }, info() { }, warn() { }, error() { } };
function permissionHint(status) {
    if (status === 401)
        return ' (is github-token valid?)';
    if (status === 403 || status === 404)
        return ' (the token needs `actions: read`: add `permissions: { actions: read }` to the job or workflow)';
    return '';
}
/** One error for everything a call can end with: what failed, the status, what to do. */
function apiError(call, error, hint) {
    if (error instanceof GitHubApiError)
        return error;
    const cause = error.cause;
    if (cause instanceof Refused)
        return new GitHubApiError(`${call.what} failed: ${cause.message}`, cause.status);
    if (isOctokitError(error) && error.response) {
        const { status } = error.response;
        const message = client_messageOf(error.response.data);
        return new GitHubApiError(`${call.what} failed: HTTP ${status}${message ? ` ${message}` : ''}${hint(status)}${call.note}`, status, headersOf(error.response.headers));
    }
    // No answer: a timeout or a connection error (Octokit keeps fetch's error as the cause).
    const e = error;
    const timedOut = [e.name, e.cause?.name].some((n) => n === 'TimeoutError' || n === 'AbortError');
    const problem = timedOut
        ? `no answer within ${call.timeoutMs} ms`
        : ((0,http/* describeNetworkError */.gl)(e.cause?.cause?.code) ?? e.cause?.cause?.message ?? e.message);
    return new GitHubApiError(`${call.what} failed: ${problem}${(0,proxy/* proxyNote */.d1)(call.url)}${call.note}`, undefined);
}
/** The answer's data must be JSON (Octokit hands an unparsable body over as its text). */
function json(call, data, status) {
    if (typeof data !== 'object' || data === null)
        throw new GitHubApiError(`${call.what} failed: the answer is not JSON`, status);
    return data;
}
/**
 * The client every mode reads the API with: the runner's API URL and repository, the step's
 * `github-token`. `fetchImpl` replaces the global `fetch` (tests).
 */
function runnerClient(config, clock, fetchImpl) {
    return new GitHubClient({
        apiUrl: config.runner.apiUrl,
        token: config.githubToken,
        repository: config.runner.repository,
        clock,
        fetchImpl,
    });
}
class GitHubClient {
    /** Requests sent (attempts included), for the benchmark and the summary. */
    requestCount = 0;
    octokit;
    base;
    owner;
    repo;
    constructor(options) {
        const apiUrl = options.apiUrl.replace(/\/+$/, '');
        let origin;
        try {
            origin = new URL(apiUrl).origin;
        }
        catch {
            origin = undefined; // every request is refused, naming the URL's problem
        }
        this.base = { clock: options.clock, apiUrl, origin, fetchImpl: options.fetchImpl };
        const slash = options.repository.indexOf('/');
        this.owner = slash < 0 ? options.repository : options.repository.slice(0, slash);
        this.repo = slash < 0 ? '' : options.repository.slice(slash + 1);
        this.octokit = new GitHubOctokit({
            baseUrl: apiUrl,
            ...(options.token ? { auth: options.token } : {}),
            userAgent: 'deployment-observability-action',
            log: silentLog,
            // `log` here silences fetch's deprecation notices (the live reporter never writes a line).
            request: { redirect: 'manual', log: silentLog },
            // Retries are granted per call and per attempt by `deadlines`; the plugin's own wait is 0.
            retry: { doNotRetry: DO_NOT_RETRY, retries: 0, retryAfterBaseValue: 0 },
            throttle: { onRateLimit, onSecondaryRateLimit: onRateLimit, retryAfterBaseValue: 0 },
        });
    }
    call(what, deadline, retries) {
        return new Call(this, this.base, what, deadline, retries);
    }
    /** A GET of one resource: its JSON, or a GitHubApiError that says what to do. */
    async get(what, deadline, route, parameters, hint = permissionHint, retries = GET_RETRIES) {
        const call = this.call(what, deadline, retries);
        let response;
        try {
            response = await this.octokit.request(route, {
                owner: this.owner,
                repo: this.repo,
                ...parameters,
                headers: HEADERS,
                request: call.requestOptions(),
            });
        }
        catch (error) {
            throw apiError(call, error, hint);
        }
        return json(call, response.data, response.status);
    }
    /** `GET /repos/{owner}/{repo}/actions/jobs/{job_id}` */
    getJob(jobId, deadline) {
        return this.get(`GET job ${jobId}`, deadline, 'GET /repos/{owner}/{repo}/actions/jobs/{job_id}', {
            job_id: jobId,
        });
    }
    /**
     * `GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations`, first page
     * (a job's id is its check run's id; needs `checks: read`).
     */
    listCheckRunAnnotations(checkRunId, deadline) {
        return this.get(`GET annotations of check run ${checkRunId}`, deadline, 'GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations', { check_run_id: checkRunId, per_page: 100 }, () => '');
    }
    /**
     * `GET /repos/{owner}/{repo}/actions/jobs/{job_id}` as a conditional request:
     * with the last answer's ETag in `If-None-Match`, GitHub answers 304 when the
     * job has not changed, and an authorised 304 does not count against the rate
     * limit. One attempt, never retried nor held for a rate limit: the live
     * reporter's loop decides when to try again (from the error's headers).
     */
    async getJobIfChanged(jobId, etag, deadline) {
        const call = this.call(`GET job ${jobId}`, deadline, 0);
        let response;
        try {
            response = await this.octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}', {
                owner: this.owner,
                repo: this.repo,
                job_id: jobId,
                headers: etag ? { ...HEADERS, 'if-none-match': etag } : HEADERS,
                request: call.requestOptions(),
            });
        }
        catch (error) {
            // Octokit throws for a 304: here it is the answer "unchanged".
            if (isOctokitError(error) && error.status === 304 && error.response) {
                const headers = headersOf(error.response.headers);
                return { status: 304, etag, rateRemaining: rateRemainingOf(headers), headers };
            }
            throw apiError(call, error, () => '');
        }
        const headers = headersOf(response.headers);
        const job = json(call, response.data, response.status);
        return {
            status: 200,
            job,
            etag: headers.get('etag') ?? undefined,
            rateRemaining: rateRemainingOf(headers),
            headers,
        };
    }
    /**
     * `GET /repos/{owner}/{repo}/actions/caches?key=<prefix>`, the newest `perPage` keys that start
     * with the prefix (needs `actions: read`). One attempt: it only spares loading the cache module.
     */
    async listActionsCacheKeys(keyPrefix, perPage, deadline) {
        const body = await this.get('GET Actions cache keys', deadline, 'GET /repos/{owner}/{repo}/actions/caches', { key: keyPrefix, per_page: perPage, sort: 'created_at', direction: 'desc' }, () => '', 0);
        const caches = Array.isArray(body.actions_caches) ? body.actions_caches : [];
        return {
            totalCount: typeof body.total_count === 'number' ? body.total_count : caches.length,
            keys: caches.map((c) => c.key).filter((k) => typeof k === 'string'),
        };
    }
    /** One page of `GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}/jobs`. */
    async listAttemptJobs(runId, attempt, page, deadline) {
        const body = await this.get(`GET jobs of run ${runId} attempt ${attempt} page ${page}`, deadline, 'GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs', { run_id: runId, attempt_number: attempt, per_page: 100, page });
        return { totalCount: body.total_count ?? 0, jobs: Array.isArray(body.jobs) ? body.jobs : [] };
    }
    /**
     * Every page of the attempt's jobs (100 a page), following the `link` header (plugin-paginate-rest),
     * at most `maxPages`; one deadline for them all. Stop early by leaving the loop: no further page
     * is asked for.
     */
    async *attemptJobPages(runId, attempt, deadline, maxPages) {
        const what = `GET jobs of run ${runId} attempt ${attempt}`;
        const call = this.call(what, deadline, GET_RETRIES);
        // The plugin asks for the next page with its URL alone: a request method of this call's own
        // carries the call's options (deadline, fetch) to every page, and checks each answer before the
        // plugin reads it (it expects an object).
        const request = this.octokit.request.defaults({ headers: HEADERS, request: call.requestOptions() });
        const pageRequest = Object.assign(async (options) => {
            const response = await request(options);
            json(call, response.data, response.status);
            return response;
        }, { endpoint: request.endpoint });
        const iterate = this.octokit.paginate.iterator;
        const pages = iterate(pageRequest, {
            method: 'GET',
            url: '/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs',
            owner: this.owner,
            repo: this.repo,
            run_id: runId,
            attempt_number: attempt,
            per_page: 100,
            page: 1,
        })[Symbol.asyncIterator]();
        for (let page = 1; page <= maxPages; page++) {
            call.what = `${what} page ${page}`;
            let next;
            try {
                next = await pages.next();
            }
            catch (error) {
                throw apiError(call, error, permissionHint);
            }
            if (next.done)
                return;
            // The plugin turns `{ total_count, jobs }` into the jobs, with `total_count` kept on the array.
            const jobs = next.value.data;
            if (!Array.isArray(jobs))
                throw new GitHubApiError(`${call.what} failed: the answer has no jobs`, next.value.status);
            yield { totalCount: jobs.total_count ?? 0, jobs: [...jobs] };
        }
    }
    /** `GET /repos/{owner}/{repo}/actions/runs/{run_id}` (the latest attempt). */
    getRun(runId, deadline) {
        return this.get(`GET run ${runId}`, deadline, 'GET /repos/{owner}/{repo}/actions/runs/{run_id}', {
            run_id: runId,
        });
    }
    /** `GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}`. */
    getRunAttempt(runId, attempt, deadline) {
        return this.get(`GET run ${runId} attempt ${attempt}`, deadline, 'GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}', { run_id: runId, attempt_number: attempt });
    }
    /** One page of `GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs?status=completed&created=>=…`. */
    async listWorkflowRuns(workflowId, createdSince, page, deadline) {
        const body = await this.get(`GET runs of workflow ${workflowId} page ${page}`, deadline, 'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', { workflow_id: workflowId, status: 'completed', created: `>=${createdSince}`, per_page: 100, page });
        return {
            totalCount: body.total_count ?? 0,
            runs: Array.isArray(body.workflow_runs) ? body.workflow_runs : [],
        };
    }
    /** `GET /repos/{owner}/{repo}/commits/{sha}/pulls`: the PRs a commit belongs to (fork PRs included). */
    listPullsForCommit(sha, deadline) {
        return this.get(`GET pull requests of commit ${sha.slice(0, 12)}`, deadline, 'GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls', { commit_sha: sha });
    }
    /** `POST /repos/{owner}/{repo}/check-runs` (needs `checks: write`). Sent once: never retried. */
    createCheckRun(body, deadline) {
        // A POST that timed out may have created the check run: do not send it twice.
        return this.send('POST', '/repos/{owner}/{repo}/check-runs', {}, body, 'POST check run', deadline, 0);
    }
    /** `PATCH /repos/{owner}/{repo}/check-runs/{id}`: appends `output.annotations`. */
    updateCheckRun(id, body, deadline) {
        return this.send('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', { check_run_id: id }, body, `PATCH check run ${id}`, deadline, 1);
    }
    async send(method, url, parameters, body, what, deadline, retries) {
        const call = this.call(what, deadline, retries);
        let response;
        try {
            response = await this.octokit.request({
                method,
                url,
                owner: this.owner,
                repo: this.repo,
                ...parameters,
                // `data` is the body as it is (no parameter of the body taken for an Octokit option).
                data: body,
                headers: HEADERS,
                request: call.requestOptions(),
            });
        }
        catch (error) {
            throw apiError(call, error, () => '');
        }
        return json(call, response.data, response.status);
    }
}
function rateRemainingOf(headers) {
    const remaining = Number(headers.get('x-ratelimit-remaining') ?? NaN);
    return Number.isFinite(remaining) ? remaining : undefined;
}

;// CONCATENATED MODULE: ./src/github/runs.ts
/** At most this many job pages are read (10,000 jobs). */
const MAX_JOB_PAGES = 100;
/** The run's latest attempt (or `attempt`), with every job of that attempt. */
async function readRunAttempt(client, runId, deadline, attempt) {
    const run = attempt === undefined
        ? await client.getRun(runId, deadline)
        : await client.getRunAttempt(runId, attempt, deadline);
    const n = run.run_attempt ?? attempt ?? 1;
    const jobs = [];
    for await (const page of client.attemptJobPages(runId, n, deadline, MAX_JOB_PAGES)) {
        jobs.push(...page.jobs);
        if (page.jobs.length === 0)
            break;
    }
    return { run: { ...run, run_attempt: n }, jobs };
}

// EXTERNAL MODULE: ./src/metrics/definitions.ts
var definitions = __nccwpck_require__(6511);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(7598);
;// CONCATENATED MODULE: ./src/metrics/exposition.ts
/** Metric names: https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels */
const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
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
function renderExposition(families) {
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
function parseExpositionLine(line) {
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
function seriesKey(name, labels) {
    const names = Object.keys(labels).sort();
    return `${name}{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(',')}}`;
}

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
function customDefinition(name, labels) {
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
        const known = (0,definitions/* metricByName */.tX)(name);
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
            const refused = (0,error_types/* reportedLabelProblem */.X2)(where, label, labelValue);
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
            definition = customDefinition(name, extra.sort());
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

;// CONCATENATED MODULE: ./src/persistence/cache-module.ts
/**
 * The Actions cache module (`@actions/cache`), loaded only when an entry is really to be restored
 * or saved: with the Azure SDK under it, it is the largest chunk of the bundles and about doubles
 * post's start-up (docs/performance.md). Whether the runner offers a cache service is decided from
 * the environment alone, the way the module decides it, so asking costs nothing.
 */
/** Hosts where the cache service v2 is offered (GitHub Enterprise Server only has v1). */
function isGitHubCom(serverUrl) {
    let host;
    try {
        host = new URL(serverUrl || 'https://github.com').hostname.toUpperCase();
    }
    catch {
        return false;
    }
    return host === 'GITHUB.COM' || host.endsWith('.GHE.COM') || host.endsWith('.LOCALHOST');
}
/**
 * Whether the runner offers a cache service to this job: what `isFeatureAvailable()` of
 * `@actions/cache` answers for this environment (service v2, on github.com: `ACTIONS_RESULTS_URL`;
 * service v1, and always on GitHub Enterprise Server: `ACTIONS_CACHE_URL`), without loading it.
 */
function cache_module_cacheServiceOffered(env) {
    const v2 = Boolean(env.ACTIONS_CACHE_SERVICE_V2) && isGitHubCom(env.GITHUB_SERVER_URL);
    return v2 ? Boolean(env.ACTIONS_RESULTS_URL) : Boolean(env.ACTIONS_CACHE_URL);
}
/** A loader that imports the module once, on first use. */
function lazyCacheModule() {
    let loading;
    return () => (loading ??= Promise.all(/* import() */[__nccwpck_require__.e(752), __nccwpck_require__.e(838), __nccwpck_require__.e(137)]).then(__nccwpck_require__.bind(__nccwpck_require__, 6137)));
}

;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");
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
async function withTimeout(promise, ms, what) {
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
function inArchiveRoot(root, call, startBy = Infinity, now = Date.now) {
    const run = async () => {
        if (now() >= startBy)
            throw new Error("no time left in this step's budget");
        await (0,promises_namespaceObject.mkdir)(root, { recursive: true });
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
        return await (0,promises_namespaceObject.readFile)(path);
    }
    catch (error) {
        if (error.code === 'ENOENT')
            return undefined;
        throw error;
    }
}
/** Written beside the target, then renamed: a concurrent reader sees the old file or the new one. */
async function writeAtomically(path, bytes) {
    await (0,promises_namespaceObject.mkdir)((0,external_node_path_namespaceObject.dirname)(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${(0,external_node_crypto_.randomBytes)(4).toString('hex')}.tmp`;
    await (0,promises_namespaceObject.writeFile)(tmp, bytes);
    await (0,promises_namespaceObject.rename)(tmp, path);
}
/** A file that outlives the job (a directory the user keeps, or the runner's tool cache). */
class FileStore {
    path;
    description;
    constructor(path) {
        this.path = path;
        this.description = `the directory ${(0,external_node_path_namespaceObject.dirname)(path)}`;
    }
    load() {
        return readIfPresent(this.path);
    }
    save(bytes) {
        return writeAtomically(this.path, bytes);
    }
}
/** The Actions cache: keys are immutable, so every save writes a new key and a load restores the newest by prefix. */
class ActionsCacheStore {
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
        return (0,external_node_path_namespaceObject.join)(this.item.root, this.item.dir, this.item.fileName);
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
                await (0,promises_namespaceObject.mkdir)((0,external_node_path_namespaceObject.join)(item.root, item.dir), { recursive: true });
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
function storesFor(kind, env, options) {
    const layout = LAYOUTS[kind];
    const kept = env[constants_STATE_DIR_ENV];
    if (kept) {
        return {
            stores: {
                description: `the directory ${kept}`,
                item: (id) => new FileStore(layout.file(kept, layout.digest(id))),
            },
        };
    }
    if (cache_module_cacheServiceOffered(env)) {
        const cache = options.cache ?? lazyCacheModule();
        const root = (0,external_node_path_namespaceObject.join)(env.RUNNER_TEMP || '/tmp', 'deployment-observability-cache');
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
                description: `the directory ${(0,external_node_path_namespaceObject.join)(toolCache, 'deployment-observability')}`,
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
        const definition = (0,definitions/* metricByName */.tX)(u.family) ??
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
                    family.samples.set(seriesKey(sample.name, labels), {
                        name: sample.name,
                        labels,
                        value: sample.value,
                    });
                }
                family.before = new Map(family.samples);
            }
        }
        const labels = orderLabels(update.labels, def);
        const key = seriesKey(update.name, labels);
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
                ?.find((s) => seriesKey(s.name, orderLabels(normalizeExistingLabels(s.labels, new Set(def.labels)), def)) ===
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
    const sameSeries = seriesKey('', { ...labels, le: '' });
    let below;
    let known = false;
    for (const sample of samples.values()) {
        if (sample.name !== name || sample.labels.le === undefined)
            continue;
        if (seriesKey('', { ...sample.labels, le: '' }) !== sameSeries)
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
        const ka = seriesKey('', { ...a.labels, le: '' });
        const kb = seriesKey('', { ...b.labels, le: '' });
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
            if (family.name === definitions/* METRICS */.Cb.countersUpdated.name ||
                family.name === definitions/* METRICS */.Cb.summaryCountedAttempt.name ||
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
        await this.push(key, renderExposition(families), deadline, options.method);
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
        const { RemoteWriteClient } = await Promise.all(/* import() */[__nccwpck_require__.e(222), __nccwpck_require__.e(675)]).then(__nccwpck_require__.bind(__nccwpck_require__, 7675));
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
    const group = `{${(0,delivery_sink/* describeGroup */.N)(outcome.key)}}`;
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

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
;// CONCATENATED MODULE: ./src/delivery/metrics-file.ts
/**
 * `metrics-file`: the exposition of what a hook delivered (the first sink's
 * groups, or the unsent families when there is no sink), written where the
 * input says. Every mode writes it through {@link writeMetricsFile}.
 */




const NOT_REGULAR = 'it exists and is not a regular file';
/** Writes the metrics file (creating its folder). Never throws: a problem is returned. */
async function writeMetricsFile(path, outcomes) {
    try {
        const text = combinedExposition(outcomes);
        await (0,promises_namespaceObject.mkdir)((0,external_node_path_namespaceObject.dirname)(path), { recursive: true });
        await writeRegularFile(path, text);
        return { ok: true };
    }
    catch (error) {
        return { ok: false, problem: error instanceof Error ? error.message : String(error) };
    }
}
/**
 * Writes a file that must be a regular file or not exist yet. Not a FIFO: opening one for
 * writing would block the hook until some process reads it, past every budget. Not a device,
 * a folder, or a symbolic link: nothing is written through a link to somewhere else. The file
 * is opened without following a link and without waiting, and checked again once open, so
 * nothing swapped in after the first look is written to either.
 */
async function writeRegularFile(path, text) {
    try {
        const info = await (0,promises_namespaceObject.lstat)(path);
        if (!info.isFile())
            throw new Error(NOT_REGULAR);
    }
    catch (error) {
        if (error.code !== 'ENOENT')
            throw error;
    }
    const handle = await (0,promises_namespaceObject.open)(path, external_node_fs_.constants.O_WRONLY | external_node_fs_.constants.O_CREAT | external_node_fs_.constants.O_NOFOLLOW | external_node_fs_.constants.O_NONBLOCK, 0o666);
    try {
        if (!(await handle.stat()).isFile())
            throw new Error(NOT_REGULAR);
        await handle.truncate(0);
        await handle.writeFile(text, 'utf8');
    }
    finally {
        await handle.close();
    }
}

;// CONCATENATED MODULE: ./src/summary/figures.ts
/**
 * The figures of summary mode, from the history alone and the clock passed in.
 * Pure; definitions in docs/summary-mode.md.
 */

const HOUR = 3600;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;
/** The design's TTD targets (seconds): p50 < 8 min, p95 < 12 min, p99 < 15 min. */
const TTD_TARGETS = Object.freeze({ p50: 480, p95: 720, p99: 900 });
/** Deployment frequency periods (`deployment_frequency{period}`), in seconds. */
const FREQUENCY_PERIODS = Object.freeze({ '1d': DAY, '7d': WEEK, '30d': MONTH });
const LEVEL_ORDER = ['elite', 'high', 'medium', 'low'];
/** Nearest-rank percentile (p in 0..1) of values; undefined for none. */
function percentile(values, p) {
    if (values.length === 0)
        return undefined;
    const sorted = [...values].sort((a, b) => a - b);
    const rank = Math.max(1, Math.ceil(p * sorted.length));
    return sorted[Math.min(rank, sorted.length) - 1];
}
function median(values) {
    return percentile(values, 0.5);
}
const isSuccess = (r) => r.conclusion === 'success';
const isFailure = (r) => r.conclusion === 'failure' || r.conclusion === 'timed_out' || r.conclusion === 'startup_failure';
/** Start of the UTC calendar month that holds `now` (ms). */
function monthStart(now) {
    const d = new Date(now);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}
function budgetOf(failures, deployments, slo) {
    const allowed = (1 - slo) * deployments;
    const used = failures === 0 ? 0 : allowed > 0 ? failures / allowed : Infinity;
    return { used, left: Math.max(0, 1 - used) };
}
/** Success rate and error budget of the UTC calendar month holding `now`. */
function errorBudget(records, now, slo) {
    const start = monthStart(now);
    const month = records.filter((r) => r.completedAt >= start && r.completedAt <= now);
    const decided = month.filter((r) => isSuccess(r) || isFailure(r));
    const failures = decided.filter(isFailure).length;
    const { used, left } = budgetOf(failures, decided.length, slo);
    const weeks = Math.floor((now - start) / (WEEK * 1000)) + 1;
    const burndown = Array.from({ length: weeks }, (_, i) => {
        const end = start + (i + 1) * WEEK * 1000;
        const sofar = decided.filter((r) => r.completedAt < end);
        return { week: i + 1, left: budgetOf(sofar.filter(isFailure).length, sofar.length, slo).left };
    });
    const successRate = decided.length > 0 ? (decided.length - failures) / decided.length : undefined;
    return {
        deployments: decided.length,
        failures,
        successRate,
        allowedFailures: (1 - slo) * decided.length,
        used,
        left,
        burndown,
        met: successRate === undefined || successRate >= slo,
    };
}
/**
 * DORA deployment frequency: distinct runs with a successful attempt that
 * completed within the period before `now`.
 */
function deploymentFrequency(records, now) {
    const out = {};
    for (const [period, seconds] of Object.entries(FREQUENCY_PERIODS)) {
        const since = now - seconds * 1000;
        out[period] = new Set(records
            .filter((r) => isSuccess(r) && r.completedAt > since && r.completedAt <= now)
            .map((r) => r.runId)).size;
    }
    return out;
}
/** TTD percentiles of successful attempts completed within `days` before `now`. */
function ttdFigures(records, now, days, sloP95Seconds) {
    const since = now - days * DAY * 1000;
    const values = records
        .filter((r) => isSuccess(r) && r.completedAt >= since && r.completedAt <= now)
        .map((r) => r.ttdSeconds)
        .filter((v) => v !== undefined);
    const p50 = percentile(values, 0.5);
    const p95 = percentile(values, 0.95);
    const p99 = percentile(values, 0.99);
    const within = (v, target) => v === undefined || v < target;
    return {
        count: values.length,
        p50,
        p95,
        p99,
        withinTargets: {
            p50: within(p50, TTD_TARGETS.p50),
            p95: within(p95, TTD_TARGETS.p95),
            p99: within(p99, TTD_TARGETS.p99),
        },
        sloMet: p95 === undefined || p95 <= sloP95Seconds,
    };
}
/** Thresholds of the DORA levels (State of DevOps 2023): first match wins, else `low`. */
const DORA_LEVELS = Object.freeze({
    /** deployments per day at least */
    frequency: { elite: 1, high: 1 / 7, medium: 1 / 30 },
    /** seconds below */
    leadTime: { elite: DAY, high: WEEK, medium: MONTH },
    /** ratio at most */
    changeFailureRate: { elite: 0.05, high: 0.1, medium: 0.15 },
    /** seconds below */
    timeToRestore: { elite: HOUR, high: DAY, medium: WEEK },
});
function levelBelow(value, t) {
    return value < t.elite ? 'elite' : value < t.high ? 'high' : value < t.medium ? 'medium' : 'low';
}
/** DORA's four keys over the `days` before `now`. */
function doraFigures(records, now, days) {
    const since = now - days * DAY * 1000;
    const window = records
        .filter((r) => r.completedAt >= since && r.completedAt <= now)
        .sort((a, b) => a.completedAt - b.completedAt);
    const successes = window.filter(isSuccess);
    const failures = window.filter(isFailure);
    const successfulRuns = new Set(successes.map((r) => r.runId)).size;
    const deploymentsPerDay = successfulRuns / days;
    const leadTimes = successes
        .filter((r) => r.commitAt !== undefined)
        .map((r) => Math.max(0, Math.round((r.completedAt - r.commitAt) / 1000)));
    const leadTimeSeconds = median(leadTimes);
    const decided = successes.length + failures.length;
    const changeFailureRate = decided > 0 ? failures.length / decided : undefined;
    const restores = [];
    let failingSince;
    for (const r of window) {
        if (isFailure(r) && failingSince === undefined)
            failingSince = r.completedAt;
        else if (isSuccess(r) && failingSince !== undefined) {
            restores.push(Math.max(0, Math.round((r.completedAt - failingSince) / 1000)));
            failingSince = undefined;
        }
    }
    const timeToRestoreSeconds = median(restores);
    const t = DORA_LEVELS;
    const f = t.frequency;
    const frequency = deploymentsPerDay >= f.elite
        ? 'elite'
        : deploymentsPerDay >= f.high
            ? 'high'
            : deploymentsPerDay >= f.medium
                ? 'medium'
                : 'low';
    const cfr = t.changeFailureRate;
    const levels = {
        frequency,
        leadTime: leadTimeSeconds === undefined ? undefined : levelBelow(leadTimeSeconds, t.leadTime),
        changeFailureRate: changeFailureRate === undefined
            ? undefined
            : changeFailureRate <= cfr.elite
                ? 'elite'
                : changeFailureRate <= cfr.high
                    ? 'high'
                    : changeFailureRate <= cfr.medium
                        ? 'medium'
                        : 'low',
        timeToRestore: timeToRestoreSeconds === undefined ? undefined : levelBelow(timeToRestoreSeconds, t.timeToRestore),
    };
    const measured = Object.values(levels).filter((l) => l !== undefined);
    const overall = LEVEL_ORDER[Math.max(...measured.map((l) => LEVEL_ORDER.indexOf(l)))] ?? 'low';
    return { deploymentsPerDay, leadTimeSeconds, changeFailureRate, timeToRestoreSeconds, levels, overall };
}
/** Per-job durations (avg/p95/max) over the last `last` attempts that have jobs. */
function stageStats(records, last = 10) {
    const recent = records.filter((r) => r.jobs.length > 0).slice(-last);
    const byName = new Map();
    for (const r of recent)
        for (const j of r.jobs) {
            if (j.conclusion === 'skipped')
                continue;
            byName.set(j.name, [...(byName.get(j.name) ?? []), j.seconds]);
        }
    return [...byName.entries()].map(([name, v]) => ({
        name,
        count: v.length,
        avg: Math.round(v.reduce((a, b) => a + b, 0) / v.length),
        p95: percentile(v, 0.95) ?? 0,
        max: Math.max(...v),
    }));
}
/**
 * The design's error type of a failed attempt, as track mode maps a failed stage
 * (`errorTypeForStage`); a timed-out attempt is `timeout`, a failure with no stage `unknown`.
 * Records summarised before stages were named as track mode names them hold `<job>/<step>`:
 * their stage is inferred from the step's (else the job's) name.
 */
function errorTypeOf(record) {
    if (record.conclusion === 'timed_out')
        return 'timeout';
    const failed = record.failedStage;
    if (failed === undefined)
        return 'unknown';
    // A stage name never holds `/` (the stage map's names and the inferred ones are words).
    if (!failed.includes('/'))
        return (0,infer/* errorTypeForStage */.wC)(failed);
    const [job = '', step = job] = failed.split('/');
    const service = (0,infer/* inferServiceFromName */.Dl)(job) ?? job;
    // The step's name first; a step named only "Apply" leaves it to the job's ("migrate").
    const stage = (0,infer/* inferStageFromStep */.$V)(step, service) ?? (0,infer/* inferStageFromStep */.$V)(job, service);
    return stage ? (0,infer/* errorTypeForStage */.wC)(stage) : 'unknown';
}
/** Failures by error type, most frequent first, with the failed stages behind each. */
function failureCauses(records) {
    const byType = new Map();
    for (const r of records) {
        if (!isFailure(r))
            continue;
        const type = errorTypeOf(r);
        const stages = byType.get(type) ?? new Map();
        const stage = r.failedStage ?? 'unknown';
        stages.set(stage, (stages.get(stage) ?? 0) + 1);
        byType.set(type, stages);
    }
    const order = (a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1);
    return [...byType.entries()]
        .map(([errorType, stages]) => ({
        errorType,
        count: [...stages.values()].reduce((x, y) => x + y, 0),
        stages: [...stages.entries()]
            .sort(order)
            .slice(0, 3)
            .map(([stage]) => stage),
    }))
        .sort((a, b) => b.count - a.count || (a.errorType < b.errorType ? -1 : 1));
}
/**
 * The runner's clock may lag GitHub's: a record that completed up to this long
 * after `now` counts as completed now rather than falling out of every window.
 */
const CLOCK_SKEW_TOLERANCE_MS = 5 * 60_000;
/** `now`, moved forward to the latest completion within {@link CLOCK_SKEW_TOLERANCE_MS} of it. */
function effectiveNow(records, now) {
    let out = now;
    for (const r of records)
        if (r.completedAt > out && r.completedAt <= now + CLOCK_SKEW_TOLERANCE_MS)
            out = r.completedAt;
    return out;
}
/** Every figure at once; `clockNow` is corrected for skew ({@link effectiveNow}). */
function computeFigures(records, clockNow, days, sloSuccessRate, sloTtdP95Seconds) {
    const now = effectiveNow(records, clockNow);
    const since = now - days * DAY * 1000;
    const window = records.filter((r) => r.completedAt >= since && r.completedAt <= now);
    return {
        now,
        days,
        records: window.length,
        budget: errorBudget(window, now, sloSuccessRate),
        frequency: deploymentFrequency(window, now),
        ttd: ttdFigures(window, now, days, sloTtdP95Seconds),
        dora: doraFigures(window, now, days),
        stages: stageStats(window),
        causes: failureCauses(window),
        rollbacks: window.filter((r) => r.rollback).length,
        ttdValues: window
            .filter(isSuccess)
            .map((r) => r.ttdSeconds)
            .filter((v) => v !== undefined),
    };
}

// EXTERNAL MODULE: external "node:zlib"
var external_node_zlib_ = __nccwpck_require__(8522);
// EXTERNAL MODULE: ./src/model/deployment.ts
var deployment = __nccwpck_require__(958);
;// CONCATENATED MODULE: ./src/summary/record.ts
/**
 * One workflow run attempt as summary mode keeps it: built from the run and
 * the attempt's jobs as the REST API returns them. Pure.
 *
 * Definitions (docs/summary-mode.md):
 * - trigger: the run's `created_at` for attempt 1; for a re-run, `run_started_at`
 *   (it resets on re-run while `created_at` does not; docs/platform.md, "The REST API").
 * - deploy jobs: jobs whose name matches {@link DEPLOY_JOB_RE} and not
 *   {@link ROLLBACK_JOB_RE}; when no job matches, every job that ran.
 * - time to deploy: trigger → the last deploy job's `completed_at`.
 * - completion: the latest `completed_at` of the attempt's jobs that were not skipped, else `updated_at`.
 * - lead time: the head commit's timestamp (`head_commit.timestamp`) → completion.
 * - failed stage: of the job that failed first, the stage track mode in that job would report
 *   (`buildDeployment`, naming stages with `stageOfStep`: the `stages` map, else inference).
 */



/** Jobs that deploy something. */
const DEPLOY_JOB_RE = /deploy|migrat|release|rollout|publish/i;
/** Jobs that roll a deployment back: not deploy jobs; a successful one counts as a rollback. */
const ROLLBACK_JOB_RE = /rollback|roll-back|revert/i;
/** At most this many jobs of a record are stored in the history (bounds its size). */
const MAX_JOBS_PER_RECORD = 20;
/** Parses an API timestamp (any offset); undefined when absent or invalid. */
function parseTime(value) {
    if (!value)
        return undefined;
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? ms : undefined;
}
const seconds = (from, to) => from === undefined || to === undefined ? 0 : Math.max(0, Math.round((to - from) / 1000));
/** A run conclusion from the jobs, for a summary that runs inside the run (it is not completed yet). */
function conclusionOfJobs(jobs) {
    const done = jobs.filter((j) => j.status === 'completed');
    if (done.some((j) => j.conclusion === 'failure' || j.conclusion === 'timed_out'))
        return 'failure';
    if (done.some((j) => j.conclusion === 'cancelled'))
        return 'cancelled';
    return 'success';
}
/** Deploy jobs of an attempt (see the module comment). */
function deployJobsOf(jobs) {
    const ran = jobs.filter((j) => j.conclusion !== 'skipped');
    const named = ran.filter((j) => DEPLOY_JOB_RE.test(j.name) && !ROLLBACK_JOB_RE.test(j.name));
    return named.length > 0 ? named : ran.filter((j) => !ROLLBACK_JOB_RE.test(j.name));
}
const FAILED = new Set(['failure', 'timed_out']);
/** The job that failed first (by completion), if any. */
function failedJobOf(jobs) {
    return jobs
        .filter((j) => FAILED.has(j.conclusion ?? ''))
        .sort((a, b) => (parseTime(a.completed_at) ?? 0) - (parseTime(b.completed_at) ?? 0))[0];
}
/**
 * The rules that apply to a job: the stage map when it names at least one of the job's steps, else
 * none (stages inferred), as a track instance in that job without the map would have them. One map
 * serves every job of the run, and a map written for the API job must not leave the web job without
 * stages.
 */
function rulesForJob(rules, stepNames) {
    return rules.length > 0 && stepNames.some((name) => (0,stage_map/* matchStage */.kH)(rules, name) !== undefined) ? rules : [];
}
/**
 * Where an attempt failed: the failed stage of the job that failed first, as track mode in that
 * job would name and choose it (the same model, `buildDeployment` → `stageOfStep`), and the step,
 * `<job>/<step>`. The job's service is the one the map names, else the one its name suggests
 * (track mode's default `service`).
 */
function firstFailure(jobs, rules) {
    const failed = failedJobOf(jobs);
    if (!failed)
        return { stage: undefined, step: undefined };
    const steps = (failed.steps ?? []).map((s) => ({
        name: s.name,
        status: s.status ?? 'completed',
        conclusion: s.conclusion ?? null,
        started_at: s.started_at,
        completed_at: s.completed_at,
    }));
    const own = (0,deployment/* ownStepNames */.xD)(steps, '', '');
    const applied = rulesForJob(rules, (0,deployment/* mainStepsOf */.Gh)(steps, own).map((s) => s.name));
    const stage = (0,deployment/* buildDeployment */.A$)({
        job: { name: failed.name, status: failed.status, started_at: failed.started_at, steps },
        service: defaultService(applied, failed.name),
        rules: applied,
        thresholds: {},
        jobStatus: 'failure',
        reportedErrorTypes: new Map(),
        ownStepNames: own,
        fallbackStart: parseTime(failed.started_at) ?? 0,
        now: parseTime(failed.completed_at) ?? parseTime(failed.started_at) ?? 0,
    }).failedStage;
    const failing = steps.filter((s) => FAILED.has(s.conclusion ?? ''));
    // The stage's failed step; without a stage, the first step that failed (the action's own included).
    const step = failing.find((s) => stage?.steps.includes(s.name)) ?? failing[0];
    return { stage: stage?.stage, step: step ? `${failed.name}/${step.name}` : failed.name };
}
/**
 * The record of one attempt. `ownJobId`: the job running the summary (inside
 * the run), left out of every figure. `rules`: the parsed `stages` input.
 */
function buildRecord(run, jobs, ownJobId, rules = []) {
    const attempt = run.run_attempt ?? 1;
    const others = jobs.filter((j) => j.id !== ownJobId);
    const created = parseTime(run.created_at) ?? 0;
    const triggeredAt = attempt > 1 ? (parseTime(run.run_started_at) ?? created) : created;
    const startedAt = parseTime(run.run_started_at) ?? triggeredAt;
    // Skipped jobs did no work: their timestamps say when they were skipped (docs/platform.md).
    const completions = others
        .filter((j) => j.conclusion !== 'skipped')
        .map((j) => parseTime(j.completed_at))
        .filter((t) => t !== undefined);
    const completedAt = completions.length > 0 ? Math.max(...completions) : (parseTime(run.updated_at) ?? startedAt);
    const deployEnds = deployJobsOf(others)
        .map((j) => parseTime(j.completed_at))
        .filter((t) => t !== undefined);
    const firstStart = others.map((j) => parseTime(j.started_at)).filter((t) => t !== undefined);
    const conclusion = run.status === 'completed' && run.conclusion ? run.conclusion : conclusionOfJobs(others);
    const failure = firstFailure(others, rules);
    return {
        runId: run.id,
        attempt,
        triggeredAt,
        completedAt,
        conclusion,
        branch: run.head_branch ?? '',
        headSha: run.head_sha,
        commitAt: parseTime(run.head_commit?.timestamp),
        ttdSeconds: deployEnds.length > 0 ? seconds(triggeredAt, Math.max(...deployEnds)) : undefined,
        durationSeconds: seconds(startedAt, completedAt),
        queueSeconds: firstStart.length > 0 ? seconds(triggeredAt, Math.min(...firstStart)) : 0,
        failedStage: failure.stage,
        failedStep: failure.step,
        rollback: others.some((j) => ROLLBACK_JOB_RE.test(j.name) && j.conclusion === 'success'),
        jobs: others
            .filter((j) => j.conclusion !== 'skipped')
            .map((j) => ({
            name: j.name,
            conclusion: j.conclusion ?? j.status,
            seconds: seconds(parseTime(j.started_at), parseTime(j.completed_at)),
        })),
    };
}
/** A record from the run alone (history bootstrap: no jobs read); TTD is trigger → `updated_at`. */
function recordFromRunOnly(run) {
    const created = parseTime(run.created_at) ?? 0;
    const attempt = run.run_attempt ?? 1;
    const triggeredAt = attempt > 1 ? (parseTime(run.run_started_at) ?? created) : created;
    const completedAt = parseTime(run.updated_at) ?? triggeredAt;
    return {
        runId: run.id,
        attempt,
        triggeredAt,
        completedAt,
        conclusion: run.conclusion ?? 'unknown',
        branch: run.head_branch ?? '',
        headSha: run.head_sha,
        commitAt: parseTime(run.head_commit?.timestamp),
        ttdSeconds: seconds(triggeredAt, completedAt),
        durationSeconds: seconds(parseTime(run.run_started_at) ?? triggeredAt, completedAt),
        queueSeconds: 0,
        failedStage: undefined,
        rollback: false,
        jobs: [],
    };
}
/** `<run id>.<attempt>`: the identity of a record. */
function recordKey(r) {
    return `${r.runId}.${r.attempt}`;
}

;// CONCATENATED MODULE: ./src/summary/history.ts
/**
 * The rolling history: one record per run attempt, keyed by `<run id>.<attempt>`
 * so summarising the same attempt twice keeps one record, bounded by
 * `history-days`, merged by key when two summaries raced, and stored in a
 * compact encoding (a string table, times as offsets in seconds, gzip): about
 * 30 bytes a record, far below 1 MB for 10,000 records (at most
 * {@link MAX_JOBS_PER_RECORD} jobs of a record are stored). Pure.
 */


const HISTORY_FORMAT_VERSION = 1;
/** A hard bound whatever `history-days` says: the newest records are kept. */
const MAX_HISTORY_RECORDS = 20000;
const DAY_MS = 86_400_000;
/** Characters of a head SHA kept in history (the full SHA is only needed for the current run). */
const SHA_CHARS = 12;
/**
 * Merges record sets by key. For the same attempt the record read later wins
 * (the one with more jobs, then the later completion): a summary that ran
 * inside the run saw fewer finished jobs than one triggered by `workflow_run`.
 */
function mergeHistory(...sets) {
    const byKey = new Map();
    for (const set of sets) {
        for (const record of set) {
            const key = recordKey(record);
            const current = byKey.get(key);
            if (!current ||
                record.jobs.length > current.jobs.length ||
                (record.jobs.length === current.jobs.length && record.completedAt >= current.completedAt))
                byKey.set(key, record);
        }
    }
    return [...byKey.values()].sort((a, b) => a.completedAt - b.completedAt || a.runId - b.runId);
}
/** Drops records that completed more than `days` before `now`, and the oldest past {@link MAX_HISTORY_RECORDS}. */
function pruneHistory(records, now, days) {
    const since = now - days * DAY_MS;
    const kept = records.filter((r) => r.completedAt >= since);
    return kept.length > MAX_HISTORY_RECORDS ? kept.slice(kept.length - MAX_HISTORY_RECORDS) : kept;
}
/** Gzipped compact JSON of the records. */
function encodeHistory(records) {
    const strings = [];
    const index = new Map();
    const s = (value) => {
        let i = index.get(value);
        if (i === undefined) {
            i = strings.length;
            strings.push(value);
            index.set(value, i);
        }
        return i;
    };
    const base = records.length > 0 ? Math.floor(Math.min(...records.map((r) => r.triggeredAt)) / 1000) : 0;
    const sec = (ms) => Math.round(ms / 1000);
    const encoded = {
        v: HISTORY_FORMAT_VERSION,
        base,
        strings,
        records: records.map((r) => [
            r.runId,
            r.attempt,
            sec(r.triggeredAt) - base,
            sec(r.completedAt - r.triggeredAt),
            s(r.conclusion),
            s(r.branch),
            r.headSha.slice(0, SHA_CHARS),
            r.commitAt === undefined ? null : sec(r.triggeredAt - r.commitAt),
            r.ttdSeconds ?? null,
            r.durationSeconds,
            r.queueSeconds,
            r.failedStage === undefined ? null : s(r.failedStage),
            r.rollback ? 1 : 0,
            r.jobs.slice(0, MAX_JOBS_PER_RECORD).map((j) => [s(j.name), s(j.conclusion), j.seconds]),
        ]),
    };
    return (0,external_node_zlib_.gzipSync)(JSON.stringify(encoded), { level: 9 });
}
/** Records out of {@link encodeHistory}'s bytes; throws on anything else (the caller starts afresh). */
function decodeHistory(bytes) {
    const parsed = JSON.parse((0,external_node_zlib_.gunzipSync)(bytes).toString('utf8'));
    if (parsed?.v !== HISTORY_FORMAT_VERSION ||
        !Array.isArray(parsed.records) ||
        !Array.isArray(parsed.strings))
        throw new Error(`not a version ${HISTORY_FORMAT_VERSION} history`);
    const str = (i) => {
        const v = parsed.strings[i];
        if (typeof v !== 'string')
            throw new Error(`history: string ${i} is missing`);
        return v;
    };
    return parsed.records.map((e) => {
        const triggeredAt = (parsed.base + e[2]) * 1000;
        return {
            runId: e[0],
            attempt: e[1],
            triggeredAt,
            completedAt: triggeredAt + e[3] * 1000,
            conclusion: str(e[4]),
            branch: str(e[5]),
            headSha: e[6],
            commitAt: e[7] === null ? undefined : triggeredAt - e[7] * 1000,
            ttdSeconds: e[8] ?? undefined,
            durationSeconds: e[9],
            queueSeconds: e[10],
            failedStage: e[11] === null ? undefined : str(e[11]),
            rollback: e[12] === 1,
            jobs: e[13].map((j) => ({ name: str(j[0]), conclusion: str(j[1]), seconds: j[2] })),
        };
    });
}

;// CONCATENATED MODULE: ./src/summary/metrics.ts
/**
 * The series summary mode pushes into the `job`/`repository`/`workflow` group
 * (docs/summary-mode.md, "Metrics"). Pure.
 *
 * Counters (`github_workflow_runs_total`, the `time_to_deploy_seconds`
 * histogram) are added only for an attempt not counted before; the caller
 * decides that from the history, or from {@link COUNTED_MARKER} when there is
 * no history.
 */

/**
 * The last attempt whose counters this group holds, as `run id × 1000 + attempt`
 * (exact below 2^53 for any run id GitHub hands out). Only moves forward (`max`).
 * Used when the history is unavailable: an attempt at or below it is not
 * counted again. Defined in the one metric table.
 */
const COUNTED_MARKER = definitions/* METRICS */.Cb.summaryCountedAttempt;
function markerValue(r) {
    return r.runId * 1000 + Math.min(r.attempt, 999);
}
/** Histogram bucket deltas of one observation: cumulative `_bucket{le}`, `_sum`, `_count`. */
function histogramObservation(definition, labels, value) {
    const buckets = definition.buckets ?? definitions/* TIME_TO_DEPLOY_BUCKETS */.Y;
    return [
        ...[...buckets.map(String), '+Inf'].map((le, i) => ({
            definition,
            name: `${definition.name}_bucket`,
            labels: { ...labels, le },
            value: i === buckets.length || value <= buckets[i] ? 1 : 0,
        })),
        { definition, name: `${definition.name}_sum`, labels, value },
        { definition, name: `${definition.name}_count`, labels, value: 1 },
    ];
}
/**
 * The updates of one summary: the latest duration, frequency gauges, the
 * marker, and — when `count` — this attempt's counters.
 * `otherDurations`: the group's current `github_action_duration_seconds`
 * samples, kept (a POST replaces the whole family).
 */
function summaryUpdates(record, labels, frequency, count, otherDurations = []) {
    const runLabels = {
        workflow: labels.workflow,
        repository: labels.repository,
        branch: record.branch,
        conclusion: record.conclusion,
    };
    const d = definitions/* METRICS */.Cb.actionDuration;
    const mine = JSON.stringify(runLabels);
    const kept = otherDurations
        .map((s) => ({
        definition: d,
        name: d.name,
        labels: Object.fromEntries(d.labels.map((l) => [l, s.labels[l] ?? ''])),
        value: s.value,
    }))
        .filter((u) => JSON.stringify(u.labels) !== mine);
    const updates = [
        ...kept,
        { definition: d, name: d.name, labels: runLabels, value: record.durationSeconds },
        ...Object.entries(frequency).map(([period, value]) => ({
            definition: definitions/* METRICS */.Cb.deploymentFrequency,
            name: definitions/* METRICS */.Cb.deploymentFrequency.name,
            labels: { environment: labels.environment, service: 'all', period },
            value,
        })),
        { definition: COUNTED_MARKER, name: COUNTED_MARKER.name, labels: {}, value: markerValue(record) },
    ];
    if (count) {
        updates.push({
            definition: definitions/* METRICS */.Cb.workflowRunsTotal,
            name: definitions/* METRICS */.Cb.workflowRunsTotal.name,
            labels: runLabels,
            value: 1,
        });
        if (record.ttdSeconds !== undefined)
            updates.push(...histogramObservation(definitions/* METRICS */.Cb.timeToDeploy, { environment: labels.environment }, record.ttdSeconds));
    }
    return updates;
}

;// CONCATENATED MODULE: ./src/summary/count-once.ts
/**
 * Each attempt of a run is counted once, however often it is summarised (docs/summary-mode.md,
 * "Counted once"). The history says which attempts were counted; without it, the group's marker
 * (`github_workflow_last_counted_run`: the last counted attempt as `run id × 1000 + attempt`) does,
 * because run ids only grow. When neither can be read, nothing is counted: a count missed is
 * better than a count doubled.
 */


/** Whether this attempt's counters are to be added now. */
function countThisAttempt(record, sources) {
    const key = markerValue(record);
    if (sources.history !== undefined)
        return !sources.history.some((r) => recordKey(r) === recordKey(record)) && sources.marker !== key;
    if (sources.groupProblem === undefined)
        return sources.marker === undefined || key > sources.marker;
    return false;
}

;// CONCATENATED MODULE: ./src/summary/history-store.ts
/**
 * Where the history lives between summaries: one item per scope in the persistence layer
 * (`persistence/stores.ts`: a kept directory when DEPLOYMENT_OBSERVABILITY_STATE_DIR is set, else
 * the Actions cache), encoded by `history.ts`. Every cache call is bounded by the step's deadline.
 */



/** A short stable id of the history's scope (repository, workflow, environment). */
function historyScope(parts) {
    return (0,external_node_crypto_.createHash)('sha256').update(parts.join('\n')).digest('hex').slice(0, 24);
}
/**
 * The history store for this scope, or a reason there is none (the summary then works from the
 * API alone and says so). `cache` replaces `@actions/cache` (tests).
 */
function historyStoreOf(env, scope, deadline, cache) {
    const choice = storesFor('history', env, {
        deadline,
        ...(cache ? { cache: () => Promise.resolve(cache) } : {}),
    });
    if (!choice.stores)
        return { store: undefined, reason: choice.reason };
    const item = choice.stores.item(scope);
    return {
        store: {
            description: item.description,
            load: async () => {
                const bytes = await item.load();
                return bytes === undefined ? [] : decodeHistory(bytes);
            },
            save: (records) => item.save(encodeHistory(records)),
        },
    };
}

;// CONCATENATED MODULE: ./src/report/markdown.ts
/**
 * Making untrusted text (step, job and branch names, error types, a receiver's error body) safe
 * where it enters GitHub-flavoured Markdown (job summaries, check runs) and Mermaid. GitHub renders
 * with cmark-gfm (tables, strikethrough, autolinks, tag filter) and raw HTML through a sanitiser,
 * so untrusted text must never open a link, an image, raw HTML, emphasis, a code span, a table
 * cell, a block (heading, quote, list) or an autolink (`https://…`, `www.…`, `name@host`).
 * Tested by rendering with Debian's `cmark-gfm` (`__tests__/unit/gfm.test.ts`).
 */

/** Zero-width space: keeps GFM's autolink extension from seeing `www.` or `user@host`. */
const ZWSP = '&#8203;';
const ENTITIES = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };
/** ASCII punctuation that opens inline syntax; escaped with a backslash (CommonMark 2.4). */
const INLINE_SYNTAX = new Set(['\\', '`', '*', '_', '~', '[', ']', '|', '$', '#']);
const ALNUM = /[A-Za-z0-9]/;
/** Text escaped so that it renders as itself: no Markdown syntax, no HTML, no autolink. One line. */
function inline(text) {
    const s = text.replace(/[\r\n\u2028\u2029\u0085]+/g, ' ');
    let out = '';
    for (let i = 0; i < s.length; i++) {
        const c = s[i];
        if (c in ENTITIES)
            out += ENTITIES[c];
        else if (c === '_' && ALNUM.test(s[i - 1] ?? '') && ALNUM.test(s[i + 1] ?? ''))
            out += c; // `deploy_railway`: an underscore inside a word is never emphasis
        else if (INLINE_SYNTAX.has(c))
            out += `\\${c}`;
        else if (c === ':' && s.startsWith('//', i + 1))
            out += '\\:'; // `https\://` is not autolinked
        else if (c === '@')
            out += `@${ZWSP}`; // nor `user@host` (nor a GitHub @mention)
        else if ((c === 'w' || c === 'W') && /^www\./i.test(s.slice(i, i + 4)) && !ALNUM.test(s[i - 1] ?? '')) {
            out += `${s.slice(i, i + 3)}\\.`;
            i += 3;
        }
        else
            out += c;
    }
    // A block marker at the start (heading, list item, quote, thematic break, setext underline).
    return out.replace(/^(\s*)([+\-=])/, '$1\\$2').replace(/^(\s*\d+)([.)])/, '$1\\$2');
}
/** The first `max` characters of a text, `…` when cut. */
function bounded(text, max) {
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
/** One table cell (or any one-line text): escaped, URLs redacted, at most `max` characters of text. */
function cell(text, max = 120) {
    return inline(bounded((0,safe_text/* redactUrls */.sK)(text.replace(/[\r\n]+/g, ' ')), max));
}
/** A code span's delimiters around one-line text: a fence longer than any backtick run inside. */
function codeSpan(oneLine) {
    if (!oneLine.includes('`'))
        return `\`${oneLine}\``;
    // CommonMark: a code span's fence is longer than any backtick run inside it.
    const longest = Math.max(...(oneLine.match(/`+/g) ?? ['']).map((run) => run.length));
    const fence = '`'.repeat(longest + 1);
    return `${fence} ${oneLine} ${fence}`;
}
/** Inline code that cannot be closed early by backticks in the text (not for table cells: {@link codeCell}). */
function code(text, max = 200) {
    return codeSpan(bounded(text.replace(/[\r\n]+/g, ' '), max));
}
/**
 * Inline code inside a table cell. GFM splits the row on every `|` not escaped by a backslash,
 * even inside a code span, and removes that backslash again (so the span shows `|`). A pipe after
 * an odd run of backslashes gets one more backslash, or the row would split there.
 */
function codeCell(text, max = 200) {
    const content = bounded(text.replace(/[\r\n]+/g, ' '), max).replace(/(\\*)\|/g, (_all, slashes) => slashes.length % 2 === 0 ? `${slashes}\\|` : `${slashes}\\\\|`);
    return codeSpan(content);
}
/**
 * A line of text the action wrote with `code` in backticks, around untrusted parts (a delivery
 * line with a group's labels and a receiver's error body, the live-tracking line): each backtick
 * pair becomes a code span, everything else is escaped; URLs redacted; one line.
 */
function markdownLine(text, max = 1000) {
    const parts = bounded((0,safe_text/* redactUrls */.sK)(text.replace(/[\r\n]+/g, ' ')), max).split('`');
    return parts
        .map((part, i) => {
        const isCode = i % 2 === 1 && i < parts.length - 1;
        return isCode ? code(part, max) : inline(i % 2 === 1 ? `\`${part}` : part);
    })
        .join('');
}
/** A link whose target the action built itself (a run URL): only http(s), nothing that ends it early. */
function markdown_link(label, url) {
    if (!/^https?:\/\/[^\s]+$/i.test(url))
        return inline(label);
    const target = url.replace(/[()<>\\[\]"'`]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    return `[${inline(label)}](${target})`;
}
/** A Mermaid gantt task or section name: Mermaid treats `:` `;` `#` and new lines as syntax. */
function mermaidText(text, max = 60) {
    const safe = text
        .replace(/[:;#\r\n"`{}<>]/g, ' ')
        .replace(/\s+/g, ' ')
        .trim() || 'stage';
    return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}

;// CONCATENATED MODULE: ./src/summary/render.ts
/**
 * What people read: the job summary (GitHub-flavoured Markdown with Mermaid
 * `xychart-beta` charts: docs/platform.md) and the check run's output and annotations.
 * Pure. Sizes are bounded whatever the history holds: tables list at most
 * {@link MAX_TABLE_ROWS} rows, charts a fixed number of points.
 */



/** A job summary is at most 1 MiB per step (docs/platform.md, "The runner"); stay well under it. */
const MAX_SUMMARY_BYTES = 512 * 1024;
/** A check run's `summary`/`text` is at most 65,535 characters (docs/platform.md, "The REST API"). */
const MAX_CHECK_TEXT = 65_535;
/** Annotations per check-run request (docs/platform.md, "The REST API"). */
const ANNOTATIONS_PER_REQUEST = 50;
const MAX_TABLE_ROWS = 20;
function formatSeconds(s) {
    if (s === undefined)
        return '–';
    if (s < 120)
        return `${s}s`;
    if (s < 7200)
        return `${(s / 60).toFixed(1)} min`;
    if (s < 172_800)
        return `${(s / 3600).toFixed(1)} h`;
    return `${(s / 86_400).toFixed(1)} d`;
}
const pct = (v, digits = 1) => v === undefined ? '–' : Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : '∞';
const mark = (ok) => (ok ? '✅' : '⚠️');
const LEVEL_LABEL = { elite: 'Elite', high: 'High', medium: 'Medium', low: 'Low' };
const level = (l) => (l ? LEVEL_LABEL[l] : '–');
function ttdChart(values) {
    const edges = [...definitions/* TIME_TO_DEPLOY_BUCKETS */.Y];
    const labels = edges.map((e) => `≤${e / 60}m`).concat(`>${(edges.at(-1) ?? 0) / 60}m`);
    const counts = labels.map(() => 0);
    for (const v of values) {
        const i = edges.findIndex((e) => v <= e);
        counts[i === -1 ? edges.length : i] += 1;
    }
    return [
        '```mermaid',
        'xychart-beta',
        '  title "Time to deploy (successful runs)"',
        `  x-axis [${labels.map((l) => `"${l}"`).join(', ')}]`,
        '  y-axis "runs"',
        `  bar [${counts.join(', ')}]`,
        '```',
    ].join('\n');
}
/** A number of failures as the exact figure, to three significant digits: 0.005, 0.01, 2.5, 12.3. */
function formatFailures(n) {
    return Number.isFinite(n) ? String(Number(n.toPrecision(3))) : '∞';
}
const failuresText = (n) => `${n} failure${n === 1 ? '' : 's'}`;
/**
 * What is left of the month's error budget, in words, with the exact numbers behind it:
 * `80% left (1 failure of 5 allowed)`, or `exhausted (1 failure, 0.01 allowed)` once the failures
 * reach the allowance. No percentage above 100 % is shown: 1 failure among 2 deployments at a
 * 99.5 % SLO is 100 times the allowance of 0.01 failures, which reads "exhausted", not "used 10000%".
 */
function budgetText(b) {
    if (b.deployments === 0)
        return '100% left (no deployments this month)';
    const allowed = b.allowedFailures > 0 ? `${formatFailures(b.allowedFailures)} allowed` : 'none allowed';
    if (b.failures > 0 && b.left < 1e-9)
        return `exhausted (${failuresText(b.failures)}, ${allowed})`;
    // Rounded down: a budget with a failure in it never shows as 100 % left. (`left` is within 1e-9 of
    // 0 when the failures equal the allowance: 0.995 is not exact in binary.)
    const left = b.failures > 0 ? Math.min(99, Math.floor(b.left * 100)) : 100;
    return `${left}% left (${failuresText(b.failures)} of ${allowed})`;
}
/**
 * The burndown: budget left at the start of the month (all of it) and at the end of each week so
 * far, as bars with a line over them. A chart of one point would draw nothing (a line needs two
 * points), so the month's start is always the first: early in the month the chart still shows
 * where the budget went. The line is the second plot, so it takes the palette's darker second colour.
 */
function burndownChart(figures) {
    const weeks = figures.budget.burndown;
    const values = [100, ...weeks.map((w) => Math.floor(w.left * 100))];
    return [
        '```mermaid',
        'xychart-beta',
        '  title "Error budget left this month"',
        `  x-axis ["start", ${weeks.map((w) => `"week ${w.week}"`).join(', ')}]`,
        '  y-axis "budget left (%)" 0 --> 100',
        `  bar [${values.join(', ')}]`,
        `  line [${values.join(', ')}]`,
        '```',
    ].join('\n');
}
/** This run's failed stage and where it failed: `` `health_check` (`deploy-api/Wait for health check`) ``. */
function failedCell(r) {
    const where = r.failedStep ? codeCell(r.failedStep, 120) : '';
    if (r.failedStage)
        return where ? `${codeCell(r.failedStage)} (${where})` : codeCell(r.failedStage);
    return where ? `no stage (${where})` : '–';
}
/** The job summary: stat cards, this run, stage durations, TTD, causes, burndown, DORA. */
function renderJobSummary(c) {
    const { record: r, figures: f } = c;
    const b = f.budget;
    const icon = r.conclusion === 'success' ? '✅' : r.conclusion === 'failure' ? '❌' : '⚪';
    const lines = [
        `## ${icon} Deployment observability: ${cell(c.workflow)} run ${c.runUrl ? markdown_link(String(r.runId), c.runUrl) : r.runId}` +
            (r.attempt > 1 ? ` (attempt ${r.attempt})` : ''),
        '',
        ...c.notes.map((n) => `> [!NOTE]\n> ${cell(n, 400)}\n`),
        '| Success rate (month) | Rollbacks | Error budget left | TTD p95 | Deploys 1d / 7d / 30d |',
        '| :-: | :-: | :-: | :-: | :-: |',
        `| ${mark(b.met)} ${pct(b.successRate)} (SLO ${pct(c.sloSuccessRate)}) | ${f.rollbacks} | ${budgetText(b)} | ${mark(f.ttd.sloMet)} ${formatSeconds(f.ttd.p95)} (SLO ${formatSeconds(c.sloTtdP95Seconds)}) | ${f.frequency['1d']} / ${f.frequency['7d']} / ${f.frequency['30d']} |`,
        '',
        '### This run',
        '',
        '| Conclusion | Branch | Time to deploy | Queue | Duration | Failed stage |',
        '| --- | --- | --- | --- | --- | --- |',
        `| ${cell(r.conclusion)} | ${cell(r.branch)}${c.pullRequest ? ` (PR #${c.pullRequest})` : ''} | ${formatSeconds(r.ttdSeconds)} | ${formatSeconds(r.queueSeconds)} | ${formatSeconds(r.durationSeconds)} | ${failedCell(r)} |`,
        '',
    ];
    if (r.jobs.length > 0) {
        if (r.jobs.length > MAX_TABLE_ROWS)
            lines.push(`The first ${MAX_TABLE_ROWS} of ${r.jobs.length} jobs:`, '');
        lines.push('| Job | Conclusion | Duration |', '| --- | --- | --- |');
        for (const j of r.jobs.slice(0, MAX_TABLE_ROWS))
            lines.push(`| ${cell(j.name)} | ${cell(j.conclusion)} | ${formatSeconds(j.seconds)}${j.seconds > c.slowJobSeconds ? ' 🐢' : ''} |`);
        lines.push('');
    }
    lines.push(`### Stage durations (last 10 deployments)`, '');
    if (f.stages.length === 0)
        lines.push('No deployments with job timings yet.', '');
    else {
        lines.push('| Stage | Runs | avg | p95 | max |', '| --- | --: | --: | --: | --: |');
        for (const s of f.stages.slice(0, MAX_TABLE_ROWS))
            lines.push(`| ${cell(s.name)} | ${s.count} | ${formatSeconds(s.avg)} | ${formatSeconds(s.p95)} | ${formatSeconds(s.max)} |`);
        lines.push('');
    }
    const t = f.ttd;
    lines.push(`### Time to deploy (last ${f.days} days, ${t.count} successful runs)`, '', '| | value | design target |', '| --- | --: | --: |', `| p50 | ${formatSeconds(t.p50)} | ${mark(t.withinTargets.p50)} < ${formatSeconds(TTD_TARGETS.p50)} |`, `| p95 | ${formatSeconds(t.p95)} | ${mark(t.withinTargets.p95)} < ${formatSeconds(TTD_TARGETS.p95)} |`, `| p99 | ${formatSeconds(t.p99)} | ${mark(t.withinTargets.p99)} < ${formatSeconds(TTD_TARGETS.p99)} |`, '');
    if (f.ttdValues.length > 0)
        lines.push(ttdChart(f.ttdValues), '');
    lines.push('### Failure root causes', '');
    if (f.causes.length === 0)
        lines.push('No failed deployments in the window.', '');
    else {
        lines.push('| Error type | Failures | Failed stages |', '| --- | --: | --- |');
        for (const cause of f.causes.slice(0, MAX_TABLE_ROWS))
            lines.push(`| ${cell(cause.errorType)} | ${cause.count} | ${cause.stages.map((s) => codeCell(s, 80)).join(', ')} |`);
        lines.push('');
    }
    lines.push(`### Error budget (this month: ${b.deployments} deployments, ${b.failures} failed, ${formatFailures(b.allowedFailures)} allowed)`, '', `Budget left now: ${budgetText(b)}.`, '', burndownChart(f), '');
    const d = f.dora;
    lines.push(`### DORA (last ${f.days} days): ${level(d.overall)}`, '', '| Key | Value | Level |', '| --- | --: | --- |', `| Deployment frequency | ${d.deploymentsPerDay.toFixed(2)} / day | ${level(d.levels.frequency)} |`, `| Lead time for changes | ${formatSeconds(d.leadTimeSeconds)} | ${level(d.levels.leadTime)} |`, `| Change failure rate | ${pct(d.changeFailureRate)} | ${level(d.levels.changeFailureRate)} |`, `| Time to restore | ${formatSeconds(d.timeToRestoreSeconds)} | ${level(d.levels.timeToRestore)} |`, '', `<sub>${f.records} run attempts in history window. Definitions: docs/summary-mode.md.</sub>`, '');
    const text = lines.join('\n');
    return Buffer.byteLength(text) > MAX_SUMMARY_BYTES
        ? `${text.slice(0, MAX_SUMMARY_BYTES / 4)}\n\n…(cut to stay under the job summary limit)\n`
        : text;
}
/** Annotations for the failed stage, slow stages and SLO breaches, on the workflow file. */
function checkAnnotations(c, workflowPath) {
    const at = { path: workflowPath || '.github', start_line: 1, end_line: 1 };
    const out = [];
    const r = c.record;
    if (r.failedStage || r.failedStep)
        out.push({
            ...at,
            annotation_level: 'failure',
            title: 'Deployment failed',
            message: `Failed stage: ${r.failedStage ?? 'no stage'}${r.failedStep ? ` (${r.failedStep})` : ''}`,
        });
    for (const j of r.jobs)
        if (j.seconds > c.slowJobSeconds)
            out.push({
                ...at,
                annotation_level: 'warning',
                title: 'Slow stage',
                message: `${j.name} took ${formatSeconds(j.seconds)} (threshold ${formatSeconds(c.slowJobSeconds)})`,
            });
    if (r.ttdSeconds !== undefined && r.ttdSeconds > c.sloTtdP95Seconds)
        out.push({
            ...at,
            annotation_level: 'warning',
            title: 'Time to deploy over SLO',
            message: `This run took ${formatSeconds(r.ttdSeconds)} to deploy; the p95 SLO is ${formatSeconds(c.sloTtdP95Seconds)}`,
        });
    if (!c.figures.ttd.sloMet)
        out.push({
            ...at,
            annotation_level: 'warning',
            title: 'TTD p95 SLO breached',
            message: `TTD p95 is ${formatSeconds(c.figures.ttd.p95)} over ${c.figures.days} days (SLO ${formatSeconds(c.sloTtdP95Seconds)})`,
        });
    if (!c.figures.budget.met)
        out.push({
            ...at,
            annotation_level: 'warning',
            title: 'Success-rate SLO breached',
            message: `Success rate this month is ${pct(c.figures.budget.successRate)} (SLO ${pct(c.sloSuccessRate)}); error budget ${budgetText(c.figures.budget)}`,
        });
    return out;
}
/** Splits annotations into request pages of at most 50. */
function annotationPages(annotations) {
    const pages = [];
    for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST)
        pages.push(annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
    return pages;
}
/** Check conclusions GitHub accepts; anything else (e.g. `startup_failure`) maps to failure or neutral. */
function checkConclusion(runConclusion) {
    const accepted = [
        'success',
        'failure',
        'cancelled',
        'neutral',
        'skipped',
        'timed_out',
        'action_required',
        'stale',
    ];
    if (accepted.includes(runConclusion))
        return runConclusion;
    return runConclusion === 'startup_failure' ? 'failure' : 'neutral';
}
/** The check run's output: title, summary (≤ 65,535 characters). */
function checkOutput(c) {
    const r = c.record;
    const title = `${r.conclusion}: TTD ${formatSeconds(r.ttdSeconds)}, success rate ${pct(c.figures.budget.successRate)}, DORA ${level(c.figures.dora.overall)}`;
    const full = renderJobSummary({ ...c, notes: [] });
    const summary = full.length > MAX_CHECK_TEXT ? `${full.slice(0, MAX_CHECK_TEXT - 40)}\n\n…(cut)` : full;
    return { title: title.slice(0, 255), summary };
}

;// CONCATENATED MODULE: ./src/hooks/summary-mode.ts
/**
 * Summary mode (main): reads the whole run attempt-aware, keeps the rolling
 * history, pushes the run's metrics into the `job`/`repository`/`workflow`
 * group, writes the dashboard-like job summary and the "Deployment
 * observability" check run on the head commit. Fail-open: every problem is a
 * warning (the wrapper honours fail-on-error), every call is bounded by
 * {@link SUMMARY_BUDGET_MS}.
 */


















/** The whole summary step's time budget. */
const SUMMARY_BUDGET_MS = 45_000;
/** Reading the run and its jobs, and the bootstrap, end by then. */
const API_BUDGET_MS = 20_000;
/**
 * History bootstrap when the history is empty: at most this many pages of 100
 * completed runs of the workflow (`GET /actions/workflows/{id}/runs`), so a
 * summary sends at most 1 (run) + 1 per 100 jobs + 3 (bootstrap) + 1 (PR by
 * head_sha) + 1 + 2 (check run and its annotation pages) requests.
 */
const BOOTSTRAP_PAGES = 3;
/** Annotations sent on the check run: three requests of 50 at most. */
const MAX_ANNOTATIONS = 150;
/** Workflow-command annotations show at most 10 warnings and 10 errors per step (docs/platform.md). */
const MAX_COMMAND_ANNOTATIONS = 10;
const message = (error) => (error instanceof Error ? error.message : String(error));
async function bootstrap(client, workflowId, inputs, now, deadline) {
    const since = new Date(now - inputs.historyDays * 86_400_000).toISOString().slice(0, 10);
    const records = [];
    for (let page = 1; page <= BOOTSTRAP_PAGES; page++) {
        const { totalCount, runs } = await client.listWorkflowRuns(workflowId, since, page, deadline);
        records.push(...runs.filter((r) => r.conclusion).map(recordFromRunOnly));
        if (runs.length < 100 || page * 100 >= totalCount)
            break;
    }
    return records;
}
async function loadHistory(ctx, inputs, scope, deadline, deps, notes) {
    if (!inputs.history) {
        notes.push('history is false: the figures come from the GitHub API alone.');
        return { store: undefined, stored: [], loaded: false };
    }
    const found = historyStoreOf(ctx.env, scope, deadline, deps.cache);
    if (!found.store) {
        const note = `No deployment history: ${found.reason}; the figures come from the GitHub API alone.`;
        notes.push(note);
        ctx.io.warning(note);
        return { store: undefined, stored: [], loaded: false };
    }
    try {
        return { store: found.store, stored: await found.store.load(), loaded: true };
    }
    catch (error) {
        const note = `The deployment history in ${found.store.description} could not be read (${message(error)}); the figures come from the GitHub API alone.`;
        notes.push(note);
        ctx.io.warning(note);
        return { store: found.store, stored: [], loaded: false };
    }
}
/** The Pushgateway group's counted marker and `github_action_duration_seconds` samples. */
async function readGroupState(client, key, deadline) {
    if (!client)
        return { marker: undefined, durations: [], problem: undefined };
    try {
        const group = await client.readGroup(key, deadline);
        const marker = group.samples.get(COUNTED_MARKER.name)?.[0]?.value;
        return {
            marker: marker !== undefined && Number.isFinite(marker) ? marker : undefined,
            durations: group.samples.get(definitions/* METRICS */.Cb.actionDuration.name) ?? [],
            problem: undefined,
        };
    }
    catch (error) {
        return { marker: undefined, durations: [], problem: message(error) };
    }
}
async function publishCheckRun(ctx, client, run, summary, deadline) {
    const workflowPath = (run.path ?? '').replace(/@.*$/, '');
    const annotations = checkAnnotations(summary, workflowPath).slice(0, MAX_ANNOTATIONS);
    const pages = annotationPages(annotations);
    const output = checkOutput(summary);
    const now = new Date(ctx.clock.now()).toISOString();
    try {
        const created = await client.createCheckRun({
            name: 'Deployment observability',
            head_sha: run.head_sha,
            status: 'completed',
            conclusion: checkConclusion(summary.record.conclusion),
            completed_at: now,
            external_id: recordKey(summary.record),
            details_url: run.html_url,
            output: { ...output, annotations: pages[0] ?? [] },
        }, deadline);
        for (const page of pages.slice(1))
            await client.updateCheckRun(created.id, { output: { ...output, annotations: page } }, deadline);
        ctx.io.info(`Check run "Deployment observability" ${created.id} on ${run.head_sha.slice(0, 12)} with ${annotations.length} annotation(s).`);
    }
    catch (error) {
        if (error instanceof GitHubApiError && (error.status === 403 || error.status === 404)) {
            // Fork PRs' tokens are read-only; without `checks: write` the check run cannot be created
            // (docs/platform.md, "The REST API").
            ctx.io.warning(`The check run could not be created (${error.message}): the token needs \`checks: write\` ` +
                '(a `workflow_run`-triggered job has it even for fork PRs). The findings are workflow-command annotations on this job instead.');
            commandAnnotations(ctx, annotations);
            return;
        }
        ctx.problems.report(`The check run could not be written: ${message(error)}`);
    }
}
function commandAnnotations(ctx, annotations) {
    let errors = 0;
    let warnings = 0;
    for (const a of annotations) {
        const properties = { title: a.title, file: a.path, startLine: a.start_line };
        if (a.annotation_level === 'failure' && errors++ < MAX_COMMAND_ANNOTATIONS)
            ctx.io.error(a.message, properties);
        else if (a.annotation_level === 'warning' && warnings++ < MAX_COMMAND_ANNOTATIONS - 1)
            ctx.io.warning(a.message, properties);
        else if (a.annotation_level === 'notice')
            ctx.io.notice(a.message, properties);
    }
}
async function runSummary(ctx, deps = {}) {
    const { config, io, clock, problems } = ctx;
    // The main hook dispatches only summary mode here; its inputs were read with all the others.
    if (config.mode !== 'summary')
        return;
    const inputs = config.summary;
    const t0 = clock.now();
    const deadline = t0 + SUMMARY_BUDGET_MS;
    const apiDeadline = t0 + API_BUDGET_MS;
    const runner = config.runner;
    if (!runner.repository || !inputs.runId) {
        problems.report('summary mode needs GITHUB_REPOSITORY and a run-id: nothing to summarise');
        return;
    }
    if (!config.githubToken) {
        problems.report('github-token is empty: the run cannot be read, so nothing is summarised');
        return;
    }
    const github = runnerClient(config, clock, deps.fetchImpl);
    let attempt;
    try {
        attempt = await readRunAttempt(github, inputs.runId, apiDeadline);
    }
    catch (error) {
        problems.report(`The run ${inputs.runId} could not be read: ${message(error)}`);
        return;
    }
    const { run, jobs } = attempt;
    // Inside the run (a last job with `needs:`), the summary job itself is left out.
    const ownJobId = inputs.runId === runner.runId ? config.checkRunId : undefined;
    // The failed stage is named as track mode names it: the `stages` map (its regex rules bounded in
    // time; a rule that runs out is reported and dropped), else inference.
    const failedSteps = (failedJobOf(jobs.filter((j) => j.id !== ownJobId))?.steps ?? []).map((s) => s.name);
    for (const p of (0,stage_map/* prepareStageRules */.p0)(config.stageRules, failedSteps))
        problems.report(p);
    const record = buildRecord(run, jobs, ownJobId, config.stageRules);
    const workflow = run.name || runner.workflow || 'workflow';
    const notes = [];
    const scope = historyScope([runner.repository, String(run.workflow_id ?? workflow), config.environment]);
    const history = await loadHistory(ctx, inputs, scope, deadline, deps, notes);
    let bootstrapped = [];
    if (history.stored.length === 0 && run.workflow_id !== undefined) {
        const before = github.requestCount;
        try {
            // Only runs older than this one: a newer run that has finished already gets its own summary
            // next, and must be counted then, not taken for history now.
            bootstrapped = (await bootstrap(github, run.workflow_id, inputs, t0, apiDeadline)).filter((r) => r.runId < run.id);
            notes.push(`History bootstrapped from the GitHub API: ${bootstrapped.length} completed runs in ${github.requestCount - before} request(s) (at most ${BOOTSTRAP_PAGES}); their stage timings are not known.`);
        }
        catch (error) {
            io.warning(`The history could not be bootstrapped from the GitHub API: ${message(error)}`);
        }
    }
    const sinks = await metricsSinks(config, clock);
    // The first sink's group decides whether this attempt was counted (when there is no history).
    const primarySink = sinks[0];
    const groupKey = [
        ['job', config.metricsJob],
        ['repository', runner.repository],
        ['workflow', workflow],
    ];
    const group = await readGroupState(primarySink, groupKey, deadline);
    const count = countThisAttempt(record, {
        history: history.loaded ? history.stored : undefined,
        marker: group.marker,
        groupProblem: group.problem,
    });
    if (!history.loaded && group.problem !== undefined && primarySink)
        problems.report(`Neither the history nor the group {${(0,delivery_sink/* describeGroup */.N)(groupKey)}} (${primarySink.name}) could be read (${group.problem}): this attempt's counters are not added, so it is never counted twice`);
    if (!count)
        io.info(`Run ${run.id} attempt ${record.attempt} was counted before: its counters are not added again.`);
    const merged = pruneHistory(mergeHistory(bootstrapped, history.stored, [record]), t0, inputs.historyDays);
    const figures = computeFigures(merged, t0, inputs.historyDays, inputs.sloSuccessRate, inputs.sloTtdP95Seconds);
    const updates = summaryUpdates(record, { workflow, repository: runner.repository, environment: config.environment }, figures.frequency, count, group.durations);
    // The summarised attempt's id, as track mode names a deployment.
    const deploymentId = deploymentIdOf({ ...runner, runId: String(run.id), runAttempt: record.attempt });
    const store = primarySink
        ? carryStoreOf(ctx.env, {
            deadline,
            ...(deps.cache ? { cache: () => Promise.resolve(deps.cache) } : {}),
        })
        : undefined;
    const { all: outcomes, primary } = await deliverGroups([{ key: groupKey, updates }], sinks, {
        store,
        deploymentId,
        deadline,
        clock,
        logger: io,
        cumulative: true,
        replaceGroup: false,
        // Remote write puts time_to_deploy_seconds where the run finished.
        at: Math.min(record.completedAt, clock.now()),
    });
    for (const o of outcomes) {
        const line = outcomeText(o, store?.description);
        if (!line.ok)
            problems.report(line.text.replace(/`/g, ''));
    }
    const written = await writeMetricsFile(config.metricsFile, primary);
    if (!written.ok)
        problems.report(`metrics-file ${config.metricsFile} could not be written: ${written.problem}`);
    if (history.store && history.loaded) {
        try {
            await history.store.save(merged);
        }
        catch (error) {
            problems.report(`The deployment history could not be saved to ${history.store.description}: ${message(error)}`);
        }
    }
    let pullRequest = run.pull_requests?.[0]?.number;
    if (pullRequest === undefined && (run.event ?? '').startsWith('pull_request')) {
        // Fork PRs leave `pull_requests` empty: find the PR by the head commit (docs/platform.md).
        try {
            pullRequest = (await github.listPullsForCommit(run.head_sha, apiDeadline))[0]?.number;
        }
        catch (error) {
            io.info(`The pull request of ${run.head_sha.slice(0, 12)} could not be found: ${message(error)}`);
        }
    }
    const summary = {
        record,
        figures,
        workflow,
        repository: runner.repository,
        runUrl: run.html_url,
        sloSuccessRate: inputs.sloSuccessRate,
        sloTtdP95Seconds: inputs.sloTtdP95Seconds,
        slowJobSeconds: config.thresholds.total ?? 900,
        notes,
        pullRequest,
    };
    io.setOutput(Outputs.DeploymentId, deploymentId);
    // Cancelled is not failed: a run a person or cancel-in-progress stopped says so.
    const status = statusOutput(record.conclusion);
    io.setOutput(Outputs.Status, status);
    io.setOutput(Outputs.DurationSeconds, String(record.durationSeconds));
    io.setOutput(Outputs.FailedStage, record.failedStage ?? '');
    // As track mode: the failed stage's error type (`unknown` with no stage), empty unless it failed.
    io.setOutput(Outputs.ErrorType, status === 'failure' ? ((0,error_types/* knownErrorType */.SB)(errorTypeOf(record)) ?? '') : '');
    io.setOutput(Outputs.MetricsFile, config.metricsFile);
    if (config.writeSummary) {
        try {
            await io.appendSummary(renderJobSummary(summary));
        }
        catch (error) {
            problems.report(`The job summary could not be written: ${message(error)}`);
        }
    }
    if (config.annotations)
        await publishCheckRun(ctx, github, run, summary, deadline);
    io.info(`Summary of run ${run.id} attempt ${record.attempt}: ${github.requestCount} GitHub API request(s).`);
}
/** The `status` output of summary mode: `success`, `cancelled`, else `failure` (timed out, failed…). */
function statusOutput(conclusion) {
    return conclusion === 'success' || conclusion === 'cancelled' ? conclusion : 'failure';
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

;// CONCATENATED MODULE: ./src/metrics/report-file.ts
/**
 * Reading DEPLOY_METRICS_FILE: bounded, and a missing file is simply empty.
 *
 * Any step can put anything at that path, so only a regular file is read:
 * `lstat` first (a symbolic link is followed only to a regular file), then the
 * file is opened with `O_NONBLOCK` — a FIFO or a device put there in the
 * meantime cannot block the open — and `fstat` checks what was opened. The
 * read takes at most the first 1 MiB and is bounded in time: post and the
 * live reporter never wait on this file longer than {@link READ_TIMEOUT_MS}.
 */



const MAX_REPORT_BYTES = 1024 * 1024;
/** The longest a read of the file may take (a regular file on a hung network mount). */
const READ_TIMEOUT_MS = 5000;
function kindOf(s) {
    if (s.isFIFO())
        return 'a FIFO (named pipe)';
    if (s.isDirectory())
        return 'a directory';
    if (s.isSocket())
        return 'a socket';
    if (s.isCharacterDevice() || s.isBlockDevice())
        return 'a device';
    return 'not a regular file';
}
/** The file's text (at most 1 MiB, cut at a line end) and a note when something was left out. */
async function readReportFile(path, timeoutMs = READ_TIMEOUT_MS) {
    if (!path)
        return { text: '' };
    try {
        return await withTimeout(readBounded(path), timeoutMs, 'reading it');
    }
    catch (error) {
        const why = error instanceof TimeoutError ? `no answer within ${timeoutMs} ms` : error.message;
        return { text: '', note: `DEPLOY_METRICS_FILE ${path} could not be read: ${why}` };
    }
}
async function readBounded(path) {
    const skipped = (kind) => ({
        text: '',
        note: `DEPLOY_METRICS_FILE ${path} is ${kind}, not a regular file; it was not read`,
    });
    try {
        const link = await (0,promises_namespaceObject.lstat)(path);
        const target = link.isSymbolicLink() ? await (0,promises_namespaceObject.stat)(path) : link;
        if (!target.isFile())
            return skipped(kindOf(target));
    }
    catch (error) {
        if (error.code === 'ENOENT')
            return { text: '' };
        throw error;
    }
    let handle;
    try {
        handle = await (0,promises_namespaceObject.open)(path, external_node_fs_.constants.O_RDONLY | external_node_fs_.constants.O_NONBLOCK | (external_node_fs_.constants.O_NOCTTY ?? 0));
    }
    catch (error) {
        if (error.code === 'ENOENT')
            return { text: '' };
        throw error;
    }
    try {
        // What was opened, not what the path named a moment ago.
        const info = await handle.stat();
        if (!info.isFile())
            return skipped(kindOf(info));
        const length = Math.min(MAX_REPORT_BYTES, info.size);
        const buffer = Buffer.alloc(length);
        let bytesRead = 0;
        while (bytesRead < length) {
            const { bytesRead: n } = await handle.read(buffer, bytesRead, length - bytesRead, bytesRead);
            if (n === 0)
                break;
            bytesRead += n;
        }
        const text = buffer.subarray(0, bytesRead).toString('utf8');
        // A cut line at the end would be reported as malformed: drop it, and say why.
        if (info.size > MAX_REPORT_BYTES) {
            return {
                text: text.slice(0, text.lastIndexOf('\n') + 1),
                note: `DEPLOY_METRICS_FILE ${path} is ${info.size} bytes; only the first 1 MiB is read`,
            };
        }
        return { text };
    }
    finally {
        await handle.close();
    }
}

// EXTERNAL MODULE: ./src/model/timing.ts
var timing = __nccwpck_require__(4483);
;// CONCATENATED MODULE: ./src/report/outputs.ts
/**
 * The contract's outputs of a tracked deployment, set by post (and by a later instance's main).
 * Every value is one line that cannot be a workflow command (a later `run:` may echo it), and
 * `error-type` is one of the error types: a step's report cannot put anything else there.
 */




/** `stages-json`: every stage with service, stage, status, started_at, completed_at, duration_seconds, slow. */
function stagesJson(deployment) {
    return JSON.stringify(deployment.stages.map((s) => ({
        service: s.service,
        stage: s.stage,
        status: s.status,
        started_at: (0,timing/* toIso */.tK)(s.startedAt),
        completed_at: (0,timing/* toIso */.tK)(s.completedAt),
        duration_seconds: s.durationSeconds,
        slow: s.slow,
    })));
}
function setDeploymentOutputs(sink, deployment, deploymentId, metricsFile) {
    const io = { setOutput: (name, value) => sink.setOutput(name, (0,safe_text/* singleLine */.pF)(value)) };
    io.setOutput(Outputs.DeploymentId, deploymentId);
    io.setOutput(Outputs.Status, deployment.status);
    io.setOutput(Outputs.FailedStage, deployment.failedStage?.stage ?? '');
    io.setOutput(Outputs.ErrorType, (0,error_types/* knownErrorType */.SB)(deployment.errorType) ?? '');
    io.setOutput(Outputs.DurationSeconds, String(deployment.durationSeconds));
    io.setOutput(Outputs.MetricsFile, metricsFile);
    io.setOutput(Outputs.StagesJson, stagesJson(deployment));
}

;// CONCATENATED MODULE: ./src/github/find-job.ts

const MAX_PAGES = 10; // 1,000 jobs: GitHub's matrix limit is 256 per job, a run holds at most a few hundred.
function jobMatches(job, runner) {
    let score = 0;
    if (runner.runnerName && job.runner_name === runner.runnerName)
        score += 2;
    const name = job.name ?? '';
    if (runner.jobId && (name === runner.jobId || name.startsWith(`${runner.jobId} (`)))
        score += 1;
    return score;
}
/** Looks the job up among the run attempt's jobs (when `check-run-id` is empty, e.g. on GHES). */
async function lookUpJob(o) {
    const candidates = [];
    const pages = o.client.attemptJobPages(o.runner.runId, o.runner.runAttempt, o.deadline, MAX_PAGES);
    for await (const { jobs } of pages) {
        for (const job of jobs) {
            if (job.status !== 'in_progress')
                continue;
            const score = jobMatches(job, o.runner);
            // A runner runs one job at a time: an in-progress job on our runner is ours.
            if (score >= 2)
                return job;
            if (score > 0)
                candidates.push({ job, score });
        }
    }
    if (candidates.length === 1)
        return candidates[0].job;
    if (candidates.length === 0) {
        throw new Error(`no in-progress job of run ${o.runner.runId} attempt ${o.runner.runAttempt} matches job "${o.runner.jobId}" or runner "${o.runner.runnerName}"; pass check-run-id: \${{ job.check_run_id }}`);
    }
    throw new Error(`${candidates.length} in-progress jobs match job "${o.runner.jobId}" (a matrix?) and none runs on runner "${o.runner.runnerName}"; pass check-run-id: \${{ job.check_run_id }}`);
}
function settled(job, phase) {
    const steps = job.steps ?? [];
    if (steps.length === 0)
        return false;
    // This action's own main step is over by post, so it needs no special case there.
    const main = (0,deployment/* mainStepsOf */.Gh)(steps);
    if (phase === 'post')
        return main.every((s) => s.status === 'completed');
    // In main: the running step is ours; everything before it must show completed, only
    // queued steps may follow. Two steps in progress means the API still lags.
    const open = main.findIndex((s) => s.status !== 'completed');
    if (open < 0)
        return true;
    return main[open]?.status === 'in_progress' && main.slice(open + 1).every((s) => s.status === 'queued');
}
/** Finds the job and polls it until its main steps are completed or the lag budget is spent. */
async function findCurrentJob(o) {
    const start = o.clock.now();
    let job = o.checkRunId !== undefined ? await o.client.getJob(o.checkRunId, o.deadline) : await lookUpJob(o);
    const jobId = job.id;
    let polls = 1;
    let delay = 200;
    while (!settled(job, o.phase ?? 'post')) {
        const waited = o.clock.now() - start;
        if (waited + delay > o.lagBudgetMs || o.clock.now() + delay >= o.deadline) {
            o.logger.info(`The API still shows steps in progress after ${Math.round(waited / 100) / 10}s; using what it shows`);
            return { job, settled: false, polls };
        }
        // Exponential backoff between polls: quick when the API is only a moment behind.
        await o.clock.sleep(delay);
        delay = Math.min(delay * 2, 2000);
        job = await o.client.getJob(jobId, o.deadline);
        polls++;
    }
    return { job, settled: true, polls };
}

;// CONCATENATED MODULE: ./src/hooks/track-deployment.ts
/**
 * What track mode's post (`track-finish.ts`) and a later instance's main
 * (`track-snapshot.ts`) both do, in one place so the two cannot diverge: read
 * this job from the API, read what steps reported, and build the deployment
 * from the job's steps. The outputs a later step reads then come from the same
 * model, fed the same way, as what post reports at the end.
 */





/** The service this instance tracks: the one pre saved, else the input. */
function trackedService(ctx) {
    return ctx.io.getState(State.Service) || ctx.config.service;
}
/** Finds this job, waiting out the API's lag within the bounds. Throws when it cannot be read. */
function findTrackedJob(ctx, client, lookup) {
    const { config, clock, io } = ctx;
    return findCurrentJob({
        client,
        runner: config.runner,
        checkRunId: config.checkRunId,
        clock,
        logger: io,
        ...lookup,
    });
}
/**
 * What steps reported through DEPLOY_METRICS_FILE (`path`, for the messages), with series only
 * for the services this job may write: another service's group is another job's.
 */
function parseStepReports(text, path, service, config) {
    return parseReportedMetrics(text, `DEPLOY_METRICS_FILE ${path ?? ''}`.trim(), {
        services: (0,stage_map/* writableServices */.HN)(service, config.stageRules),
        service,
    });
}
/** The names of this action's own steps among the job's: never stages. */
function ownSteps(config, steps) {
    return (0,deployment/* ownStepNames */.xD)(steps, config.runner.actionRepository, config.runner.actionRef);
}
/**
 * The deployment from the job's steps. Sandboxed stage-map patterns answer for every step first,
 * so one that runs out of time is dropped for the whole job (and reported) before the model reads
 * any answer.
 */
function trackedDeployment(ctx, tracked) {
    const { config, clock, problems } = ctx;
    const steps = tracked.job.steps ?? [];
    const stepNames = steps.map((st) => st.name);
    for (const p of (0,stage_map/* prepareStageRules */.p0)(config.stageRules, stepNames))
        problems.report(p);
    return (0,deployment/* buildDeployment */.A$)({
        job: tracked.finishedStepsOnly
            ? { ...tracked.job, steps: steps.filter((st) => st.status === 'completed') }
            : tracked.job,
        service: tracked.service,
        rules: config.stageRules,
        thresholds: config.thresholds,
        jobStatus: config.jobStatus,
        reportedErrorTypes: tracked.reported.errorTypesByStage,
        ownStepNames: ownSteps(config, steps),
        fallbackStart: tracked.fallbackStart,
        now: clock.now(),
        ...(tracked.timeouts ? { timeouts: tracked.timeouts } : {}),
    });
}

;// CONCATENATED MODULE: ./src/hooks/track-snapshot.ts
/**
 * A later instance of the action in a tracked job sets the contract's outputs
 * in its main step, from the job so far. GitHub ignores outputs set in a post
 * step, so this is how later steps and jobs (`needs:`) read `status`,
 * `failed-stage`, `error-type`, `stages-json`: place the action again after
 * the deploy steps, with an `id` and `if: always()`.
 */






/** A main step runs inside the deployment: a tighter budget than post's. */
const SNAPSHOT_BUDGET_MS = 10000;
const SNAPSHOT_LAG_MS = 5000;
async function snapshotTrack(ctx) {
    const { config, io, env, clock, problems } = ctx;
    const t0 = clock.now();
    const deploymentId = env[ExportedEnv.DeploymentId] || deploymentIdOf(config.runner);
    if (!config.githubToken) {
        problems.report('github-token is empty: the job so far cannot be read, so no outputs are set');
        return;
    }
    let found;
    try {
        found = await findTrackedJob(ctx, runnerClient(ctx.config, ctx.clock), {
            deadline: t0 + SNAPSHOT_BUDGET_MS,
            lagBudgetMs: SNAPSHOT_LAG_MS,
            phase: 'main',
        });
    }
    catch (error) {
        problems.report(`Could not read this job\u2019s steps from the GitHub API, so no outputs are set: ${error.message}`);
        return;
    }
    // Built as post builds it (track-deployment.ts), from what has finished: the step running now is
    // this one, later ones have not run. Post reports the reported lines' problems; not said twice.
    const service = trackedService(ctx);
    const reportPath = env[ExportedEnv.ReportFile];
    const { text } = await readReportFile(reportPath);
    const deployment = trackedDeployment(ctx, {
        job: found.job,
        service,
        reported: parseStepReports(text, reportPath, service, config),
        fallbackStart: t0,
        finishedStepsOnly: true,
    });
    setDeploymentOutputs(io, deployment, deploymentId, config.metricsFile);
    io.info(`Outputs set from the job so far: ${deployment.status}, ${deployment.stages.length} stage(s)${deployment.failedStage ? `, failed at ${deployment.failedStage.stage} (${deployment.errorType})` : ''}. The first instance of the action pushes the metrics in its post step.`);
}

;// CONCATENATED MODULE: ./src/verify/schedule.ts
/**
 * Verify mode's timing (docs/verify-mode.md, "Timing"): samples every
 * `min(30 s, window / 10)`; the design's gates (error rate over 5 % for 2
 * minutes, health checks failing for 5 minutes) hold after
 * `min(design duration, window / 2)` of consecutive bad samples, so short
 * windows still decide. Pure.
 */
/** The design's sampling interval: every 30 s after the deploy. */
const DESIGN_INTERVAL_MS = 30_000;
/** Post-deploy error spike: over 5 % for 2 minutes → rollback. */
const DESIGN_ERROR_GATE_MS = 120_000;
/** Health check failure: failing for over 5 minutes post-deploy → rollback. */
const DESIGN_HEALTH_GATE_MS = 300_000;
/** The design's thresholds. */
const ERROR_RATE_ROLLBACK = 0.05;
const ERROR_RATE_HEALTHY = 0.01;
const DEGRADED_LATENCY_MS = 1000;
/** Probe attempts (the design: "should retry 3-5x"). */
const PROBE_ATTEMPTS = 3;
/** Time left to push and write the summary after the window, on top of an in-flight sample's grace. */
const PUSH_BUDGET_MS = 10_000;
/** The schedule of a window of `windowSeconds`. */
function verifySchedule(windowSeconds) {
    const windowMs = Math.round(windowSeconds * 1000);
    const intervalMs = Math.min(DESIGN_INTERVAL_MS, Math.round(windowMs / 10));
    const attemptTimeoutMs = Math.min(10_000, Math.max(2000, Math.round(intervalMs / 3)));
    return Object.freeze({
        windowMs,
        intervalMs,
        errorGateMs: Math.min(DESIGN_ERROR_GATE_MS, Math.round(windowMs / 2)),
        healthGateMs: Math.min(DESIGN_HEALTH_GATE_MS, Math.round(windowMs / 2)),
        attemptTimeoutMs,
        graceMs: attemptTimeoutMs,
    });
}
/** `90s`, `2m`, `2m30s`: durations as the summary and messages show them. */
function formatMs(ms) {
    const seconds = Math.round(ms / 100) / 10;
    if (seconds < 60)
        return `${seconds}s`;
    const m = Math.floor(seconds / 60);
    const s = Math.round(seconds - m * 60);
    return s === 0 ? `${m}m` : `${m}m${s}s`;
}

;// CONCATENATED MODULE: ./src/verify/decision.ts
/**
 * The design's gates and the verdict, over a timeline of samples. Pure: the
 * same timeline always gives the same decision, so the decision loop and its
 * tests share it.
 *
 * - Error-rate gate: error rate over 5 % in consecutive samples spanning the
 *   error gate (2 minutes, or half the window). A sample without data breaks
 *   the run, as a Prometheus `for:` resets when its expression is empty.
 * - Health gate: one health URL unhealthy in consecutive probes spanning the
 *   health gate (5 minutes, or half the window). A degraded (slow) probe is
 *   not a failing one.
 * - A gate "holds" at the sample that completes the span: `at - first bad at ≥ gate`.
 */

function percent(v) {
    return `${(Math.round(v * 10000) / 100).toFixed(2)} %`;
}
/** The first time a run of `bad` samples spans `gateMs`, if it does. */
function firstHold(samples, gateMs, bad) {
    let run = [];
    for (const s of [...samples].sort((a, b) => a.at - b.at)) {
        if (!bad(s)) {
            run = [];
            continue;
        }
        run.push(s);
        const since = run[0].at;
        if (s.at - since >= gateMs)
            return { since, heldAt: s.at, run };
    }
    return undefined;
}
function bySource(samples) {
    const out = new Map();
    for (const s of samples) {
        const list = out.get(s.source);
        if (list)
            list.push(s);
        else
            out.set(s.source, [s]);
    }
    return out;
}
const isProbe = (s) => s.kind === 'probe';
const isErrorRate = (s) => s.kind === 'error_rate';
/** Every gate that holds on this timeline, earliest first. */
function gatesHeld(timeline, schedule) {
    const holds = [];
    const rates = timeline.filter(isErrorRate);
    const errorHold = firstHold(rates, schedule.errorGateMs, (s) => s.value !== undefined && s.value > ERROR_RATE_ROLLBACK);
    if (errorHold) {
        const peak = Math.max(...errorHold.run.map((s) => s.value ?? 0));
        holds.push({
            gate: 'error_rate',
            source: 'error rate',
            since: errorHold.since,
            heldAt: errorHold.heldAt,
            message: `error rate over 5 % for ${formatMs(errorHold.heldAt - errorHold.since)} (gate ${formatMs(schedule.errorGateMs)}; peak ${percent(peak)})`,
        });
    }
    for (const [source, probes] of bySource(timeline.filter(isProbe))) {
        const hold = firstHold(probes, schedule.healthGateMs, (s) => s.status === 'unhealthy');
        if (!hold)
            continue;
        const last = hold.run[hold.run.length - 1];
        holds.push({
            gate: 'health_check',
            source,
            since: hold.since,
            heldAt: hold.heldAt,
            message: `health checks of ${source} failing for ${formatMs(hold.heldAt - hold.since)} (gate ${formatMs(schedule.healthGateMs)}; last: ${last?.problem ?? 'unhealthy'})`,
        });
    }
    return holds.sort((a, b) => a.heldAt - b.heldAt);
}
/**
 * The verdict over a timeline:
 * - `unhealthy` (rollback recommended) when a gate held;
 * - `degraded` when none held but the window missed the design's
 *   per-deployment objectives: a health check failed (health check pass rate
 *   99.9 %), a URL's latest probe is degraded or unhealthy, or the latest error
 *   rate is 1 % or more;
 * - `unknown` when a configured check produced no data at all (Prometheus
 *   down, an empty result, no probe finished);
 * - `healthy` otherwise.
 */
function decide(timeline, schedule, options) {
    const gates = gatesHeld(timeline, schedule);
    if (gates.length > 0) {
        return {
            verdict: 'unhealthy',
            healthy: false,
            rollbackRecommended: true,
            gates,
            reasons: gates.map((g) => g.message),
        };
    }
    const degraded = [];
    const unknown = [];
    const probes = bySource(timeline.filter(isProbe));
    for (const source of options.probeSources) {
        const list = (probes.get(source) ?? []).sort((a, b) => a.at - b.at);
        const last = list[list.length - 1];
        if (!last) {
            unknown.push(`no probe of ${source} finished`);
            continue;
        }
        const failed = list.filter((s) => s.status === 'unhealthy').length;
        if (failed > 0)
            degraded.push(`${source}: ${failed} of ${list.length} health checks failed (objective 99.9 %)`);
        if (last.status === 'degraded')
            degraded.push(`${source}: latest probe took ${Math.round(last.latencyMs)} ms (over 1000 ms)`);
        else if (last.status === 'unhealthy' && failed === 0)
            degraded.push(`${source}: latest probe unhealthy`);
    }
    if (options.errorRate) {
        const valid = timeline.filter(isErrorRate).filter((s) => s.value !== undefined);
        const last = valid.sort((a, b) => a.at - b.at)[valid.length - 1];
        if (!last || last.value === undefined)
            unknown.push('the error rate could not be read (no data)');
        else if (last.value >= ERROR_RATE_HEALTHY)
            degraded.push(`latest error rate ${percent(last.value)} (healthy under 1 %)`);
    }
    if (degraded.length > 0)
        return {
            verdict: 'degraded',
            healthy: false,
            rollbackRecommended: false,
            gates,
            reasons: [...degraded, ...unknown],
        };
    if (unknown.length > 0)
        return { verdict: 'unknown', healthy: false, rollbackRecommended: false, gates, reasons: unknown };
    return {
        verdict: 'healthy',
        healthy: true,
        rollbackRecommended: false,
        gates,
        reasons: [
            ...(options.probeSources.length > 0 ? ['every health check passed'] : []),
            ...(options.errorRate ? ['error rate under 1 %'] : []),
        ],
    };
}

;// CONCATENATED MODULE: ./src/verify/loop.ts

/** How far past the window and its grace the wall-clock guard lets the loop run. */
const GUARD_SLACK_MS = 5000;
/** Runs the sources until a gate holds or the window ends. Never rejects. */
async function runDecisionLoop(o) {
    const { schedule, clock } = o;
    const startedAt = clock.now();
    const windowEnd = startedAt + schedule.windowMs;
    const deadline = windowEnd + schedule.graceMs;
    const timeline = [];
    let decidedBy;
    /** Set when the loop has ended: sources still running stop at their next step. */
    let stopped = false;
    let decide = () => undefined;
    const decided = new Promise((resolve) => (decide = resolve));
    const runSource = async (source) => {
        let k = 0;
        for (;;) {
            const tick = startedAt + k * schedule.intervalMs;
            if (tick > windowEnd || decidedBy || stopped)
                return;
            const wait = tick - clock.now();
            if (wait > 0)
                await clock.sleep(wait);
            if (decidedBy || stopped)
                return;
            let sample;
            try {
                sample = await source.sample(deadline);
            }
            catch {
                sample = undefined; // samplers resolve with their problem; this is a last resort
            }
            if (decidedBy || stopped)
                return;
            if (sample) {
                timeline.push(sample);
                o.onSample?.(sample, startedAt);
                const holds = gatesHeld(timeline, schedule);
                if (holds.length > 0) {
                    decidedBy = holds[0];
                    decide();
                    return;
                }
            }
            if (source.finished?.())
                return;
            // The next tick at or after now: ticks a slow sample overran are skipped.
            k = Math.max(k + 1, Math.ceil((clock.now() - startedAt) / schedule.intervalMs));
        }
    };
    // A last guard on the wall clock, should a sampler ever ignore its deadline: the step must
    // not outlive the window by more than its grace and a few seconds.
    let guard;
    const guarded = new Promise((resolve) => {
        guard = setTimeout(resolve, schedule.windowMs + schedule.graceMs + GUARD_SLACK_MS);
        guard.unref();
    });
    await Promise.race([Promise.all(o.sources.map(runSource)), decided, guarded]);
    clearTimeout(guard);
    stopped = true;
    const endedAt = clock.now();
    return {
        startedAt,
        endedAt,
        timeline: [...timeline].sort((a, b) => a.at - b.at),
        decidedBy,
        early: decidedBy !== undefined && endedAt < windowEnd,
    };
}

;// CONCATENATED MODULE: ./src/verify/probe-status.ts
/** Probe classification (the design: over 1000 ms is degraded). Pure. */

/**
 * `healthy`: a 2xx answer within 1000 ms; `degraded`: a 2xx answer slower than
 * that; `unhealthy`: any other answer, or none (refused, timed out, TLS).
 */
function classifyProbe(httpStatus, latencyMs) {
    if (httpStatus === undefined || httpStatus < 200 || httpStatus >= 300)
        return 'unhealthy';
    return latencyMs > DEGRADED_LATENCY_MS ? 'degraded' : 'healthy';
}
const RANK = { healthy: 0, degraded: 1, unhealthy: 2 };
/** The worse of two statuses. */
function worseStatus(a, b) {
    return RANK[a] >= RANK[b] ? a : b;
}
const CERTIFICATE_CODES = /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)_|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)/;
const HANDSHAKE_CODES = /^(ERR_SSL_|ERR_TLS_|EPROTO$)/;
/** A network error code as a sentence a user can act on. */
function describeNetworkError(code) {
    if (CERTIFICATE_CODES.test(code))
        return `TLS error: ${code} (the server\u2019s certificate is not trusted)`;
    if (HANDSHAKE_CODES.test(code))
        return `TLS error: ${code} (the TLS handshake failed: is it an https endpoint?)`;
    switch (code) {
        case 'ECONNREFUSED':
            return 'connection refused (ECONNREFUSED): nothing listens there';
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
            return `host not found (${code})`;
        case 'ECONNRESET':
        case 'UND_ERR_SOCKET':
            return `connection reset (${code})`;
        case 'EHOSTUNREACH':
        case 'ENETUNREACH':
            return `host unreachable (${code})`;
        default:
            return code;
    }
}

;// CONCATENATED MODULE: ./src/verify/metrics.ts
/**
 * What verify mode pushes, as series updates for the track group
 * (job/environment/service) — only these families, POSTed, so track's metrics
 * in the group stay as they are (docs/verify-mode.md, "Metrics"). Pure.
 *
 * - `api_health_check_latency_ms{status}`: one series, the latest state of the
 *   health URLs — the worst status among each URL's latest probe, with the
 *   highest latency among those. A push replaces the family, so a status seen
 *   earlier in the window does not linger (alerts on `> 1000` see the present).
 * - `api_health_check_total` / `api_health_check_failures_total`: cumulative,
 *   + every probe / every unhealthy probe of this window.
 * - `post_deployment_error_rate`: the latest error rate read (not pushed when
 *   none was).
 */


function metrics_update(def, labels, value) {
    return { definition: def, name: def.name, labels, value };
}
/** Each source's latest probe. */
function latestProbes(timeline) {
    const latest = new Map();
    for (const s of timeline) {
        if (s.kind !== 'probe')
            continue;
        const seen = latest.get(s.source);
        if (!seen || s.at >= seen.at)
            latest.set(s.source, s);
    }
    return [...latest.values()];
}
/** The latest state of the health URLs: worst status, and the highest latency with it. */
function latestHealth(timeline) {
    const latest = latestProbes(timeline);
    if (latest.length === 0)
        return undefined;
    const status = latest.map((s) => s.status).reduce(worseStatus);
    const latencyMs = Math.max(...latest.filter((s) => s.status === status).map((s) => s.latencyMs));
    return { status, latencyMs };
}
/** The latest error rate read, if any. */
function latestErrorRate(timeline) {
    let value;
    let at = -Infinity;
    for (const s of timeline) {
        if (s.kind === 'error_rate' && s.value !== undefined && s.at >= at) {
            value = s.value;
            at = s.at;
        }
    }
    return value;
}
function verifyUpdates(ctx, timeline) {
    const updates = [];
    const env = ctx.environment;
    const probes = timeline.filter((s) => s.kind === 'probe');
    const health = latestHealth(timeline);
    if (health) {
        updates.push(metrics_update(definitions/* METRICS */.Cb.healthCheckLatency, { environment: env, deployment_id: ctx.deploymentId, status: health.status }, Math.round(health.latencyMs)), metrics_update(definitions/* METRICS */.Cb.healthCheckTotal, { environment: env, service: ctx.service }, probes.length), metrics_update(definitions/* METRICS */.Cb.healthCheckFailuresTotal, { environment: env, service: ctx.service }, probes.filter((p) => p.status === 'unhealthy').length));
    }
    const rate = latestErrorRate(timeline);
    if (rate !== undefined) {
        updates.push(metrics_update(definitions/* METRICS */.Cb.postDeploymentErrorRate, { environment: env, deployment_id: ctx.deploymentId, service: ctx.service }, rate));
    }
    return updates;
}

;// CONCATENATED MODULE: ./src/verify/probe.ts



/** Probes `target` once (up to 3 attempts), within `deadline`. */
async function probeTarget(target, deadline, o) {
    const { clock } = o;
    const at = clock.now();
    let attempts = 0;
    let attemptStart = at;
    let lastCode;
    const fetchImpl = o.fetchImpl ?? fetch;
    const counted = async (url, init) => {
        attempts++;
        attemptStart = clock.now();
        lastCode = undefined;
        try {
            return await fetchImpl(url, { ...init, redirect: 'follow' });
        }
        catch (error) {
            const e = error;
            lastCode = e.cause?.code;
            throw error;
        }
    };
    try {
        const response = await (0,http/* request */.Em)({
            url: target.url,
            headers: {
                'user-agent': 'deployment-observability-action (verify)',
                accept: '*/*',
                ...(target.authorization ? { authorization: target.authorization } : {}),
            },
            timeoutMs: o.attemptTimeoutMs,
            attempts: PROBE_ATTEMPTS,
            deadline,
            what: `Probe of ${target.display}`,
        }, clock, counted);
        const latencyMs = clock.now() - attemptStart;
        const status = classifyProbe(response.status, latencyMs);
        return {
            kind: 'probe',
            source: target.name,
            at,
            status,
            latencyMs,
            httpStatus: response.status,
            attempts,
            ...(status === 'unhealthy' ? { problem: `HTTP ${response.status}` } : {}),
        };
    }
    catch (error) {
        const latencyMs = clock.now() - attemptStart;
        const httpStatus = error instanceof http/* HttpError */.j$ ? error.status : undefined;
        const raw = error.message.replace(/^Probe of \S+ failed: /, '');
        const problem = httpStatus !== undefined
            ? `HTTP ${httpStatus} after ${attempts} attempt(s)`
            : lastCode
                ? `${describeNetworkError(lastCode)} after ${attempts} attempt(s)`
                : attempts === 0
                    ? 'out of time before the first attempt'
                    : `${raw} (${attempts} attempt(s))`;
        return {
            kind: 'probe',
            source: target.name,
            at,
            status: 'unhealthy',
            latencyMs,
            ...(httpStatus !== undefined ? { httpStatus } : {}),
            attempts,
            problem,
        };
    }
}

;// CONCATENATED MODULE: ./src/verify/prometheus.ts


/**
 * The query cannot work as written (Prometheus rejected it, or its result is
 * not one number): asking again will not help.
 */
class QueryRejected extends Error {
    constructor(message) {
        super(message);
        this.name = 'QueryRejected';
    }
}
function numberOf(text) {
    const v = Number(text);
    return Number.isFinite(v) ? v : undefined;
}
/** The ratio out of a query answer's data; throws QueryRejected when it is not one number. */
function ratioOf(data) {
    const type = data?.resultType;
    if (type === 'scalar') {
        const [, v] = data?.result ?? [];
        return { value: numberOf(v) };
    }
    if (type === 'vector') {
        const result = data?.result ?? [];
        const values = result.map((r) => numberOf(r.value?.[1])).filter((v) => v !== undefined);
        if (values.length === 0)
            return { value: undefined };
        const value = Math.max(...values);
        const notes = [];
        if (result.length > 1)
            notes.push(`error-rate-query returns ${result.length} series; the highest is used. Aggregate it (sum(...) / sum(...)) to get one ratio`);
        if (value > 1)
            notes.push(`error-rate-query returned ${value}, more than 1: it must be a ratio (0.05 = 5 %)`);
        return notes.length > 0 ? { value, note: notes.join('; ') } : { value };
    }
    throw new QueryRejected(`error-rate-query returns a ${type ?? 'missing'} result; it must give one number (an instant vector or a scalar), e.g. sum(rate(errors[1m])) / sum(rate(requests[1m]))`);
}
class PrometheusClient {
    target;
    clock;
    attemptTimeoutMs;
    fetchImpl;
    constructor(target, clock, attemptTimeoutMs, fetchImpl = fetch) {
        this.target = target;
        this.clock = clock;
        this.attemptTimeoutMs = attemptTimeoutMs;
        this.fetchImpl = fetchImpl;
    }
    /**
     * Evaluates `query` now. Throws QueryRejected when Prometheus refuses it
     * (bad PromQL, 4xx) or its result is not one number, and an Error with a
     * clear message when Prometheus cannot be reached.
     */
    async ratio(query, deadline) {
        let lastCode;
        const fetchImpl = this.fetchImpl;
        const counted = async (url, init) => {
            lastCode = undefined;
            try {
                return await fetchImpl(url, init);
            }
            catch (error) {
                lastCode = error.cause?.code;
                throw error;
            }
        };
        let response;
        try {
            response = await (0,http/* request */.Em)({
                url: `${this.target.url}/api/v1/query`,
                method: 'POST',
                headers: {
                    'user-agent': 'deployment-observability-action (verify)',
                    accept: 'application/json',
                    'content-type': 'application/x-www-form-urlencoded',
                    ...(this.target.authorization ? { authorization: this.target.authorization } : {}),
                },
                body: new URLSearchParams({ query }).toString(),
                timeoutMs: this.attemptTimeoutMs,
                attempts: 3,
                deadline,
                what: `Prometheus query at ${this.target.url}`,
            }, this.clock, counted);
        }
        catch (error) {
            if (lastCode)
                throw new Error(`Prometheus at ${this.target.url} is unreachable: ${describeNetworkError(lastCode)}`);
            const status = error instanceof http/* HttpError */.j$ ? error.status : undefined;
            const answer = status !== undefined ? parseAnswer(error instanceof http/* HttpError */.j$ ? error.body : undefined) : undefined;
            if (answer?.error)
                throw new Error(`Prometheus at ${this.target.url} answered HTTP ${status}: ${answer.error}`);
            throw new Error(error.message);
        }
        const answer = parseAnswer(response.text);
        if (response.status >= 400 && response.status < 500) {
            if (answer?.error)
                throw new QueryRejected(`Prometheus rejected error-rate-query (${answer.errorType ?? `HTTP ${response.status}`}): ${answer.error}`);
            throw new QueryRejected(`Prometheus at ${this.target.url} answered HTTP ${response.status} to /api/v1/query${response.status === 401 || response.status === 403 ? ' (check the credentials in prometheus-url)' : ' (is prometheus-url the base URL of the Prometheus HTTP API?)'}`);
        }
        if (!answer || answer.status !== 'success') {
            throw new Error(`Prometheus at ${this.target.url} answered HTTP ${response.status} without a query result${answer?.error ? `: ${answer.error}` : ''}`);
        }
        return ratioOf(answer.data);
    }
}
function parseAnswer(text) {
    if (!text)
        return undefined;
    try {
        const parsed = JSON.parse(text);
        return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
    }
    catch {
        return undefined;
    }
}

;// CONCATENATED MODULE: ./src/verify/job-summary.ts
/**
 * Verify mode's job summary: the verdict and why, the gates, the probe
 * timeline, the error-rate series (a small Mermaid `xychart-beta`, which
 * GitHub's Mermaid renders — docs/platform.md), and where the metrics went. Pure.
 */


/** Rows of the timeline table; a summary must stay far below GitHub's 1 MiB. */
const MAX_ROWS = 120;
/** Points of the chart: Mermaid diagrams have a text size limit (docs/platform.md). */
const MAX_POINTS = 60;
const HEADLINE = {
    healthy: '✅ Verified healthy',
    degraded: '⚠️ Degraded, no rollback gate held',
    unhealthy: '❌ Rollback recommended',
    unknown: '❔ Health could not be confirmed',
};
function job_summary_pct(v) {
    return `${(Math.round(v * 10000) / 100).toFixed(2)} %`;
}
function probeCell(s) {
    const ms = `${Math.round(s.latencyMs)} ms`;
    if (s.status === 'healthy')
        return `✅ ${ms}`;
    if (s.status === 'degraded')
        return `🐢 ${ms}`;
    return `❌ ${cell(s.problem ?? 'unhealthy', 60)}`;
}
function rateCell(s) {
    if (s.value === undefined)
        return s.problem ? `⚠️ ${cell(s.problem, 60)}` : 'no data';
    const icon = s.value > 0.05 ? '❌' : s.value >= 0.01 ? '⚠️' : '✅';
    return `${icon} ${job_summary_pct(s.value)}`;
}
function timelineTable(input) {
    const { timeline, schedule, startedAt } = input;
    if (timeline.length === 0)
        return ['No sample was taken.', ''];
    const columns = [...input.targets.map((t) => t.name), ...(input.errorRateQuery ? ['error rate'] : [])];
    // One row per tick of the schedule; each source's sample sits in the row of the tick it started at.
    const rows = new Map();
    for (const s of timeline) {
        const tick = Math.round((s.at - startedAt) / schedule.intervalMs);
        let row = rows.get(tick);
        if (!row)
            rows.set(tick, (row = new Map()));
        row.set(s.source, s);
    }
    const ticks = [...rows.keys()].sort((a, b) => a - b);
    const out = [
        `| time | ${columns.map((c) => cell(c, 40)).join(' | ')} |`,
        `|---:|${columns.map(() => '---').join('|')}|`,
    ];
    for (const tick of ticks.slice(0, MAX_ROWS)) {
        const row = rows.get(tick);
        const cells = columns.map((c) => {
            const s = row.get(c);
            if (!s)
                return '—';
            return s.kind === 'probe' ? probeCell(s) : rateCell(s);
        });
        out.push(`| +${formatMs(tick * schedule.intervalMs)} | ${cells.join(' | ')} |`);
    }
    if (ticks.length > MAX_ROWS)
        out.push(`| … ${ticks.length - MAX_ROWS} more | ${columns.map(() => '').join(' | ')} |`);
    out.push('');
    return out;
}
/** A small xychart-beta of the error rate (percent) with the 5 % gate, or nothing without data. */
function errorRateChart(input) {
    const points = input.timeline
        .filter((s) => s.kind === 'error_rate' && s.value !== undefined)
        .sort((a, b) => a.at - b.at)
        .slice(-MAX_POINTS);
    if (points.length < 2)
        return '';
    const xs = points.map((p) => Math.round((p.at - input.startedAt) / 1000));
    const ys = points.map((p) => Math.round(p.value * 10000) / 100);
    const top = Math.max(6, Math.ceil(Math.max(...ys) * 1.1));
    return [
        '```mermaid',
        'xychart-beta',
        '  title "Error rate after the deploy (%), gate at 5 %"',
        `  x-axis "seconds" [${xs.join(', ')}]`,
        `  y-axis "error rate (%)" 0 --> ${top}`,
        `  line [${ys.join(', ')}]`,
        `  line [${ys.map(() => 5).join(', ')}]`,
        '```',
        '',
    ].join('\n');
}
function probeTotals(input) {
    if (input.targets.length === 0)
        return [];
    const out = [
        '| health URL | checks | failed | degraded | latest | latency (latest) |',
        '|---|---:|---:|---:|---|---:|',
    ];
    for (const t of input.targets) {
        const probes = input.timeline
            .filter((s) => s.kind === 'probe' && s.source === t.name)
            .sort((a, b) => a.at - b.at);
        const last = probes[probes.length - 1];
        out.push(`| ${cell(t.name, 40)} ${codeCell(t.display, 100)} | ${probes.length} | ${probes.filter((p) => p.status === 'unhealthy').length} | ${probes.filter((p) => p.status === 'degraded').length} | ${last ? last.status : '—'} | ${last ? `${Math.round(last.latencyMs)} ms` : '—'} |`);
    }
    out.push('');
    return out;
}
function renderVerifySummary(input) {
    const d = input.decision;
    const s = input.schedule;
    const out = [];
    out.push(`## ${HEADLINE[d.verdict]}: ${cell(input.service)} · ${cell(input.environment)}`, '');
    const watched = formatMs(input.endedAt - input.startedAt);
    out.push(`Deployment ${code(input.deploymentId)} · watched ${watched} of ${formatMs(s.windowMs)}${input.early ? ' (**ended early**: a gate held)' : ''} · a sample every ${formatMs(s.intervalMs)}`, '');
    out.push(`| output | value |`, `|---|---|`, `| \`healthy\` | \`${d.healthy}\` |`, `| \`rollback-recommended\` | \`${d.rollbackRecommended}\` |`, '');
    if (d.reasons.length > 0) {
        out.push(...d.reasons.map((r) => `- ${cell(r, 300)}`), '');
    }
    out.push(`Gates: error rate over 5 % for ${formatMs(s.errorGateMs)}; a health URL failing for ${formatMs(s.healthGateMs)} (the design's 2 and 5 minutes, at most half the window). Healthy: every check passed, latest error rate under 1 %.`, '');
    out.push(...probeTotals(input));
    out.push('### Timeline', '', ...timelineTable(input));
    if (input.errorRateQuery) {
        out.push('### Error rate', '', `Query: ${code(input.errorRateQuery, 400)}`, '');
        const chart = errorRateChart(input);
        if (chart)
            out.push(chart);
    }
    if (input.delivery.length > 0) {
        out.push('### Metrics', '', ...input.delivery.map((l) => `- ${l.ok ? '✅' : '⚠️'} ${markdownLine(l.text)}`), '');
    }
    if (input.notes.length > 0) {
        out.push('### Notes', '', ...input.notes.slice(0, 20).map((n) => `- ${cell(n, 400)}`), '');
    }
    return out.join('\n');
}

;// CONCATENATED MODULE: ./src/verify/timeline.ts
/** What verify mode observes: probe and error-rate samples over the window. Plain data. */
const ERROR_RATE_SOURCE = 'error rate';

;// CONCATENATED MODULE: ./src/hooks/verify-mode.ts
/**
 * Verify mode (main): probes the health URLs and evaluates the error-rate
 * query every interval of the window, decides by the design's gates (ending
 * early as soon as one holds), pushes the health metrics into the track group
 * (POST: track's metrics there stay intact), and sets `healthy` and
 * `rollback-recommended`. The step succeeds unless `fail-on-unhealthy` is true
 * and the verdict is unhealthy; telemetry problems follow `fail-on-error`.
 */
















/** The error-rate source: says each kind of fault once, stops asking after Prometheus rejected the query. */
function errorRateSource(config, schedule, clock, problems, notes) {
    if (!config.prometheus || !config.errorRateQuery)
        return undefined;
    const client = new PrometheusClient(config.prometheus, clock, schedule.attemptTimeoutMs);
    const query = config.errorRateQuery;
    let rejected = false;
    let faults = 0;
    const said = new Set();
    const sample = async (deadline) => {
        if (rejected)
            return undefined;
        const at = clock.now();
        try {
            const { value, note } = await client.ratio(query, deadline);
            if (note && !said.has(note)) {
                said.add(note);
                notes.push(note);
            }
            return { kind: 'error_rate', source: ERROR_RATE_SOURCE, at, value };
        }
        catch (error) {
            const message = error.message;
            if (error instanceof QueryRejected) {
                rejected = true;
                problems.report(`${message}; the error rate is not checked`);
            }
            else {
                faults++;
                if (faults === 1)
                    problems.report(`${message}; the error rate is missing for this sample (asked again every ${formatMs(schedule.intervalMs)})`);
            }
            return { kind: 'error_rate', source: ERROR_RATE_SOURCE, at, value: undefined, problem: message };
        }
    };
    return { source: { name: ERROR_RATE_SOURCE, sample, finished: () => rejected }, faults: () => faults };
}
function logSample(io, sample, startedAt) {
    const when = `+${formatMs(sample.at - startedAt)}`;
    if (sample.kind === 'probe') {
        io.info(`${when} ${sample.source}: ${sample.status} in ${Math.round(sample.latencyMs)} ms${sample.problem ? ` (${sample.problem})` : ''}`);
    }
    else {
        io.info(`${when} error rate: ${sample.value === undefined ? (sample.problem ?? 'no data') : `${(sample.value * 100).toFixed(2)} %`}`);
    }
}
function annotate(ctx, decision, service) {
    if (!ctx.config.annotations)
        return;
    const reasons = decision.reasons.join('; ');
    if (decision.verdict === 'unhealthy')
        ctx.io.error(`Rollback recommended: ${reasons}`, { title: `Deployment of ${service} is unhealthy` });
    else if (decision.verdict === 'degraded')
        ctx.io.warning(`Deployment of ${service} is degraded: ${reasons}`, {
            title: `Deployment of ${service} degraded`,
        });
    else if (decision.verdict === 'unknown')
        ctx.io.warning(`Health of ${service} could not be confirmed: ${reasons}`, {
            title: `Deployment of ${service} not verified`,
        });
}
/** Reading the group for the latest deployment must not hold verify up. */
const LOOKUP_BUDGET_MS = 5000;
/**
 * The deployment track mode recorded last in the group (the `deployment_id` of its greatest
 * `deployment_start_timestamp_seconds`), so a verify job re-run alone (attempt 2: `<run>-2`)
 * still names the deployment it verifies. Undefined when no sink has one.
 */
async function latestTrackedDeployment(sinks, key, clock, io) {
    const deadline = clock.now() + LOOKUP_BUDGET_MS;
    for (const sink of sinks) {
        if (clock.now() >= deadline)
            break;
        try {
            const group = await sink.readGroup(key, deadline);
            let best;
            for (const s of group.samples.get(definitions/* METRICS */.Cb.startTimestamp.name) ?? []) {
                const id = s.labels.deployment_id;
                if (id && Number.isFinite(s.value) && (!best || s.value > best.at))
                    best = { id, at: s.value };
            }
            if (best) {
                io.info(`Verifying deployment ${best.id}: the latest deployment track mode recorded in ${sink.name}.`);
                return best.id;
            }
        }
        catch (error) {
            io.info(`The latest deployment could not be read from ${sink.name} (${error.message}); using the run id.`);
        }
    }
    return undefined;
}
async function runVerify(ctx) {
    const { config: base, io, clock, env, problems } = ctx;
    // The main hook dispatches only verify mode here; its inputs were read (and their credentials
    // masked) with all the others.
    if (base.mode !== 'verify')
        return;
    const config = base.verify;
    const service = base.service;
    const key = groupingKey(base, service);
    const sinks = await metricsSinks(base, clock);
    const deploymentId = config.deploymentId ??
        (env[ExportedEnv.DeploymentId] ||
            (await latestTrackedDeployment(sinks, key, clock, io)) ||
            deploymentIdOf(base.runner));
    io.setOutput(Outputs.DeploymentId, deploymentId);
    const notes = [];
    const schedule = verifySchedule(config.windowSeconds);
    const rate = errorRateSource(config, schedule, clock, problems, notes);
    if (config.targets.length === 0 && !rate) {
        problems.report('verify mode has nothing to check: set health-urls, or prometheus-url and error-rate-query; nothing was verified');
        io.setOutput(Outputs.Healthy, 'false');
        io.setOutput(Outputs.RollbackRecommended, 'false');
        return;
    }
    io.info(`Verifying deployment ${deploymentId} of ${service} in ${base.environment} for ${formatMs(schedule.windowMs)}: a sample every ${formatMs(schedule.intervalMs)}; gates: error rate over 5 % for ${formatMs(schedule.errorGateMs)}, health checks failing for ${formatMs(schedule.healthGateMs)}.`);
    const sources = config.targets.map((target) => ({
        name: target.name,
        sample: (deadline) => probeTarget(target, deadline, { clock, attemptTimeoutMs: schedule.attemptTimeoutMs }),
    }));
    if (rate)
        sources.push(rate.source);
    // 1. Watch until a gate holds or the window ends.
    const loop = await runDecisionLoop({
        schedule,
        clock,
        sources,
        onSample: (sample, startedAt) => logSample(io, sample, startedAt),
    });
    if (rate && rate.faults() > 1)
        notes.push(`${rate.faults()} error-rate queries failed`);
    const decision = decide(loop.timeline, schedule, {
        probeSources: config.targets.map((t) => t.name),
        errorRate: rate !== undefined,
    });
    io.info(`Verdict: ${decision.verdict}${loop.early ? ` (decided after ${formatMs(loop.endedAt - loop.startedAt)})` : ''}. ${decision.reasons.join('; ')}`);
    // 2. Outputs and annotations first: the rollback job keys on them, whatever happens to the push.
    io.setOutput(Outputs.Healthy, String(decision.healthy));
    io.setOutput(Outputs.RollbackRecommended, String(decision.rollbackRecommended));
    annotate(ctx, decision, service);
    // 3. Metrics into the track group: POST only verify's families, counters cumulative.
    const updates = verifyUpdates({ environment: base.environment, deploymentId, service }, loop.timeline);
    const delivery = [];
    const pushDeadline = clock.now() + PUSH_BUDGET_MS;
    const store = sinks.length > 0 ? carryStoreOf(env, { deadline: pushDeadline + CARRY_GRACE_MS }) : undefined;
    const { all, primary: outcomes } = updates.length === 0
        ? { all: [], primary: [] }
        : await deliverGroups([{ key, updates }], sinks, {
            store,
            deploymentId,
            deadline: pushDeadline,
            clock,
            logger: io,
            cumulative: true,
            replaceGroup: false,
        });
    if (updates.length === 0) {
        delivery.push({ ok: false, text: 'Nothing to push: no sample was taken' });
    }
    else if (sinks.length > 0) {
        for (const outcome of all) {
            const line = outcomeText(outcome, store?.description ?? 'the carry store');
            delivery.push(line);
            if (line.ok)
                io.info(line.text.replace(/`/g, ''));
            else
                problems.report(line.text.replace(/`/g, ''));
        }
    }
    else {
        delivery.push({ ok: true, text: 'No `pushgateway-url` or `remote-write-url`: nothing pushed' });
    }
    if (outcomes.length > 0) {
        const written = await writeMetricsFile(base.metricsFile, outcomes);
        if (written.ok) {
            delivery.push({ ok: true, text: `Metrics file: \`${base.metricsFile}\`` });
            io.setOutput(Outputs.MetricsFile, base.metricsFile);
        }
        else {
            problems.report(`metrics-file ${base.metricsFile} could not be written: ${written.problem}`);
        }
    }
    // 4. The job summary.
    if (base.writeSummary) {
        try {
            await io.appendSummary(renderVerifySummary({
                decision,
                schedule,
                service,
                environment: base.environment,
                deploymentId,
                startedAt: loop.startedAt,
                endedAt: loop.endedAt,
                early: loop.early,
                timeline: loop.timeline,
                targets: config.targets,
                errorRateQuery: rate ? config.errorRateQuery : undefined,
                delivery,
                notes: [...notes, ...problems.list],
            }));
        }
        catch (error) {
            problems.report(`The job summary could not be written: ${error.message}`);
        }
    }
    // 5. The step fails on an unhealthy verdict only when asked to.
    if (config.failOnUnhealthy && decision.verdict === 'unhealthy') {
        io.setFailed(`Deployment of ${service} is unhealthy (fail-on-unhealthy): ${decision.reasons.join('; ')}`);
    }
}

;// CONCATENATED MODULE: ./src/hooks/main.ts
/**
 * main: summary and verify mode do their work here. In track mode: does pre's work when pre did not run (a local action,
 * `uses: ./`); in a later instance of the action, sets the outputs from the
 * job so far (GitHub ignores outputs set in post).
 */







async function mainHook(ctx) {
    const { config, io } = ctx;
    if (config.mode === 'summary')
        return runSummary(ctx);
    if (config.mode === 'verify')
        return runVerify(ctx);
    // An unknown mode does nothing (the run wrapper says so); it is never taken for track mode.
    if (config.mode !== 'track')
        return;
    // STATE_* holds what pre saved; what this process saves is not readable until post.
    const role = io.getState(State.Role) || (await startTrack(ctx));
    if (role === TRACK_ROLE_PASSIVE) {
        await snapshotTrack(ctx);
        return;
    }
    // The owner knows these at the start; later steps can read them.
    io.setOutput(Outputs.DeploymentId, io.getState(State.DeploymentId) || deploymentIdOf(config.runner));
    io.setOutput(Outputs.MetricsFile, config.metricsFile);
}
/**
 * The main phase without ending the process. The entry point (`src/entrypoints/main.ts`) passes the
 * runner's protocol; GitHub's `@github/local-action` calls it with no argument, and then it goes
 * through `@actions/core`, which local-action stubs (docs/development.md, "Running a hook under
 * local-action").
 */
async function run(io) {
    await runHook('main', mainHook, await ioOrCore(io));
}


/***/ }),

/***/ 4101:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   $: () => (/* binding */ runnerIO)
/* harmony export */ });
/* unused harmony export rawRunnerIO */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(7598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__nccwpck_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(8161);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__nccwpck_require__.n(node_os__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var _io_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(1438);
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
    process.stdout.write(`::${name}${space}${props}::${escapeData(message)}${node_os__WEBPACK_IMPORTED_MODULE_2__.EOL}`);
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
    if (!(0,node_fs__WEBPACK_IMPORTED_MODULE_1__.existsSync)(file))
        throw new Error(`Missing file at path: ${file}`);
    const delimiter = `ghadelimiter_${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomUUID)()}`;
    if (name.includes(delimiter) || value.includes(delimiter)) {
        throw new Error(`Unexpected input: the ${kind} ${name} contains the delimiter "${delimiter}"`);
    }
    (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.appendFileSync)(file, `${name}<<${delimiter}${node_os__WEBPACK_IMPORTED_MODULE_2__.EOL}${value}${node_os__WEBPACK_IMPORTED_MODULE_2__.EOL}${delimiter}${node_os__WEBPACK_IMPORTED_MODULE_2__.EOL}`, { encoding: 'utf8' });
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
        await node_fs__WEBPACK_IMPORTED_MODULE_1__.promises.access(file, node_fs__WEBPACK_IMPORTED_MODULE_1__.constants.R_OK | node_fs__WEBPACK_IMPORTED_MODULE_1__.constants.W_OK);
    }
    catch {
        throw new Error(`Unable to access summary file: '${file}'. Check if the file has correct read/write permissions.`);
    }
    await node_fs__WEBPACK_IMPORTED_MODULE_1__.promises.appendFile(file, `${markdown}${node_os__WEBPACK_IMPORTED_MODULE_2__.EOL}`, { encoding: 'utf8' });
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
        process.stdout.write(node_os__WEBPACK_IMPORTED_MODULE_2__.EOL);
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
    info: (message) => process.stdout.write(`${message}${node_os__WEBPACK_IMPORTED_MODULE_2__.EOL}`),
    debug: (message) => command('debug', {}, message),
    warning: (message, properties) => command('warning', annotationProperties(properties), message),
    error: (message, properties) => command('error', annotationProperties(properties), message),
    notice: (message, properties) => command('notice', annotationProperties(properties), message),
    appendSummary: appendStepSummary,
};
/** The real runner, behind {@link safeIO}: what the entry points in `src/entrypoints/` pass. */
const runnerIO = (0,_io_js__WEBPACK_IMPORTED_MODULE_3__/* .safeIO */ .u)(rawRunnerIO);


/***/ }),

/***/ 6511:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Cb: () => (/* binding */ METRICS),
/* harmony export */   Y: () => (/* binding */ TIME_TO_DEPLOY_BUCKETS),
/* harmony export */   tX: () => (/* binding */ metricByName)
/* harmony export */ });
/* unused harmony export ALL_METRICS */
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

/***/ 958:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   A$: () => (/* binding */ buildDeployment),
/* harmony export */   Gh: () => (/* binding */ mainStepsOf),
/* harmony export */   xD: () => (/* binding */ ownStepNames)
/* harmony export */ });
/* unused harmony export stageOfStep */
/* harmony import */ var _infer_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(9033);
/* harmony import */ var _stage_map_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(2239);
/* harmony import */ var _timing_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(4483);
/**
 * From the job's steps (as the REST API shows them) to a deployment: stages
 * with start, end, duration, status and slow marks; the failed stage and its
 * error type; the overall outcome. Pure: the clock's `now` is a parameter.
 */



const RUNNER_STEPS = new Set(['set up job', 'complete job']);
/**
 * The stage a step belongs to: the stage map decides when it has rules, else the stage is
 * inferred from the step's name. Stages the map does not give a service belong to the job's.
 */
function stageOfStep(stepName, rules, jobService) {
    if (rules.length > 0) {
        const target = (0,_stage_map_js__WEBPACK_IMPORTED_MODULE_1__/* .matchStage */ .kH)(rules, stepName);
        return target ? { service: target.service ?? jobService, stage: target.stage } : undefined;
    }
    const stage = (0,_infer_js__WEBPACK_IMPORTED_MODULE_0__/* .inferStageFromStep */ .$V)(stepName, jobService);
    return stage === undefined ? undefined : { service: jobService, stage };
}
/** Step conclusions that fail a step. `cancelled` is not one: a cancelled step was interrupted. */
const FAILED_CONCLUSIONS = new Set(['failure', 'timed_out']);
/**
 * The job's own main steps: the runner's "Set up job"/"Complete job", `Pre X`
 * steps (with a later X) and `Post X` steps (with an earlier X) left out.
 * Post steps are found by their main step, not by the prefix alone, so a user
 * step called "Post-deploy checks" or "Post results" stays a main step.
 */
function mainStepsOf(steps, ownStepNames = []) {
    const names = steps.map((s) => s.name);
    const own = new Set(ownStepNames.map((n) => n.toLowerCase()));
    return steps.filter((step, index) => {
        const name = step.name;
        if (RUNNER_STEPS.has(name.toLowerCase()))
            return false;
        if (own.has(name.toLowerCase()))
            return false;
        if (name.startsWith('Pre ') && names.slice(index + 1).includes(name.slice(4)))
            return false;
        if (name.startsWith('Post ') && names.slice(0, index).includes(name.slice(5)))
            return false;
        return true;
    });
}
function ran(step) {
    return step.conclusion !== 'skipped' && step.status !== 'queued' && step.started_at !== null;
}
/** A stage's conclusion is its worst step's: a failure outweighs a cancel, a cancel a success. */
const CONCLUSION_RANK = {
    success: 0,
    neutral: 0,
    cancelled: 2,
    failure: 3,
    timed_out: 3,
};
function statusOf(conclusion) {
    if (FAILED_CONCLUSIONS.has(conclusion))
        return 'failure';
    return conclusion === 'cancelled' ? 'cancelled' : 'success';
}
function worse(a, b) {
    return (CONCLUSION_RANK[b] ?? 0) > (CONCLUSION_RANK[a] ?? 0) ? b : a;
}
/** Builds the deployment from the job's steps. Never throws on odd API data. */
function buildDeployment(input) {
    const steps = input.job.steps ?? [];
    const mainSteps = mainStepsOf(steps, input.ownStepNames);
    const byKey = new Map();
    let lastEnd;
    /** Every main step that ran, in order, with the conclusion the model gives it. */
    const ranSteps = [];
    mainSteps.forEach((step, order) => {
        if (!ran(step))
            return;
        const start = (0,_timing_js__WEBPACK_IMPORTED_MODULE_2__/* .parseTimestamp */ .EH)(step.started_at);
        const completedAt = (0,_timing_js__WEBPACK_IMPORTED_MODULE_2__/* .parseTimestamp */ .EH)(step.completed_at);
        const complete = step.status === 'completed' && completedAt !== undefined;
        // A step still in progress after the bounded wait ends "now": its duration is a lower bound.
        const end = complete ? completedAt : input.now;
        if (end !== undefined)
            lastEnd = lastEnd === undefined ? end : Math.max(lastEnd, end);
        // A step the API still shows running in a cancelled job is the one the cancel interrupted.
        const conclusion = complete
            ? (step.conclusion ?? 'success')
            : input.jobStatus === 'cancelled'
                ? 'cancelled'
                : 'success';
        ranSteps.push({ step, conclusion });
        const target = stageOfStep(step.name, input.rules, input.service);
        if (!target || start === undefined)
            return;
        const { service } = target;
        const key = `${service}/${target.stage}`;
        const acc = byKey.get(key);
        if (acc) {
            acc.start = Math.min(acc.start, start);
            acc.end = Math.max(acc.end, end, start);
            acc.steps.push(step.name);
            acc.conclusion = worse(acc.conclusion, conclusion);
            acc.complete &&= complete;
        }
        else {
            byKey.set(key, {
                service,
                stage: target.stage,
                start,
                end: Math.max(end, start),
                steps: [step.name],
                conclusion,
                complete,
                order,
            });
        }
    });
    // Failures count up to the first cancel: what an `if: always()` step does after it is cleanup.
    const firstCancel = ranSteps.findIndex((s) => s.conclusion === 'cancelled');
    const failedSteps = (firstCancel < 0 ? ranSteps : ranSteps.slice(0, firstCancel))
        .filter((s) => FAILED_CONCLUSIONS.has(s.conclusion))
        .map((s) => s.step);
    const cancelledStep = firstCancel < 0 ? undefined : ranSteps[firstCancel]?.step;
    const wasCancelled = cancelledStep !== undefined || input.jobStatus === 'cancelled';
    const jobTimedOut = wasCancelled && input.timeouts?.jobTimedOut === true;
    let status;
    if (input.jobStatus === 'success')
        status = 'success';
    else if (failedSteps.length > 0)
        status = 'failure';
    // A job its time limit cancelled is a failed deployment (a hung deploy); a person's cancel is not.
    else if (wasCancelled)
        status = jobTimedOut ? 'failure' : 'cancelled';
    else
        status = input.jobStatus === 'failure' ? 'failure' : 'success';
    const stages = [...byKey.values()]
        .sort((a, b) => a.start - b.start || a.order - b.order)
        .map((acc) => {
        const duration = (0,_timing_js__WEBPACK_IMPORTED_MODULE_2__/* .durationSeconds */ .o8)(acc.start, acc.end);
        const threshold = input.thresholds[acc.stage];
        const own = statusOf(acc.conclusion);
        return Object.freeze({
            service: acc.service,
            stage: acc.stage,
            // The stage the job's time limit interrupted failed with the deployment.
            status: own === 'cancelled' && jobTimedOut && status === 'failure' ? 'failure' : own,
            startedAt: acc.start,
            completedAt: acc.end,
            durationSeconds: duration,
            thresholdSeconds: threshold,
            slow: threshold !== undefined && duration > threshold,
            steps: Object.freeze(acc.steps),
            conclusion: acc.conclusion,
            complete: acc.complete,
        });
    });
    const rollback = stages.find((s) => s.stage === 'rollback');
    const failedCandidate = stages.find((s) => s.status === 'failure' && s.stage !== 'rollback') ??
        stages.find((s) => s.status === 'failure');
    const interrupted = stages.find((s) => s.conclusion === 'cancelled');
    // Failed by the job's time limit alone: the stage it interrupted is the failed one.
    const byJobLimit = status === 'failure' && failedSteps.length === 0 && jobTimedOut;
    // A stage that failed under continue-on-error does not fail a job that succeeded.
    const failedStage = status === 'failure' ? (byJobLimit ? interrupted : failedCandidate) : undefined;
    const cancelledStage = status === 'cancelled' ? interrupted : undefined;
    // The runner's "The action has timed out." does not name its step: it is this failure's when
    // every failed step has one.
    const stepTimedOut = (input.timeouts?.stepTimeouts ?? 0) > 0 && (input.timeouts?.stepTimeouts ?? 0) >= failedSteps.length;
    let errorType;
    let failureMessage;
    let cancelMessage;
    if (status === 'failure') {
        const timedOut = byJobLimit || (failedSteps.length > 0 && stepTimedOut);
        if (failedStage) {
            errorType = timedOut
                ? 'timeout'
                : (input.reportedErrorTypes.get(failedStage.stage) ??
                    (failedStage.conclusion === 'timed_out' ? 'timeout' : (0,_infer_js__WEBPACK_IMPORTED_MODULE_0__/* .errorTypeForStage */ .wC)(failedStage.stage)));
            const verb = byJobLimit
                ? 'was cancelled by the job\u2019s time limit'
                : timedOut
                    ? 'timed out (timeout-minutes)'
                    : 'failed';
            failureMessage = `Stage ${failedStage.stage} (${failedStage.service}) ${verb} after ${Math.round(failedStage.durationSeconds)}s in step "${failedStage.steps.join('", "')}"`;
        }
        else if (failedSteps.length > 0) {
            const step = failedSteps[0];
            errorType = timedOut ? 'timeout' : 'unknown';
            failureMessage = `Step "${step.name}" ${timedOut ? 'timed out (timeout-minutes)' : 'failed'}; it is not mapped to a deployment stage`;
        }
        else if (jobTimedOut) {
            errorType = 'timeout';
            failureMessage = cancelledStep
                ? `The job\u2019s time limit cancelled step "${cancelledStep.name}"; it is not mapped to a deployment stage`
                : 'The job was cancelled by its time limit';
        }
        else {
            errorType = 'unknown';
            failureMessage = 'The job failed, but no step shows a failure (see the job log)';
        }
    }
    else if (status === 'cancelled') {
        cancelMessage = cancelledStage
            ? `Stage ${cancelledStage.stage} (${cancelledStage.service}) was cancelled after ${Math.round(cancelledStage.durationSeconds)}s in step "${cancelledStage.steps.join('", "')}"`
            : cancelledStep
                ? `Step "${cancelledStep.name}" was cancelled; it is not mapped to a deployment stage`
                : 'The job was cancelled';
    }
    const jobStart = (0,_timing_js__WEBPACK_IMPORTED_MODULE_2__/* .parseTimestamp */ .EH)(input.job.started_at);
    const firstStepStart = steps.map((s) => (0,_timing_js__WEBPACK_IMPORTED_MODULE_2__/* .parseTimestamp */ .EH)(s.started_at)).find((t) => t !== undefined);
    const startedAt = jobStart ?? firstStepStart ?? input.fallbackStart;
    const completedAt = lastEnd ?? input.now;
    const duration = (0,_timing_js__WEBPACK_IMPORTED_MODULE_2__/* .durationSeconds */ .o8)(startedAt, completedAt);
    const totalThreshold = input.thresholds['total'];
    return Object.freeze({
        status,
        stages: Object.freeze(stages),
        failedStage,
        errorType,
        failureMessage,
        cancelledStage,
        cancelMessage,
        startedAt,
        completedAt,
        durationSeconds: duration,
        totalThresholdSeconds: totalThreshold,
        slow: totalThreshold !== undefined && duration > totalThreshold,
        rollback,
        mainSteps: Object.freeze(mainSteps),
    });
}
/**
 * Names of this action's own main step, never a stage: a step X with a
 * `Pre X` step (pre runs only for actions that declare it, as this one does),
 * `Run ./` (a local action has no pre), `Run <owner/repo>@<ref>`, and any name
 * with "deployment-observability" in it. Without this, inference would read
 * "deployment" in the action's name as a deploy stage.
 */
function ownStepNames(steps, actionRepository, actionRef) {
    const names = new Set(['Run ./']);
    if (actionRepository)
        names.add(`Run ${actionRepository}@${actionRef}`);
    const all = steps.map((s) => s.name);
    all.forEach((name, index) => {
        if (name.startsWith('Pre ') && all.slice(index + 1).includes(name.slice(4)))
            names.add(name.slice(4));
        if (/deployment[-_ ]observability/i.test(name) && !name.startsWith('Post ') && !name.startsWith('Pre '))
            names.add(name);
    });
    return [...names];
}


/***/ }),

/***/ 6615:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   K1: () => (/* binding */ SERVICE_NAME_RE),
/* harmony export */   SB: () => (/* binding */ knownErrorType),
/* harmony export */   X2: () => (/* binding */ reportedLabelProblem)
/* harmony export */ });
/* unused harmony exports KNOWN_ERROR_TYPES, isErrorType, isServiceName */
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
/* harmony export */   $V: () => (/* binding */ inferStageFromStep),
/* harmony export */   Dl: () => (/* binding */ inferServiceFromName),
/* harmony export */   LY: () => (/* binding */ ERROR_TYPES),
/* harmony export */   wC: () => (/* binding */ errorTypeForStage)
/* harmony export */ });
/* unused harmony export KNOWN_STAGES */
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
  kH: () => (/* binding */ matchStage),
  m: () => (/* binding */ parseStageMap),
  p0: () => (/* binding */ prepareStageRules),
  HN: () => (/* binding */ writableServices)
});

// UNUSED EXPORTS: MAX_MATCHED_NAME

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

/***/ 4483:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   EH: () => (/* binding */ parseTimestamp),
/* harmony export */   o8: () => (/* binding */ durationSeconds),
/* harmony export */   tK: () => (/* binding */ toIso)
/* harmony export */ });
/* unused harmony export formatDuration */
/**
 * Timestamps from the REST API: 1 s resolution, mixed UTC offsets (`…Z` for
 * jobs, `…-08:00` for steps), and `completed_at` that can precede `started_at`
 * for skipped steps (docs/platform.md, "The REST API"). Parse, never compare strings;
 * clamp durations at 0.
 */
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/i;
/** Milliseconds since the epoch, or undefined for null, empty or malformed values. */
function parseTimestamp(value) {
    if (value === null || value === undefined || value === '')
        return undefined;
    if (!ISO_RE.test(value))
        return undefined;
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? ms : undefined;
}
/** Seconds between two instants, never negative. */
function durationSeconds(startMs, endMs) {
    return Math.max(0, (endMs - startMs) / 1000);
}
/** ISO 8601 in UTC with whole seconds, as the API writes them. */
function toIso(ms) {
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
/** "1m 05s", "42s", "1h 02m" — for summaries. */
function formatDuration(seconds) {
    const s = Math.round(seconds);
    if (s < 60)
        return `${s}s`;
    if (s < 3600)
        return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
    return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}


/***/ }),

/***/ 4098:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   ET: () => (/* binding */ redirectTarget),
/* harmony export */   Em: () => (/* binding */ request),
/* harmony export */   gl: () => (/* binding */ describeNetworkError),
/* harmony export */   j$: () => (/* binding */ HttpError),
/* harmony export */   yL: () => (/* binding */ requestedWaitMs)
/* harmony export */ });
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
/* harmony export */   pF: () => (/* binding */ singleLine),
/* harmony export */   sK: () => (/* binding */ redactUrls)
/* harmony export */ });
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

/***/ 181:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("buffer");

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

/***/ 4708:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:https");

/***/ }),

/***/ 7030:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");

/***/ }),

/***/ 8161:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");

/***/ }),

/***/ 643:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:perf_hooks");

/***/ }),

/***/ 1708:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:process");

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

/***/ 2203:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("stream");

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

/***/ 9637:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("tty");

/***/ }),

/***/ 7016:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("url");

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
/******/ var __webpack_exports__ = __nccwpck_require__(1622);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
