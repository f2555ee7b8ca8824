export const id = 506;
export const ids = [506];
export const modules = {

/***/ 3506:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   coreIO: () => (/* binding */ coreIO),
/* harmony export */   rawCoreIO: () => (/* binding */ rawCoreIO)
/* harmony export */ });
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3838);
/* harmony import */ var _io_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1438);
/**
 * The hooks through `@actions/core`: used only when a hook's exported `run()` is called without an
 * `ActionIO`, which is how `@github/local-action` runs it. local-action replaces `@actions/core` with
 * its own stub (inputs from its env file, outputs in its table), so this is the one place that must
 * go through that module. The bundles use `runner-io.ts` and never load this file.
 */


/** `@actions/core` (or local-action's stub of it), call for call (the reference `runner-io.ts` is tested against). */
const rawCoreIO = {
    getInput: (name) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .getInput */ .V4(name),
    getState: (name) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .getState */ .Gu(name),
    saveState: (name, value) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .saveState */ .LZ(name, value),
    setOutput: (name, value) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .setOutput */ .uH(name, value),
    exportVariable: (name, value) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .exportVariable */ .dN(name, value),
    setSecret: (value) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .setSecret */ .Pq(value),
    setFailed: (message) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .setFailed */ .C1(message),
    info: (message) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .info */ .pq(message),
    debug: (message) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .debug */ .Yz(message),
    warning: (message, properties) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .warning */ .$e(message, properties),
    error: (message, properties) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .error */ .z3(message, properties),
    notice: (message, properties) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .notice */ .lm(message, properties),
    appendSummary: async (markdown) => {
        await _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .summary */ .z.addRaw(markdown, true).write();
    },
};
/** {@link rawCoreIO} behind {@link safeIO}: what a hook's `run()` uses under local-action. */
const coreIO = (0,_io_js__WEBPACK_IMPORTED_MODULE_1__/* .safeIO */ .u)(rawCoreIO);


/***/ })

};
