import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { classifyImportCheck, installCommand, problemMessage } from '../../src/messages';

test('messages: not installed says which interpreter and how to fix it', () => {
  const msg = problemMessage({ command: ['/usr/bin/python3'], source: 'default' }, { kind: 'not-installed' });
  assert.equal(
    msg,
    'Glacier is not installed in the Python interpreter /usr/bin/python3 (the default, as neither glacier.interpreter nor the Python extension chose one). ' +
      'Install it with "/usr/bin/python3 -m pip install glacier-pipelines", or set glacier.interpreter to a Python environment that has Glacier.',
  );
});

test('messages: the fix names the setting the interpreter came from', () => {
  const fromSetting = problemMessage({ command: ['/venv/bin/python'], source: 'setting' }, { kind: 'not-installed' });
  assert.match(fromSetting, /from the glacier\.interpreter setting/);
  assert.match(fromSetting, /change the glacier\.interpreter setting/);
  const fromExt = problemMessage({ command: ['/env/bin/python'], source: 'python-extension' }, { kind: 'not-installed' });
  assert.match(fromExt, /the Python extension's active environment/);
  assert.match(fromExt, /pip install glacier-pipelines/);
});

test('messages: missing interpreter and broken import', () => {
  assert.match(problemMessage({ command: ['nope'], source: 'setting' }, { kind: 'interpreter-not-found' }), /interpreter nope .* was not found/);
  assert.match(
    problemMessage({ command: ['py'], source: 'default' }, { kind: 'import-failed', detail: "ModuleNotFoundError: No module named 'pygls'" }),
    /could not be imported with py .*No module named 'pygls'/,
  );
  assert.equal(installCommand({ command: ['/a b/python', '-I'], source: 'setting' }), "'/a b/python' -I -m pip install glacier-pipelines");
});

test('messages: classifying the import check', () => {
  assert.equal(classifyImportCheck({ exitCode: 0, stderr: '' }), undefined);
  assert.deepEqual(classifyImportCheck({ spawnErrorCode: 'ENOENT', exitCode: null, stderr: '' }), { kind: 'interpreter-not-found' });
  assert.deepEqual(classifyImportCheck({ exitCode: 1, stderr: "Traceback...\nModuleNotFoundError: No module named 'glacier_lsp'\n" }), { kind: 'not-installed' });
  assert.deepEqual(classifyImportCheck({ exitCode: 1, stderr: "Traceback\nModuleNotFoundError: No module named 'pygls'\n" }), {
    kind: 'import-failed',
    detail: "ModuleNotFoundError: No module named 'pygls'",
  });
});
