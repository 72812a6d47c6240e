/**
 * Jest workers only. The telemetry SDK's statsbeat arms a 15 s timer that its shutdown does not clear
 * and that then loads a module with a dynamic `import()`, which jest's VM refuses once a test file's
 * environment is torn down — failing whichever test file runs next in the worker. In-process tests
 * therefore switch statsbeat off with the SDK's legacy variable. Users never set it, and the CLI tests
 * that must see what users see (test/integration/cliLifecycle) run the built CLI in child processes
 * with the emulator's environment only, statsbeat on.
 */
process.env.APPLICATION_INSIGHTS_NO_STATSBEAT = 'true';
process.env.APPLICATIONINSIGHTS_SDKSTATS_DISABLED = 'true';
