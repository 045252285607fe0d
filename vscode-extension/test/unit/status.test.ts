import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { formatStatus, plural } from '../../src/statusText';

test('status bar: pipelines and errors of the active file', () => {
  assert.deepEqual(formatStatus({ state: 'running', pipelines: 1, errors: 1 }), {
    text: '$(error) Glacier: 1 pipeline, 1 error',
    tooltip: 'Glacier — this file: 1 pipeline, 1 error. Click to show the pipeline graph.',
    command: 'glacier.showGraph',
    alert: false,
  });
  assert.equal(formatStatus({ state: 'running', pipelines: 2, errors: 0 }).text, '$(type-hierarchy-sub) Glacier: 2 pipelines, 0 errors');
  assert.equal(formatStatus({ state: 'running', pipelines: 0, errors: 3 }).text, '$(error) Glacier: 0 pipelines, 3 errors');
  assert.equal(formatStatus({ state: 'running', errors: 0 }).text, '$(type-hierarchy-sub) Glacier: 0 errors', 'pipeline count not known yet');
  assert.equal(plural(1, 'error'), '1 error');
});

test('status bar: server states', () => {
  assert.equal(formatStatus({ state: 'starting', errors: 0 }).text, '$(sync~spin) Glacier');
  const ni = formatStatus({ state: 'not-installed', errors: 0 });
  assert.equal(ni.text, '$(warning) Glacier: not installed');
  assert.equal(ni.command, 'glacier.showOutput');
  assert.equal(ni.alert, true);
  assert.equal(formatStatus({ state: 'stopped', errors: 0 }).command, 'glacier.restartServer');
});
