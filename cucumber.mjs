// Cucumber runs the *built* binary (bin/run.js → dist/) as a child process; `npm test` builds first.
// TypeScript steps load through tsx (NODE_OPTIONS="--import tsx", see package.json).
export default {
  import: ['features/support/**/*.ts', 'features/step_definitions/**/*.ts'],
  format: ['progress-bar', 'summary'],
  strict: true,
  parallel: 2,
};
