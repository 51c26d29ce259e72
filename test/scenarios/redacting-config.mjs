// Instrumentation config with code in it (a redaction hook), loaded by the cell child when the test
// sets SPANLENS_TEST_CONFIG_MODULE. The hook tags each value with its key and masks card numbers.
export default {
  maxContentLength: 64,
  redact: (value, key) => `[seen:${key}]` + value.replace(/\d{4}-\d{4}-\d{4}-\d{4}/g, '****'),
};
