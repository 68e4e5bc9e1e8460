// Jest runs the slowest files first so its two workers finish together; it knows their durations from its cache,
// which a fresh clone (CI) lacks. Then it reads test/timings.json (seconds; `node test/run.js --record-timings`
// writes it). A file in neither counts as fast: Jest would otherwise start those first, the slow ones last.
const { readFileSync } = require('node:fs');
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const root = path.resolve(__dirname, '../..');
const recorded = JSON.parse(readFileSync(path.join(root, 'test', 'timings.json'), 'utf8'));

module.exports = class TimingSequencer extends Sequencer {
  time(test) {
    return super.time(test) ?? (recorded[path.relative(root, test.path)] ?? 0) * 1000;
  }
};
