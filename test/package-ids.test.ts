// The built package (dist/, what `npm test` builds first) derives the same thread trace ids in another
// process as the source does here: users compute them in their own processes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';
import { threadTraceId } from '../src/trace/trace-ids';

it('threadTraceId is identical in another process, from the built package', () => {
  const other = execFileSync(process.execPath, ['-e', "process.stdout.write(require('./dist/cjs').threadTraceId('thread_abc'))"], { cwd: path.join(__dirname, '..') }).toString();
  assert.equal(other, threadTraceId('thread_abc'));
});
