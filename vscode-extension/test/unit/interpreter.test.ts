import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { chooseInterpreter, DEFAULT_PYTHON, displayCommand, expandVariables, normalizeInterpreterSetting, serverCommand } from '../../src/interpreter';

const vars = { workspaceFolder: '/ws/proj', userHome: '/home/me', env: { VENV: '/opt/venv' } as Record<string, string | undefined> };

test('interpreter: the glacier.interpreter setting wins over the Python extension', () => {
  const c = chooseInterpreter({ setting: ['/usr/bin/python3.12'], pythonExtension: '/ext/python', vars });
  assert.deepEqual(c, { command: ['/usr/bin/python3.12'], source: 'setting' });
});

test('interpreter: a string setting is accepted and variables are expanded', () => {
  assert.deepEqual(chooseInterpreter({ setting: '${workspaceFolder}/.venv/bin/python', vars }).command, ['/ws/proj/.venv/bin/python']);
  assert.deepEqual(chooseInterpreter({ setting: ['${env:VENV}/bin/python', '-X', 'utf8'], vars }).command, ['/opt/venv/bin/python', '-X', 'utf8']);
  assert.equal(expandVariables('~/venv/bin/python', vars), '/home/me/venv/bin/python');
  assert.equal(expandVariables('${userHome}/x', vars), '/home/me/x');
  assert.equal(expandVariables('${env:MISSING}x', vars), 'x');
});

test('interpreter: the Python extension is used when the setting is empty', () => {
  for (const setting of [undefined, [], '', '  ', [''], null]) {
    assert.deepEqual(chooseInterpreter({ setting, pythonExtension: '/ext/python', vars }), { command: ['/ext/python'], source: 'python-extension' });
  }
});

test('interpreter: python3 when neither the setting nor the Python extension choose', () => {
  assert.deepEqual(chooseInterpreter({ setting: [], vars }), { command: [DEFAULT_PYTHON], source: 'default' });
  assert.deepEqual(chooseInterpreter({ setting: [], pythonExtension: '', vars }), { command: ['python3'], source: 'default' });
});

test('interpreter: setting normalisation', () => {
  assert.deepEqual(normalizeInterpreterSetting(['py', '', ' -u ']), ['py', '-u']);
  assert.deepEqual(normalizeInterpreterSetting([42, 'py']), ['py']);
  assert.deepEqual(normalizeInterpreterSetting({}), []);
});

test('interpreter: the server runs as <python> [args] -m glacier_lsp without --stdio', () => {
  assert.deepEqual(serverCommand({ command: ['/p y/python', '-X', 'utf8'], source: 'setting' }), { command: '/p y/python', args: ['-X', 'utf8', '-m', 'glacier_lsp'] });
  assert.equal(displayCommand(['/p y/python', '-m', 'pip']), "'/p y/python' -m pip");
});
