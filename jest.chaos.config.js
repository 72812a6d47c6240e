/** `npm run test:chaos`: the randomized fault schedules, kept out of the quick suite. */
const base = require('./jest.config.js');

module.exports = { ...base, roots: ['<rootDir>/test/chaos'], testPathIgnorePatterns: [] };
